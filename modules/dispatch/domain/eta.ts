/** Distances and travel-time estimates. Pure. */

export interface LonLat {
  lon: number;
  lat: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle (haversine) distance in metres. */
export function haversineM(a: LonLat, b: LonLat): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

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
