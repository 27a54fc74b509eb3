import { describe, expect, it } from 'vitest';
import { RecentDecisions } from './repeats.ts';

describe('RecentDecisions', () => {
  it('gives back what was decided under a key within the window, and forgets it after', () => {
    const r = new RecentDecisions<string>(1000, 100);
    r.remember('bank\u0000tx1', 'hold', 0);
    expect(r.get('bank\u0000tx1', 999)).toEqual({ value: 'hold', at: 0 });
    expect(r.get('bank\u0000tx2', 999)).toBeUndefined();
    expect(r.get('bank\u0000tx1', 1000)).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('a key decided again takes its new time and value, and is forgotten by that time', () => {
    const r = new RecentDecisions<string>(1000, 100);
    r.remember('a', 'hold', 0);
    r.remember('b', 'allow', 500);
    r.remember('a', 'allow again', 800);
    // At 1,200 "b" (500) is still in the window; "a" was decided again at 800.
    expect(r.get('a', 1200)?.value).toBe('allow again');
    expect(r.get('b', 1200)?.value).toBe('allow');
    expect(r.get('b', 1500)).toBeUndefined();
    expect(r.get('a', 1500)?.at).toBe(800);
  });

  it('holds at most its capacity: the oldest make room', () => {
    const r = new RecentDecisions<number>(60_000, 3);
    for (let i = 0; i < 5; i++) r.remember(`k${i}`, i, i);
    expect(r.size).toBe(3);
    expect(r.get('k0', 10)).toBeUndefined();
    expect(r.get('k1', 10)).toBeUndefined();
    expect(r.get('k4', 10)?.value).toBe(4);
  });

  it('a key remembered again at the same instant keeps its newer place when the older one leaves', () => {
    const r = new RecentDecisions<number>(60_000, 2);
    r.remember('a', 1, 0);
    r.remember('b', 2, 0);
    r.remember('a', 3, 0);
    // Over capacity: the front place ('a', first) goes, but 'a' lives on at its newer place.
    expect(r.get('a', 0)?.value).toBe(3);
    expect(r.size).toBe(2);
    r.remember('c', 4, 0);
    expect(r.get('b', 0)).toBeUndefined();
    expect(r.get('a', 0)?.value).toBe(3);
  });

  it('holds its window through many thousands of decisions (the queue compacts as it goes)', () => {
    const r = new RecentDecisions<number>(1000, 500);
    for (let i = 0; i < 50_000; i++) r.remember(`k${i}`, i, i);
    expect(r.size).toBe(500);
    expect(r.get('k49999', 49_999)?.value).toBe(49_999);
    expect(r.get('k49499', 49_999)).toBeUndefined();
    expect(r.get('k49500', 49_999)?.value).toBe(49_500);
  });

  it('with a window of 0 remembers nothing', () => {
    const r = new RecentDecisions<number>(0, 100);
    r.remember('k', 1, 0);
    expect(r.get('k', 0)).toBeUndefined();
  });
});
