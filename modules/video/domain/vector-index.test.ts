import { describe, expect, it } from 'vitest';
import { ExactIndex, IvfIndex } from './vector-index.ts';
import { synthetic } from './synthetic.ts';
import { fromBytes, normalise, toBytes, TopK } from './vectors.ts';

describe('vectors', () => {
  it('normalises to unit length, refuses zero and non-finite vectors, and round-trips through bytes', () => {
    const v = normalise([3, 4]) as Float32Array;
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(normalise([0, 0])).toBeNull();
    expect(normalise([1, Number.NaN])).toBeNull();
    expect(Array.from(fromBytes(toBytes(v)))).toEqual(Array.from(v));
  });

  it('TopK keeps the best k, best first', () => {
    const t = new TopK(3);
    for (const [r, s] of [[0, 0.1], [1, 0.9], [2, 0.5], [3, 0.7], [4, 0.2]]) t.offer(r, s);
    expect(t.hits.map((h) => h.row)).toEqual([1, 3, 2]);
  });
});

describe('watchlist search', () => {
  const data = synthetic(3000, 200, 64, { seed: 3 });
  const exact = new ExactIndex(64);
  for (let i = 0; i < 3000; i++) exact.add(data.entries.subarray(i * 64, (i + 1) * 64));
  const probe = (p: number) => data.probes.subarray(p * 64, (p + 1) * 64);

  it('exact: finds the probed identity with its cosine; a removed row is never returned', () => {
    let found = 0;
    for (let p = 0; p < 200; p++) if (exact.search(probe(p), 1)[0].row === data.probeOf[p]) found++;
    expect(found).toBeGreaterThan(195);
    const [top] = exact.search(probe(0), 1);
    const v = exact.vector(top.row);
    let dot = 0;
    for (let i = 0; i < 64; i++) dot += v[i] * probe(0)[i];
    expect(top.score).toBeCloseTo(dot, 5);
    exact.remove(top.row);
    expect(exact.search(probe(0), 5).map((h) => h.row)).not.toContain(top.row);
  });

  it('IVF: recall@1 against exact ≥ 0.99 with enough cells probed, exact scores, rows added after training found', () => {
    const fresh = new ExactIndex(64);
    for (let i = 0; i < 3000; i++) fresh.add(data.entries.subarray(i * 64, (i + 1) * 64));
    const ivf = new IvfIndex(64, data.entries, 3000, { nlist: 64, nprobe: 16, reducedDim: 48, rerank: 64, seed: 5 });
    let agree = 0;
    for (let p = 0; p < 200; p++) {
      const a = ivf.search(probe(p), 1)[0];
      const b = fresh.search(probe(p), 1)[0];
      if (a.row === b.row) {
        agree++;
        expect(a.score).toBeCloseTo(b.score, 5);
      }
    }
    expect(agree / 200).toBeGreaterThanOrEqual(0.99);
    const row = ivf.add(probe(7));
    expect(ivf.search(probe(7), 1)[0]).toMatchObject({ row, score: expect.closeTo(1, 5) });
    ivf.remove(row);
    expect(ivf.search(probe(7), 1)[0].row).not.toBe(row);
  });
});
