import { describe, expect, it } from 'vitest';
import { crsOf } from './crs.ts';
import { incidentsFromRows, parseCsv, parseTime, planarOf, rowsFromGeoJson } from './table.ts';

describe('incident tables', () => {
  it('parses CSV with quotes, doubled quotes, CRLF and a guessed separator', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n')).toEqual([['a', 'b'], ['x, y', 'say "hi"']]);
    expect(parseCsv('\uFEFFa;b\n1;2')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('reads the time formats police exports use, as UTC', () => {
    expect(parseTime('2016-09-30')).toBe(Date.UTC(2016, 8, 30));
    expect(parseTime('2016-09-30 14:05')).toBe(Date.UTC(2016, 8, 30, 14, 5));
    expect(parseTime('2016-09-30T14:05:00+06:00')).toBe(Date.UTC(2016, 8, 30, 8, 5));
    expect(parseTime('2016-09')).toBe(Date.UTC(2016, 8, 1));
    expect(parseTime('30.09.2016 14:05')).toBe(Date.UTC(2016, 8, 30, 14, 5));
    expect(parseTime('09/30/2016 02:05:00 PM')).toBe(Date.UTC(2016, 8, 30, 14, 5));
    expect(parseTime('31.02.2016')).toBeNull();
    expect(parseTime('')).toBeNull();
    expect(parseTime('yesterday')).toBeNull();
  });

  it('maps columns, converts coordinates and names every bad row', () => {
    const rows = parseCsv('when,E,N,article,result\n2016-03-01,350353.39,578924.25,188,solved\nsoon,1,2,,\n2016-03-02,abc,1,,\n');
    const { incidents, errors } = incidentsFromRows(rows, { time: 'when', x: 'E', y: 'N', category: 'article', outcome: 'result' }, crsOf('EPSG:26971'));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ row: 1, category: '188', outcome: 'solved' });
    expect(incidents[0].lon).toBeCloseTo(-87.7267, 3);
    expect(errors).toEqual([
      { row: 2, field: 'time', code: 'bad_time' },
      { row: 3, field: 'x', code: 'bad_coordinate' },
    ]);
  });

  it('refuses a mapping to columns the file does not have', () => {
    const { errors } = incidentsFromRows([['date', 'lon', 'lat']], { time: 'date', x: 'lng', y: 'lat', category: 'article' }, crsOf('EPSG:4326'));
    expect(errors).toEqual([
      { row: 0, field: 'x', code: 'missing_column' },
      { row: 0, field: 'category', code: 'missing_column' },
    ]);
  });

  it('rejects longitude/latitude out of range', () => {
    const { errors } = incidentsFromRows([['t', 'lon', 'lat'], ['2020-01-01', '76.9', '143.2']], { time: 't', x: 'lon', y: 'lat' }, crsOf('EPSG:4326'));
    expect(errors).toEqual([{ row: 1, field: 'y', code: 'out_of_range' }]);
  });

  it('reads GeoJSON points as rows with lon, lat and the properties', () => {
    const rows = rowsFromGeoJson({
      type: 'FeatureCollection',
      features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [76.9, 43.2] }, properties: { at: '2024-01-05', article: '188' } }],
    });
    expect(rows).toEqual([['lon', 'lat', 'at', 'article'], ['76.9', '43.2', '2024-01-05', '188']]);
  });
});

describe('planar metres for forecasting', () => {
  const at = (lon: number, lat: number) => ({ row: 1, at: 0, lon, lat, category: null, outcome: null });
  it('keeps a metric projection, and measures true metres for longitude/latitude and Web Mercator', () => {
    const chicago = crsOf('EPSG:26971');
    const [x, y] = chicago.fromLonLat(-87.7267, 41.8797);
    expect(planarOf([at(-87.7267, 41.8797)], chicago)(at(-87.7267, 41.8797))).toEqual({ x, y });
    // 0.01° of latitude is 1,112 m anywhere; in Web Mercator at 43° N it would read 1,520.
    for (const crs of [crsOf('EPSG:4326'), crsOf('EPSG:3857')]) {
      const points = [at(76.93, 43.24), at(76.93, 43.25)];
      const planar = planarOf(points, crs);
      const [a, b] = points.map(planar);
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeCloseTo(1112, -1);
    }
  });
});
