import { beforeEach, describe, expect, test } from 'vitest';
import { keepMyReport, MAX_KEPT, myReports } from './myReports.ts';

/** The browser's storage, as a plain in-memory one for Node. */
class MemoryStorage {
  private m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

describe('my reports on this phone', () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });

  test('newest first, each token once, at most MAX_KEPT', () => {
    keepMyReport({ trackingToken: 'a', category: 'theft', at: '2026-12-07T10:00:00Z' });
    keepMyReport({ trackingToken: 'b', category: 'road-defect', at: '2026-12-07T11:00:00Z' });
    keepMyReport({ trackingToken: 'a', category: 'theft', at: '2026-12-07T10:00:00Z' });
    expect(myReports().map((r) => r.trackingToken)).toEqual(['a', 'b']);
    for (let i = 0; i < 30; i++) keepMyReport({ trackingToken: `t${i}`, category: 'theft', at: '2026-12-07T12:00:00Z' });
    expect(myReports()).toHaveLength(MAX_KEPT);
    expect(myReports()[0].trackingToken).toBe('t29');
  });

  test('what is not a list of reports is ignored', () => {
    localStorage.setItem('tartip.myReports', '{"not":"a list"}');
    expect(myReports()).toEqual([]);
    localStorage.setItem('tartip.myReports', '[{"trackingToken":1},{"trackingToken":"x","category":"theft","at":"2026-12-07T10:00:00Z"}]');
    expect(myReports().map((r) => r.trackingToken)).toEqual(['x']);
    localStorage.setItem('tartip.myReports', 'not json');
    expect(myReports()).toEqual([]);
  });
});
