import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../packages/kernel/src/config.ts';
import { loadTrafficSettings } from './settings.ts';

describe('traffic settings', () => {
  it('defaults to Kazakhstan’s 10 km/h tolerance, a 2-minute watermark and a 10-second duplicate window', () => {
    const s = loadTrafficSettings({});
    expect(s.tolerance).toEqual({ kmh: [10, 10, 10, 10, 10, 10], percent: [0, 0, 0, 0, 0, 0] });
    expect(s).toMatchObject({ watermarkMs: 120_000, dedupeMs: 10_000, maxPlausibleKmh: 300, syncValidMs: 3_600_000, maxClockOffsetMs: 500, mqttUrl: null, frigateTopicPrefix: 'frigate' });
  });

  it('takes a tolerance per class (e.g. Italy: 5 % with at least 5 km/h)', () => {
    const s = loadTrafficSettings({ TARTIP_TRAFFIC_TOLERANCE_KMH: '5', TARTIP_TRAFFIC_TOLERANCE_PERCENT: '5', TARTIP_TRAFFIC_TOLERANCE_KMH_TRUCK: '3' });
    expect(s.tolerance.kmh).toEqual([5, 3, 5, 5, 5, 5]);
    expect(s.tolerance.percent).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => loadTrafficSettings({ TARTIP_TRAFFIC_WATERMARK_S: 'soon' })).toThrow(ConfigError);
    try {
      loadTrafficSettings({ TARTIP_TRAFFIC_TOLERANCE_KMH_BUS: '-1' });
    } catch (e) {
      expect((e as ConfigError).issues[0].variable).toBe('TARTIP_TRAFFIC_TOLERANCE_KMH_BUS');
    }
  });
});
