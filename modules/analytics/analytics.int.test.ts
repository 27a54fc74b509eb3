/**
 * analytics through the whole application: imports (CSV, GeoJSON, CRS, all-or-nothing refusals in the caller's
 * language), statistics year on year by article, region and district (JSON and CSV) with the release sentence,
 * incidents flowing in from dispatch's events, the backtest over HTTP, hotspot maps, patrol plans and their
 * adherence from unit positions on the bus. PGlite + memory bus, or PostgreSQL + NATS when the test URLs are set.
 */
import { cellArea, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, problem, type TestServer, testServer } from '../../apps/server/src/testing.ts';
import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import type { Db, Tx } from '../../packages/kernel/src/db/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { UNIT_POSITION } from '../dispatch/events.ts';
import { handleIncidentChanges } from './intake.ts';

const ALMATY = { lon: 76.93, lat: 43.24 };
const ASTANA = { lon: 71.43, lat: 51.128 };

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A CSV of incidents: `n` of an article at a place in a year, spread over the year, jittered a few metres. */
function rows(spec: { year: number; article: string; n: number; at: { lon: number; lat: number }; outcome?: (i: number) => string }[]) {
  const out = ['date,lon,lat,article,result'];
  for (const s of spec)
    for (let i = 0; i < s.n; i++) {
      const day = String(1 + (i % 28)).padStart(2, '0');
      const month = String(1 + (i % 12)).padStart(2, '0');
      out.push(`${s.year}-${month}-${day},${(s.at.lon + (i % 5) * 0.0002).toFixed(5)},${(s.at.lat + (i % 3) * 0.0002).toFixed(5)},${s.article},${s.outcome?.(i) ?? ''}`);
    }
  return out.join('\n');
}

