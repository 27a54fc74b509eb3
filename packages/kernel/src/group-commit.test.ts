import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from './group-commit.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('GroupCommit', () => {
  it('writes items that arrive together in one batch, and later arrivals in the next', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const gc = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((i) => ({ ok: true, value: i * 10 }));
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = [1, 2, 3].map((i) => gc.submit(i));
    await tick();
    const second = [4, 5].map((i) => gc.submit(i)); // arrive while the first batch commits
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('never takes more than maxBatch items, nor runs more than maxInFlight batches at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        sizes.push(items.length);
        await tick();
        running--;
        return items.map((i) => ({ ok: true, value: i }));
      },
      { maxBatch: 4, maxInFlight: 2 },
    );
    await Promise.all(Array.from({ length: 20 }, (_, i) => gc.submit(i)));
    expect(Math.max(...sizes)).toBe(4);
    expect(most).toBe(2);
    expect(gc.items).toBe(20);
  });

  it('settles each item with its own outcome: one refused item does not fail the others', async () => {
    const gc = new GroupCommit<number, number>(
      async (items) => items.map((i): Outcome<number> => (i === 2 ? { ok: false, error: new Error('rate limited') } : { ok: true, value: i })),
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('when a whole batch fails, writes each item alone, so only the poisoned item fails', async () => {
    const calls: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        calls.push(items);
        if (items.includes(13)) throw new Error('constraint violated');
        return items.map((i) => ({ ok: true, value: i }));
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([12, 13, 14].map((i) => gc.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(calls).toEqual([[12, 13, 14], [12], [13], [14]]);
  });
});
