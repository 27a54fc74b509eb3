import { describe, expect, it } from 'vitest';
import { newId, UUID_PATTERN, UuidV7Generator } from './ids.ts';

describe('UuidV7Generator', () => {
  const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('makes UUIDv7 ids carrying the time, unique and strictly increasing, also within one millisecond', () => {
    const ids = new UuidV7Generator(() => 1_764_000_000_000);
    const made = Array.from({ length: 20_000 }, () => ids.next());
    for (const id of made) expect(id).toMatch(UUIDV7);
    expect(Number.parseInt(made[0].replace('-', '').slice(0, 12), 16)).toBe(1_764_000_000_000);
    expect(new Set(made).size).toBe(made.length);
    for (let i = 1; i < made.length; i++) expect(made[i] > made[i - 1]).toBe(true);
  });

  it('stays ordered when the clock steps back, and across milliseconds', () => {
    let now = 1_764_000_000_000;
    const ids = new UuidV7Generator(() => now);
    const a = ids.next();
    now -= 5_000;
    const b = ids.next();
    now += 10_000;
    const c = ids.next();
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
    expect(c.slice(0, 13)).not.toBe(a.slice(0, 13));
  });

  it('with the real clock, ids of two generators do not collide', () => {
    const x = new UuidV7Generator();
    const y = new UuidV7Generator();
    const all = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      all.add(x.next());
      all.add(y.next());
    }
    expect(all.size).toBe(20_000);
  });
});

describe('newId', () => {
  it('is a UUIDv7 of now, increasing from one call to the next', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1_000 }, () => newId());
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(UUID_PATTERN);
    const ms = Number.parseInt(ids[0].replace('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });
});
