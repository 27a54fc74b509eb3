import { describe, expect, it } from 'vitest';
import { synthetic } from './domain/synthetic.ts';
import { FaceMatcher } from './runtime.ts';
import { loadVideoSettings } from './settings.ts';

describe('FaceMatcher', () => {
  const dim = 64;
  const data = synthetic(400, 50, dim, { seed: 9 });
  const entries = (expiresAtMs: (i: number) => number) => Array.from({ length: 400 }, (_, i) => ({ entryId: `e${i}`, watchlistId: 'w', expiresAtMs: expiresAtMs(i) }));
  const probe = (p: number) => data.probes.subarray(p * dim, (p + 1) * dim);

  it('is exact up to TARTIP_VIDEO_EXACT_MAX and IVF above it; both find the probed entry above the threshold', () => {
    for (const exactMax of ['1000', '100']) {
      const m = new FaceMatcher(loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_DIM: String(dim), TARTIP_VIDEO_EXACT_MAX: exactMax, TARTIP_VIDEO_IVF_PROBE: '16' }));
      m.build(data.entries.slice(), entries(() => Number.MAX_SAFE_INTEGER));
      expect(m.kind).toBe(exactMax === '1000' ? 'exact' : 'ivf');
      let found = 0;
      for (let p = 0; p < 50; p++) if (m.match(probe(p), 0, 0.5)?.entryId === `e${data.probeOf[p]}`) found++;
      expect(found).toBeGreaterThanOrEqual(49);
    }
  });

  it('never matches an expired or removed entry, nor anything under the threshold', () => {
    const m = new FaceMatcher(loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_DIM: String(dim) }));
    const target = data.probeOf[0];
    m.build(data.entries.slice(), entries((i) => (i === target ? 1000 : Number.MAX_SAFE_INTEGER)));
    expect(m.match(probe(0), 999, 0.5)?.entryId).toBe(`e${target}`);
    expect(m.match(probe(0), 1000, 0.5)?.entryId).not.toBe(`e${target}`);
    expect(m.match(probe(0), 0, 0.9999)).toBeNull();
    expect(m.prune(1000)).toBe(1);
    expect(m.size).toBe(399);
    const other = data.probeOf[1];
    m.remove(`e${other}`);
    expect(m.match(probe(1), 0, 0.5)?.entryId).not.toBe(`e${other}`);
  });
});
