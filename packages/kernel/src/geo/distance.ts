/** Distances on the Earth's surface. Pure. */

export interface LonLat {
  lon: number;
  lat: number;
}

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/**
 * Great-circle (haversine) distance in metres. On a sphere, so it differs from PostGIS's spheroidal
 * `ST_Distance(geography)` by up to about 0.5% — fine for proximity rules, not for surveying.
 */
export function haversineM(a: LonLat, b: LonLat): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
