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

  it('with a window of 0 remembers nothing', () => {
    const r = new RecentDecisions<number>(0, 100);
    r.remember('k', 1, 0);
    expect(r.get('k', 0)).toBeUndefined();
  });
});
