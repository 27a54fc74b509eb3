import { describe, expect, it } from 'vitest';
import { percentile, responseKpis } from './kpi.ts';

describe('response KPIs by priority', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });

  it('measures dispatch and arrival against the targets, per priority', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const s = 1000;
    const kpis = responseKpis(
      [
        { priority: 'P1', receivedAt: t0, dispatchedAt: t0 + 30 * s, onSceneAt: t0 + 420 * s },
        { priority: 'P1', receivedAt: t0, dispatchedAt: t0 + 90 * s, onSceneAt: t0 + 900 * s },
        { priority: 'P1', receivedAt: t0, dispatchedAt: null, onSceneAt: null },
        { priority: 'P3', receivedAt: t0, dispatchedAt: t0 + 600 * s, onSceneAt: null },
      ],
      { P1: { dispatchS: 60, onSceneS: 600 }, P3: { dispatchS: 1800, onSceneS: 3600 } },
    );
    expect(kpis).toEqual([
      {
        priority: 'P1',
        incidents: 3,
        dispatched: 2,
        dispatchMedianS: 30,
        dispatchP90S: 90,
        dispatchWithinTarget: 0.5,
        onScene: 2,
        onSceneMedianS: 420,
        onSceneP90S: 900,
        onSceneWithinTarget: 0.5,
        targets: { dispatchS: 60, onSceneS: 600 },
      },
      expect.objectContaining({ priority: 'P3', incidents: 1, dispatched: 1, dispatchWithinTarget: 1, onScene: 0, onSceneWithinTarget: null }),
    ]);
  });
});
