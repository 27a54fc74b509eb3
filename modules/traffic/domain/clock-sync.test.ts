import { describe, expect, it } from 'vitest';
import { certifiedAt, inSyncAt, type SyncRecord, syncRecordAt, syncVerdict, withRecord } from './clock-sync.ts';

const T = Date.parse('2026-03-01T10:00:00Z');
const policy = { maxOffsetMs: 500, validForMs: 3_600_000 };
const rec = (minutes: number, status: SyncRecord['status'], offsetMs: number | null = 2): SyncRecord => ({ atMs: T + minutes * 60_000, status, source: 'ntp', offsetMs });

describe('clock sync at the time of a read', () => {
  const history = [rec(0, 'synced'), rec(30, 'unsynced', null), rec(45, 'synced', 900), rec(50, 'synced', 10)];

  it('judges a read by the latest report at or before its time', () => {
    expect(syncRecordAt(history, T - 1)).toBeNull();
    expect(syncVerdict(history, T - 1, policy)).toBe('unknown');
    expect(syncVerdict(history, T, policy)).toBe('in_sync');
    expect(syncVerdict(history, T + 29 * 60_000, policy)).toBe('in_sync');
    expect(syncVerdict(history, T + 30 * 60_000, policy)).toBe('not_synced');
    expect(syncVerdict(history, T + 46 * 60_000, policy)).toBe('offset_too_large');
    expect(inSyncAt(history, T + 55 * 60_000, policy)).toBe(true);
  });

  it('treats a clock nobody vouched for recently as unknown (stale), never as in sync', () => {
    expect(syncVerdict(history, T + 50 * 60_000 + 3_600_001, policy)).toBe('stale');
  });

  it('keeps the history sorted when a late report about an earlier time arrives', () => {
    const h = withRecord(history, rec(20, 'degraded'));
    expect(h.map((r) => r.atMs)).toEqual([0, 20, 30, 45, 50].map((m) => T + m * 60_000));
    expect(syncVerdict(h, T + 25 * 60_000, policy)).toBe('not_synced');
    // A second report for the same time replaces the first.
    expect(withRecord(h, rec(20, 'synced')).filter((r) => r.atMs === T + 20 * 60_000)).toEqual([rec(20, 'synced')]);
  });

  it('checks the certificate’s validity at the time of the read', () => {
    const c = { number: 'ПОВ-1', issuer: 'КазИнМетр', validFromMs: T, validToMs: T + 1000 };
    expect([certifiedAt(c, T - 1), certifiedAt(c, T), certifiedAt(c, T + 1000), certifiedAt(c, T + 1001), certifiedAt(null, T)]).toEqual([false, true, true, false, false]);
  });
});
