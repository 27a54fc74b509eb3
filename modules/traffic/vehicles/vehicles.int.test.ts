/**
 * The vehicles part through the whole application: the register over HTTP (validation, localised problems, audit,
 * import), ownerOf, «Қорғау» from violation events, and the three read observers (flagged vehicles → dispatch
 * incidents, cloned plates, unregistered mopeds) fed with reads as the pipeline gives them. PGlite + memory bus,
 * or PostgreSQL + NATS when the test URLs are set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../../apps/server/src/modules.ts';
import type { BusEvent } from '../../../packages/kernel/src/bus/types.ts';
import { ManualClock } from '../../../packages/kernel/src/clock.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import { backendName } from '../../../packages/kernel/src/testing.ts';
import type { PlateRead } from '../contract.ts';
import type { ViolationChanged } from '../events.ts';
import { MemorySink, type PartsServer, partsServer, waitFor } from './harness.ts';
import { ownerOf, vehiclesPart } from './index.ts';
import { computePlateScores, handleViolationEvent, refreshAllScores } from './korgau.ts';
import { cloneObserver, flaggedObserver, mopedObserver } from './observers.ts';
import { vehiclesRuntime } from './runtime.ts';
import { ok, problem } from '../../../apps/server/src/testing.ts';

const ASTANA = { lon: 71.4304, lat: 51.1282 };
/** The demo ANPR gateway (scope traffic:ingest) and a demo camera the traffic module seeds (modules/traffic/seed.ts). */
const GATEWAY_KEY = 'tk_camera_anpr_demo_Qw3eR6tY9uI2oP5aS8dF1g';
const DEMO_CAMERA = 'AST-A1-KM0-N';
const COMPOSED = MODULES.some((m) => m.name === 'traffic');
const KARAGANDA = { lon: 73.1022, lat: 49.8047 };
const IIN_A = '850501300129';
const IIN_B = '850501300011';
const BIN = '050140001238';


const vehicle = (plate: string, extra: Record<string, unknown> = {}) => ({
  plate,
  class: 'car',
  make: 'Toyota',
  model: 'Camry',
  owner: { name: 'Ахметов Ерлан', iin: IIN_A, address: 'Астана, ул. Кенесары, 1' },
  insuranceValidUntil: '2027-12-31',
  ...extra,
});

