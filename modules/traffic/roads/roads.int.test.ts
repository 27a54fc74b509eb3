/**
 * The roads part through the whole application: crashes (validation, jurisdiction), black spots found by
 * ST_ClusterDBSCAN in metres, deaths on national roads year on year, inspections and defects with their lifecycle,
 * the overdue check (live event; a dispatch incident for critical defects only), and citizens' Open311
 * `road-defect` reports becoming defects through `reports.report.submitted`. PGlite + memory bus, or
 * PostgreSQL + NATS when the test URLs are set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../packages/kernel/src/bus/types.ts';
import { ManualClock } from '../../../packages/kernel/src/clock.ts';
import type { Db, Tx } from '../../../packages/kernel/src/db/types.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { Commands } from '../../../packages/kernel/src/outbox.ts';
import { backendName } from '../../../packages/kernel/src/testing.ts';
import { type PartsServer, partsServer, waitFor } from '../vehicles/harness.ts';
import type { ReportSubmitted } from '../../reports/events.ts';
import { type DefectRow, handleCitizenReports, patchDefect } from './defects.ts';

type DefectView = Omit<DefectRow, 'report_id'> & { report_id: string; geom: string };
import { roadsPart, runOverdueCheck } from './index.ts';
import { ok, problem } from '../../../apps/server/src/testing.ts';

const ASTANA = { lon: 71.4304, lat: 51.1282 };
const ALMATY = { lon: 76.9286, lat: 43.2567 };
const MOSCOW = { lon: 37.6173, lat: 55.7558 };
/** `m` metres east / north of `p` (at Astana's latitude a degree of longitude is ≈ 70 km). */
const east = (p: { lon: number; lat: number }, m: number) => ({ lon: p.lon + m / (111_320 * Math.cos((p.lat * Math.PI) / 180)), lat: p.lat });
const north = (p: { lon: number; lat: number }, m: number) => ({ lon: p.lon, lat: p.lat + m / 111_195 });


