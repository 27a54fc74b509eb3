import { describe, expect, it } from 'vitest';
import { greatCircleEta, haversineM, speedFor } from './eta.ts';

describe('great-circle distance and ETA', () => {
  it('measures known distances', () => {
    // One degree of latitude is ~111.2 km; Almaty → Astana is ~970 km in a straight line.
    expect(haversineM({ lon: 76.9, lat: 43 }, { lon: 76.9, lat: 44 })).toBeCloseTo(111_195, -1);
    const almatyAstana = haversineM({ lon: 76.9286, lat: 43.2567 }, { lon: 71.4304, lat: 51.1282 });
    expect(almatyAstana).toBeGreaterThan(960_000);
    expect(almatyAstana).toBeLessThan(980_000);
    expect(haversineM({ lon: 10, lat: 10 }, { lon: 10, lat: 10 })).toBe(0);
  });

  it('ETA = straight line × detour ÷ speed (3 km at 30 km/h with factor 1.3 → 7.8 min)', () => {
    const from = { lon: 76.9, lat: 43.25 };
    const to = { lon: 76.9, lat: 43.25 + 3000 / 111_195 };
    const { distanceM, etaS } = greatCircleEta(from, to, { speedKmh: 30, detourFactor: 1.3 });
    expect(distanceM).toBeCloseTo(3900, -1);
    expect(etaS).toBeCloseTo(468, 0);
  });

  it('foot patrols walk', () => {
    expect(speedFor('FOOT_PATROL', { citySpeedKmh: 30, footSpeedKmh: 5 })).toBe(5);
    expect(speedFor('PATROL_CAR', { citySpeedKmh: 30, footSpeedKmh: 5 })).toBe(30);
  });
});