describe(`traffic vehicles on ${backendName}`, () => {
  const clock = new ManualClock(new Date('2026-06-01T09:00:00Z'));
  let server: PartsServer;
  const as = (user: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.as(user, { method, url, payload: payload as never, headers });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const audits = (action: string) => count('kernel_audit', 'action = $1', [action]);
  let readSeq = 0;
  const read = (plate: string, place: { lon: number; lat: number }, minutes: number, extra: Partial<PlateRead> = {}): PlateRead => ({
    id: newId(),
    cameraId: `cam-${place.lon}`,
    plate,
    plateRaw: plate,
    country: 'KZ',
    vehicleClass: 'car',
    at: new Date(clock.now().getTime() + minutes * 60_000 + readSeq++).toISOString(),
    lon: place.lon,
    lat: place.lat,
    speedKmh: null,
    clockInSync: true,
    imageUrl: null,
    ...extra,
  });
  const violationEvent = (v: Partial<ViolationChanged> & { violationId: string; plate: string }): BusEvent => ({
    id: newId(),
    subject: 'traffic.violation.confirmed',
    occurredAt: clock.now().toISOString(),
    jurisdiction: null,
    permission: 'traffic:read',
    data: {
      kind: 'average-speed',
      status: 'CONFIRMED',
      at: clock.now().toISOString(),
      cameraId: null,
      sectionId: null,
      kato: null,
      speedKmh: 150,
      limitKmh: 110,
      part: '592 ч.2',
      penalty: 'fine',
      noticeNumber: null,
      paymentDueAt: null,
      paidAt: null,
      changedAt: clock.now().toISOString(),
      ...v,
    } satisfies ViolationChanged,
  });

  beforeAll(async () => {
    server = await partsServer([vehiclesPart], { clock, env: { TARTIP_TRAFFIC_FLAGGED_COOLDOWN_S: '600', TARTIP_TRAFFIC_SCORE_REFRESH_S: '0' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('the register', () => {
    it('registers a vehicle with its plate folded as cameras fold it, audited and published', async () => {
      const body = ok(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('001 АВС 01')), 201);
      expect(body).toMatchObject({ plate: '001ABC01', country: 'KZ', class: 'car', insured: true, wanted: null, owner: { kind: 'person', iin: IIN_A }, createdBy: 'user:traffic' });
      expect(await audits('vehicle.registered')).toBe(1);
      const [e] = await server.kernel.db.query<{ payload: Record<string, unknown> }>(`select payload from kernel_outbox where subject = 'traffic.vehicle.registered' and key = '001ABC01'`);
      expect(e.payload).toMatchObject({ plate: '001ABC01', wanted: false });
      expect(JSON.stringify(e.payload)).not.toContain(IIN_A); // no personal data on the stream
    });

    it('refuses bad input with localised field errors and stores nothing', async () => {
      const before = await count('traffic_vehicle');
      const auditsBefore = await count('kernel_audit');
      const bad = await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('002ABC01', { owner: { name: 'X', iin: '850501300128', address: 'Y' } }), { 'accept-language': 'en' });
      const p = problem(bad, 400, 'validation_failed');
      expect(p.errors).toEqual([{ path: 'body.owner.iin', code: 'iin_checksum', message: 'The ИИН/БИН check digit is wrong.' }]);
      const kk = problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('12#AB02'), { 'accept-language': 'kk' }), 400, 'validation_failed');
      expect(kk.errors[0]).toMatchObject({ path: 'body.plate', code: 'plate_format' });
      expect(kk.errors[0].message).toMatch(/мемлекеттік нөмір/);
      const extra = problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles', { ...vehicle('003ABC01'), colour: 'red', engine: 'v8', class: 'tank' }), 400, 'validation_failed');
      expect(extra.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.class', 'body.engine']);
      const wanted = problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('004ABC01', { wanted: { reason: 'угон' } })), 400, 'validation_failed');
      expect(wanted.errors[0].path).toBe('body.wanted.basis');
      expect(await count('traffic_vehicle')).toBe(before);
      expect(await count('kernel_audit')).toBe(auditsBefore);
    });

    it('answers a second registration of the plate (any spelling) with a localised 409', async () => {
      const p = problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('001abc01'), { 'accept-language': 'ru' }), 409, 'traffic.vehicle_exists');
      expect(p.detail).toContain('001ABC01');
      expect(p.title).toBe('Транспортное средство уже зарегистрировано');
    });

    it('lists and reads with owners’ data, each read audited; refuses roles without traffic:read', async () => {
      ok(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('389BK01', { owner: { kind: 'organisation', name: 'ТОО «Жол»', iin: BIN, address: 'Астана' } })), 201);
      const list = ok(await as('traffic', 'GET', '/api/v1/traffic/vehicles?limit=1'));
      expect(list.items.map((v: { plate: string }) => v.plate)).toEqual(['001ABC01']);
      const next = ok(await as('traffic', 'GET', `/api/v1/traffic/vehicles?limit=1&cursor=${list.nextCursor}`));
      expect(next.items[0]).toMatchObject({ plate: '389BK01', owner: { kind: 'organisation', iin: BIN } });
      expect(ok(await as('traffic', 'GET', `/api/v1/traffic/vehicles?ownerIin=${BIN}`)).items).toHaveLength(1);
      expect(ok(await as('traffic', 'GET', '/api/v1/traffic/vehicles?plate=389%20ВК%2001')).items).toHaveLength(1);
      expect(await audits('vehicle.list.read')).toBe(4);
      ok(await as('traffic', 'GET', '/api/v1/traffic/vehicles/001-abc-01'));
      expect(await audits('vehicle.read')).toBe(1);
      problem(await as('traffic', 'GET', '/api/v1/traffic/vehicles/999ZZZ01'), 404, 'not_found');
      problem(await as('operator', 'GET', '/api/v1/traffic/vehicles'), 403, 'forbidden');
      problem(await as('supervisor', 'POST', '/api/v1/traffic/vehicles', vehicle('005ABC01')), 403, 'forbidden');
    });

    it('ownerOf finds the owner by any spelling of the plate, audited with its purpose; null when unregistered', async () => {
      const o = await ownerOf(server.kernel, '001 авс 01', { actor: 'system:traffic.notices', purpose: 'violation:42' });
      expect(o).toMatchObject({ plate: '001ABC01', owner: { name: 'Ахметов Ерлан', iin: IIN_A, address: 'Астана, ул. Кенесары, 1' }, insuranceValidUntil: '2027-12-31' });
      const [a] = await server.kernel.db.query<{ actor: string; data: unknown }>(`select actor, data from kernel_audit where action = 'vehicle.owner.read'`);
      expect(a).toMatchObject({ actor: 'system:traffic.notices', data: { purpose: 'violation:42' } });
      expect(await ownerOf(server.kernel, '999ZZZ01')).toBeNull();
    });

    it('answers the notice code’s owner lookup (contract OwnerLookup) from the register, audited', async () => {
      const lookup = vehiclesPart.ownerLookup?.(server.kernel);
      expect(lookup).toBeDefined();
      const r = await lookup?.ownerOf('389 ВК 01', '2026-05-31T10:00:00Z');
      expect(r).toEqual({ owner: { kind: 'organisation', name: 'ТОО «Жол»', idNumber: BIN, address: 'Астана' }, vehicle: { make: 'Toyota', model: 'Camry', colour: null, vehicleClass: 'car' } });
      expect(await lookup?.ownerOf('999ZZZ01', '2026-05-31T10:00:00Z')).toBeNull();
      const [a] = await server.kernel.db.query<{ actor: string; entity_id: string }>(`select actor, entity_id from kernel_audit where action = 'vehicle.owner.read' order by seq desc limit 1`);
      expect(a).toEqual({ actor: 'system:traffic.notices', entity_id: '389BK01' });
    });

    it('sets and clears the wanted flag; the flagged set follows at once', async () => {
      const { flagged } = vehiclesRuntime(server.kernel);
      const set = ok(await as('traffic', 'PATCH', '/api/v1/traffic/vehicles/001ABC01', { wanted: { reason: 'угон', basis: 'УД № 251000123' } }));
      expect(set.wanted).toMatchObject({ reason: 'угон', basis: 'УД № 251000123' });
      expect(flagged.get('001ABC01')).toMatchObject({ wantedReason: 'угон' });
      expect(await audits('vehicle.wanted_set')).toBe(1);
      const cleared = ok(await as('traffic', 'PATCH', '/api/v1/traffic/vehicles/001ABC01', { wanted: null, insuranceValidUntil: '2028-01-01' }));
      expect(cleared).toMatchObject({ wanted: null, insuranceValidUntil: '2028-01-01' });
      expect(flagged.get('001ABC01')?.wantedReason ?? null).toBeNull();
      problem(await as('traffic', 'PATCH', '/api/v1/traffic/vehicles/001ABC01', { owner: { name: 'B', iin: '850501300128', address: 'C' } }), 400, 'validation_failed');
      problem(await as('traffic', 'PATCH', '/api/v1/traffic/vehicles/404ABC01', { colour: 'white' }), 404, 'not_found');
    });

    it('imports NDJSON and CSV all or nothing, upserting by plate', async () => {
      const nd = [
        JSON.stringify(vehicle('100AAA01', { owner: { name: 'Б', iin: IIN_B, address: 'Астана' } })),
        '',
        JSON.stringify(vehicle('101AAA01', { class: 'moped', wanted: { reason: 'угон', basis: 'УД 1' } })),
      ].join('\n');
      const r = ok(await as('traffic', 'POST', '/api/v1/traffic/vehicles/import', nd, { 'content-type': 'application/x-ndjson' }));
      expect(r).toMatchObject({ created: 2, updated: 0, wantedSet: [{ plate: '101AAA01', reason: 'угон' }], wantedCleared: [] });
      expect(vehiclesRuntime(server.kernel).flagged.get('101AAA01')).toMatchObject({ wantedReason: 'угон' });

      const before = await count('traffic_vehicle');
      const badLine = [JSON.stringify(vehicle('102AAA01')), JSON.stringify(vehicle('103AAA01', { owner: { name: 'Б', iin: '850501300128', address: 'А' } }))].join('\n');
      const p = problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles/import', badLine, { 'content-type': 'application/x-ndjson', 'accept-language': 'en' }), 400, 'validation_failed');
      expect(p.errors).toEqual([{ path: 'line.2.owner.iin', code: 'iin_checksum', message: 'The ИИН/БИН check digit is wrong.' }]);
      expect(await count('traffic_vehicle')).toBe(before);

      const csv = [
        'plate,class,owner_name,owner_iin,owner_address,insurance_valid_until,wanted_reason,wanted_basis',
        `101AAA01,moped,"Ахметов, Е.",${IIN_A},Астана,2027-01-01,,`,
        `104AAA01,truck,ТОО,${IIN_A},Астана,,,`,
      ].join('\n');
      const c = ok(await as('traffic', 'POST', '/api/v1/traffic/vehicles/import', csv, { 'content-type': 'text/csv' }));
      expect(c).toMatchObject({ created: 1, updated: 1, wantedSet: [], wantedCleared: ['101AAA01'] });
      expect(vehiclesRuntime(server.kernel).flagged.get('101AAA01')).toBeUndefined();
      const [v] = await server.kernel.db.query<{ owner_name: string; wanted: boolean }>(`select owner_name, wanted from traffic_vehicle where plate = '101AAA01'`);
      expect(v).toEqual({ owner_name: 'Ахметов, Е.', wanted: false });
      expect(await audits('vehicle.imported')).toBe(2);
      // a JSON body is not an import file
      problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles/import', { plate: 'x' }), 400, 'validation_failed');
      problem(await as('traffic', 'POST', '/api/v1/traffic/vehicles/import', 'plate,class\n', { 'content-type': 'text/csv' }), 400, 'validation_failed');
    });
  });

  describe('«Қорғау»', () => {
    it('scores from confirmed violations only, explains each item in the caller’s language, and flags at the threshold', async () => {
      const { flagged } = vehiclesRuntime(server.kernel);
      await handleViolationEvent(violationEvent({ violationId: 'v-pending', plate: '100AAA01', status: 'PENDING', speedKmh: 190 }), server.kernel);
      expect(await count('traffic_score', `subject = '100AAA01'`)).toBe(0);
      // +40 (4 points) and +20 (2 points): 6, below the threshold 8
      await handleViolationEvent(violationEvent({ violationId: 'v1', plate: '100AAA01', speedKmh: 150 }), server.kernel);
      await handleViolationEvent(violationEvent({ violationId: 'v2', plate: '100AAA01', kind: 'spot-speed', speedKmh: 82, limitKmh: 60 }), server.kernel);
      let s = ok(await as('traffic', 'GET', '/api/v1/traffic/korgau/100AAA01', undefined, { 'accept-language': 'en' }));
      expect(s).toMatchObject({ score: 6, flagged: false, registered: true, alerting: false });
      expect(s.items.map((i: { text: string }) => i.text)).toEqual([
        'Speeding: 150 km/h where 110 is allowed (+40, art. 592 ч.3) — 4 of 4 points',
        'Speeding: 82 km/h where 60 is allowed (+22, art. 592 ч.2) — 2 of 2 points',
      ]);
      // the same event again changes nothing (exactly once per event)
      const e3 = violationEvent({ violationId: 'v3', plate: '100AAA01', kind: 'red-light', speedKmh: null, limitKmh: null });
      await handleViolationEvent(e3, server.kernel);
      await handleViolationEvent(e3, server.kernel);
      s = ok(await as('traffic', 'GET', '/api/v1/traffic/korgau/100AAA01', undefined, { 'accept-language': 'ru' }));
      expect(s).toMatchObject({ score: 8, flagged: true, alerting: true });
      expect(s.items.map((i: { code: string }) => i.code)).toEqual(['speeding', 'speeding', 'red_light']);
      expect(s.items[2].text).toBe('Проезд на красный свет — 2 из 2 баллов');
      expect(flagged.get('100AAA01')).toMatchObject({ score: 8 });
      expect(await count('kernel_audit', `action = 'korgau.flagged' and entity_id = '100AAA01'`)).toBe(1);
      const [changed] = await server.kernel.db.query<{ payload: unknown }>(`select payload from kernel_outbox where subject = 'traffic.korgau.changed' and key = '100AAA01'`);
      expect(changed.payload).toMatchObject({ plate: '100AAA01', score: 8, flagged: true, threshold: 8 });

      // rejected on review: the red light no longer counts, the flag comes off
      await handleViolationEvent(violationEvent({ violationId: 'v3', plate: '100AAA01', kind: 'red-light', status: 'REJECTED' }), server.kernel);
      expect(flagged.get('100AAA01')).toBeUndefined();
      expect(await count('kernel_audit', `action = 'korgau.unflagged' and entity_id = '100AAA01'`)).toBe(1);
    });

    it('decays with time (half-life 180 days); the periodic refresh stores it, one process at a time', async () => {
      const stored = async () => (await server.kernel.db.query<{ score: number }>(`select score from traffic_score where subject_kind = 'plate' and subject = '100AAA01'`))[0]?.score;
      clock.advance(180 * 86_400_000);
      try {
        const s = (await computePlateScores(server.kernel, server.kernel.db, ['100AAA01'])).get('100AAA01');
        expect(s?.score).toBe(3);
        // another process holds the refresh lease: this one leaves the job to it
        await server.kernel.db.query(`insert into traffic_job_lease (name, holder, until) values ('korgau.refresh', 'other', $1)`, [new Date(clock.now().getTime() + 60_000).toISOString()]);
        expect(await refreshAllScores(server.kernel)).toBe(0);
        expect(await stored()).toBe(6);
        // its lease runs out: this process takes over
        clock.advance(120_000);
        expect(await refreshAllScores(server.kernel)).toBeGreaterThan(0);
        expect(await stored()).toBe(3);
      } finally {
        clock.set(new Date('2026-06-01T09:00:00Z'));
        await refreshAllScores(server.kernel);
      }
      expect(await stored()).toBe(6);
    });

    it('lists the highest scores first and people by ИИН (audited), with explanations', async () => {
      await handleViolationEvent(violationEvent({ violationId: 'v4', plate: '104AAA01', kind: 'drunk-driving', speedKmh: null, limitKmh: null }), server.kernel);
      const list = ok(await as('traffic', 'GET', '/api/v1/traffic/korgau?limit=1', undefined, { 'accept-language': 'en' }));
      expect(list.items.map((i: { subject: string }) => i.subject)).toEqual(['104AAA01']);
      // 104AAA01: drunk driving 10 + no insurance on record 2
      expect(list.items[0]).toMatchObject({ score: 12, flagged: true });
      expect(list.items[0].items.map((i: { text: string }) => i.text)).toEqual(['Drunk driving — 10 of 10 points', 'No valid compulsory insurance on 104AAA01 (valid until: —) — 2 points']);
      const next = ok(await as('traffic', 'GET', `/api/v1/traffic/korgau?limit=1&cursor=${list.nextCursor}`));
      expect(next.items.map((i: { subject: string; score: number }) => [i.subject, i.score])).toEqual([['100AAA01', 6]]);
      expect(next.nextCursor).toBeNull();
      const people = ok(await as('traffic', 'GET', '/api/v1/traffic/korgau?kind=person'));
      // IIN_A owns 001ABC01, 101AAA01 (moped), 104AAA01: the drunk driving counts for the owner
      expect(people.items.find((i: { subject: string }) => i.subject === IIN_A)?.score).toBeGreaterThanOrEqual(10);
      expect(await audits('korgau.persons.read')).toBe(1);
      const person = ok(await as('traffic', 'GET', `/api/v1/traffic/korgau/persons/${IIN_B}`));
      expect(person).toMatchObject({ kind: 'person', score: 6 });
      expect(await audits('korgau.person.read')).toBe(1);
      problem(await as('traffic', 'GET', '/api/v1/traffic/korgau/persons/850501300128'), 400, 'validation_failed');
    });
  });

  describe('read observers', () => {
    it('alerts the ops centre when a wanted vehicle passes a camera: one incident per read, a cooldown per plate', async () => {
      ok(await as('traffic', 'PATCH', '/api/v1/traffic/vehicles/389BK01', { wanted: { reason: 'угон', basis: 'УД № 7' } }));
      const sink = new MemorySink();
      const obs = flaggedObserver(server.kernel);
      const r1 = read('389BK01', ASTANA, 0);
      await obs.observe([read('777ZZZ01', ASTANA, 0), r1], sink);
      await obs.observe([r1], sink); // redelivered batch
      const incidents = await server.kernel.db.query<{ id: string; category: string; lon: number; lat: number; external_ref: string; description: string; kato: string }>(
        `select id, category, lon, lat, external_ref, description, kato from dispatch_incident where source = 'traffic'`,
      );
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({ category: 'camera-alert', lon: ASTANA.lon, lat: ASTANA.lat, external_ref: `read:${r1.id}` });
      expect(incidents[0].description).toContain('389BK01');
      expect(incidents[0].kato?.startsWith('71')).toBe(true);
      expect(await count('traffic_flagged_sighting')).toBe(1);
      // seen again 5 minutes later: recorded and published, no second incident; 11 minutes after: a new one
      await obs.observe([read('389BK01', KARAGANDA, 5)], sink);
      await obs.observe([read('389BK01', KARAGANDA, 16)], sink);
      expect(await count('dispatch_incident', `source = 'traffic'`)).toBe(2);
      expect(await count('traffic_flagged_sighting')).toBe(3);
      expect(await count('kernel_outbox', `subject = 'traffic.flagged.seen'`)).toBe(3);
      const seen = ok(await as('traffic', 'GET', '/api/v1/traffic/flagged-sightings?plate=389BK01'));
      // the Astana officer sees the Astana sighting only
      expect(seen.items).toHaveLength(1);
      expect(seen.items[0]).toMatchObject({ reason: 'wanted', incidentId: incidents[0].id });
      expect(sink.filed).toEqual([]);
    });

    it('alerts on a vehicle whose score is over the threshold as dangerous driving', async () => {
      const r = read('104AAA01', ASTANA, 30);
      await flaggedObserver(server.kernel).observe([r], new MemorySink());
      const [inc] = await server.kernel.db.query<{ category: string }>(`select category from dispatch_incident where source = 'traffic' and external_ref = $1`, [`read:${r.id}`]);
      expect(inc.category).toBe('dangerous-driving');
    });

    it('finds cloned plates (in-sync clocks only), stores the finding once and feeds it to the score', async () => {
      const obs = cloneObserver(server.kernel);
      const sink = new MemorySink();
      // Astana → Karaganda (≈ 190 km) in 20 minutes by an unsynced camera: ignored
      await obs.observe([read('555CLN01', ASTANA, 0), read('555CLN01', KARAGANDA, 20, { clockInSync: false })], sink);
      expect(await count('traffic_clone_finding')).toBe(0);
      const a = read('555CLN01', ASTANA, 40);
      const b = read('555CLN01', KARAGANDA, 60);
      await obs.observe([a, b], sink);
      const [f] = await server.kernel.db.query<{ plate: string; first_read_id: string; second_read_id: string; distance_m: number; implied_speed_kmh: number }>('select * from traffic_clone_finding');
      expect(f).toMatchObject({ plate: '555CLN01', first_read_id: a.id, second_read_id: b.id });
      expect(f.distance_m).toBeGreaterThan(180_000);
      expect(f.implied_speed_kmh).toBeGreaterThan(250);
      const list = ok(await as('traffic', 'GET', '/api/v1/traffic/clones?plate=555CLN01'));
      expect(list.items).toHaveLength(1);
      const s = ok(await as('traffic', 'GET', '/api/v1/traffic/korgau/555CLN01', undefined, { 'accept-language': 'en' }));
      expect(s).toMatchObject({ registered: false, score: 5 });
      expect(s.items[0].text).toMatch(/^Cloned plate: seen 1\d\d\.\d km apart, which would need \d+ km\/h — 5 of 5 points$/);
      expect(await count('kernel_outbox', `subject = 'traffic.clone.detected'`)).toBe(1);
      // a plausible drive (Karaganda → Astana in 3 hours) is no finding
      await obs.observe([read('555CLN01', ASTANA, 240)], sink);
      expect(await count('traffic_clone_finding')).toBe(1);
    });

    it('files unregistered mopeds through the sink: unknown plate once a day; registered, foreign or plateless never', async () => {
      const obs = mopedObserver(server.kernel);
      const sink = new MemorySink();
      const moped = (plate: string, minutes: number, extra: Partial<PlateRead> = {}) => read(plate, ASTANA, minutes, { vehicleClass: 'moped', country: null, ...extra });
      await obs.observe(
        [
          moped('01AB123', 0), // unregistered
          moped('01AB123', 5), // same plate, same day
          moped('101AAA01', 0), // registered as a moped
          moped('', 1), // no plate: not a read ANPR can judge
          moped('777KMX02', 3, { country: 'RU' }), // foreign
          moped('001ABC01', 4, { country: 'KZ' }), // a car's plate on a moped
          read('02AB123', ASTANA, 0), // a car, unregistered: not this rule
          moped('03AB123', 0, { at: '2025-04-04T12:00:00Z' }), // before the rule
        ],
        sink,
      );
      expect(sink.filed.map((v) => [v.plate, v.evidence.reason])).toEqual([
        ['01AB123', 'not_registered'],
        ['001ABC01', 'registered_as_other_class'],
      ]);
      expect(sink.filed[0]).toMatchObject({ kind: 'unregistered-moped', cameraId: `cam-${ASTANA.lon}`, sourceKey: 'unregistered-moped:01AB123:2026-06-01', evidence: { article: 'КоАП РК ст. 590 ч.2', fineMrp: 10 } });
    });

    it('keeps the flagged set current from other processes’ events', async () => {
      const { flagged } = vehiclesRuntime(server.kernel);
      await server.kernel.bus.publish({
        id: newId(),
        subject: 'traffic.vehicle.updated',
        occurredAt: clock.now().toISOString(),
        jurisdiction: null,
        permission: 'traffic:read',
        data: { plate: '888XYZ01', class: 'car', wanted: true, wantedReason: 'розыск', insuranceValidUntil: null, at: clock.now().toISOString() },
      });
      await waitFor('flag from the bus', async () => flagged.get('888XYZ01'));
    });
  });

  describe.runIf(COMPOSED)('through the read pipeline (the composed traffic module)', () => {
    const ingest = (lines: object[]) =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/traffic/anpr-reads',
        headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'application/x-ndjson' },
        payload: lines.map((l) => JSON.stringify(l)).join('\n'),
      });

    it('a wanted vehicle read by a camera over HTTP becomes an incident near that camera', async () => {
      ok(await as('traffic', 'POST', '/api/v1/traffic/vehicles', vehicle('900 WNT 01', { wanted: { reason: 'угон', basis: 'УД № 9' } })), 201);
      const before = await count('dispatch_incident', `source = 'traffic'`);
      const at = new Date(clock.now().getTime() - 60_000).toISOString();
      const res = await ingest([{ camera: DEMO_CAMERA, plate: '900 wnt 01', at, vehicleClass: 'car' }]);
      expect(res.statusCode, res.body).toBeLessThan(300);
      const [s] = await server.kernel.db.query<{ read_id: string; incident_id: string; lon: number; lat: number }>(`select * from traffic_flagged_sighting where plate = '900WNT01'`);
      expect(s.incident_id).not.toBeNull();
      const [inc] = await server.kernel.db.query<{ lon: number; lat: number; external_ref: string }>('select lon, lat, external_ref from dispatch_incident where id = $1', [s.incident_id]);
      expect(inc).toMatchObject({ lon: s.lon, lat: s.lat, external_ref: `read:${s.read_id}` });
      expect(await count('dispatch_incident', `source = 'traffic'`)).toBe(before + 1);
    });

    it('an unregistered moped read over HTTP is filed as a violation in the one violation path', async () => {
      // after the demo cameras' clock-sync report (made when the server started): a read before it is not in sync
      clock.advance(120_000);
      const at = new Date(clock.now().getTime() - 30_000).toISOString();
      const res = await ingest([{ camera: DEMO_CAMERA, plate: '77AB777', at, vehicleClass: 'moped' }]);
      expect(res.statusCode, res.body).toBeLessThan(300);
      const [v] = await server.kernel.db.query<{ kind: string; plate: string; status: string; evidence: { reason: string } }>(
        `select kind, plate, status, evidence from traffic_violation where kind = 'unregistered-moped' and plate = '77AB777'`,
      );
      expect(v).toMatchObject({ kind: 'unregistered-moped', status: 'PENDING', evidence: { reason: 'not_registered' } });
    });
  });
});