describe(`analytics on ${backendName}`, () => {
  let server: TestServer;
  const as = (user: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.as(user, { method, url, payload: payload as never, headers });
  const count = async () => (await server.kernel.db.query<{ n: number }>("select count(*)::int8 as n from analytics_incident where source = 'import'"))[0].n;
  const mapping = { time: 'date', x: 'lon', y: 'lat', category: 'article', outcome: 'result' };

  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('imports two years of incidents, places each in its region and district, and reports them year on year', async () => {
    const csv = rows([
      { year: 2024, article: '99', n: 4, at: ALMATY },
      { year: 2024, article: '188', n: 20, at: ALMATY },
      { year: 2024, article: '190', n: 5, at: ALMATY },
      { year: 2024, article: '188', n: 3, at: ASTANA },
      { year: 2025, article: '99', n: 2, at: ALMATY },
      { year: 2025, article: '188', n: 15, at: ALMATY, outcome: (i) => (i < 6 ? 'раскрыто' : 'не раскрыто') },
      { year: 2025, article: '190', n: 9, at: ALMATY },
      { year: 2025, article: '188', n: 4, at: ASTANA },
    ]);
    const imported = ok(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'ИЦ МВД 2024–2025', format: 'csv', data: csv, mapping, crs: 'EPSG:4326' }), 201);
    expect(imported).toMatchObject({ rows: 62, placed: 62 });

    const s = ok(await as('analyst', 'GET', '/api/v1/analytics/statistics?from=2025-01-01&to=2026-01-01&groupBy=category', undefined, { 'accept-language': 'en' }));
    expect(s.total).toMatchObject({ count: 30, previous: 32, change: -2, changePercent: -6.3, cleared: 6, withOutcome: 15, clearanceRate: 0.4 });
    expect(s.rows.find((r: { key: string }) => r.key === '188')).toMatchObject({ name: 'thefts', count: 19, previous: 23, change: -4, changePercent: -17.4 });
    expect(s.summary.en).toBe(
      '30 crimes were registered from 2025-01-01 to 2025-12-31: 6.3% fewer than a year earlier (2 fewer). Fell: thefts (−4), murders (−2). Rose: frauds (+4).',
    );
    expect(s.summary.ru).toContain('Снизились: кражи (−4), убийства (−2). Выросли: мошенничества (+4).');
    expect(s.summary.kk).toContain('Азайғандар: ұрлық (−4), кісі өлтіру (−2). Көбейгендер: алаяқтық (+4).');

    const byRegion = ok(await as('analyst', 'GET', '/api/v1/analytics/statistics?from=2025-01-01&to=2026-01-01&groupBy=region', undefined, { 'accept-language': 'ru' }));
    const almaty = byRegion.rows.find((r: { key: string }) => r.key === '750000000');
    expect(almaty).toMatchObject({ count: 26, previous: 29, ratePer10k: 0.11 });
    expect(almaty.name).toMatch(/Алматы/);
    expect(byRegion.rows.find((r: { key: string }) => r.key === '710000000')).toMatchObject({ count: 4, previous: 3 });

    const byDistrict = ok(await as('analyst', 'GET', '/api/v1/analytics/statistics?from=2025-01-01&to=2026-01-01&groupBy=district&kato=750000000'));
    expect(byDistrict.total.count).toBe(26);
    for (const r of byDistrict.rows) expect(r.key).toMatch(/^75\d{7}$/);

    const month = ok(await as('analyst', 'GET', '/api/v1/analytics/statistics?from=2025-01-01&to=2026-01-01&groupBy=month&category=188'));
    expect(month.rows.find((r: { key: string }) => r.key === '2025-01')).toMatchObject({ count: 3, previous: 3 }); // Almaty i = 0, 12 and Astana i = 0

    const csvRes = await as('analyst', 'GET', '/api/v1/analytics/statistics?from=2025-01-01&to=2026-01-01&groupBy=region', undefined, { accept: 'text/csv' });
    expect(csvRes.statusCode).toBe(200);
    expect(csvRes.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csvRes.body.trim().split('\r\n');
    expect(lines[0]).toBe('region,name,count,previous,change,change_percent,cleared,with_outcome,clearance_rate,rate_per_10k');
    expect(lines.find((l) => l.startsWith('750000000,'))).toMatch(/^750000000,[^,]+,26,29,-3,-10.3,6,15,0.4,0.11$/);
  });

  it('refuses a file with a bad row whole, naming the row in the caller’s language', async () => {
    const before = await count();
    const csv = 'date,lon,lat,article,result\n2025-03-01,76.93,43.24,188,\nвчера,76.93,43.24,188,\n2025-03-02,76.93,,188,\n';
    const body = problem(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'bad', format: 'csv', data: csv, mapping, crs: 'EPSG:4326' }, { 'accept-language': 'kk' }), 400, 'validation_failed');
    expect(body.errors).toEqual([
      { path: 'body.data.row.2.time', code: 'bad_time', message: expect.stringMatching(/^Бұл күн не уақыт емес/) },
      { path: 'body.data.row.3.y', code: 'bad_coordinate', message: 'Бұл сан емес.' },
    ]);
    expect(await count()).toBe(before);

    const crs = problem(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'x', format: 'csv', data: csv, mapping, crs: 'EPSG:2000' }, { 'accept-language': 'en' }), 400, 'validation_failed');
    expect(crs.errors[0]).toMatchObject({ path: 'body.crs', code: 'unknown_crs', message: 'Unknown CRS EPSG:2000: give its proj4 definition in crsDef.' });
    const column = problem(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'x', format: 'csv', data: csv, mapping: { ...mapping, time: 'when' }, crs: 'EPSG:4326' }), 400, 'validation_failed');
    expect(column.errors[0]).toMatchObject({ path: 'body.mapping.time', code: 'missing_column' });
  });

  it('imports GeoJSON and projected coordinates (UTM 43N for Almaty)', async () => {
    const geo = {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [ALMATY.lon, ALMATY.lat] }, properties: { when: '2023-05-01T10:00:00+06:00', art: '191' } }],
    };
    const g = ok(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'geojson', format: 'geojson', data: geo, mapping: { time: 'when', x: 'lon', y: 'lat', category: 'art' } }), 201);
    expect(g).toMatchObject({ rows: 1, placed: 1, from: '2023-05-01T04:00:00.000Z' });
    // 76.93 E, 43.24 N in UTM zone 43N.
    const utm = ok(await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'utm', format: 'csv', data: 'd,e,n\n2023-06-01,656699,4789275\n', mapping: { time: 'd', x: 'e', y: 'n' }, crs: 'EPSG:32643' }), 201);
    expect(utm.placed).toBe(1);
    const [row] = await server.kernel.db.query<{ lon: number; lat: number; region_kato: string }>('select lon, lat, region_kato from analytics_incident where import_id = $1', [utm.id]);
    expect(row.lon).toBeCloseTo(76.93, 2);
    expect(row.lat).toBeCloseTo(43.24, 2);
    expect(row.region_kato).toBe('750000000');
  });

  it('is closed to roles without analytics permissions', async () => {
    problem(await as('operator', 'GET', '/api/v1/analytics/statistics'), 403, 'forbidden');
    problem(await as('operator', 'POST', '/api/v1/analytics/imports', { name: 'x', format: 'csv', data: 'a', mapping, crs: 'EPSG:4326' }), 403, 'forbidden');
  });

  it('takes in the operations centre’s incidents from dispatch’s events', async () => {
    const inc = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'assault', location: ALMATY, description: 'Драка' }), 201);
    const row = await waitFor('the incident in analytics', async () => {
      const [r] = await server.kernel.db.query<{ category: string; region_kato: string }>("select category, region_kato from analytics_incident where source = 'dispatch' and source_ref = $1", [inc.id]);
      return r;
    });
    expect(row).toEqual({ category: 'assault', region_kato: '750000000' });
    const today = server.kernel.clock.now().toISOString().slice(0, 10);
    const s = ok(await as('analyst', 'GET', `/api/v1/analytics/statistics?from=${today}&groupBy=category&category=assault`));
    expect(s.total.count).toBeGreaterThanOrEqual(1);
  });

  it('backtests the methods on a posted file (PAI and PEI per method)', async () => {
    const lines = ['date,lon,lat'];
    for (let d = 1; d <= 28; d++) lines.push(`2016-01-${String(d).padStart(2, '0')},76.93,43.24`, `2016-01-${String(d).padStart(2, '0')},${(76.85 + d * 0.004).toFixed(4)},${(43.2 + (d % 7) * 0.01).toFixed(4)}`);
    for (let d = 1; d <= 10; d++) lines.push(`2016-02-${String(d).padStart(2, '0')},76.93,43.24`);
    // Two unusable rows, as real exports have: no date, and a coordinate that is not a number. The backtest (which
    // stores nothing) leaves them out and names them, as the CLI does; an import refuses the file (below).
    const noDate = lines.push(',76.93,43.24') - 1;
    const badX = lines.push('2016-01-05,seventy-six,43.24') - 1;
    const r = ok(
      await as('analyst', 'POST', '/api/v1/analytics/forecast/evaluate', { format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' }, crs: 'EPSG:4326', trainEnd: '2016-01-31', horizon: '14d', cell: 150, coverage: 0.02 }),
    );
    expect(r.window).toEqual({ from: '2016-02-01T00:00:00.000Z', to: '2016-02-15T00:00:00.000Z' });
    expect(r.testEvents).toBe(10);
    expect(r.rows).toBe(lines.length - 1);
    expect(r.skipped).toEqual({
      count: 2,
      first: [
        { row: noDate, column: 'date', code: 'bad_time' },
        { row: badX, column: 'lon', code: 'bad_coordinate' },
      ],
    });
    // A mapped column missing from the file still refuses the backtest, naming the field.
    const missing = problem(
      await as('analyst', 'POST', '/api/v1/analytics/forecast/evaluate', { format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'Lon', y: 'lat' }, crs: 'EPSG:4326', trainEnd: '2016-01-31', horizon: '14d', cell: 150, coverage: 0.02 }),
      400,
      'validation_failed',
    );
    expect(missing.errors).toEqual([expect.objectContaining({ path: 'body.mapping.x', code: 'missing_column' })]);
    // An import of the same file is refused whole, with the bad rows named, and stores nothing.
    const refused = problem(
      await as('analyst', 'POST', '/api/v1/analytics/imports', { name: 'with-bad-rows', format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' }, crs: 'EPSG:4326' }),
      400,
      'validation_failed',
    );
    expect(refused.errors.map((e) => e.path)).toEqual([`body.data.row.${noDate}.time`, `body.data.row.${badX}.x`]);
    expect((await server.kernel.db.query<{ n: number }>("select count(*)::int8 as n from analytics_import where name = 'with-bad-rows'"))[0].n).toBe(0);
    expect(r.methods.map((m: { method: string }) => m.method)).toEqual(['last-period', 'kde', 'prospective', 'combined', 'sepp']);
    for (const m of r.methods) expect(m).toMatchObject({ captured: 10, pei: 1 });
    problem(await as('analyst', 'POST', '/api/v1/analytics/forecast/evaluate', { format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' }, trainEnd: '2015-01-01', horizon: '7d', cell: 150, coverage: 0.01 }), 400, 'validation_failed');
    // The same on H3 hexagons: the hotspot's hexagon holds all ten; a / A from the hexagons' true areas.
    const hex = ok(
      await as('analyst', 'POST', '/api/v1/analytics/forecast/evaluate', { format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' }, crs: 'EPSG:4326', trainEnd: '2016-01-31', horizon: '14d', grid: 'h3', h3Res: 10, coverage: 0.02 }),
    );
    expect(hex).toMatchObject({ grid: 'h3', h3Res: 10, testEvents: 10 });
    // Resolution 10 at Almaty's latitude: about 0.018 km² a hexagon.
    expect(hex.studyAreaKm2 / hex.studyCells).toBeGreaterThan(0.015);
    expect(hex.studyAreaKm2 / hex.studyCells).toBeLessThan(0.021);
    for (const m of hex.methods) expect(m).toMatchObject({ captured: 10, pei: 1 });
    const both = await as('analyst', 'POST', '/api/v1/analytics/forecast/evaluate', { format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' }, crs: 'EPSG:4326', trainEnd: '2016-01-31', horizon: '14d', grid: 'h3', cell: 150, coverage: 0.02 });
    expect(problem(both, 400, 'validation_failed').errors[0]).toMatchObject({ path: 'body.cell', code: 'cell_or_h3' });
  });

  it('maps forecast hotspots and plans patrols over them, with adherence from unit positions', async () => {
    const map = ok(await as('analyst', 'GET', '/api/v1/analytics/hotspots?at=2026-01-01&method=kde&horizon=1m&cell=200&coverage=0.05'));
    expect(map.type).toBe('FeatureCollection');
    const top = map.features[0];
    expect(top.properties.rank).toBe(1);
    const ring = top.geometry.coordinates[0] as [number, number][];
    // The Almaty cluster (all the thefts within ~40 m) is inside the top cell.
    const lons = ring.map((p) => p[0]);
    const lats = ring.map((p) => p[1]);
    expect(Math.min(...lons) <= ALMATY.lon + 0.0004 && Math.max(...lons) >= ALMATY.lon).toBe(true);
    expect(Math.min(...lats) <= ALMATY.lat + 0.0002 && Math.max(...lats) >= ALMATY.lat).toBe(true);

    // H3 hexagons: the top feature is the hexagon h3-js puts the cluster in, drawn as its six corners.
    const hexMap = ok(await as('analyst', 'GET', '/api/v1/analytics/hotspots?at=2026-01-01&method=kde&horizon=1m&grid=h3&h3Res=10&coverage=0.05'));
    expect(hexMap.properties).toMatchObject({ grid: 'h3', h3Res: 10, cell: null });
    expect(hexMap.features[0].id).toBe(latLngToCell(ALMATY.lat, ALMATY.lon, 10));
    expect(hexMap.features[0].properties.rank).toBe(1);
    expect(hexMap.features[0].geometry.coordinates[0]).toHaveLength(7);
    expect(hexMap.features[0].properties.areaM2).toBeCloseTo(cellArea(hexMap.features[0].id, 'm2'), -1);
    problem(await as('analyst', 'GET', '/api/v1/analytics/hotspots?at=2026-01-01&grid=h3&cell=150'), 400, 'validation_failed');

    const unitId = newId();
    const plan = ok(
      await as('analyst', 'POST', '/api/v1/analytics/patrol-plans', { startAt: '2026-01-01T08:00:00Z', method: 'kde', horizon: '7d', cell: 200, candidates: 10, shiftMinutes: 120, seed: 5, units: [{ id: unitId, depot: { lon: 76.94, lat: 43.25 } }] }),
      201,
    );
    const stops = plan.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'stop');
    const route = plan.features.find((f: { properties: { kind: string } }) => f.properties.kind === 'route');
    expect(stops.length).toBeGreaterThan(0);
    expect(route.geometry.type).toBe('LineString');
    for (const s of stops) expect(s.properties.dwellMinutes).toBeGreaterThanOrEqual(12);
    // The unit's circuit: every hotspot in it is revisited within two hours; the plan names any revisit missed.
    expect(route.properties.circuit.length).toBeGreaterThan(0);
    expect(route.properties.circuitMinutes).toBeLessThanOrEqual(120);
    expect(stops.every((s: { properties: { visit: string } }) => ['circuit', 'once'].includes(s.properties.visit))).toBe(true);
    expect(plan.properties.revisitMisses.filter((m: { reason: string }) => m.reason === 'travel')).toEqual([]);
    // The unit's tablet fetches its own route: the patrol officer has no analytics permission, only the field one.
    const mine = ok(await as('officer', 'GET', `/api/v1/analytics/patrol-plans/${plan.properties.planId}?unitId=${unitId}`));
    expect(mine.features).toHaveLength(stops.length + 1);
    expect(mine.features.every((f: { properties: { unitId: string } }) => f.properties.unitId === unitId)).toBe(true);
    problem(await as('officer', 'GET', `/api/v1/analytics/patrol-plans/${plan.properties.planId}?unitId=someone-else`), 404, 'not_found');
    // Between tasks the tablet asks for the route in force: this plan during its shift, nothing after it.
    const current = ok(await as('officer', 'GET', `/api/v1/analytics/patrol-routes/current?unitId=${unitId}&at=2026-01-01T08:30:00Z`));
    expect(current.plan).toEqual({ id: plan.properties.planId, startAt: '2026-01-01T08:00:00.000Z', endAt: '2026-01-01T10:00:00.000Z' });
    expect(current.route.features).toEqual(mine.features);
    expect(ok(await as('officer', 'GET', `/api/v1/analytics/patrol-routes/current?unitId=${unitId}&at=2026-01-01T10:00:00Z`))).toEqual({ plan: null, route: null });
    problem(await as('officer', 'GET', '/api/v1/analytics/patrol-routes/current'), 400, 'validation_failed');
    problem(await as('officer', 'GET', '/api/v1/analytics/statistics'), 403, 'forbidden');

    // The unit keeps the first stop for 13 minutes, and drives past the others.
    const first = stops[0];
    const arrive = Date.parse(first.properties.arriveAt);
    for (let m = 0; m <= 13; m++) {
      await server.kernel.bus.publish({
        id: newId(),
        subject: UNIT_POSITION,
        occurredAt: new Date(arrive + m * 60_000).toISOString(),
        jurisdiction: '750000000',
        permission: 'dispatch:read',
        key: unitId,
        data: { unitId, callSign: 'АН-1', lon: first.geometry.coordinates[0], lat: first.geometry.coordinates[1], speed: 0, heading: null, battery: null, at: new Date(arrive + m * 60_000).toISOString() },
      });
    }
    const a = await waitFor('positions stored', async () => {
      const r = ok(await as('analyst', 'GET', `/api/v1/analytics/patrol-plans/${plan.properties.planId}/adherence`));
      // Positions arrive one by one over the bus: wait for all fourteen, not just the first ten minutes.
      return r.made >= 1 && r.visits[0].dwellMinutes >= 13 ? r : null;
    });
    expect(a.units[0]).toMatchObject({ unitId, planned: stops.length, made: 1 });
    expect(a.visits[0]).toMatchObject({ made: true, dwellMinutes: 13 });
  });
});

describe(`analytics patrol plans on a road network (Monaco) on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_ANALYTICS_ROAD_NETWORK: 'data/monaco-osm/monaco.osm.pbf' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('routes units by road travel time when TARTIP_ANALYTICS_ROAD_NETWORK names an .osm.pbf', async () => {
    // Burglaries around the casino square and the port: places outside Kazakhstan are kept, with no KATO.
    const lines = ['date,lon,lat'];
    for (let d = 1; d <= 28; d++) lines.push(`2025-11-${String(d).padStart(2, '0')},7.4275,43.7395`, `2025-11-${String(d).padStart(2, '0')},7.4215,43.7355`);
    ok(await server.as('analyst', { method: 'POST', url: '/api/v1/analytics/imports', payload: { name: 'monaco', format: 'csv', data: lines.join('\n'), mapping: { time: 'date', x: 'lon', y: 'lat' } } }), 201);
    const plan = ok(
      await server.as('analyst', {
        method: 'POST',
        url: '/api/v1/analytics/patrol-plans',
        payload: { startAt: '2025-12-01T08:00:00Z', method: 'kde', cell: 100, candidates: 5, shiftMinutes: 120, seed: 2, units: [{ id: 'MC-1', depot: { lon: 7.4155, lat: 43.7285 } }] },
      }),
      201,
    );
    expect(plan.properties.travel).toMatch(/^road network \(\d+ of \d+ places on it/);
    const stops = plan.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'stop');
    expect(stops.length).toBeGreaterThan(1);
    // From the depot in Fontvieille to the first hotspot by road: a few minutes of Monaco's streets.
    const firstArrival = (Date.parse(stops[0].properties.arriveAt) - Date.parse('2025-12-01T08:00:00Z')) / 60_000;
    expect(firstArrival).toBeGreaterThan(0.5);
    expect(firstArrival).toBeLessThan(15);
  });
});

describe(`analytics KPI board on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('measures response times by priority and counts decided violations and prevented frauds, from the other modules’ events', async () => {
    const t0 = Date.UTC(2020, 2, 1, 10);
    const iso = (ms: number) => new Date(ms).toISOString();
    const publish = (subject: string, data: unknown, jurisdiction: string | null = '750000000') =>
      server.kernel.bus.publish({ id: newId(), subject, occurredAt: iso(t0), jurisdiction, permission: null, data });
    const incident = (incidentId: string, status: string, at: number, priority = 'P1') => ({
      incidentId,
      status,
      priority,
      category: 'assault',
      location: ALMATY,
      kato: '751110000',
      reportIds: [],
      mergedInto: null,
      note: null,
      at: iso(at),
    });
    const a = newId();
    const b = newId();
    await publish('dispatch.incident.created', incident(a, 'TRIAGED', t0));
    await publish('dispatch.incident.updated', incident(a, 'DISPATCHED', t0 + 45_000));
    await publish('dispatch.incident.updated', incident(a, 'EN_ROUTE', t0 + 60_000));
    await publish('dispatch.incident.updated', incident(a, 'ON_SCENE', t0 + 480_000));
    await publish('dispatch.incident.created', incident(b, 'TRIAGED', t0));
    await publish('dispatch.incident.updated', incident(b, 'DISPATCHED', t0 + 150_000));
    const violation = (violationId: string, status: string) => ({
      violationId,
      kind: 'average_speed',
      plate: '123ABC02',
      status,
      at: iso(t0 - 3_600_000),
      cameraId: null,
      sectionId: null,
      kato: '750000000',
      speedKmh: 95,
      limitKmh: 60,
      part: '592-2',
      penalty: 'fine',
      noticeNumber: null,
      changedAt: iso(t0 + 3_600_000),
    });
    await publish('traffic.violation.confirmed', violation(newId(), 'CONFIRMED'));
    await publish('traffic.violation.rejected', violation(newId(), 'REJECTED'));
    await publish('fraud.decision.confirmed', { decisionId: newId(), kind: 'transaction', outcome: 'hold', fraud: true, at: iso(t0) });
    await publish('fraud.decision.confirmed', { decisionId: newId(), kind: 'call', outcome: 'allow', fraud: true, at: iso(t0) }); // missed: not prevented

    const k = await waitFor('the KPIs', async () => {
      const r = ok(await server.as('analyst', { method: 'GET', url: '/api/v1/analytics/kpi?from=2020-03-01&to=2020-03-02' }));
      return r.response[0]?.dispatched === 2 && r.response[0]?.onScene === 1 && r.violations.rejected === 1 && r.fraudPrevented.transactions === 1 ? r : null;
    });
    expect(k.response).toEqual([
      {
        priority: 'P1',
        incidents: 2,
        dispatched: 2,
        dispatchMedianS: 45,
        dispatchP90S: 150,
        dispatchWithinTarget: 0.5, // P1: dispatched within 60 s (dispatch's default target)
        onScene: 1,
        onSceneMedianS: 480,
        onSceneP90S: 480,
        onSceneWithinTarget: 1,
        targets: { dispatchS: 60, onSceneS: 600 },
      },
    ]);
    expect(k.violations).toEqual({ confirmed: 1, rejected: 1 });
    expect(k.fraudPrevented).toEqual({ calls: 0, transactions: 1 });
  });
});

/** A kernel whose database counts the statements sent (inside transactions too). */
function countingKernel(kernel: Kernel): { kernel: Kernel; statements: () => number } {
  let n = 0;
  const wrap = (q: Tx): Tx => ({
    query: (text, params) => {
      n++;
      return q.query(text, params);
    },
    exec: (script) => {
      n++;
      return q.exec(script);
    },
  });
  const db = kernel.db;
  const counted: Db = { ...wrap(db), kind: db.kind, transaction: (fn) => db.transaction((tx) => fn(wrap(tx))), ping: () => db.ping(), close: () => db.close() };
  return { kernel: { ...kernel, db: counted }, statements: () => n };
}

describe(`analytics dispatch intake in batches on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const t0 = Date.UTC(2021, 4, 1, 8);
  const iso = (ms: number) => new Date(ms).toISOString();
  const change = (incidentId: string, status: string, at: number, extra: Record<string, unknown> = {}) => ({
    incidentId,
    status,
    priority: 'P2',
    category: 'theft',
    location: ALMATY,
    kato: '751110000',
    reportIds: [],
    mergedInto: null,
    note: null,
    at: iso(at),
    ...extra,
  });
  const event = (subject: string, data: unknown): BusEvent => ({ id: newId(), subject, occurredAt: iso(t0), jurisdiction: '750000000', permission: null, data });
  const created = (id: string, status: string, at: number, extra?: Record<string, unknown>) => event('dispatch.incident.created', change(id, status, at, extra));
  const updated = (id: string, status: string, at: number, extra?: Record<string, unknown>) => event('dispatch.incident.updated', change(id, status, at, extra));

  /** One scenario over fresh incident ids: what is stored before, then the events of one batch, in order. */
  function scenario() {
    const [a, b, c, d, e] = [newId(), newId(), newId(), newId(), newId()];
    const before = [created(d, 'TRIAGED', t0, { priority: 'P3' }), created(e, 'TRIAGED', t0)];
    const batch = [
      created(a, 'TRIAGED', t0),
      created(b, 'TRIAGED', t0 + 5_000),
      updated(a, 'DISPATCHED', t0 + 30_000),
      updated(b, 'ON_SCENE', t0 + 100_000), // straight to the scene: dispatched and on scene at once
      updated(a, 'CANCELLED', t0 + 60_000), // created, dispatched, then cancelled: gone
      updated(d, 'DISPATCHED', t0 + 20_000, { priority: 'P1', location: ASTANA, kato: '711110000' }), // a stored one moves on
      updated(d, 'ON_SCENE', t0 - 10_000, { priority: 'P1', location: ASTANA, kato: '711110000' }), // an earlier clock: received earlier
      created(c, 'TRIAGED', t0 + 1_000),
      updated(c, 'MERGED', t0 + 2_000, { mergedInto: b }),
      updated(c, 'TRIAGED', t0 + 3_000, { category: 'fraud' }), // a change after the merge brings it back, as one by one would
      updated(e, 'CANCELLED', t0 + 4_000), // a stored one cancelled…
      updated(e, 'DISPATCHED', t0 + 7_000, { category: 'robbery' }), // …and back: a fresh record from this change
      event('dispatch.incident.updated', { incidentId: a, status: 'LOST' }), // malformed: logged and ignored
      event('dispatch.incident.assigned', change(b, 'CLEARED', t0 + 900_000)), // another subject: not a change
    ];
    return { ids: [a, b, c, d, e], before, batch };
  }

  async function rows(ids: string[]) {
    const label = (id: string) => `#${ids.indexOf(id)}`;
    type Response = { incident_id: string; priority: string; kato: string | null; received_at: Date; dispatched_at: Date | null; on_scene_at: Date | null; updated_at: Date };
    type Incident = { id: string; source_ref: string; occurred_at: Date; category: string; region_kato: string | null; [column: string]: unknown };
    const response = await server.kernel.db.query<Response>(
      'select incident_id, priority, kato, received_at, dispatched_at, on_scene_at, updated_at from analytics_response where incident_id = any($1::text[])',
      [ids],
    );
    const incident = await server.kernel.db.query<Incident>(
      `select id, source_ref, occurred_at, lon, lat, ST_AsText(geom) as geom, category, outcome, cleared, region_kato, district_kato, updated_at
       from analytics_incident where source = 'dispatch' and source_ref = any($1::text[])`,
      [ids],
    );
    const sort = <T extends { key: string }>(xs: T[]) => xs.sort((x, y) => x.key.localeCompare(y.key));
    return {
      response: sort(response.map((r) => ({ ...r, incident_id: label(r.incident_id), key: label(r.incident_id) }))),
      incident: sort(incident.map(({ id, ...r }) => ({ ...r, source_ref: label(r.source_ref), key: label(r.source_ref), id }))),
    };
  }
  const withoutIds = (x: Awaited<ReturnType<typeof rows>>) => ({ response: x.response, incident: x.incident.map(({ id, ...r }) => r) });

  it('folds a batch per incident to exactly what handling its events one by one gives; a redelivered batch changes nothing', async () => {
    const one = scenario();
    const many = scenario();
    for (const e of [...one.before, ...one.batch]) await handleIncidentChanges([e], server.kernel);
    await handleIncidentChanges(many.before, server.kernel);
    await handleIncidentChanges(many.batch, server.kernel); // ONE call for the whole batch

    const expected = await rows(one.ids);
    const got = await rows(many.ids);
    expect(withoutIds(got)).toEqual(withoutIds(expected));
    // and what that is, spelled out
    expect(got.response.map((r) => r.key)).toEqual(['#1', '#2', '#3', '#4']);
    expect(got.response.find((r) => r.key === '#1')).toMatchObject({ received_at: new Date(t0 + 5_000), dispatched_at: new Date(t0 + 100_000), on_scene_at: new Date(t0 + 100_000) });
    expect(got.response.find((r) => r.key === '#2')).toMatchObject({ received_at: new Date(t0 + 3_000), dispatched_at: null, on_scene_at: null });
    expect(got.response.find((r) => r.key === '#3')).toMatchObject({
      priority: 'P1',
      kato: '711110000',
      received_at: new Date(t0 - 10_000),
      dispatched_at: new Date(t0 + 20_000),
      on_scene_at: new Date(t0 - 10_000),
      updated_at: new Date(t0 - 10_000),
    });
    expect(got.response.find((r) => r.key === '#4')).toMatchObject({ received_at: new Date(t0 + 7_000), dispatched_at: new Date(t0 + 7_000) });
    expect(got.incident.map((r) => [r.key, r.category, r.occurred_at, r.region_kato])).toEqual([
      ['#1', 'theft', new Date(t0 + 5_000), '750000000'],
      ['#2', 'fraud', new Date(t0 + 3_000), '750000000'],
      ['#3', 'theft', new Date(t0), '710000000'], // occurrence kept from the stored record; moved to Astana
      ['#4', 'robbery', new Date(t0 + 7_000), '750000000'],
    ]);

    // redelivered whole, or one event of it again: nothing changes, not even the record ids or update times
    await handleIncidentChanges(many.batch, server.kernel);
    await handleIncidentChanges([many.batch[4]], server.kernel);
    expect(await rows(many.ids)).toEqual(got);
  });

  it('spends a bounded number of statements on a batch, whatever its size', async () => {
    const batch: BusEvent[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const id = newId();
      ids.push(id);
      batch.push(created(id, 'TRIAGED', t0 + i), updated(id, 'DISPATCHED', t0 + 60_000 + i), updated(id, 'EN_ROUTE', t0 + 90_000 + i));
      batch.push(i % 3 === 0 ? updated(id, 'CANCELLED', t0 + 120_000 + i) : updated(id, 'ON_SCENE', t0 + 300_000 + i));
      batch.push(updated(id, i % 3 === 0 ? 'TRIAGED' : 'CLEARED', t0 + 400_000 + i));
    }
    expect(batch).toHaveLength(50);
    const counted = countingKernel(server.kernel);
    await handleIncidentChanges(batch, counted.kernel);
    // the inbox mark, a delete and an upsert per table — never a statement per event
    expect(counted.statements()).toBeLessThanOrEqual(5);
    const r = await rows(ids);
    expect(r.response).toHaveLength(10);
    expect(r.incident).toHaveLength(10);
    expect(r.response.filter((x) => x.on_scene_at !== null)).toHaveLength(6);
    const again = countingKernel(server.kernel);
    await handleIncidentChanges(batch, again.kernel);
    expect(again.statements()).toBe(1); // redelivered: the inbox mark finds nothing new
  });
});
