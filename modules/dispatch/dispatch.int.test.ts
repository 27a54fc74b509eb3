/**
 * The dispatch module through the whole application (one server for the file): report intake, the lifecycle
 * over HTTP with the demo dispatcher and officer, recommendations (great-circle in Almaty, road network in
 * Monaco), telemetry over HTTP and through the real Mosquitto, panic, jurisdictions, EIDO, merge/link, premise
 * flags, and SLA alerts on a ManualClock. Runs on PGlite + memory bus, or PostgreSQL + NATS when the test URLs
 * are set. MQTT: TARTIP_TEST_MQTT_URL (default mqtt://127.0.0.1:1883) must be reachable — the test fails, never skips.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, problem, type TestServer, testServer } from '../../apps/server/src/testing.ts';
import { createApiKey, createUser } from '../../packages/kernel/src/auth/identity.ts';
import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import { ManualClock } from '../../packages/kernel/src/clock.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { REPORT_SUBMITTED, type ReportSubmitted } from '../reports/events.ts';
import { flagPremise, raiseIncident } from './index.ts';
import { Eido } from './domain/eido.ts';
import { RoadGraph } from './domain/routing/graph.ts';
import { AlertEscalated, AlertRaised, IncidentChanged } from './events.ts';
import { runtime } from './runtime.ts';

const MQTT_URL = process.env.TARTIP_TEST_MQTT_URL || 'mqtt://127.0.0.1:1883';
const PREFIX = `test-${randomBytes(4).toString('hex')}`;
const ALMALY = { lon: 76.9286, lat: 43.2567 };
const ASTANA = { lon: 71.43, lat: 51.128 };
const MONACO_PALACE = { lon: 7.4203, lat: 43.731 };

/** A point `m` metres north of `p`. */
const north = (p: { lon: number; lat: number }, m: number) => ({ lon: p.lon, lat: p.lat + m / 111_195 });

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`dispatch on ${backendName}`, () => {
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  let server: TestServer;
  let gatewayKey: string;
  const positions: BusEvent[] = [];
  let sample = 0;
  /** A telemetry time: a little in the past, strictly increasing. */
  const at = () => new Date(clock.now().getTime() - 30_000 + sample++ * 10).toISOString();

  const as = (user: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.as(user, { method, url, payload: payload as never, headers });
  const gateway = (lines: unknown[]) =>
    server.app.inject({
      method: 'POST',
      url: '/api/v1/units/telemetry',
      headers: { 'x-api-key': gatewayKey, 'content-type': 'application/x-ndjson' },
      payload: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'),
    });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const events = async (subject: string, key: string) =>
    (await server.kernel.db.query<{ payload: unknown }>('select payload from kernel_outbox where subject = $1 and key = $2 order by seq', [subject, key])).map((r) => r.payload);
  const incidentChanges = async (id: string) => [
    ...(await events('dispatch.incident.created', id)).map((p) => IncidentChanged.parse(p)),
    ...(await events('dispatch.incident.updated', id)).map((p) => IncidentChanged.parse(p)),
  ];
  const unitByCallSign = async (callSign: string) =>
    (await server.kernel.db.query<{ id: string }>('select id from dispatch_unit where call_sign = $1', [callSign]))[0].id;
  const newUnit = async (callSign: string, p: { lon: number; lat: number }, type = 'PATROL_CAR', crew: string[] = []) => {
    const u = ok(await as('dispatcher', 'POST', '/api/v1/units', { callSign, type, homeKato: '750000000', crew }), 201);
    ok(await gateway([{ unitId: u.id, at: at(), ...p }]), 202);
    return u.id as string;
  };
  /** A report as reports emits it: a theft in Almaly unless `r` says otherwise. */
  const reportOf = (r: Partial<ReportSubmitted> = {}): ReportSubmitted => ({
    reportId: newId(),
    category: 'theft',
    priority: 'P2',
    location: ALMALY,
    locationPrecision: 'point',
    address: 'пр. Абылай хана, 1',
    kato: '751110000',
    description: 'Украли телефон',
    attributes: {},
    channel: 'app102',
    anonymous: false,
    mediaCount: 0,
    duplicateOf: null,
    submittedAt: clock.now().toISOString(),
    ...r,
  });
  /** Emits `report.submitted` for `data`, as reports does; `payload` replaces the event's data (a broken one). */
  const emitReport = (uow: UnitOfWork, data: ReportSubmitted, payload: unknown = data) =>
    uow.emit({ subject: REPORT_SUBMITTED, key: data.reportId, jurisdiction: data.kato, permission: 'reports:read', data: payload });
  const submitReport = async (r: Partial<ReportSubmitted>) => {
    const data = reportOf(r);
    await server.kernel.commands.run({ actor: 'test:reports' }, (uow) => emitReport(uow, data));
    return data;
  };
  // No waiting: the incident commits with the command that submitted the report.
  const incidentOfReport = async (reportId: string) =>
    (await server.kernel.db.query<{ incident_id: string }>('select incident_id from dispatch_incident_report where report_id = $1', [reportId]))[0]?.incident_id;

  beforeAll(async () => {
    server = await testServer({
      clock,
      env: {
        TARTIP_ACCESS_TOKEN_TTL: '86400',
        TARTIP_DISPATCH_TIMER_INTERVAL_MS: '100',
        TARTIP_DISPATCH_ROAD_NETWORK: 'data/monaco-osm/monaco.osm.pbf',
        TARTIP_MQTT_URL: MQTT_URL,
        TARTIP_MQTT_TOPIC_PREFIX: PREFIX,
        // Its own persistent session on the shared broker (other test runs may be connected), expiring soon after.
        TARTIP_DISPATCH_MQTT_CLIENT_ID: `${PREFIX}-dispatch`,
        TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: '60',
      },
    });
    gatewayKey = (
      await server.kernel.commands.run({ actor: 'test' }, (uow) =>
        createApiKey(uow, { name: 'tracker-gateway', channel: 'camera', scopes: ['telemetry:ingest'], jurisdictions: ['750000000'] }),
      )
    ).key;
    await server.kernel.bus.subscribe({ subject: 'dispatch.unit.position' }, async (e) => {
      positions.push(e);
    });
  });
  afterAll(async () => server?.close());

  // ---- demo data --------------------------------------------------------------------------------------------
  it('seeds demo units in Almaty (the officer crews one in Almaly) and Astana', async () => {
    const list = ok(await as('supervisor', 'GET', '/api/v1/units?limit=200')).items as { callSign: string; homeKato: string; crew: string[]; lastPosition: unknown }[];
    const alm101 = list.find((u) => u.callSign === 'ALM-101');
    expect(alm101).toMatchObject({ homeKato: '751110000', crew: ['officer'] });
    expect(list.some((u) => u.homeKato.startsWith('71'))).toBe(true);
    expect(runtime(server.kernel).graph).toBeInstanceOf(RoadGraph);
  });

  // ---- report intake ------------------------------------------------------------------------------------------
  let reportIncident = '';
  let firstReport = '';
  it('a submitted report becomes an incident: RECEIVED → TRIAGED with the report’s priority', async () => {
    const r = await submitReport({ category: 'robbery', priority: 'P1' });
    firstReport = r.reportId;
    reportIncident = await incidentOfReport(r.reportId);
    const detail = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${reportIncident}`));
    expect(detail).toMatchObject({ status: 'TRIAGED', priority: 'P1', category: 'robbery', source: 'report', externalRef: r.reportId, kato: '751110000', reportIds: [r.reportId] });
    expect(detail.timeline.map((t: { to: string }) => t.to)).toEqual(['RECEIVED', 'TRIAGED']);
    const changes = await incidentChanges(reportIncident);
    // One event for the creation, in the state created (the timeline keeps both steps).
    expect(changes.map((c) => c.status)).toEqual(['TRIAGED']);
    for (const c of changes) expect(c.reportIds).toEqual([r.reportId]);
  });

  it('a citizen’s report of what an operator already took as a 102 call joins that incident instead of making a second', async () => {
    const place = north(ALMALY, 3000);
    const call = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'robbery', location: place, note: 'Caller: a bag snatched' }), 201);
    const near = await submitReport({ category: 'robbery', priority: 'P1', location: north(ALMALY, 3050) });
    expect(await incidentOfReport(near.reportId)).toBe(call.id);
    const detail = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${call.id}`));
    expect(detail.reportIds).toEqual([near.reportId]);
    expect(detail.timeline.at(-1)).toMatchObject({ kind: 'report', data: { reportId: near.reportId } });
    // The reporter follows it: the event lists the report.
    expect((await incidentChanges(call.id)).at(-1)?.reportIds).toEqual([near.reportId]);
    // Too far, another kind, or only a street's middle: an incident of its own.
    const separate = async (r: Partial<ReportSubmitted>) => {
      const id = await incidentOfReport((await submitReport(r)).reportId);
      expect(id).toBeDefined();
      expect(id).not.toBe(call.id);
    };
    await separate({ category: 'robbery', priority: 'P1', location: north(ALMALY, 3300) });
    await separate({ category: 'theft', location: north(ALMALY, 3050) });
    await separate({ category: 'robbery', priority: 'P1', location: north(ALMALY, 3050), locationPrecision: 'street' });
    // Received longer ago than the window: not joined.
    await server.kernel.db.query("update dispatch_incident set received_at = received_at - interval '16 minutes' where id = $1", [call.id]);
    await separate({ category: 'robbery', priority: 'P1', location: north(ALMALY, 3050) });
    await server.kernel.db.query("update dispatch_incident set received_at = received_at + interval '16 minutes' where id = $1", [call.id]);
    // Once it is over, a new report there is a new incident.
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${call.id}/transitions`, { to: 'CANCELLED', note: 'Caller withdrew' }));
    await separate({ category: 'robbery', priority: 'P1', location: north(ALMALY, 3040) });
  });

  it('the incident is part of the report’s transaction: a command that fails after submitting leaves neither', async () => {
    const before = await count('dispatch_incident');
    const data = reportOf({ address: null, description: 'rolled back' });
    const { reportId } = data;
    await expect(
      server.kernel.commands.run({ actor: 'test:reports' }, async (uow) => {
        await emitReport(uow, data);
        // The reaction runs at the end of the command; a failure in the command's own later work still undoes it.
        await uow.tx.query('select 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await count('dispatch_incident')).toBe(before);
    expect(await incidentOfReport(reportId)).toBeUndefined();
    // A report that breaks the event contract fails its command (nothing stored) instead of being dropped.
    await expect(
      server.kernel.commands.run({ actor: 'test:reports' }, (uow) => emitReport(uow, data, { ...data, location: null })),
    ).rejects.toThrow(/malformed reports.report.submitted/);
    expect(await count('dispatch_incident')).toBe(before);
    expect(await count('kernel_outbox', 'key = $1', [reportId])).toBe(0);
  });

  it('a batch holding a report and its duplicate makes one incident with both', async () => {
    const original = reportOf({ category: 'assault', priority: 'P1', location: north(ALMALY, 900), address: null, description: 'batch original', anonymous: true });
    const duplicate: ReportSubmitted = { ...original, reportId: newId(), description: 'batch duplicate', duplicateOf: original.reportId };
    const before = await count('dispatch_incident');
    // One command, as report intake stores a batch: both events go to the reaction together, in order.
    await server.kernel.commands.run({ actor: 'test:reports' }, async (uow) => {
      for (const data of [original, duplicate]) await emitReport(uow, data);
    });
    expect(await count('dispatch_incident')).toBe(before + 1);
    const incident = await incidentOfReport(original.reportId);
    expect(await incidentOfReport(duplicate.reportId)).toBe(incident);
    const last = (await incidentChanges(incident)).at(-1);
    expect(last?.reportIds).toEqual([original.reportId, duplicate.reportId]);
  });

  it('a duplicate report joins the incident of the earlier one, and its reporter is told', async () => {
    const before = await count('dispatch_incident');
    const dup = await submitReport({ category: 'robbery', priority: 'P1', duplicateOf: firstReport, location: north(ALMALY, 30) });
    expect(await incidentOfReport(dup.reportId)).toBe(reportIncident);
    expect(await count('dispatch_incident')).toBe(before);
    const last = (await incidentChanges(reportIncident)).at(-1)!;
    expect(last.reportIds).toEqual([firstReport, dup.reportId]);
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${reportIncident}`)).timeline.at(-1)).toMatchObject({ kind: 'report', data: { reportId: dup.reportId } });
  });

  // ---- recommendations ---------------------------------------------------------------------------------------
  it('recommends available units by estimated travel time (great-circle outside the road network), nearest first', async () => {
    const scene = { lon: 76.85, lat: 43.3 };
    const far = await newUnit('REC-FAR', north(scene, 1500));
    const near = await newUnit('REC-NEAR', north(scene, 500));
    const mid = await newUnit('REC-MID', north(scene, 1000));
    const walker = await newUnit('REC-WALK', north(scene, 400), 'FOOT_PATROL');
    const inc = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'assault', location: scene, description: 'Драка у остановки' }), 201);
    expect(inc).toMatchObject({ status: 'TRIAGED', priority: 'P1', source: 'call' });
    const recs = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}/recommendations`, undefined, { 'accept-language': 'en' }));
    expect(recs.method).toBe('great_circle');
    const top = recs.items.slice(0, 4);
    // The walker is 400 m away but walks at 5 km/h: slower than cars 1.5 km away at 30 km/h.
    expect(top.map((r: { unitId: string }) => r.unitId)).toEqual([near, mid, far, walker]);
    expect(top[0]).toMatchObject({ rank: 1, method: 'great_circle', distanceM: 650, etaS: 78 });
    expect(top[0].reason).toBe('REC-NEAR: 0.7 km (straight line × 1.3), about 1 min');
    // Assigning the third recommendation is an override, recorded as such.
    const res = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: far, recommendationRank: 3 }), 201);
    expect(res.acceptedTop).toBe(false);
    expect(res.incident.status).toBe('DISPATCHED');
    expect(res.incident.assignments[0]).toMatchObject({ unitId: far, topUnitId: near, recommendationRank: 3, acceptedTop: false, method: 'great_circle' });
    expect(await count('kernel_audit', "action = 'incident.assigned.override' and entity_id = $1", [inc.id])).toBe(1);
    // A dispatched unit is no longer recommended; the unit is DISPATCHED.
    const again = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}/recommendations`));
    expect(again.items.map((r: { unitId: string }) => r.unitId)).not.toContain(far);
    const units = ok(await as('dispatcher', 'GET', '/api/v1/units?status=DISPATCHED')).items;
    expect(units.map((u: { id: string }) => u.id)).toContain(far);
    problem(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: far }), 409, 'dispatch.unit_unavailable');
  });

  it('ranks by road travel time on the Monaco road network (TARTIP_DISPATCH_ROAD_NETWORK)', async () => {
    const casino = { lon: 7.4283, lat: 43.7393 };
    const fontvieille = { lon: 7.4165, lat: 43.7275 };
    const larvotto = { lon: 7.4345, lat: 43.7445 };
    const ids = { casino: await newUnit('MC-CASINO', casino), fontvieille: await newUnit('MC-FONTV', fontvieille), larvotto: await newUnit('MC-LARVOTTO', larvotto) };
    const raised = await raiseIncident(server.kernel, { source: 'camera', category: 'camera-alert', location: MONACO_PALACE, description: 'Fight detected', externalRef: 'cam-42:evt-1' });
    expect(raised).toMatchObject({ created: true, status: 'TRIAGED', priority: 'P2', kato: null });
    expect(await raiseIncident(server.kernel, { source: 'camera', category: 'camera-alert', location: MONACO_PALACE, description: 'again', externalRef: 'cam-42:evt-1' })).toMatchObject({
      incidentId: raised.incidentId,
      created: false,
    });
    // Outside Kazakhstan (no KATO): only national staff see it.
    problem(await as('dispatcher', 'GET', `/api/v1/incidents/${raised.incidentId}/recommendations`), 403, 'outside_jurisdiction');
    const recs = ok(await as('supervisor', 'GET', `/api/v1/incidents/${raised.incidentId}/recommendations`));
    expect(recs.method).toBe('road_network');
    const mine = recs.items.filter((r: { unitId: string }) => Object.values(ids).includes(r.unitId));
    expect(mine).toHaveLength(3);
    const graph = runtime(server.kernel).graph!;
    const target = graph.nearestNode(MONACO_PALACE)!;
    for (const r of mine) {
      expect(r.method).toBe('road_network');
      expect(r.distanceM).toBeGreaterThan(r.straightLineM);
      expect(r.distanceM).toBeLessThan(3 * r.straightLineM + 300);
      expect(r.reason).toMatch(/км по дорогам/);
    }
    // The order is the road graph's, checked against an independent A* per unit.
    const byRoad = Object.entries({ casino, fontvieille, larvotto })
      .map(([k, p]) => ({ id: ids[k as keyof typeof ids], t: graph.route(graph.nearestNode(p)!.node, target.node)!.timeS }))
      .sort((a, b) => a.t - b.t)
      .map((x) => x.id);
    expect(mine.map((r: { unitId: string }) => r.unitId)).toEqual(byRoad);
  });

  it('run cards: the incident shows what its type needs; recommendations put the units that fill the gaps first', async () => {
    const scene = { lon: 76.87, lat: 43.29 };
    const car1 = await newUnit('CARD-CAR1', north(scene, 300));
    const car2 = await newUnit('CARD-CAR2', north(scene, 600));
    const tp = await newUnit('CARD-TP', north(scene, 2500), 'TRAFFIC_POLICE');
    const inc = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'traffic-accident', location: scene }), 201);
    const card = (car: number, police: number) => ({
      version: expect.any(String),
      category: 'traffic-accident',
      requirements: [
        { unitType: 'PATROL_CAR', required: 1, assigned: car, missing: 1 - car },
        { unitType: 'TRAFFIC_POLICE', required: 1, assigned: police, missing: 1 - police },
      ],
      complete: car + police === 2,
    });
    expect(inc.runCard).toEqual(card(0, 0));
    const recs = async () => ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}/recommendations`)) as { runCard: unknown; items: { unitId: string; fills: string | null; rank: number }[] };

    // Nothing assigned: the nearest car, then the nearest traffic police unit (2.5 km) before the second car (600 m).
    const first = await recs();
    expect(first.runCard).toEqual(card(0, 0));
    expect(first.items.slice(0, 3).map((r) => [r.unitId, r.fills])).toEqual([
      [car1, 'PATROL_CAR'],
      [tp, 'TRAFFIC_POLICE'],
      [car2, null],
    ]);
    const a1 = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: car1, recommendationRank: 1 }), 201);
    expect(a1.acceptedTop).toBe(true);
    expect(a1.incident.runCard).toEqual(card(1, 0));

    // The car is there: the traffic police unit is the top recommendation.
    const second = await recs();
    expect(second.items.slice(0, 2).map((r) => [r.unitId, r.fills])).toEqual([
      [tp, 'TRAFFIC_POLICE'],
      [car2, null],
    ]);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: tp, recommendationRank: 1 }), 201);
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}`)).runCard).toEqual(card(1, 1));

    // Complete: plain travel-time order, nothing to fill.
    const third = await recs();
    expect(third.runCard).toEqual(card(1, 1));
    expect(third.items[0].unitId).toBe(car2);
    expect(third.items.every((r) => r.fills === null)).toBe(true);

    // A released unit no longer counts.
    ok(await as('dispatcher', 'POST', `/api/v1/units/${tp}/status`, { status: 'AVAILABLE' }));
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}`)).runCard).toEqual(card(1, 0));
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'CANCELLED', note: 'Test over' }));

    // A type without a card asks for nothing in particular.
    const noise = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'noise', location: scene }), 201);
    expect(noise.runCard).toMatchObject({ category: 'noise', requirements: [], complete: true });
    const plain = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${noise.id}/recommendations`));
    expect(plain.items[0].unitId).toBe(car1);
    expect(plain.items.every((r: { fills: string | null }) => r.fills === null)).toBe(true);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${noise.id}/transitions`, { to: 'CANCELLED' }));
  });

  // ---- full lifecycle with the demo dispatcher and officer -----------------------------------------------------
  let lifecycleIncident = '';
  it('dispatcher assigns the officer’s unit; the officer sees the task and moves EN_ROUTE → ON_SCENE → CLEARED with a note', async () => {
    const alm101 = await unitByCallSign('ALM-101');
    const inc = ok(await as('dispatcher', 'POST', '/api/v1/incidents', { category: 'domestic-violence', location: north(ALMALY, 200), address: 'ул. Толе би, 55' }), 201);
    lifecycleIncident = inc.id;
    const recs = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}/recommendations`));
    expect(recs.items[0].unitId).toBe(alm101); // 200 m away, the nearest
    const assigned = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: alm101, recommendationRank: 1 }), 201);
    expect(assigned).toMatchObject({ acceptedTop: true, incident: { status: 'DISPATCHED' } });

    const tablet = ok(await as('officer', 'GET', '/api/v1/units/mine'));
    expect(tablet.unit).toMatchObject({ id: alm101, callSign: 'ALM-101', status: 'DISPATCHED', incidentId: inc.id });
    expect(tablet.incident).toMatchObject({ id: inc.id, status: 'DISPATCHED', category: 'domestic-violence', address: 'ул. Толе би, 55' });

    ok(await as('officer', 'POST', `/api/v1/units/${alm101}/status`, { status: 'EN_ROUTE' }));
    expect(ok(await as('officer', 'GET', '/api/v1/units/mine')).incident.status).toBe('EN_ROUTE');
    const onScene = ok(await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'ON_SCENE', position: north(ALMALY, 190) }));
    expect(onScene.status).toBe('ON_SCENE');
    expect(ok(await as('officer', 'GET', '/api/v1/units/mine')).unit.status).toBe('ON_SCENE');
    // The crew may not close: that is the dispatcher's.
    problem(await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'CLOSED' }), 403, 'forbidden');
    const cleared = ok(await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'CLEARED', note: 'Conflict settled; protocol drawn up' }));
    expect(cleared.status).toBe('CLEARED');
    const after = ok(await as('officer', 'GET', '/api/v1/units/mine'));
    expect(after).toMatchObject({ unit: { status: 'AVAILABLE', incidentId: null }, incident: null });
    const closed = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'CLOSED', note: 'Closed after review' }));
    expect(closed.status).toBe('CLOSED');

    // Every step is on the append-only timeline with its time and actor; the officer's steps with a position.
    const steps = closed.timeline.filter((t: { kind: string }) => t.kind === 'status').map((t: { to: string; actor: string }) => [t.to, t.actor]);
    expect(steps).toEqual([
      ['RECEIVED', 'user:dispatcher'],
      ['TRIAGED', 'user:dispatcher'],
      ['DISPATCHED', 'user:dispatcher'],
      ['EN_ROUTE', 'user:officer'],
      ['ON_SCENE', 'user:officer'],
      ['CLEARED', 'user:officer'],
      ['CLOSED', 'user:dispatcher'],
    ]);
    const byTo = (to: string) => closed.timeline.find((t: { to: string }) => t.to === to);
    expect(byTo('ON_SCENE').position).toEqual(north(ALMALY, 190));
    expect(byTo('EN_ROUTE').position).toEqual(ALMALY); // the unit's last known position
    expect(byTo('CLEARED').note).toBe('Conflict settled; protocol drawn up');
    expect(closed.enRouteAt && closed.onSceneAt && closed.clearedAt && closed.closedAt).toBeTruthy();
    await expect(server.kernel.db.query('update dispatch_timeline set note = $1 where incident_id = $2', ['rewritten', inc.id])).rejects.toThrow(/append-only/);

    // The IncidentChanged events carry each status and the notes (what reports shows to citizens).
    const changes = await incidentChanges(inc.id);
    expect(changes.map((c) => c.status)).toEqual(['TRIAGED', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE', 'CLEARED', 'CLOSED']);
    expect(changes.find((c) => c.status === 'CLEARED')?.note).toBe('Conflict settled; protocol drawn up');
    expect(changes.find((c) => c.status === 'CLOSED')?.note).toBe('Closed after review');
    const [evt] = await server.kernel.db.query<{ jurisdiction: string; permission: string }>(
      "select jurisdiction, permission from kernel_outbox where subject = 'dispatch.incident.updated' and key = $1 limit 1",
      [inc.id],
    );
    expect(evt).toEqual({ jurisdiction: '751110000', permission: 'dispatch:read' });
  });

  it('two units on one incident: each crew reports its own steps; a crew that clears leaves, the last one clears the incident', async () => {
    const alm101 = await unitByCallSign('ALM-101');
    await server.kernel.commands.run({ actor: 'test' }, (uow) =>
      createUser(uow, null, { username: 'officer2', displayName: 'Second crew', password: 'second-crew-pw', roles: ['officer'], jurisdictions: ['751110000'] }),
    );
    const login = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'officer2', password: 'second-crew-pw' } });
    const token2 = login.json().accessToken as string;
    const as2 = (method: 'GET' | 'POST', url: string, payload?: unknown) => server.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token2}` } });
    const second = ok(await as('dispatcher', 'POST', '/api/v1/units', { callSign: 'ALM-202', type: 'PATROL_CAR', homeKato: '751110000', crew: ['officer2'] }), 201).id as string;
    ok(await gateway([{ unitId: second, at: at(), ...north(ALMALY, 400) }]), 202);
    const inc = ok(await as('dispatcher', 'POST', '/api/v1/incidents', { category: 'robbery', location: north(ALMALY, 250) }), 201);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: alm101 }), 201);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/assignments`, { unitId: second }), 201);
    const unitStatus = async (id: string) => (ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items.find((u: { id: string }) => u.id === id) as { status: string }).status;
    const step = async (who: 'officer' | 'officer2', to: string, note?: string) => {
      const res = who === 'officer' ? await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to, ...(note ? { note } : {}) }) : await as2('POST', `/api/v1/incidents/${inc.id}/transitions`, { to, ...(note ? { note } : {}) });
      return ok(res).status as string;
    };
    expect(await step('officer', 'EN_ROUTE')).toBe('EN_ROUTE');
    // The second crew acknowledges too (before: a 409, its assignment never acknowledged, a false unit_no_ack alert).
    expect(await step('officer2', 'EN_ROUTE')).toBe('EN_ROUTE');
    const acks = await server.kernel.db.query<{ unit_id: string; acknowledged_at: Date | null }>('select unit_id, acknowledged_at from dispatch_assignment where incident_id = $1', [inc.id]);
    expect(acks.every((a) => a.acknowledged_at !== null)).toBe(true);
    expect(await step('officer2', 'ON_SCENE')).toBe('ON_SCENE');
    expect([await unitStatus(second), await unitStatus(alm101)]).toEqual(['ON_SCENE', 'EN_ROUTE']);
    expect(await step('officer', 'ON_SCENE')).toBe('ON_SCENE');
    expect(await unitStatus(alm101)).toBe('ON_SCENE');
    // The second crew is done: it leaves; the first is still there and the incident goes on.
    expect(await step('officer2', 'CLEARED', 'Suspect handed to ALM-101')).toBe('ON_SCENE');
    expect([await unitStatus(second), await unitStatus(alm101)]).toEqual(['AVAILABLE', 'ON_SCENE']);
    // The last crew clears the incident.
    expect(await step('officer', 'CLEARED', 'Suspect detained')).toBe('CLEARED');
    expect(await unitStatus(alm101)).toBe('AVAILABLE');
    const detail = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}`));
    const released = detail.timeline.find((t: { kind: string; data?: { unitId?: string } }) => t.kind === 'unit_released' && t.data?.unitId === second);
    expect(released).toMatchObject({ actor: 'user:officer2', note: 'Suspect handed to ALM-101' });
    expect(detail.timeline.filter((t: { kind: string }) => t.kind === 'status').map((t: { to: string }) => t.to)).toEqual(['RECEIVED', 'TRIAGED', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE', 'CLEARED']);
  });

  it('an illegal transition is a 409 problem with a localised reason, and changes nothing', async () => {
    const before = await count('dispatch_timeline', 'incident_id = $1', [lifecycleIncident]);
    const titles: string[] = [];
    for (const lang of ['en', 'ru', 'kk']) {
      const body = problem(await as('dispatcher', 'POST', `/api/v1/incidents/${lifecycleIncident}/transitions`, { to: 'TRIAGED' }, { 'accept-language': lang }), 409, 'dispatch.illegal_transition');
      expect(body.detail).toContain('CLOSED');
      titles.push(body.title);
    }
    expect(titles[0]).toBe('This status change is not allowed');
    expect(new Set(titles).size).toBe(3);
    const inc = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'noise', location: ALMALY }), 201);
    const body = problem(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'ON_SCENE' }, { 'accept-language': 'en' }), 409, 'dispatch.illegal_transition');
    expect(body.detail).toBe('An incident in status TRIAGED cannot move to ON_SCENE. Allowed next: TRIAGED, PENDING, CANCELLED.');
    problem(await as('dispatcher', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'DISPATCHED' }), 409, 'dispatch.wrong_command');
    expect(await count('dispatch_timeline', 'incident_id = $1', [lifecycleIncident])).toBe(before);
    // The officer is not the crew of this incident.
    problem(await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'EN_ROUTE' }), 403, 'dispatch.not_crew');
  });

  it('the queue lists most urgent first, then oldest, with SLA due times, and pages with a cursor', async () => {
    const page1 = ok(await as('dispatcher', 'GET', '/api/v1/incidents?limit=2'));
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTruthy();
    const all: { priority: string; receivedAt: string; id: string; status: string; sla: { dispatchDueAt: string } }[] = [...page1.items];
    let cursor = page1.nextCursor;
    while (cursor) {
      const page = ok(await as('dispatcher', 'GET', `/api/v1/incidents?limit=2&cursor=${cursor}`));
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    const keys = all.map((i) => `${i.priority}|${i.receivedAt}|${i.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
    expect(all.every((i) => !['CLOSED', 'CANCELLED', 'MERGED'].includes(i.status))).toBe(true);
    expect((all.find((i) => i.id === reportIncident) as unknown as { reportIds: string[] }).reportIds).toContain(firstReport);
    const p1 = all.find((i) => i.priority === 'P1')!;
    expect(Date.parse(p1.sla.dispatchDueAt) - Date.parse(p1.receivedAt)).toBe(60_000);
    const p1Only = ok(await as('dispatcher', 'GET', '/api/v1/incidents?priority=P1&limit=200')).items;
    expect(p1Only.every((i: { priority: string }) => i.priority === 'P1')).toBe(true);
    const closed = ok(await as('dispatcher', 'GET', '/api/v1/incidents?status=CLOSED')).items;
    expect(closed.map((i: { id: string }) => i.id)).toContain(lifecycleIncident);
    problem(await as('dispatcher', 'GET', '/api/v1/incidents?cursor=bm90LWpzb24'), 400, 'validation_failed');
  });

  // ---- telemetry ----------------------------------------------------------------------------------------------
  it('a good NDJSON batch is stored in one go, moves the units, and is published live', async () => {
    const a = await newUnit('TEL-A', { lon: 76.95, lat: 43.24 });
    const b = await newUnit('TEL-B', { lon: 76.96, lat: 43.24 });
    const before = await count('dispatch_position');
    const lines = Array.from({ length: 2000 }, (_, i) => ({ unitId: i % 2 ? a : b, at: at(), lon: 76.95 + i * 1e-5, lat: 43.24, speed: 30, heading: 90, battery: 77 }));
    const res = ok(await gateway(lines), 202);
    expect(res).toEqual({ accepted: 2000, stored: 2000, units: 2 });
    expect(await count('dispatch_position')).toBe(before + 2000);
    const units = ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items;
    const ua = units.find((u: { id: string }) => u.id === a);
    expect(ua.lastPosition).toMatchObject({ lon: lines[1999].lon, speed: 30, heading: 90, battery: 77, at: lines[1999].at });
    // Resending the same batch stores nothing new.
    expect(ok(await gateway(lines), 202)).toMatchObject({ stored: 0 });
    await waitFor('live positions', async () => positions.some((e) => (e.data as { unitId: string }).unitId === a));
    const live = positions.find((e) => (e.data as { unitId: string }).unitId === a)!;
    expect(live).toMatchObject({ subject: 'dispatch.unit.position', jurisdiction: '750000000', permission: 'dispatch:read' });
    // Not through the outbox: positions are a stream.
    expect(await count('kernel_outbox', "subject = 'dispatch.unit.position'")).toBe(0);
  });

  it('one bad line rejects the whole batch with line.N paths, and nothing is stored', async () => {
    const a = await unitByCallSign('TEL-A');
    const before = await count('dispatch_position');
    const good = { unitId: a, at: at(), lon: 76.95, lat: 43.24 };
    const res = await gateway([good, { ...good, at: at() }, '', { ...good, at: at(), lat: 95 }, { ...good, at: at(), unitId: newId() }]);
    const body = problem(res, 400, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'line.4.lat', code: 'too_big' })]);
    // Valid lines, but one names a unit that does not exist: still all or nothing.
    const res2 = await gateway([good, { ...good, at: at(), unitId: newId() }]);
    expect(problem(res2, 400, 'validation_failed').errors).toEqual([expect.objectContaining({ path: 'line.2.unitId', code: 'unknown_unit' })]);
    expect(await count('dispatch_position')).toBe(before);
    // A crew member reports only for their own unit; JSON is not NDJSON.
    const crewRes = await as('officer', 'POST', '/api/v1/units/telemetry', JSON.stringify({ ...good, at: at() }), { 'content-type': 'application/x-ndjson' });
    expect(problem(crewRes, 400, 'validation_failed').errors[0]).toMatchObject({ path: 'line.1.unitId', code: 'not_own_unit' });
    problem(await as('officer', 'POST', '/api/v1/units/telemetry', { ...good }), 400, 'validation_failed');
    const own = await unitByCallSign('ALM-101');
    ok(await as('officer', 'POST', '/api/v1/units/telemetry', `${JSON.stringify({ unitId: own, at: at(), ...ALMALY })}\n`, { 'content-type': 'application/x-ndjson' }), 202);
  });

  it('takes telemetry from the real MQTT broker (Mosquitto)', async () => {
    const unit = await newUnit('MQTT-1', { lon: 76.97, lat: 43.23 });
    const client = await mqtt.connectAsync(MQTT_URL, { connectTimeout: 5000, reconnectPeriod: 0 });
    try {
      const when = at();
      await client.publishAsync(`${PREFIX}/units/${unit}/telemetry`, JSON.stringify({ at: when, lon: 76.971, lat: 43.231, speed: 12 }), { qos: 1 });
      const moved = await waitFor('the MQTT sample to be stored', async () => {
        const [u] = await server.kernel.db.query<{ last_lon: number; last_at: Date }>('select last_lon, last_at from dispatch_unit where id = $1', [unit]);
        return u.last_lon === 76.971 ? u : null;
      });
      expect(new Date(moved.last_at).toISOString()).toBe(when);
      expect(await count('dispatch_position', 'unit_id = $1', [unit])).toBe(2);
      // A malformed sample is rejected and stores nothing.
      await client.publishAsync(`${PREFIX}/units/${unit}/telemetry`, JSON.stringify({ at: at(), lon: 500, lat: 43 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(await count('dispatch_position', 'unit_id = $1', [unit])).toBe(2);
    } finally {
      await client.endAsync();
    }
  });

  // ---- panic --------------------------------------------------------------------------------------------------
  it('panic: an immediate P1 incident at the unit’s position, the unit flagged, the nearest units alerted', async () => {
    const alm101 = await unitByCallSign('ALM-101');
    const helper = await newUnit('PANIC-HELP', north(ALMALY, 300));
    // The second crew's car (ALM-202, officer2's) is a little further.
    const alm202 = await unitByCallSign('ALM-202');
    ok(await gateway([{ unitId: alm202, at: at(), ...north(ALMALY, 600) }]), 202);
    const login2 = await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'officer2', password: 'second-crew-pw' } });
    const mine2 = async () =>
      (await server.app.inject({ method: 'GET', url: '/api/v1/units/mine', headers: { authorization: `Bearer ${login2.json().accessToken}` } })).json() as { assist: { callSign: string; incidentId: string; location: unknown }[] };
    expect((await mine2()).assist).toEqual([]);
    const res = ok(await as('officer', 'POST', `/api/v1/units/${alm101}/panic`), 201);
    expect(res.incident).toMatchObject({ priority: 'P1', category: 'panic', status: 'TRIAGED', source: 'panic', panicUnitId: alm101, location: ALMALY, kato: '751110000' });
    expect(res.nearestUnitIds.slice(0, 2)).toEqual([helper, alm202]);
    // The helpers' tablets are told: who needs help, and where.
    expect((await mine2()).assist).toEqual([expect.objectContaining({ callSign: 'ALM-101', incidentId: res.incident.id, location: ALMALY })]);
    expect(ok(await as('officer', 'GET', '/api/v1/units/mine')).assist).toEqual([]);
    const units = ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items;
    expect(units.find((u: { id: string }) => u.id === alm101).flags).toContain('PANIC');
    const [raised] = (await events('dispatch.alert.raised', res.incident.id)).map((p) => AlertRaised.parse(p));
    expect(raised).toMatchObject({ kind: 'panic', incidentId: res.incident.id, unitId: alm101, nearestUnitIds: res.nearestUnitIds, escalateTo: 'supervisor' });
    const alerts = ok(await as('dispatcher', 'GET', '/api/v1/alerts?kind=panic')).items;
    expect(alerts[0]).toMatchObject({ id: res.alertId, kind: 'panic', incidentId: res.incident.id, unitId: alm101 });
    // Someone else's unit: not the officer's to press.
    problem(await as('officer', 'POST', `/api/v1/units/${helper}/panic`), 403, 'dispatch.not_crew');
    // When the incident ends, the flag goes.
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${res.incident.id}/transitions`, { to: 'CANCELLED', note: 'False alarm, pressed by mistake' }));
    expect(ok(await as('officer', 'GET', '/api/v1/units/mine')).unit.flags).not.toContain('PANIC');
    // And the helpers are called off.
    expect((await mine2()).assist).toEqual([]);
  });

  it('panic is never refused: the device’s own fix is used, and a unit that never reported a position still raises the alarm', async () => {
    const alm101 = await unitByCallSign('ALM-101');
    // The tablet sends its fix: the incident is there, not at the last telemetry position.
    const here = north(ALMALY, 800);
    const withFix = ok(await as('officer', 'POST', `/api/v1/units/${alm101}/panic`, { position: here }), 201);
    expect(withFix.incident.location).toEqual(here);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${withFix.incident.id}/transitions`, { to: 'CANCELLED', note: 'Test of the panic with a fix' }));
    // A fix gone wrong (out of range) is not a reason to refuse the alarm: the last known position is used.
    const badFix = ok(await as('officer', 'POST', `/api/v1/units/${alm101}/panic`, { position: { lon: 200, lat: 0 } }), 201);
    expect(badFix.incident.location).toEqual(ALMALY);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${badFix.incident.id}/transitions`, { to: 'CANCELLED', note: 'Test of a panic with a bad fix' }));
    // A badge that says JSON and sends nothing, half a body, or an array: the alarm all the same, at the last position.
    const json = { 'content-type': 'application/json' };
    for (const payload of ['', '{"position": {"lon": 76.9', '[1, 2]']) {
      const res = await as('officer', 'POST', `/api/v1/units/${alm101}/panic`, payload, json);
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(201);
      const sent = res.json();
      expect(sent.incident.location).toEqual(ALMALY);
      ok(await as('dispatcher', 'POST', `/api/v1/incidents/${sent.incident.id}/transitions`, { to: 'CANCELLED', note: 'Test of a panic with a broken body' }));
    }
    // Elsewhere a malformed body is still refused.
    const other = await as('operator', 'POST', '/api/v1/incidents', '{"category":', json);
    expect(other.statusCode).toBe(400);
    // A unit that has never sent a position and whose device has no fix: the alarm is raised all the same.
    const blind = ok(await as('dispatcher', 'POST', '/api/v1/units', { callSign: 'NO-FIX-1', type: 'FOOT_PATROL', homeKato: '751110000', crew: ['officer'] }), 201);
    const incidents = await count('dispatch_incident');
    const res = ok(await as('officer', 'POST', `/api/v1/units/${blind.id}/panic`), 201);
    expect(res).toMatchObject({ incident: null, nearestUnitIds: [] });
    expect(await count('dispatch_incident')).toBe(incidents);
    const [raised] = (await events('dispatch.alert.raised', blind.id)).map((p) => AlertRaised.parse(p));
    expect(raised).toMatchObject({ alertId: res.alertId, kind: 'panic', incidentId: null, unitId: blind.id });
    const alerts = ok(await as('dispatcher', 'GET', '/api/v1/alerts?kind=panic')).items;
    expect(alerts.find((a: { id: string }) => a.id === res.alertId)).toMatchObject({ incidentId: null, unitId: blind.id, data: { positionUnknown: true, callSign: 'NO-FIX-1' } });
    const flags = async () => (ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items.find((u: { id: string }) => u.id === blind.id) as { flags: string[] }).flags;
    expect(await flags()).toContain('PANIC');
    expect(await count('kernel_audit', "action = 'unit.panic' and entity_id = $1", [blind.id])).toBe(1);
    // The operator reaches the crew and answers the alarm: the flag goes (no incident to end).
    ok(await as('dispatcher', 'POST', `/api/v1/alerts/${res.alertId}/acknowledge`));
    expect(await flags()).not.toContain('PANIC');
  });

  // ---- jurisdictions ------------------------------------------------------------------------------------------
  it('an Astana unit and incident are invisible to the Almaty dispatcher', async () => {
    const astana = await raiseIncident(server.kernel, { source: 'protection', category: 'domestic-violence', location: ASTANA, externalRef: 'order-7:violation-1' });
    expect(astana.kato?.startsWith('71')).toBe(true);
    const queue = ok(await as('dispatcher', 'GET', '/api/v1/incidents?limit=200')).items;
    expect(queue.map((i: { id: string }) => i.id)).not.toContain(astana.incidentId);
    expect(queue.every((i: { kato: string }) => i.kato.startsWith('75'))).toBe(true);
    problem(await as('dispatcher', 'GET', `/api/v1/incidents/${astana.incidentId}`), 403, 'outside_jurisdiction');
    problem(await as('dispatcher', 'GET', `/api/v1/incidents/${astana.incidentId}/eido`), 403, 'outside_jurisdiction');
    const ast101 = await unitByCallSign('AST-101');
    const units = ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items;
    expect(units.map((u: { id: string }) => u.id)).not.toContain(ast101);
    problem(await as('dispatcher', 'POST', `/api/v1/incidents/${lifecycleIncident}/assignments`, { unitId: ast101 }), 403, 'outside_jurisdiction');
    problem(await as('dispatcher', 'POST', `/api/v1/units/${ast101}/status`, { status: 'BUSY' }), 403, 'outside_jurisdiction');
    // The officer sees only Almaly; the supervisor sees everything.
    const officerQueue = ok(await as('officer', 'GET', '/api/v1/incidents?limit=200')).items;
    expect(officerQueue.every((i: { kato: string }) => i.kato.startsWith('751110'))).toBe(true);
    expect(ok(await as('supervisor', 'GET', '/api/v1/incidents?limit=200')).items.map((i: { id: string }) => i.id)).toContain(astana.incidentId);
    problem(await as('operator', 'POST', '/api/v1/incidents', { category: 'theft', location: ASTANA }), 403, 'outside_jurisdiction');
  });

  it('a report placed only by its address is an approximate incident until the operator puts it where it is', async () => {
    // The gazetteer placed «Алмалинский район» inside the district: the console must not treat it as the spot.
    const r = await submitReport({ category: 'theft', location: ALMALY, locationPrecision: 'district', address: 'Алматы, Алмалинский район' });
    const id = await incidentOfReport(r.reportId);
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${id}`))).toMatchObject({ locationPrecision: 'district', kato: '751110000' });
    expect((await incidentChanges(id))[0].locationPrecision).toBe('district');

    // Refusals change nothing: outside Kazakhstan (400), into a jurisdiction the operator does not cover (403).
    const timeline = await count('dispatch_timeline', 'incident_id = $1', [id]);
    const bad = problem(await as('dispatcher', 'POST', `/api/v1/incidents/${id}/location`, { location: { lon: 74.5698, lat: 42.8746 } }, { 'accept-language': 'ru' }), 400, 'validation_failed');
    expect(bad.errors?.[0]).toMatchObject({ path: 'body.location', code: 'outside_kazakhstan', message: 'Точка находится за пределами Казахстана.' });
    problem(await as('dispatcher', 'POST', `/api/v1/incidents/${id}/location`, { location: ASTANA }), 403, 'outside_jurisdiction');
    expect(await count('dispatch_timeline', 'incident_id = $1', [id])).toBe(timeline);

    // The caller was called back: Bostandyk district, Timiryazev street — another district of the same city.
    const spot = { lon: 76.9064, lat: 43.2265 };
    const moved = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${id}/location`, { location: spot, address: 'ул. Тимирязева, 42', note: 'уточнено по телефону' }));
    expect(moved).toMatchObject({ location: spot, locationPrecision: 'point', kato: '751410000', address: 'ул. Тимирязева, 42' });
    const step = moved.timeline.at(-1);
    expect(step).toMatchObject({ kind: 'relocated', note: 'уточнено по телефону' });
    expect(step.data.from).toMatchObject({ precision: 'district', kato: '751110000', address: 'Алматы, Алмалинский район' });
    expect((await incidentChanges(id)).at(-1)).toMatchObject({ location: spot, locationPrecision: 'point', kato: '751410000' });
    expect(await count('kernel_audit', "action = 'incident.relocated' and entity_id = $1", [id])).toBe(1);
    // Recommendations are now measured from the real spot.
    ok(await as('dispatcher', 'GET', `/api/v1/incidents/${id}/recommendations`));

    // A finished incident keeps its place; an officer (no dispatch:write) cannot move one.
    problem(await as('officer', 'POST', `/api/v1/incidents/${id}/location`, { location: ALMALY }), 403, 'forbidden');
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${id}/transitions`, { to: 'CANCELLED', note: 'ложный вызов' }));
    const finished = problem(await as('dispatcher', 'POST', `/api/v1/incidents/${id}/location`, { location: spot }, { 'accept-language': 'kk' }), 409, 'dispatch.incident_finished');
    expect(finished.title).toBe('Оқиға аяқталған');
  });

  it('finds an address a caller gives, offline, with how precisely it is known; staff only', async () => {
    const found = ok(await as('operator', 'GET', `/api/v1/geocode?q=${encodeURIComponent('Алматы, Бостандыкский район')}`));
    expect(found).toMatchObject({ found: true, reason: null, place: { precision: 'district', kato: '751410000', label: 'Бостандыкский, Алматы' } });
    expect(ok(await as('operator', 'GET', `/api/v1/geocode?q=${encodeURIComponent('Есильский район')}`))).toEqual({ found: false, reason: 'ambiguous', place: null });
    expect(ok(await as('operator', 'GET', `/api/v1/geocode?q=${encodeURIComponent('ул. Несуществующая, 5')}`))).toEqual({ found: false, reason: 'not_found', place: null });
    problem(await as('operator', 'GET', '/api/v1/geocode?q='), 400, 'validation_failed');
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/geocode?q=Almaty' })).statusCode).toBe(401);
  });

  // ---- merge, link, EIDO, premise flags -----------------------------------------------------------------------
  it('merges a duplicate (reports move, REPLACED/REPLACING), links incidents, and exports a valid EIDO', async () => {
    const r = await submitReport({ category: 'hooliganism', priority: 'P3', location: north(ALMALY, 500) });
    const dup = await incidentOfReport(r.reportId);
    const merged = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${dup}/merge`, { into: reportIncident }));
    expect(merged.id).toBe(reportIncident);
    expect(merged.reportIds).toContain(r.reportId);
    expect(merged.mergedFrom).toEqual([dup]);
    const gone = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${dup}`));
    expect(gone).toMatchObject({ status: 'MERGED', mergedInto: reportIncident, reportIds: [] });
    const dupChanges = await incidentChanges(dup);
    expect(dupChanges.at(-1)).toMatchObject({ status: 'MERGED', mergedInto: reportIncident });
    expect((await incidentChanges(reportIncident)).at(-1)?.reportIds).toContain(r.reportId);
    problem(await as('dispatcher', 'POST', `/api/v1/incidents/${dup}/merge`, { into: reportIncident }), 409, 'dispatch.illegal_transition');
    // A later duplicate of the merged report finds the survivor.
    const late = await submitReport({ category: 'hooliganism', priority: 'P3', duplicateOf: r.reportId });
    expect(await incidentOfReport(late.reportId)).toBe(reportIncident);

    const linked = ok(await as('dispatcher', 'POST', `/api/v1/incidents/${reportIncident}/links`, { other: lifecycleIncident, kind: 'PARENT' }));
    expect(linked.links).toEqual([expect.objectContaining({ incidentId: lifecycleIncident, kind: 'PARENT' })]);
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${lifecycleIncident}`)).links).toEqual([expect.objectContaining({ incidentId: reportIncident, kind: 'CHILD' })]);

    const eido = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${lifecycleIncident}/eido`));
    const parsed = Eido.safeParse(eido);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(eido).toMatchObject({ EIDOVersion: '1.0', incidentTrackingIdentifier: `urn:emergency:uid:incidentid:${lifecycleIncident}:tartip.kz` });
    expect(eido.incidentComponent[0]).toMatchObject({ incidentTypeCommonRegistryText: 'DOMESTIC', incidentPriorityInternalText: 'P1', incidentStatusCommonRegistryText: 'Closed' });
    expect(eido.emergencyResourceComponent.map((r: { enforcementUnitName: string }) => r.enforcementUnitName)).toEqual(['ALM-101']);
    expect(eido.notesComponent.map((n: { notesActionComments: string }) => n.notesActionComments)).toContain('<p>Conflict settled; protocol drawn up</p>');
    expect(eido.linkComponent[0]).toMatchObject({ linkDirectionCode: 'CHILD' });
    const survivorEido = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${reportIncident}/eido`));
    expect(Eido.safeParse(survivorEido).success).toBe(true);
    expect(survivorEido.mergeComponent).toEqual([expect.objectContaining({ incidentMergeDirectionCode: 'REPLACING', incidentTrackingIdentification: `urn:emergency:uid:incidentid:${dup}:tartip.kz` })]);

    // A P1 folded into a less urgent incident makes the survivor P1 (its targets, its place in the queue).
    const minor = await incidentOfReport((await submitReport({ category: 'hooliganism', priority: 'P3', location: north(ALMALY, 540) })).reportId);
    const urgent = await incidentOfReport((await submitReport({ category: 'robbery', priority: 'P1', location: north(ALMALY, 520) })).reportId);
    expect(ok(await as('dispatcher', 'POST', `/api/v1/incidents/${urgent}/merge`, { into: minor })).priority).toBe('P1');
    const survivor = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${minor}`));
    expect(survivor.timeline.at(-1)).toMatchObject({ kind: 'merge', data: { from: urgent, priority: 'P1', previousPriority: 'P3' } });
    // The other way round, nothing changes: a P3 folded into a P1.
    const another = await incidentOfReport((await submitReport({ category: 'hooliganism', priority: 'P3', location: north(ALMALY, 1500) })).reportId);
    expect(ok(await as('dispatcher', 'POST', `/api/v1/incidents/${another}/merge`, { into: minor })).priority).toBe('P1');
  });

  it('premise flags within their radius show on the incident and with the recommendations, until they expire', async () => {
    const home = north(ALMALY, 2000);
    await flagPremise(server.kernel, {
      location: home,
      radiusM: 100,
      kind: 'protective_order',
      note: 'Protective order against the resident (to 2027)',
      expiresAt: new Date(clock.now().getTime() + 86_400_000).toISOString(),
      sourceModule: 'protection',
      sourceRef: 'order-7',
    });
    await flagPremise(server.kernel, { location: home, radiusM: 100, kind: 'weapons', note: 'Registered hunting rifle', expiresAt: null, sourceModule: 'cases', sourceRef: 'case-9' });
    await flagPremise(server.kernel, { location: home, radiusM: 100, kind: 'prior_violence', note: 'expired', expiresAt: new Date(clock.now().getTime() - 1000).toISOString(), sourceModule: 'cases', sourceRef: 'case-1' });
    const far = ok(await as('dispatcher', 'POST', '/api/v1/premise-flags', { location: north(ALMALY, 5000), radiusM: 50, kind: 'weapons', note: 'far away' }), 201);
    expect(far.kato).toMatch(/^75/);
    const inc = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'domestic-violence', location: north(home, 40) }), 201);
    expect(inc.premiseFlags.map((f: { kind: string; distanceM: number }) => [f.kind, f.distanceM])).toEqual([
      ['protective_order', 40],
      ['weapons', 40],
    ]);
    const recs = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}/recommendations`));
    expect(recs.premiseFlags).toHaveLength(2);
    // Updating by the same source reference replaces, not duplicates.
    await flagPremise(server.kernel, { location: home, radiusM: 10, kind: 'weapons', note: 'Rifle surrendered', expiresAt: null, sourceModule: 'cases', sourceRef: 'case-9' });
    expect(ok(await as('dispatcher', 'GET', `/api/v1/incidents/${inc.id}`)).premiseFlags.map((f: { kind: string }) => f.kind)).toEqual(['protective_order']);
  });

  it('an officer on the street creates an on-view incident: their unit is put on scene at once', async () => {
    const inc = ok(await as('officer', 'POST', '/api/v1/incidents', { category: 'drunk-driver', location: north(ALMALY, 100), note: 'Stopped a car' }), 201);
    expect(inc).toMatchObject({ source: 'field', status: 'ON_SCENE' });
    const tablet = ok(await as('officer', 'GET', '/api/v1/units/mine'));
    expect(tablet.unit.status).toBe('ON_SCENE');
    expect(tablet.incident.id).toBe(inc.id);
    ok(await as('officer', 'POST', `/api/v1/incidents/${inc.id}/transitions`, { to: 'CLEARED', note: 'Driver handed over' }));
    expect(ok(await as('officer', 'GET', '/api/v1/units/mine')).unit.status).toBe('AVAILABLE');
  });

  // ---- SLA timers on the ManualClock (last: moving time makes every unit stale) -------------------------------
  it('raises dispatch_overdue, unit_no_ack and unit_stale once each after the clock moves; alerts can be acknowledged', async () => {
    const waiting = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'robbery', location: north(ALMALY, 800) }), 201);
    const slow = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'assault', location: north(ALMALY, 900) }), 201);
    const helper = await unitByCallSign('PANIC-HELP');
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${slow.id}/assignments`, { unitId: helper }), 201);
    const alertsOf = async (kind: string) => ok(await as('supervisor', 'GET', `/api/v1/alerts?kind=${kind}&limit=200`)).items as { id: string; incidentId: string; unitId: string }[];
    await new Promise((r) => setTimeout(r, 300)); // a few timer runs at the same instant: nothing is due
    expect((await alertsOf('dispatch_overdue')).filter((a) => a.incidentId === waiting.id)).toEqual([]);

    clock.advance(61_000);
    const overdue = await waitFor('dispatch_overdue', async () => (await alertsOf('dispatch_overdue')).find((a) => a.incidentId === waiting.id));
    const noAck = await waitFor('unit_no_ack', async () => (await alertsOf('unit_no_ack')).find((a) => a.unitId === helper));
    expect(noAck.incidentId).toBe(slow.id);
    // The dispatcher of Almaty sees them too; the event went out once with the supervisor as escalation.
    expect(ok(await as('dispatcher', 'GET', '/api/v1/alerts?limit=200')).items.map((a: { id: string }) => a.id)).toContain(overdue.id);
    const raised = (await events('dispatch.alert.raised', waiting.id)).map((p) => AlertRaised.parse(p));
    expect(raised.map((a) => [a.kind, a.escalateTo])).toEqual([['dispatch_overdue', 'supervisor']]);

    clock.advance(120_000);
    const alm102 = await unitByCallSign('ALM-102');
    await waitFor('unit_stale', async () => (await alertsOf('unit_stale')).find((a) => a.unitId === alm102));
    const units = ok(await as('dispatcher', 'GET', '/api/v1/units?limit=200')).items;
    expect(units.find((u: { id: string }) => u.id === alm102).stale).toBe(true);
    // Stale units are not recommended.
    const recs = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${waiting.id}/recommendations`));
    expect(recs.items.map((r: { unitId: string }) => r.unitId)).not.toContain(alm102);
    // Still once each, after many more runs.
    await new Promise((r) => setTimeout(r, 400));
    expect(await count('dispatch_alert', "kind = 'dispatch_overdue' and incident_id = $1", [waiting.id])).toBe(1);
    expect(await count('dispatch_alert', "kind = 'unit_stale' and unit_id = $1", [alm102])).toBe(1);

    // Nobody acknowledged the overdue dispatch for two minutes: it went to the supervisors, once; the stale unit's
    // alert, just raised, did not.
    const escalatedOverdue = await waitFor('escalation', async () =>
      (ok(await as('supervisor', 'GET', '/api/v1/alerts?kind=dispatch_overdue&limit=200')).items as { id: string; escalatedAt: string | null }[]).find(
        (a) => a.id === overdue.id && a.escalatedAt,
      ),
    );
    expect(escalatedOverdue.escalatedAt).toBeTruthy();
    const [escalation] = (await events('dispatch.alert.escalated', waiting.id)).map((p) => AlertEscalated.parse(p));
    expect(escalation).toMatchObject({ alertId: overdue.id, kind: 'dispatch_overdue', escalateTo: 'supervisor' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await count('kernel_audit', "action = 'alert.escalated' and entity_id = $1", [overdue.id])).toBe(1);
    expect((ok(await as('supervisor', 'GET', '/api/v1/alerts?kind=unit_stale&limit=200')).items as { unitId: string; escalatedAt: string | null }[]).find((a) => a.unitId === alm102)?.escalatedAt).toBeNull();

    // A P1 whose unit was called off before it arrived waits again: it is overdue again a minute later, by its own alert.
    const requeued = ok(await as('operator', 'POST', '/api/v1/incidents', { category: 'robbery', location: north(ALMALY, 950) }), 201);
    const diverted = ok(await as('dispatcher', 'POST', '/api/v1/units', { callSign: 'ALM-903', type: 'PATROL_CAR', homeKato: '751110000', crew: [] }), 201).id as string;
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${requeued.id}/assignments`, { unitId: diverted }), 201);
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${requeued.id}/transitions`, { to: 'PENDING', note: 'ALM-903 diverted' }));
    await new Promise((r) => setTimeout(r, 300));
    expect((await alertsOf('dispatch_overdue')).filter((a) => a.incidentId === requeued.id)).toEqual([]);
    clock.advance(61_000);
    await waitFor('dispatch_overdue after the requeue', async () => (await alertsOf('dispatch_overdue')).find((a) => a.incidentId === requeued.id));
    expect(await count('dispatch_alert', "kind = 'dispatch_overdue' and incident_id = $1 and condition_key like $2", [requeued.id, `dispatch_overdue:${requeued.id}:%`])).toBe(1);
    // Sent again: the alert closes by itself (nobody has to acknowledge what is done; it does not go to the supervisors).
    ok(await as('dispatcher', 'POST', `/api/v1/incidents/${requeued.id}/assignments`, { unitId: diverted }), 201);
    await waitFor('the requeue alert to resolve', async () =>
      (await server.kernel.db.query<{ by: string | null }>("select acknowledged_by as by from dispatch_alert where incident_id = $1 and kind = 'dispatch_overdue'", [requeued.id]))[0]?.by === 'system:resolved' || undefined,
    );
    expect((await alertsOf('dispatch_overdue')).map((a) => a.incidentId)).not.toContain(requeued.id);
    expect(await count('kernel_audit', "action = 'alert.resolved' and data->>'kind' = 'dispatch_overdue'")).toBeGreaterThanOrEqual(1);
    // The first incident still waits: its alert stays open.
    expect((await alertsOf('dispatch_overdue')).map((a) => a.id)).toContain(overdue.id);

    const acked = ok(await as('dispatcher', 'POST', `/api/v1/alerts/${overdue.id}/acknowledge`));
    expect(acked).toMatchObject({ acknowledgedBy: 'user:dispatcher' });
    expect((await alertsOf('dispatch_overdue')).map((a) => a.id)).not.toContain(overdue.id);
    problem(await as('supervisor', 'POST', `/api/v1/alerts/${overdue.id}/acknowledge`), 409, 'dispatch.already_acknowledged');
  });
});
