/** Travel-time estimates. Pure. */
import { haversineM, type LonLat } from '../../../packages/kernel/src/geo/distance.ts';

export { haversineM, type LonLat };

export interface EtaModel {
  /** Effective speed, km/h. */
  speedKmh: number;
  /** Road distance ≈ straight line × detour factor. */
  detourFactor: number;
}

/** Estimated road distance and travel time from a straight line: distance × detour ÷ speed. */
export function greatCircleEta(from: LonLat, to: LonLat, model: EtaModel): { distanceM: number; etaS: number } {
  const distanceM = haversineM(from, to) * model.detourFactor;
  return { distanceM, etaS: distanceM / (model.speedKmh / 3.6) };
}

/** Speed in km/h for a unit type under the configured model (foot patrols walk). */
export function speedFor(unitType: string, s: { citySpeedKmh: number; footSpeedKmh: number }): number {
  return unitType === 'FOOT_PATROL' ? s.footSpeedKmh : s.citySpeedKmh;
}