describe(`traffic roads on ${backendName}`, () => {
  const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));
  let server: PartsServer;
  const as = (user: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.as(user, { method, url, payload: payload as never, headers });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const crash = (at: string, place: { lon: number; lat: number }, extra: Record<string, unknown> = {}) => ({
    occurredAt: at,
    location: place,
    road: { name: 'пр. Кабанбай батыра', national: false },
    injuries: 0,
    deaths: 0,
    vehicles: [{ plate: '123 АВС 01', class: 'car', role: 'at_fault' }, { class: 'car' }],
    ...extra,
  });
  const defect = (extra: Record<string, unknown> = {}) => ({ type: 'pothole', severity: 'medium', location: ASTANA, ...extra });

  beforeAll(async () => {
    server = await partsServer([roadsPart], { clock, env: { TARTIP_TRAFFIC_DEFECT_CHECK_INTERVAL_S: '86400' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('crashes', () => {
    it('records a crash with its place, road and vehicles (plates folded), audited and published', async () => {
      const c = ok(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash('2026-05-30T18:20:00+05:00', ASTANA, { injuries: 2, deaths: 1, kind: 'pedestrian' })), 201);
      expect(c).toMatchObject({ kind: 'pedestrian', injuries: 2, deaths: 1, road: { national: false }, vehicles: [{ plate: '123ABC01', role: 'at_fault' }, { plate: null, role: 'unknown' }] });
      expect(c.kato.startsWith('71')).toBe(true);
      expect(c.occurredAt).toBe('2026-05-30T13:20:00.000Z');
      expect(await count('kernel_audit', `action = 'crash.recorded'`)).toBe(1);
      expect(await count('kernel_outbox', `subject = 'traffic.crash.recorded'`)).toBe(1);
      expect(ok(await as('traffic', 'GET', `/api/v1/traffic/crashes/${c.id}`)).id).toBe(c.id);
    });

    it('refuses bad crashes with localised field errors and stores nothing; other places are outside the jurisdiction', async () => {
      const before = await count('traffic_crash');
      const p = problem(
        await as('traffic', 'POST', '/api/v1/traffic/crashes', crash('2026-06-02T09:00:00Z', MOSCOW, { vehicles: [{ plate: '12#AB' }] }), { 'accept-language': 'en' }),
        400,
        'validation_failed',
      );
      expect(p.errors).toEqual([
        { path: 'body.occurredAt', code: 'in_future', message: 'The time is in the future.' },
        { path: 'body.vehicles.0.plate', code: 'plate_format', message: expect.stringContaining('licence plate') },
        { path: 'body.location', code: 'outside_kazakhstan', message: 'The point is outside Kazakhstan.' },
      ]);
      const z = problem(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash('2026-05-01T09:00:00Z', ASTANA, { deaths: -1, vehicles: [] }), { 'accept-language': 'kk' }), 400, 'validation_failed');
      expect(z.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.deaths', 'body.vehicles']);
      expect(z.title).toBe('Сұрау дұрыс толтырылмаған');
      problem(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash('2026-05-01T09:00:00Z', ALMATY)), 403, 'outside_jurisdiction');
      problem(await as('operator', 'GET', '/api/v1/traffic/crashes'), 403, 'forbidden');
      expect(await count('traffic_crash')).toBe(before);
    });

    it('finds black spots with DBSCAN in metres on the ground, ranked by severity', async () => {
      const day = (d: number) => new Date(Date.parse('2026-03-01T08:00:00Z') + d * 86_400_000).toISOString();
      // Spot A, east of Astana's centre: three crashes 80 m apart east–west (a degree of longitude here is 70 km:
      // measured in Web Mercator they would be 127 m apart and never chain at 100 m), one death
      const a = north(ASTANA, 3000);
      for (const [i, p] of [a, east(a, 80), east(a, 160)].entries()) {
        ok(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash(day(i), p, { deaths: i === 0 ? 1 : 0, road: { code: 'R-1', national: true } })), 201);
      }
      // Spot B: four damage-only crashes within 40 m
      const b = north(ASTANA, 6000);
      for (let i = 0; i < 4; i++) ok(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash(day(10 + i), north(b, i * 10))), 201);
      // Not a spot: two crashes 90 m apart, and one 300 m from them
      const c = north(ASTANA, 9000);
      for (const p of [c, north(c, 90), north(c, 390)]) ok(await as('traffic', 'POST', '/api/v1/traffic/crashes', crash(day(20), p)), 201);

      const spots = ok(await as('traffic', 'GET', '/api/v1/traffic/crashes/black-spots?epsM=100&minCrashes=3'));
      expect(spots.items.map((s: { crashes: number; deaths: number; severityIndex: number }) => [s.crashes, s.deaths, s.severityIndex])).toEqual([
        [3, 1, 12 + 1 + 1],
        [4, 0, 4],
      ]);
      expect(spots.items[0]).toMatchObject({ rank: 1, nationalRoad: true, roadCodes: ['R-1'], fatalCrashes: 1 });
      expect(spots.items[0].radiusM).toBeGreaterThan(75);
      expect(spots.items[0].radiusM).toBeLessThan(85);
      expect(Math.abs(spots.items[0].center.lon - east(a, 80).lon)).toBeLessThan(1e-5);
      // with a 400 m radius the near-miss group becomes a spot too; in a period without them, nothing
      expect(ok(await as('traffic', 'GET', '/api/v1/traffic/crashes/black-spots?epsM=400&minCrashes=3')).items).toHaveLength(3);
      expect(ok(await as('traffic', 'GET', '/api/v1/traffic/crashes/black-spots?from=2025-01-01T00:00:00Z&to=2025-12-31T00:00:00Z')).items).toEqual([]);
      // a national reader sees them too
      expect(ok(await as('supervisor', 'GET', '/api/v1/traffic/crashes/black-spots')).items.length).toBeGreaterThan(0);
      problem(await as('traffic', 'GET', '/api/v1/traffic/crashes/black-spots?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'), 400, 'validation_failed');
    });

    it('counts deaths on national roads year on year, by Kazakhstan’s calendar', async () => {
      const national = { code: 'M-36', national: true };
      const rec = (at: string, deaths: number, road = national) => as('traffic', 'POST', '/api/v1/traffic/crashes', crash(at, north(ASTANA, -5000), { deaths, road }));
      ok(await rec('2024-07-01T10:00:00Z', 4), 201);
      ok(await rec('2025-03-01T10:00:00Z', 3), 201);
      ok(await rec('2025-08-01T10:00:00Z', 2), 201);
      ok(await rec('2025-08-02T10:00:00Z', 7, { code: 'KX-1', national: false }), 201);
      // 20:00 UTC on 31 December is 01:00 on 1 January in Astana: it counts for 2026
      ok(await rec('2025-12-31T20:00:00Z', 1), 201);
      const s = ok(await as('traffic', 'GET', '/api/v1/traffic/crashes/stats?from=2024&to=2026'));
      const row = (y: number) => s.years.find((x: { year: number }) => x.year === y);
      expect(row(2024)).toMatchObject({ national: { deaths: 4 }, nationalDeathsChange: null });
      expect(row(2025)).toMatchObject({ deaths: 12, national: { crashes: 2, deaths: 5 }, nationalDeathsChange: { absolute: 1, percent: 25 } });
      // 2026 so far: the New Year's crash (1, national) + spot A (1 death, national) + the pedestrian crash (1, city)
      expect(row(2026)).toMatchObject({ deaths: 3, national: { deaths: 2 }, nationalDeathsChange: { absolute: -3, percent: -60 } });
      problem(await as('traffic', 'GET', '/api/v1/traffic/crashes/stats?from=2026&to=2024'), 400, 'validation_failed');
    });
  });

  describe('inspections and defects', () => {
    it('records a defect with the deadline from its severity and the national road’s organisation', async () => {
      const d = ok(await as('traffic', 'POST', '/api/v1/traffic/defects', defect({ severity: 'critical', type: 'manhole', road: { code: 'R-1', national: true }, photo: { url: 'https://cdn.example.kz/p/1.jpg' } })), 201);
      expect(d).toMatchObject({ status: 'open', severity: 'critical', responsibleOrg: 'АО «НК «ҚазАвтоЖол»', source: 'inspection', overdue: false, photo: { url: 'https://cdn.example.kz/p/1.jpg', sha256: null } });
      expect(d.deadline).toBe(new Date(clock.now().getTime() + 24 * 3_600_000).toISOString());
      const own = ok(await as('traffic', 'POST', '/api/v1/traffic/defects', defect({ responsibleOrg: 'ГУ ЖКХ Астаны', deadline: '2026-06-03T00:00:00Z' })), 201);
      expect(own).toMatchObject({ responsibleOrg: 'ГУ ЖКХ Астаны', deadline: '2026-06-03T00:00:00.000Z' });
    });

    it('refuses bad defects and stores nothing', async () => {
      const before = await count('traffic_defect');
      const p = problem(await as('traffic', 'POST', '/api/v1/traffic/defects', defect({ location: MOSCOW, deadline: '2026-05-01T00:00:00Z' }), { 'accept-language': 'ru' }), 400, 'validation_failed');
      expect(p.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual(['body.deadline:in_past', 'body.location:outside_kazakhstan']);
      expect(p.errors[1].message).toBe('Точка находится за пределами Казахстана.');
      problem(await as('traffic', 'POST', '/api/v1/traffic/defects', defect({ type: 'volcano', photo: { url: 'ftp://x/y.jpg' } })), 400, 'validation_failed');
      problem(await as('traffic', 'POST', '/api/v1/traffic/defects', defect({ location: ALMATY })), 403, 'outside_jurisdiction');
      expect(await count('traffic_defect')).toBe(before);
    });

    it('records an inspection with its defects, all or nothing', async () => {
      const body = {
        road: { code: 'R-1', name: 'Астана — Щучинск', national: true },
        inspector: 'Инспектор Серікбаев',
        inspectedAt: '2026-05-31T10:00:00Z',
        defects: [defect({ type: 'crack_alligator', severity: 'low', location: north(ASTANA, 500) }), defect({ type: 'marking', severity: 'low', location: north(ASTANA, 900) })],
      };
      const bad = problem(await as('traffic', 'POST', '/api/v1/traffic/inspections', { ...body, defects: [body.defects[0], defect({ location: MOSCOW })] }), 400, 'validation_failed');
      expect(bad.errors[0].path).toBe('body.defects.1.location');
      expect(await count('traffic_inspection')).toBe(0);
      const r = ok(await as('traffic', 'POST', '/api/v1/traffic/inspections', body), 201);
      expect(r.defects).toHaveLength(2);
      expect(r.defects[0]).toMatchObject({ inspectionId: r.id, road: { code: 'R-1', national: true }, responsibleOrg: 'АО «НК «ҚазАвтоЖол»' });
      const list = ok(await as('traffic', 'GET', '/api/v1/traffic/inspections'));
      expect(list.items[0]).toMatchObject({ id: r.id, defectCount: 2, inspector: 'Инспектор Серікбаев' });
    });

    it('moves through its lifecycle; illegal steps are a localised 409; verification needs traffic:verify', async () => {
      const d = ok(await as('traffic', 'POST', '/api/v1/traffic/defects', defect()), 201);
      const url = `/api/v1/traffic/defects/${d.id}`;
      expect(ok(await as('traffic', 'PATCH', url, { status: 'in_progress', note: 'Подрядчик на месте' }))).toMatchObject({ status: 'in_progress', statusNote: 'Подрядчик на месте' });
      const p = problem(await as('traffic', 'PATCH', url, { status: 'verified' }, { 'accept-language': 'en' }), 409, 'traffic.defect_transition');
      expect(p.detail).toBe('A defect in status in_progress cannot move to verified. Allowed next: open, fixed, rejected.');
      const fixed = ok(await as('traffic', 'PATCH', url, { status: 'fixed' }));
      expect(fixed.fixedAt).not.toBeNull();
      const [row] = await server.kernel.db.query<Parameters<typeof patchDefect>[3]>('select * from traffic_defect where id = $1', [d.id]);
      await expect(patchDefect(server.kernel, { actor: 'user:x' }, { name: 'user:x', canVerify: false }, row, { status: 'verified' })).rejects.toMatchObject({ code: 'forbidden' });
      const verified = ok(await as('traffic', 'PATCH', url, { status: 'verified', note: 'Проверено' }));
      expect(verified.history.map((h: { from: string | null; to: string }) => `${h.from}→${h.to}`)).toEqual(['null→open', 'open→in_progress', 'in_progress→fixed', 'fixed→verified']);
      problem(await as('traffic', 'PATCH', url, { status: 'open' }), 409, 'traffic.defect_transition');
      problem(await as('traffic', 'PATCH', url, {}), 400, 'validation_failed');
      problem(await as('traffic', 'PATCH', `/api/v1/traffic/defects/${newId()}`, { status: 'fixed' }), 404, 'not_found');
    });

    it('alerts on overdue defects once per deadline: a live event always, a dispatch incident only for critical ones', async () => {
      clock.advance(25 * 3_600_000);
      try {
        const alerted = await runOverdueCheck(server.kernel);
        // the critical manhole (24 h) and the defect due 3 June 00:00? not yet — only the manhole is past due
        expect(alerted).toBe(1);
        const events = await server.kernel.db.query<{ payload: { severity: string; incidentId: string | null; type: string } }>(
          `select payload from kernel_outbox where subject = 'traffic.defect.overdue'`,
        );
        expect(events.map((e) => [e.payload.type, e.payload.severity])).toEqual([['manhole', 'critical']]);
        const [inc] = await server.kernel.db.query<{ id: string; category: string; description: string }>(`select id, category, description from dispatch_incident where source = 'traffic'`);
        expect(inc.category).toBe('road-defect');
        expect(inc.description).toContain('открытый люк');
        expect(events[0].payload.incidentId).toBe(inc.id);
        expect(await runOverdueCheck(server.kernel)).toBe(0);

        clock.advance(24 * 3_600_000); // 3 June 10:00: the medium defect with its own deadline is overdue — no incident
        expect(await runOverdueCheck(server.kernel)).toBe(1);
        expect(await count('dispatch_incident', `source = 'traffic'`)).toBe(1);
        const overdue = ok(await as('traffic', 'GET', '/api/v1/traffic/defects?overdue=true'));
        expect(overdue.items.map((d: { severity: string }) => d.severity).sort()).toEqual(['critical', 'medium']);

        // a new deadline re-arms the alert
        const manhole = overdue.items.find((d: { severity: string }) => d.severity === 'critical');
        ok(await as('traffic', 'PATCH', `/api/v1/traffic/defects/${manhole.id}`, { deadline: new Date(clock.now().getTime() + 3_600_000).toISOString() }));
        clock.advance(2 * 3_600_000);
        expect(await runOverdueCheck(server.kernel)).toBe(1);
        expect(await count('dispatch_incident', `source = 'traffic'`)).toBe(2);
      } finally {
        clock.set(new Date('2026-06-01T09:00:00Z'));
      }
    });

    it('turns citizens’ Open311 road-defect reports into defects; a duplicate report joins the first', async () => {
      const geo = (p: { lon: number; lat: number }) => ({ type: 'Point', coordinates: [p.lon, p.lat] });
      const report = (description: string) => server.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category: 'road-defect', location: geo(east(ASTANA, 2000)), description } });
      const first = ok(await report('Глубокая яма посреди дороги'), 201);
      const d = await waitFor('a defect from the report', async () => (await server.kernel.db.query<{ id: string; type: string; severity: string; source: string }>('select * from traffic_defect where report_id = $1', [first.id]))[0]);
      expect(d).toMatchObject({ type: 'other', severity: 'medium', source: 'citizen' });
      const dup = ok(await report('Та же яма'), 201);
      expect(dup.duplicateOf).toBe(first.id);
      await waitFor('the duplicate attached', async () => (await count('traffic_defect_report', 'report_id = $1', [dup.id])) > 0);
      const detail = ok(await as('traffic', 'GET', `/api/v1/traffic/defects/${d.id}`));
      expect(detail.reportIds.sort()).toEqual([first.id, dup.id].sort());
      expect(await count('traffic_defect', `source = 'citizen'`)).toBe(1);
      // other categories are not defects
      ok(await server.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category: 'noise', location: geo(ASTANA) } }), 201);
      await new Promise((r) => setTimeout(r, 300));
      expect(await count('traffic_defect', `source = 'citizen'`)).toBe(1);
      // a defect in Almaty (from a citizen) is outside the Astana officer's jurisdiction
      const almaty = ok(await server.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { category: 'road-defect', location: geo(ALMATY) } }), 201);
      const far = await waitFor('the Almaty defect', async () => (await server.kernel.db.query<{ id: string }>('select id from traffic_defect where report_id = $1', [almaty.id]))[0]);
      problem(await as('traffic', 'GET', `/api/v1/traffic/defects/${far.id}`), 403, 'outside_jurisdiction');
      expect(ok(await as('traffic', 'GET', '/api/v1/traffic/defects?source=citizen')).items).toHaveLength(1);
      // The citizen's Open311 attribute says what is wrong: an open manhole is a critical defect.
      const manhole = ok(
        await server.app.inject({
          method: 'POST',
          url: '/api/v1/reports',
          payload: { category: 'road-defect', location: geo(east(ASTANA, 6000)), attributes: { defect_type: 'manhole' } },
        }),
        201,
      );
      const m = await waitFor('the manhole defect', async () => (await server.kernel.db.query<{ type: string; severity: string }>('select * from traffic_defect where report_id = $1', [manhole.id]))[0]);
      expect(m).toMatchObject({ type: 'manhole', severity: 'critical' });
    });
  });

  describe('citizens’ reports in batches', () => {
    /** A kernel whose database (and commands) count the statements sent, inside transactions too. */
    const counting = () => {
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
      const db = server.kernel.db;
      const counted: Db = { ...wrap(db), kind: db.kind, transaction: (fn) => db.transaction((tx) => fn(wrap(tx))), ping: () => db.ping(), close: () => db.close() };
      const kernel: Kernel = { ...server.kernel, db: counted, commands: new Commands(counted, server.kernel.clock) };
      return { kernel, statements: () => n };
    };
    const submitted = (reportId: string, place: { lon: number; lat: number }, extra: Partial<ReportSubmitted> = {}): BusEvent => ({
      id: newId(),
      subject: 'reports.report.submitted',
      occurredAt: clock.now().toISOString(),
      jurisdiction: '710000000',
      permission: 'reports:read',
      data: {
        reportId,
        category: 'road-defect',
        priority: 'P3',
        location: place,
        locationPrecision: 'point',
        address: 'ул. Достык, 5',
        kato: '711110000',
        description: 'Яма',
        attributes: {},
        channel: 'web',
        anonymous: true,
        mediaCount: 1,
        duplicateOf: null,
        submittedAt: '2026-06-01T08:59:00Z',
        ...extra,
      } satisfies ReportSubmitted,
    });

    /** One scenario over fresh report ids: a report stored before, then one batch of reports in order. */
    const scenario = (at: { lon: number; lat: number }) => {
      const ids = Array.from({ length: 8 }, () => newId());
      const [stored, first, dup, noise, unplaced, orphan, lateDup, manhole] = ids;
      const before = [submitted(stored, east(at, 300))];
      const batch = [
        submitted(first, at),
        submitted(dup, at, { duplicateOf: first, description: 'Та же яма', mediaCount: 0 }), // same place, same batch: joins it
        submitted(noise, at, { category: 'noise' }), // not a defect
        submitted(unplaced, east(at, 600), { kato: null, attributes: { defect_type: 'pothole' } }), // placed here
        submitted(orphan, east(at, 900), { duplicateOf: newId() }), // its original has no defect: a defect of its own
        submitted(lateDup, east(at, 300), { duplicateOf: stored }), // joins the defect stored before the batch
        submitted(manhole, east(at, 1200), { attributes: { defect_type: 'manhole' } }),
        submitted(dup, at, { duplicateOf: first }), // the same report again under another event id
        { ...submitted(newId(), at), data: { reportId: 'broken' } }, // malformed: logged, ignored
      ];
      return { ids, before, batch };
    };

    const view = async (ids: string[]) => {
      const label = (id: string | null) => (id === null ? null : `#${ids.indexOf(id)}`);
      const relabel = (s: string | null) => (s === null ? null : ids.reduce((x, id, i) => x.replaceAll(id, `#${i}`), s));
      const defects = await server.kernel.db.query<DefectView>(
        `select id, type, severity, status, lon, lat, kato, address, description, photo_url, responsible_org, deadline, source, report_id, rules_version,
           created_by, created_at, ST_AsText(geom::geometry) as geom from traffic_defect where report_id = any($1::text[]) order by report_id`,
        [ids],
      );
      const defectIds = defects.map((d) => d.id);
      const byDefect = new Map(defects.map((d) => [d.id, label(d.report_id)]));
      const links = await server.kernel.db.query<{ report_id: string; defect_id: string }>('select report_id, defect_id from traffic_defect_report where defect_id = any($1::uuid[])', [defectIds]);
      const history = await server.kernel.db.query<{ defect_id: string; actor: string; from_status: string | null; to_status: string; note: string | null }>(
        'select defect_id, actor, from_status, to_status, note from traffic_defect_history where defect_id = any($1::uuid[]) order by seq',
        [defectIds],
      );
      const audit = await server.kernel.db.query<{ action: string; entity_id: string; jurisdiction: string | null; data: { reportId?: string } }>(
        `select action, entity_id, jurisdiction, data from kernel_audit where entity = 'defect' and entity_id = any($1::text[]) order by seq`,
        [defectIds],
      );
      const events = await server.kernel.db.query<{ subject: string; key: string; jurisdiction: string | null; payload: { defectId: string; reportId: string | null } }>(
        'select subject, key, jurisdiction, payload from kernel_outbox where key = any($1::text[]) order by seq',
        [defectIds],
      );
      return {
        defects: defects.map(({ id, report_id, ...d }) => ({ ...d, report: label(report_id), photo_url: relabel(d.photo_url) })),
        links: links.map((l) => [label(l.report_id), byDefect.get(l.defect_id)]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        history: history.map((h) => ({ ...h, defect_id: byDefect.get(h.defect_id), note: relabel(h.note) })),
        audit: audit.map((a) => ({ ...a, entity_id: byDefect.get(a.entity_id), data: { ...a.data, reportId: label(a.data.reportId ?? null) } })),
        events: events.map((e) => ({ ...e, key: byDefect.get(e.key), payload: { ...e.payload, defectId: byDefect.get(e.payload.defectId), reportId: label(e.payload.reportId) } })),
      };
    };

    it('handles a batch of reports in one go exactly as one by one; a redelivered batch changes nothing', async () => {
      const one = scenario(north(ASTANA, 12_000));
      const many = scenario(north(ASTANA, 12_000)); // the same places: only the report ids differ
      for (const e of [...one.before, ...one.batch]) await handleCitizenReports([e], server.kernel);
      await handleCitizenReports(many.before, server.kernel);
      await handleCitizenReports(many.batch, server.kernel); // ONE call for the whole batch

      const expected = await view(one.ids);
      const got = await view(many.ids);
      expect(got).toEqual(expected);
      // and what that is, spelled out: the two reports of one place are one defect with both linked
      expect(got.defects.map((d) => d.report).sort()).toEqual(['#0', '#1', '#4', '#5', '#7']);
      expect(got.links).toEqual([
        ['#0', '#0'],
        ['#1', '#1'],
        ['#2', '#1'],
        ['#4', '#4'],
        ['#5', '#5'],
        ['#6', '#0'],
        ['#7', '#7'],
      ]);
      expect(got.history.filter((h) => h.defect_id === '#1')).toEqual([
        { defect_id: '#1', actor: 'system:traffic.defect-intake', from_status: null, to_status: 'open', note: null },
        { defect_id: '#1', actor: 'system:traffic.defect-intake', from_status: 'open', to_status: 'open', note: 'report #2' },
      ]);
      expect(got.defects.find((d) => d.report === '#4')).toMatchObject({ type: 'pothole', kato: expect.stringMatching(/^71/) });
      expect(got.defects.find((d) => d.report === '#7')).toMatchObject({ type: 'manhole', severity: 'critical' });
      expect(got.audit.map((a) => a.action)).toEqual([
        'defect.created', // stored before
        'defect.created',
        'defect.report_attached',
        'defect.created',
        'defect.created',
        'defect.report_attached',
        'defect.created',
      ]);
      expect(got.events.map((e) => e.payload.reportId)).toEqual(['#0', '#1', '#4', '#5', '#7']);

      // redelivered whole, or one report of it again (a new event id): nothing changes
      await handleCitizenReports(many.batch, server.kernel);
      await handleCitizenReports([{ ...many.batch[1], id: newId() }], server.kernel);
      expect(await view(many.ids)).toEqual(got);
    });

    it('spends a bounded number of statements on a batch, whatever its size', async () => {
      const batch: BusEvent[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const id = newId();
        ids.push(id);
        const place = north(east(ASTANA, -3000 - 50 * Math.floor(i / 2)), 16_000);
        if (i % 10 === 9) batch.push(submitted(id, place, { category: 'noise' }));
        else if (i % 2 === 1) batch.push(submitted(id, place, { duplicateOf: ids[i - 1], kato: i % 4 === 1 ? null : '711110000' }));
        else batch.push(submitted(id, place, { kato: i % 6 === 0 ? null : '711110000' }));
      }
      const counted = counting();
      await handleCitizenReports(batch, counted.kernel);
      // inbox mark, places of those without a KATO, known links, defects, history, links, then the outbox and the
      // audit records: one statement each, never one per report
      expect(counted.statements()).toBeLessThanOrEqual(8);
      expect(await count('traffic_defect', 'report_id = any($1::text[])', [ids])).toBe(25);
      expect(await count('traffic_defect_report', 'report_id = any($1::text[])', [ids])).toBe(45);
      const again = counting();
      await handleCitizenReports(batch, again.kernel);
      expect(again.statements()).toBe(1); // redelivered: the inbox mark finds nothing new
      const none = counting();
      await handleCitizenReports([submitted(newId(), ASTANA, { category: 'noise' })], none.kernel);
      expect(none.statements()).toBe(0); // nothing for roads in it: not even a transaction
    });
  });
});
