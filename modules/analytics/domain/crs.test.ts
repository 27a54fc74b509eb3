import { describe, expect, it } from 'vitest';
import { crsOf, CrsError, localPlanar, normaliseCrsName } from './crs.ts';

describe('coordinate reference systems (offline, proj4)', () => {
  it('reads Chicago State Plane (EPSG:26971) to WGS 84 and back', () => {
    // The first row of data/chicago-burglary-2016: a point in Chicago's West Side.
    const crs = crsOf('EPSG:26971');
    const [lon, lat] = crs.toLonLat(350353.39, 578924.25);
    expect(lon).toBeCloseTo(-87.7267, 3);
    expect(lat).toBeCloseTo(41.8797, 3);
    const [x, y] = crs.fromLonLat(lon, lat);
    expect(x).toBeCloseTo(350353.39, 3);
    expect(y).toBeCloseTo(578924.25, 3);
  });

  it('reads the British National Grid (EPSG:27700): Bank junction, City of London', () => {
    const [lon, lat] = crsOf('27700').toLonLat(532800, 181200);
    expect(lon).toBeCloseTo(-0.0889, 2);
    expect(lat).toBeCloseTo(51.5135, 2);
  });

  it('reads Web Mercator and UTM 43N (Almaty)', () => {
    const [lon, lat] = crsOf('epsg:3857').toLonLat(8_563_000, 5_376_000);
    expect(lon).toBeCloseTo(76.92, 1);
    expect(lat).toBeCloseTo(43.4, 0);
    const utm = crsOf('EPSG:32643');
    const [x, y] = utm.fromLonLat(76.95, 43.24);
    expect(utm.toLonLat(x, y)[0]).toBeCloseTo(76.95, 6);
  });

  it('takes any proj4 definition, and names an unknown code', () => {
    const custom = crsOf('EPSG:999999', '+proj=utm +zone=42 +datum=WGS84 +units=m +no_defs');
    expect(custom.name).toBe('custom');
    expect(custom.fromLonLat(69, 0)[0]).toBeCloseTo(500000, 3); // the zone's central meridian
    expect(() => crsOf('EPSG:2000')).toThrow(CrsError);
    expect(normaliseCrsName(' epsg:4326 ')).toBe('EPSG:4326');
  });

  it('projects geographic data to true metres around its centre', () => {
    const local = localPlanar(76.9, 43.25);
    const [x, y] = local.fromLonLat(76.9, 43.25 + 1 / 111.2); // about 1 km north
    expect(x).toBeCloseTo(0, 3);
    expect(y).toBeGreaterThan(990);
    expect(y).toBeLessThan(1010);
  });
});
