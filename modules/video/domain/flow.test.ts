import { describe, expect, it } from 'vitest';
import { congestion, type FlowBucket, usualLevels, weekSlot } from './flow.ts';

describe('traffic flow', () => {
  it('hour-of-week slots are local time: Monday 08:00 in Almaty (UTC+5) is slot 8', () => {
    // 2026-11-23 is a Monday; 03:00Z = 08:00 local.
    expect(weekSlot(Date.parse('2026-11-23T03:00:00Z'), 5)).toBe(8);
    expect(weekSlot(Date.parse('2026-11-22T19:00:00Z'), 5)).toBe(0); // Monday 00:00 local
  });

  it('congestion when the mean speed falls to 60% of the usual for that hour and weekday; by volume when no speeds', () => {
    const history: FlowBucket[] = [1, 2, 3, 4].map((w) => ({ bucket: new Date(Date.parse('2026-11-23T03:00:00Z') - w * 7 * 86_400_000).toISOString(), vehicles: 40, speedKmh: 50 }));
    const usual = usualLevels(history, 5).get(8);
    expect(usual).toEqual({ vehicles: 40, speedKmh: 50, samples: 4 });
    expect(congestion({ bucket: '2026-11-23T03:00:00Z', vehicles: 60, speedKmh: 25 }, usual)).toMatchObject({ congested: true, reason: 'speed', ratio: 0.5 });
    expect(congestion({ bucket: '2026-11-23T03:00:00Z', vehicles: 60, speedKmh: 45 }, usual)).toMatchObject({ congested: false, reason: null });
    const noSpeed = { vehicles: 40, speedKmh: null, samples: 4 };
    expect(congestion({ bucket: '2026-11-23T03:00:00Z', vehicles: 70, speedKmh: null }, noSpeed)).toMatchObject({ congested: true, reason: 'volume' });
    expect(congestion({ bucket: '2026-11-23T03:00:00Z', vehicles: 70, speedKmh: null }, { ...noSpeed, samples: 2 })).toBeNull();
  });
});
