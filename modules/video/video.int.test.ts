/**
 * The video module through the whole application: cameras and silence alerts, the event intake (ours as JSON and
 * NDJSON, Frigate, CompreFace, Double Take, DeepStream; all-or-nothing batches; idempotency), plates forwarded to the
 * traffic module, face watchlists (restricted, audited) and matching, alerts confirmed into dispatch incidents,
 * retention of unmatched face events, abandoned objects by zone rule, traffic flow — and Frigate and ONVIF payloads
 * over the real Mosquitto. Runs on PGlite + memory bus, or PostgreSQL + NATS when the test URLs are set. MQTT:
 * TARTIP_TEST_MQTT_URL (default mqtt://127.0.0.1:1883) must be reachable — the test fails, never skips.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, problem, type TestServer, testServer } from '../../apps/server/src/testing.ts';
import { ManualClock } from '../../packages/kernel/src/clock.ts';
import { DEMO_API_KEYS } from '../../packages/kernel/src/demo.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { synthetic } from './domain/synthetic.ts';
import { registerCamera } from './cameras.ts';
import { runChecks } from './index.ts';
import { runtime } from './runtime.ts';

const MQTT_URL = process.env.TARTIP_TEST_MQTT_URL || 'mqtt://127.0.0.1:1883';
const PREFIX = `vt${randomBytes(4).toString('hex')}`;
const CAMERA_KEY = (DEMO_API_KEYS.find((k) => k.scopes.includes('video:ingest')) as { key: string }).key;
const ANPR_KEY = (DEMO_API_KEYS.find((k) => k.scopes.includes('traffic:ingest')) as { key: string }).key;
/** Almaty: the demo camera key's, operator's, dispatcher's and investigator's jurisdiction. */
const ALMATY = { lon: 76.9286, lat: 43.2567 };
const ASTANA = { lon: 71.43, lat: 51.128 };
const DIM = 512;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`video module on ${backendName}`, () => {
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  let server: TestServer;
  let uniq = 0;
  const faces = synthetic(20, 20, DIM, { seed: 11 });
  const face = (i: number) => Array.from(faces.entries.subarray(i * DIM, (i + 1) * DIM));
  const probeOf = (i: number) => {
    const p = [...faces.probeOf].indexOf(i);
    return p < 0 ? null : Array.from(faces.probes.subarray(p * DIM, (p + 1) * DIM));
  };
  const as = (user: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) => server.as(user, { method, url, payload: payload as never });
  const gateway = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url, payload: payload as never, headers: { 'x-api-key': CAMERA_KEY, ...headers } });
  const ndjson = (lines: unknown[], query = '') =>
    gateway(`/api/v1/video/events${query}`, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'), { 'content-type': 'application/x-ndjson', 'accept-language': 'en' });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const now = () => clock.now().toISOString();
  const newCamera = async (over: Record<string, unknown> = {}) => {
    const code = `V-${PREFIX}-${++uniq}`;
    const body = { code, name: `Test ${code}`, location: { lon: ALMATY.lon + uniq * 0.001, lat: ALMATY.lat }, owner: 'Akimat', capabilities: ['objects', 'faces'], heartbeatS: 60, ...over };
    return ok(await as('dispatcher', 'POST', '/api/v1/video/cameras', body), 201) as { id: string; code: string; status: string; location: { lon: number; lat: number } };
  };
  const ev = (camera: string, over: Record<string, unknown> = {}) => ({ id: `e-${PREFIX}-${++uniq}`, camera, at: now(), kind: 'object', label: 'person', ...over });

  beforeAll(async () => {
    server = await testServer({
      clock,
      env: {
        TARTIP_MQTT_URL: MQTT_URL,
        TARTIP_MQTT_TOPIC_PREFIX: PREFIX,
        TARTIP_VIDEO_MQTT_CLIENT_ID: `${PREFIX}-video`,
        TARTIP_VIDEO_MQTT_SESSION_EXPIRY_S: '60',
        TARTIP_VIDEO_FRIGATE_TOPIC_PREFIX: `${PREFIX}-frigate`,
        TARTIP_VIDEO_DOUBLE_TAKE_TOPIC_PREFIX: `${PREFIX}-dt`,
        TARTIP_TRAFFIC_MQTT_CLIENT_ID: `${PREFIX}-traffic`,
        TARTIP_TRAFFIC_MQTT_SESSION_EXPIRY_S: '60',
        TARTIP_DISPATCH_MQTT_CLIENT_ID: `${PREFIX}-dispatch`,
        TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: '60',
        TARTIP_VIDEO_CHECK_MS: '3600000',
        TARTIP_VIDEO_MATCH_THRESHOLD: '0.7',
      },
    });
  }, 60_000);
  afterAll(async () => server?.close());

  // ---- cameras ------------------------------------------------------------------------------------------------
  it('registers cameras (dispatcher), lists them for operators by jurisdiction, refuses a taken code and a camera outside the caller’s area', async () => {
    const c = await newCamera({ zone: 'Almaty-1 station', direction: { headingDeg: 90, label: 'to the platform' } });
    expect(c).toMatchObject({ status: 'unknown', zone: 'Almaty-1 station', trafficCode: c.code });
    const listed = ok(await as('operator', 'GET', '/api/v1/video/cameras?limit=200')).items.map((x: { code: string }) => x.code);
    expect(listed).toContain(c.code);
    expect(ok(await as('supervisor', 'GET', `/api/v1/video/cameras/${c.code}`))).toMatchObject({ id: c.id });
    const taken = problem(await as('dispatcher', 'POST', '/api/v1/video/cameras', { code: c.code, name: 'x', location: ALMATY, owner: 'x', capabilities: ['objects'] }), 409, 'video.camera_code_taken');
    expect(taken.errors[0]).toMatchObject({ path: 'body.code', code: 'taken' });
    problem(await as('dispatcher', 'POST', '/api/v1/video/cameras', { code: `V-${PREFIX}-astana`, name: 'x', location: ASTANA, owner: 'x', capabilities: ['objects'] }), 403, 'outside_jurisdiction');
    problem(await as('operator', 'POST', '/api/v1/video/cameras', { code: `V-${PREFIX}-op`, name: 'x', location: ALMATY, owner: 'x', capabilities: ['objects'] }), 403, 'forbidden');
    const patched = ok(await as('dispatcher', 'PATCH', `/api/v1/video/cameras/${c.code}`, { heartbeatS: 30, zone: null }));
    expect(patched).toMatchObject({ heartbeatS: 30, zone: null, version: 2 });
  });

  it('heartbeat and events mark a camera online; silence past heartbeat × factor raises one camera_silent alert per silence', async () => {
    const c = await newCamera({ heartbeatS: 60 });
    expect(ok(await gateway('/api/v1/video/cameras/heartbeat', { cameras: [c.code] }))).toEqual({ heard: 1, back: [c.code] });
    problem(await gateway('/api/v1/video/cameras/heartbeat', { cameras: ['nope-unknown'] }), 400, 'validation_failed');
    clock.advance(179_000);
    await runChecks(server.kernel);
    expect(ok(await as('operator', 'GET', `/api/v1/video/cameras/${c.code}`)).status).toBe('online');
    clock.advance(2_000);
    await runChecks(server.kernel);
    await runChecks(server.kernel);
    expect(ok(await as('operator', 'GET', `/api/v1/video/cameras/${c.code}`)).status).toBe('silent');
    const alerts = async () => (await server.kernel.db.query<{ id: string }>("select id from video_alert where kind = 'camera_silent' and camera_id = $1", [c.id])).length;
    expect(await alerts()).toBe(1);
    const queue = ok(await as('operator', 'GET', '/api/v1/video/alerts?kind=camera_silent&limit=200')).items;
    expect(queue.find((a: { camera: { id: string } }) => a.camera.id === c.id)).toMatchObject({ kind: 'camera_silent', status: 'open' });
    // Heard again (an event implies a heartbeat), then silent again: a second alert for the second silence.
    ok(await gateway('/api/v1/video/events', ev(c.code)), 202);
    expect(ok(await as('operator', 'GET', `/api/v1/video/cameras/${c.code}`)).status).toBe('online');
    clock.advance(181_000);
    await runChecks(server.kernel);
    expect(await alerts()).toBe(2);
  });

  // ---- events -------------------------------------------------------------------------------------------------
  it('takes NDJSON and JSON batches, idempotent by source event id; a bad line refuses the whole batch with body.<line>.<field> (localised), storing nothing', async () => {
    const c = await newCamera();
    const lines = [ev(c.code), ev(c.code, { kind: 'count', count: 3, lane: 1 }), ev(c.code, { label: 'car', speedKmh: 42 })];
    expect(ok(await ndjson(lines), 202)).toMatchObject({ received: 3, stored: 3, duplicates: 0 });
    expect(ok(await ndjson(lines), 202)).toMatchObject({ received: 3, stored: 0, duplicates: 3 });
    expect(ok(await gateway('/api/v1/video/events', [ev(c.code), ev(c.code)]), 202)).toMatchObject({ stored: 2 });
    const before = await count('video_event', 'camera_id = $1', [c.id]);
    const bad = problem(await ndjson([ev(c.code), { ...ev(c.code), camera: 'no-such-camera' }, 'not json', { ...ev(c.code), kind: 'teleport' }, ev(c.code, { at: new Date(clock.now().getTime() + 3_600_000).toISOString() })]), 400, 'validation_failed');
    expect(bad.errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`)).toEqual(['body.3 invalid_json', 'body.4.kind invalid_value']);
    expect(bad.errors[0].message).toMatch(/JSON/);
    const unknown = problem(await ndjson([ev(c.code), { ...ev(c.code), camera: 'no-such-camera' }, ev(c.code, { at: new Date(clock.now().getTime() + 3_600_000).toISOString() })]), 400, 'validation_failed');
    expect(unknown.errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`)).toEqual(['body.2.camera unknown_camera', 'body.3.at in_future']);
    expect(await count('video_event', 'camera_id = $1', [c.id])).toBe(before);
    const ru = await gateway('/api/v1/video/events', { ...ev(c.code), colour: 'red' }, { 'accept-language': 'ru' });
    expect(problem(ru, 400, 'validation_failed').errors[0]).toMatchObject({ path: 'body.colour', code: 'unrecognized_key' });
  });

  it('refuses events from cameras outside the key’s jurisdiction (the demo key is Almaty’s)', async () => {
    const astana = await registerCamera(server.kernel, { actor: 'test' }, { jurisdictions: ['*'] }, { code: `V-${PREFIX}-astana`, name: 'Astana', location: ASTANA, owner: 'x', capabilities: ['objects'], heartbeatS: 60 });
    const r = problem(await ndjson([ev(astana.code)]), 400, 'validation_failed');
    expect(r.errors[0]).toMatchObject({ path: 'body.1.camera', code: 'not_own_camera' });
    expect(await count('video_event', 'camera_id = $1', [astana.id])).toBe(0);
  });

  it('Frigate over HTTP: one row per event id through new → update → end; a review with severity alert raises one alert', async () => {
    const c = await newCamera();
    const t = clock.now().getTime() / 1000;
    const object = (type: string, over: Record<string, unknown> = {}) => ({
      type,
      before: {},
      after: { id: `${t}-abc${uniq}`, camera: c.code, label: 'person', start_time: t, end_time: null, frame_time: t + 1, top_score: 0.9, score: 0.9, false_positive: false, stationary: false, motionless_count: 0, current_zones: [], entered_zones: [], has_snapshot: true, ...over },
    });
    const r = ok(await ndjson([object('new'), object('update'), object('end', { end_time: t + 5 })], '?format=frigate'), 202);
    expect(r).toMatchObject({ received: 3, stored: 1 });
    ok(await ndjson([object('update', { current_zones: ['yard'] })], '?format=frigate'), 202);
    expect(await count('video_event', "camera_id = $1 and source = 'frigate'", [c.id])).toBe(1);
    const review = (type: string, severity: string) => ({
      type,
      before: {},
      after: { id: `rev-${PREFIX}-${c.code}`, camera: c.code, start_time: t, end_time: null, severity, thumb_path: '/media/frigate/clips/review/thumb.webp', data: { detections: [], objects: ['person'], sub_labels: [], zones: [], audio: [] } },
    });
    ok(await ndjson([review('new', 'detection')], '?format=frigate'), 202);
    expect(await count('video_alert', "camera_id = $1 and kind = 'review'", [c.id])).toBe(0);
    expect(ok(await ndjson([review('update', 'alert'), review('end', 'alert')], '?format=frigate'), 202)).toMatchObject({ alerts: 1 });
    ok(await ndjson([review('end', 'alert')], '?format=frigate'), 202);
    expect(await count('video_alert', "camera_id = $1 and kind = 'review'", [c.id])).toBe(1);
  });

  it('plates go on to the traffic module’s ANPR stream under the camera’s traffic code', async () => {
    const trafficCode = `T-${PREFIX}-plates`;
    const tc = ok(
      await server.as('traffic', {
        method: 'POST',
        url: '/api/v1/traffic/cameras',
        payload: { code: trafficCode, name: 'CCTV plates', location: ASTANA, lanes: 2, owner: 'Akimat', kinds: ['anpr'] },
      }),
      201,
    );
    expect(ANPR_KEY).toBeTruthy();
    const c = await newCamera({ trafficCode, capabilities: ['plates'] });
    const lpr = { type: 'lpr', id: `${PREFIX}-lpr-1`, name: null, plate: '123ABC02', score: 0.93, camera: c.code, timestamp: clock.now().getTime() / 1000 - 2, plate_box: [917, 487, 1029, 529] };
    expect(ok(await ndjson([lpr, lpr], '?format=frigate'), 202)).toMatchObject({ stored: 1, duplicates: 1, platesForwarded: 1 });
    expect(ok(await ndjson([ev(c.code, { kind: 'plate', plate: { text: '777AAA02', country: 'KZ' } })]), 202)).toMatchObject({ platesForwarded: 1 });
    // Frigate's LPR also names the plate on the car's event; its updates repeat it: one read.
    const t = clock.now().getTime() / 1000;
    const car = { type: 'update', before: {}, after: { id: `${PREFIX}-car-1`, camera: c.code, label: 'car', start_time: t - 3, frame_time: t - 1, recognized_license_plate: '555KZA02', recognized_license_plate_score: 0.88 } };
    expect(ok(await ndjson([car, car], '?format=frigate'), 202)).toMatchObject({ platesForwarded: 1 });
    const forwarded = await server.kernel.db.query<{ payload: Record<string, unknown> }>("select payload from kernel_outbox where subject = 'traffic.plate.read' and key = $1", [trafficCode]);
    expect(forwarded.map((f) => f.payload)).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'lpr', plate: '123ABC02', camera: trafficCode })]));
    const reads = await waitFor('traffic to store the forwarded reads', async () => {
      const rows = await server.kernel.db.query<{ plate: string }>('select plate from traffic_read where camera_id = $1 order by plate', [tc.id]);
      return rows.length >= 3 ? rows : null;
    });
    expect(reads.map((r) => r.plate)).toEqual(['123ABC02', '555KZA02', '777AAA02']);
  });

  it('CompreFace, Double Take and DeepStream payloads as their projects send them', async () => {
    const c = await newCamera({ capabilities: ['faces', 'plates', 'traffic-flow'] });
    const compre = { result: [{ box: { probability: 1, x_max: 1420, y_max: 1368, x_min: 548, y_min: 295 }, subjects: [{ similarity: 0.97858, subject: 'subject1' }] }], plugins_versions: { detector: 'facenet.FaceDetector' } };
    expect(ok(await gateway(`/api/v1/video/events?format=compreface&camera=${c.code}&eventId=req-1`, compre), 202)).toMatchObject({ stored: 1 });
    expect(ok(await gateway(`/api/v1/video/events?format=compreface&camera=${c.code}&eventId=req-1`, compre), 202)).toMatchObject({ stored: 0, duplicates: 1 });
    problem(await gateway('/api/v1/video/events?format=compreface', compre), 400, 'validation_failed');
    const dt = { id: `${PREFIX}-dt`, duration: 0.6, timestamp: now(), attempts: 3, camera: c.code, zones: [], match: { name: 'david', confidence: 80.4, match: true, box: { top: 1, left: 2, width: 3, height: 4 }, type: 'latest', duration: 0.3, detector: 'compreface', filename: 'a.jpg' } };
    expect(ok(await gateway('/api/v1/video/events?format=double-take', dt), 202)).toMatchObject({ stored: 1 });
    const ds = {
      messageid: `${PREFIX}-ds-1`,
      mdsversion: '1.0',
      '@timestamp': now(),
      sensor: { id: c.code, type: 'Camera' },
      object: { id: '957', speed: 40, vehicle: { type: 'sedan', make: 'Lada', model: 'Vesta', color: 'white' } },
      event: { id: 'e1', type: 'entry' },
    };
    expect(ok(await gateway('/api/v1/video/events?format=deepstream', ds), 202)).toMatchObject({ stored: 1 });
    const bad = problem(await gateway('/api/v1/video/events?format=deepstream', [ds, { ...ds, sensor: {} }]), 400, 'validation_failed');
    expect(bad.errors[0]).toMatchObject({ path: 'body.1.sensor.id' });
    const flow = ok(await as('operator', 'GET', `/api/v1/video/cameras/${c.code}/flow?hours=1`));
    expect(flow.buckets.reduce((s: number, b: { vehicles: number }) => s + b.vehicles, 0)).toBe(1);
  });

  it('traffic flow: 5-minute series against the usual level for that hour and weekday; congestion when speeds fall', async () => {
    const c = await newCamera({ capabilities: ['traffic-flow'] });
    const weeksAgo = (w: number) => new Date(clock.now().getTime() - w * 7 * 86_400_000).toISOString();
    const usual = [1, 2, 3].flatMap((w) => [0, 1].map((i) => ev(c.code, { label: 'car', at: weeksAgo(w), speedKmh: 50 + i, lane: 1 })));
    const jam = [0, 1, 2].map(() => ev(c.code, { label: 'car', speedKmh: 20, lane: 2 }));
    ok(await ndjson([...usual, ...jam]), 202);
    const series = ok(await as('operator', 'GET', `/api/v1/video/cameras/${c.code}/flow?hours=1`));
    const last = series.buckets[series.buckets.length - 1];
    expect(last).toMatchObject({ vehicles: 3, speedKmh: 20, usual: { vehicles: 2, speedKmh: 50.5, samples: 3 }, congested: true, reason: 'speed' });
    const now = ok(await as('operator', 'GET', '/api/v1/video/flow/now')).items;
    expect(now.find((x: { camera: string }) => x.camera === c.code)).toMatchObject({ congested: true, reason: 'speed' });
    expect(ok(await as('supervisor', 'GET', '/api/v1/video/flow/now')).items.map((x: { camera: string }) => x.camera)).toContain(c.code);
  });

  // ---- watchlists and face matches ------------------------------------------------------------------------------
  let watchlistId: string;
  let entryId: string;
  it('watchlists: only the restricted role sees or edits them; every view is audited; bad entries are refused and change nothing', async () => {
    problem(await as('operator', 'GET', '/api/v1/video/watchlists'), 403, 'forbidden');
    problem(await as('dispatcher', 'POST', '/api/v1/video/watchlists', { name: 'x' }), 403, 'forbidden');
    const w = ok(await as('investigator', 'POST', '/api/v1/video/watchlists', { name: `Wanted ${PREFIX}` }), 201);
    watchlistId = w.id;
    const entry = {
      subject: 'Иванов Иван Иванович',
      referenceImage: 'https://evidence.example.kz/ref/1.jpg',
      embedding: face(3).map((x) => x * 7), // any scale: stored normalised
      legalBasis: { kind: 'court_order', reference: 'Постановление суда № 2-123/2026' },
      expiresAt: new Date(clock.now().getTime() + 30 * 86_400_000).toISOString(),
      owner: 'ДП г. Алматы, УКП',
    };
    const before = await count('video_watchlist_entry');
    const wrong = problem(await as('investigator', 'POST', `/api/v1/video/watchlists/${w.id}/entries`, { ...entry, embedding: [1, 2, 3], expiresAt: new Date(clock.now().getTime() - 1000).toISOString() }), 400, 'validation_failed');
    expect(wrong.errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`)).toEqual(['body.embedding wrong_dimension', 'body.expiresAt already_expired']);
    problem(await as('investigator', 'POST', `/api/v1/video/watchlists/${w.id}/entries`, { ...entry, embedding: new Array(DIM).fill(0) }), 400, 'validation_failed');
    expect(await count('video_watchlist_entry')).toBe(before);
    const e = ok(await as('investigator', 'POST', `/api/v1/video/watchlists/${w.id}/entries`, entry), 201);
    entryId = e.id;
    expect(e).toMatchObject({ status: 'active', dim: DIM, legalBasis: { kind: 'court_order' } });
    const audits = async () => count('kernel_audit', "action like 'watchlist_entry.%read' and data::text like $1", [`%${e.id}%`]);
    const a0 = await audits();
    const listed = ok(await as('investigator', 'GET', `/api/v1/video/watchlists/${w.id}/entries`)).items;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([e.id]);
    const one = ok(await as('investigator', 'GET', `/api/v1/video/watchlists/${w.id}/entries/${e.id}`));
    const norm = Math.sqrt(one.embedding.reduce((s: number, x: number) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(await audits()).toBe(a0 + 2);
    problem(await as('supervisor', 'GET', `/api/v1/video/watchlists/${w.id}/entries`), 403, 'forbidden');
  });

  it('a face embedding matching an entry above the threshold is an alert with the snapshot; the operator confirms → a dispatch incident at the camera', async () => {
    const c = await newCamera({ capabilities: ['faces', 'face-embeddings'] });
    const probe = probeOf(3) ?? face(3);
    const stranger = face(5);
    const r = ok(await ndjson([ev(c.code, { kind: 'face', embedding: probe, snapshot: 'https://nvr.example.kz/snap/1.jpg' }), ev(c.code, { kind: 'face', embedding: stranger })]), 202);
    expect(r).toMatchObject({ stored: 2, alerts: 1 });
    const queue = ok(await as('operator', 'GET', '/api/v1/video/alerts?kind=face_match&limit=200')).items;
    const alert = queue.find((a: { camera: { id: string } }) => a.camera.id === c.id);
    expect(alert).toMatchObject({ kind: 'face_match', status: 'open', snapshot: 'https://nvr.example.kz/snap/1.jpg' });
    expect(alert.score).toBeGreaterThanOrEqual(0.7);
    expect(JSON.stringify(alert)).not.toContain('Иванов');
    const raised = await server.kernel.db.query<{ payload: Record<string, unknown>; permission: string; jurisdiction: string }>("select payload, permission, jurisdiction from kernel_outbox where subject = 'video.alert.raised' and key = $1", [c.id]);
    expect(raised[0]).toMatchObject({ permission: 'video:read', jurisdiction: expect.stringMatching(/^75/) });
    // The operator reviewing it sees the entry to compare with; that read is audited.
    const detail = ok(await as('operator', 'GET', `/api/v1/video/alerts/${alert.id}`));
    expect(detail.match).toMatchObject({ entryId, subject: 'Иванов Иван Иванович' });
    expect(ok(await as('supervisor', 'GET', `/api/v1/video/alerts/${alert.id}`)).match).toBeNull();
    problem(await as('supervisor', 'POST', `/api/v1/video/alerts/${alert.id}/confirm`, {}), 403, 'forbidden');
    const confirmed = ok(await as('operator', 'POST', `/api/v1/video/alerts/${alert.id}/confirm`, { note: 'Похож, наряд направлен' }));
    expect(confirmed).toMatchObject({ status: 'confirmed', decidedBy: expect.any(String), incidentId: expect.any(String) });
    const incident = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${confirmed.incidentId}`));
    expect(incident).toMatchObject({ category: 'camera-alert' });
    expect(incident.location.lon).toBeCloseTo(c.location.lon, 6);
    problem(await as('operator', 'POST', `/api/v1/video/alerts/${alert.id}/reject`, {}), 409, 'video.already_decided');
    // The stranger's face event is kept only until its retention; the matched one stays.
    expect(await count('video_event', "camera_id = $1 and kind = 'face' and purge_after is not null", [c.id])).toBe(1);
    const back = clock.now();
    clock.advance(73 * 3_600_000);
    await runChecks(server.kernel);
    clock.set(back); // access tokens live 15 minutes on this clock
    expect(await count('video_event', "camera_id = $1 and kind = 'face'", [c.id])).toBe(1);
  });

  it('expired and removed entries never match', async () => {
    const c = await newCamera({ capabilities: ['faces'] });
    const w = watchlistId;
    const mk = async (i: number, expiresInMs: number) =>
      ok(
        await as('investigator', 'POST', `/api/v1/video/watchlists/${w}/entries`, {
          subject: `Person ${i}`,
          referenceImage: `https://evidence.example.kz/ref/${i}.jpg`,
          embedding: face(i),
          legalBasis: { kind: 'wanted_list', reference: `WL-${i}` },
          expiresAt: new Date(clock.now().getTime() + expiresInMs).toISOString(),
          owner: 'УКП',
        }),
        201,
      ).id as string;
    await mk(8, 60_000);
    const removed = await mk(9, 86_400_000);
    ok(await as('investigator', 'DELETE', `/api/v1/video/watchlists/${w}/entries/${removed}`));
    clock.advance(61_000);
    const r = ok(await ndjson([ev(c.code, { kind: 'face', embedding: face(8) }), ev(c.code, { kind: 'face', embedding: face(9) })]), 202);
    expect(r).toMatchObject({ stored: 2, alerts: 0 });
    const wrongDim = problem(await ndjson([ev(c.code, { kind: 'face', embedding: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6] })]), 400, 'validation_failed');
    expect(wrongDim.errors[0]).toMatchObject({ path: 'body.1.embedding', code: 'wrong_dimension' });
    expect(runtime(server.kernel).matcher.kind).toBe('exact');
  });

  // ---- abandoned objects -------------------------------------------------------------------------------------------
  it('abandoned objects: a zone rule’s label stationary past its dwell raises one alert; with autoIncident the incident is raised at once', async () => {
    const zone = `Station ${PREFIX}`;
    ok(await as('dispatcher', 'PUT', `/api/v1/video/zones/${encodeURIComponent(zone)}/rule`, { labels: ['suitcase', 'backpack'], dwellS: 120, autoIncident: true }));
    const c = await newCamera({ zone, capabilities: ['objects', 'abandoned'] });
    const t = clock.now().getTime() / 1000 - 600;
    const bag = (motionless: number, frame: number) => ({
      type: 'update',
      before: {},
      after: { id: `${t}-bag${PREFIX}`, camera: c.code, label: 'suitcase', start_time: t, end_time: null, frame_time: t + frame, top_score: 0.8, score: 0.8, false_positive: false, stationary: true, motionless_count: motionless, current_zones: [], entered_zones: [], has_snapshot: true },
    });
    expect(ok(await ndjson([bag(300, 70)], '?format=frigate'), 202)).toMatchObject({ alerts: 0 });
    expect(ok(await ndjson([bag(900, 190)], '?format=frigate'), 202)).toMatchObject({ alerts: 1 });
    expect(ok(await ndjson([bag(1200, 250)], '?format=frigate'), 202)).toMatchObject({ alerts: 0 });
    const [a] = await server.kernel.db.query<{ status: string; incident_id: string | null }>("select status, incident_id from video_alert where camera_id = $1 and kind = 'abandoned_object'", [c.id]);
    expect(a).toMatchObject({ status: 'confirmed', incident_id: expect.any(String) });
    const incident = ok(await as('dispatcher', 'GET', `/api/v1/incidents/${a.incident_id}`));
    expect(incident).toMatchObject({ category: 'suspicious-object', priority: 'P1' });
  });

  // ---- MQTT ------------------------------------------------------------------------------------------------------
  it('takes Frigate events/reviews, ONVIF ObjectAbandoned / LicensePlate and Double Take matches over the real MQTT broker, acknowledged after they are stored', async () => {
    const c = await newCamera({ capabilities: ['objects', 'abandoned', 'plates'], trafficCode: null });
    const client = await mqtt.connectAsync(MQTT_URL, { connectTimeout: 5000, reconnectPeriod: 0 });
    try {
      const t = clock.now().getTime() / 1000;
      const frigate = `${PREFIX}-frigate`;
      const obj = { type: 'new', before: {}, after: { id: `${t}-mq${PREFIX}`, camera: c.code, label: 'person', start_time: t, end_time: null, top_score: 0.9, false_positive: false, current_zones: [], entered_zones: [] } };
      await client.publishAsync(`${frigate}/events`, JSON.stringify(obj), { qos: 1 });
      await client.publishAsync(`${frigate}/events`, JSON.stringify({ ...obj, type: 'update' }), { qos: 1 });
      const review = { type: 'new', before: {}, after: { id: `mq-rev-${PREFIX}`, camera: c.code, start_time: t, end_time: null, severity: 'alert', thumb_path: null, data: { detections: [obj.after.id], objects: ['person'], sub_labels: [], zones: [], audio: [] } } };
      await client.publishAsync(`${frigate}/reviews`, JSON.stringify(review), { qos: 1 });
      await client.publishAsync(`${c.code}/onvif-ej/RuleEngine/ObjectAbandoned/&1/2/Platform2`, JSON.stringify({ UtcTime: now(), Source: { VideoSource: '1', AnalyticsConfiguration: '2', Rule: 'Platform2' }, Data: { ObjectId: '15' } }), { qos: 1 });
      await client.publishAsync(`${c.code}/onvif-ej/RuleEngine/Recognition/LicensePlate/&1/2/Gate`, JSON.stringify({ UtcTime: now(), Source: { VideoSource: '1', Rule: 'Gate' }, Data: { PlateNumber: '001AAA02', CountryCode: 'KZ' } }), { qos: 1 });
      const dt = { id: `${PREFIX}-dt-mq`, duration: 0.6, timestamp: now(), attempts: 2, camera: c.code, zones: [], match: { name: 'david', confidence: 91.2, match: true, type: 'latest', detector: 'compreface', filename: 'b.jpg' } };
      await client.publishAsync(`${PREFIX}-dt/matches/david`, JSON.stringify(dt), { qos: 1 });
      await client.publishAsync(`${frigate}/events`, 'not json', { qos: 1 });
      await waitFor('the MQTT events', async () => (await count('video_event', 'camera_id = $1', [c.id])) >= 5);
      expect(await count('video_event', "camera_id = $1 and source = 'double-take' and label = 'david'", [c.id])).toBe(1);
      expect(await count('video_event', "camera_id = $1 and source = 'frigate' and kind = 'object'", [c.id])).toBe(1);
      expect(await count('video_event', "camera_id = $1 and source = 'onvif' and kind = 'plate'", [c.id])).toBe(1);
      const kinds = (await server.kernel.db.query<{ kind: string }>('select kind from video_alert where camera_id = $1 order by kind', [c.id])).map((r) => r.kind);
      expect(kinds).toEqual(['abandoned_object', 'review']);
      await waitFor('the bad message refused', async () => runtime(server.kernel).counters.mqttRejected >= 1);
    } finally {
      await client.endAsync();
    }
  });
});
