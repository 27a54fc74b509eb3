/**
 * The reports JSON API through the whole application (PGlite + memory bus, or PostgreSQL + NATS when the test URLs
 * are set): filing, tracking, duplicates, Idempotency-Key, refusals that write nothing, staff views in their
 * jurisdiction, audited reads, marking false and the abuse flag, following dispatch's incidents, and partners'
 * webhooks delivered to a real HTTP listener. One server for the file; each test uses its own places and devices.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { problem, type TestServer, testServer, until } from '../../apps/server/src/testing.ts';
import { INCIDENT_UPDATED, type IncidentChanged, type IncidentStatus } from '../dispatch/events.ts';
import { verifySignature, verifyTimestamped } from './domain/webhook.ts';
import { ReportSubmitted } from './events.ts';
import reportsModule from './index.ts';
import { MESSAGES } from './messages.ts';

const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';
const EGOV = 'tk_egov_demo_Hn5bV8cZ2xQ9wE4rT7yU1iO3';
const TELECOM = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]).toString('base64');

/** Almaty (Almaly district), Astana, and Bishkek (Kyrgyzstan, outside). */
const ALMATY: [number, number] = [76.9286, 43.2567];
const ASTANA: [number, number] = [71.4304, 51.1282];
const BISHKEK: [number, number] = [74.5698, 42.8746];

/** A point `east` and `north` metres from `p`. */
const offset = (p: [number, number], east: number, north: number): [number, number] => [
  p[0] + east / (111_320 * Math.cos((p[1] * Math.PI) / 180)),
  p[1] + north / 110_540,
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
  answered: number;
}

describe(`reports API on ${backendName}`, () => {
  let server: TestServer;
  let hook: Server;
  let hookUrl: string;
  const received: Received[] = [];
  /** Reports whose next deliveries the listener refuses (500), and how many more times. */
  const failNext = new Map<string, number>();

  const db = () => server.kernel.db;
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await db().query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  /** What a submission writes (dispatch, running beside us, writes its own events and audit records at any time). */
  const counts = async () => ({
    reports: await count('reports_report'),
    media: await count('reports_media'),
    events: await count('kernel_outbox', "subject = 'reports.report.submitted'"),
    audit: await count('kernel_audit', "action = 'report.submitted'"),
  });

  const body = (over: Record<string, unknown> = {}) => ({ category: 'theft', location: { type: 'Point', coordinates: ALMATY }, ...over });
  const submit = (payload: unknown, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { 'accept-language': 'en', ...headers }, payload: payload as object });
  const created = async (payload: unknown, headers: Record<string, string> = {}) => {
    const res = await submit(payload, headers);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; trackingToken: string; status: string; duplicateOf: string | null; notice: string };
  };
  const track = async (token: string, lang = 'en') => {
    const res = await server.app.inject({ method: 'GET', url: `/api/v1/reports/track/${token}`, headers: { 'accept-language': lang } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const row = async (id: string) =>
    (await db().query<Record<string, unknown>>('select *, ST_X(location::geometry) as lon, ST_Y(location::geometry) as lat from reports_report where id = $1', [id]))[0];

  /** Waits until everything committed has been relayed and handled (dispatch may react to new reports). */
  const settle = async () => {
    let quiet = 0;
    while (quiet < 3) {
      await sleep(100);
      quiet = (await server.kernel.relay.pending()) === 0 ? quiet + 1 : 0;
    }
  };

  /** What dispatch would publish: an incident change listing reports. */
  const incident = async (data: Partial<IncidentChanged> & { incidentId: string; status: IncidentStatus }) => {
    const event: IncidentChanged = {
      priority: 'P2',
      locationPrecision: 'point',
      category: 'theft',
      location: { lon: ALMATY[0], lat: ALMATY[1] },
      kato: '751110000',
      reportIds: [],
      mergedInto: null,
      note: null,
      at: new Date().toISOString(),
      ...data,
    };
    await server.kernel.commands.run({ actor: 'test:dispatch' }, (uow) =>
      uow.emit({ subject: INCIDENT_UPDATED, key: event.incidentId, jurisdiction: event.kato, permission: 'dispatch:read', data: event }),
    );
    await sleep(5); // distinct `at` for the next change of the same incident
    return event;
  };
  const statusOf = async (id: string) => (await row(id)).status as string;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let reportId = '';
        try {
          reportId = JSON.parse(text).reportId;
        } catch {}
        const failing = failNext.get(reportId) ?? 0;
        if (failing > 0) failNext.set(reportId, failing - 1);
        const answered = failing > 0 ? 500 : 200;
        received.push({ body: text, headers: req.headers, answered });
        res.statusCode = answered;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/tartip-hook`;
    server = await testServer({
      env: {
        TARTIP_REPORTS_WEBHOOK_BACKOFF_MS: '100',
        // A delivery refused twice is given up (the partner then sees it failed and asks for it again).
        TARTIP_REPORTS_WEBHOOK_MAX_ATTEMPTS: '2',
        TARTIP_REPORTS_WEBHOOK_POLL_MS: '50',
        TARTIP_REPORTS_RATE_LIMIT_DEVICE: '5',
        TARTIP_REPORTS_RATE_LIMIT_IP: '10000',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => hook?.close(r));
  });

  // ---- categories -------------------------------------------------------------------------------------
  it('lists the categories to anyone, in three languages, with Open311 attributes', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/reports/categories' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { code: string; name: Record<string, string>; priority: string; group: string; attributes: { code: string; datatype: string; values?: { key: string }[] }[] }[];
    expect(items).toHaveLength(15);
    const theft = items.find((c) => c.code === 'theft');
    expect(theft).toMatchObject({ name: { ru: 'Кража', kk: 'Ұрлық', en: 'Theft' }, priority: 'P2', group: 'crime' });
    expect(theft?.attributes).toEqual([expect.objectContaining({ code: 'stolen_items', datatype: 'string' })]);
    const injured = items.find((c) => c.code === 'traffic-accident')?.attributes.find((a) => a.code === 'injured');
    expect(injured?.datatype).toBe('singlevaluelist');
    expect(injured?.values?.map((v) => v.key)).toEqual(['yes', 'no']);
    expect(items.find((c) => c.code === 'road-defect')?.attributes[0]).toMatchObject({ code: 'defect_type', datatype: 'singlevaluelist' });
  });

  // ---- filing and tracking ----------------------------------------------------------------------------
  it('files an anonymous web report: 201 with a tracking token, and the report, media, history, audit and event in one go', async () => {
    const before = await counts();
    const res = await submit(
      body({
        description: 'Украли велосипед у подъезда',
        address: 'ул. Абая, 10',
        media: [{ contentType: 'image/png', data: PNG }],
        deviceId: 'web-device-1',
        attributes: { stolen_items: 'велосипед' },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toEqual({ id: expect.any(String), trackingToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), status: 'received', duplicateOf: null, notice: MESSAGES.en['reports.notice.received'] });
    expect(await counts()).toEqual({ reports: before.reports + 1, media: before.media + 1, events: before.events + 1, audit: before.audit + 1 });
    const [first] = await db().query<{ status: string }>('select status from reports_history where report_id = $1 order by seq limit 1', [r.id]);
    expect(first.status).toBe('received');

    const stored = await row(r.id);
    expect(stored).toMatchObject({ channel: 'web', category: 'theft', priority: 'P2', anonymous: true, device_id: 'web-device-1', partner_key_id: null, flagged: false, media_count: 1 });
    expect(stored.kato).toMatch(/^75\d{7}$/);
    const [media] = await db().query<{ data: Uint8Array; content_type: string }>('select data, content_type from reports_media where report_id = $1', [r.id]);
    expect(Buffer.from(media.data).equals(Buffer.from(PNG, 'base64'))).toBe(true);

    const [event] = await db().query<{ subject: string; key: string; jurisdiction: string; permission: string; payload: unknown }>(
      "select subject, key, jurisdiction, permission, payload from kernel_outbox where subject = 'reports.report.submitted' and key = $1",
      [r.id],
    );
    expect(event).toMatchObject({ key: r.id, jurisdiction: stored.kato, permission: 'reports:read' });
    const payload = ReportSubmitted.parse(event.payload);
    expect(payload).toMatchObject({ reportId: r.id, category: 'theft', priority: 'P2', channel: 'web', anonymous: true, mediaCount: 1, duplicateOf: null, kato: stored.kato });
    expect(payload.location.lon).toBeCloseTo(ALMATY[0], 6);
    expect(payload.location.lat).toBeCloseTo(ALMATY[1], 6);
    expect(await count('kernel_audit', "action = 'report.submitted' and entity_id = $1 and actor = 'anonymous'", [r.id])).toBe(1);

    // The tracking page: status and history, nothing personal.
    const tracking = await track(r.trackingToken);
    expect(Object.keys(tracking).sort()).toEqual(['category', 'duplicateOf', 'history', 'id', 'status', 'statusNote', 'submittedAt', 'updatedAt']);
    expect(tracking).toMatchObject({ id: r.id, category: 'theft', duplicateOf: null });
    expect(tracking.history[0]).toMatchObject({ status: 'received', note: null });
    expect(JSON.stringify(tracking)).not.toMatch(/web-device-1|велосипед|Абая/);
    // An unknown (well-formed) token is a 404; a malformed one a 400.
    problem(await server.app.inject({ method: 'GET', url: `/api/v1/reports/track/${'A'.repeat(43)}` }), 404, 'not_found');
    problem(await server.app.inject({ method: 'GET', url: '/api/v1/reports/track/short' }), 400, 'validation_failed');
  });

  it('files through a partner key with the key’s channel; a bad key is 401, a key without reports:submit 403, and nothing is stored', async () => {
    const r = await created(body({ category: 'noise', location: { type: 'Point', coordinates: offset(ALMATY, 3000, 0) } }), { 'x-api-key': EGOV });
    expect(await row(r.id)).toMatchObject({ channel: 'egov', category: 'noise', priority: 'P4' });
    expect((await row(r.id)).partner_key_id).toEqual(expect.any(String));

    const before = await counts();
    problem(await submit(body(), { 'x-api-key': 'tk_app102_demo_not_a_valid_key_at_all' }), 401, 'unauthenticated');
    problem(await submit(body(), { 'x-api-key': TELECOM }), 403, 'forbidden');
    expect(await counts()).toEqual(before);
  });

  // ---- duplicates -------------------------------------------------------------------------------------
  it('joins a report of the same kind nearby to the first one, and says so', async () => {
    const place = offset(ALMATY, 0, 5000);
    const first = await created(body({ category: 'robbery', location: { type: 'Point', coordinates: place }, deviceId: 'dup-1' }));
    expect(first.duplicateOf).toBeNull();
    const second = await created(body({ category: 'robbery', location: { type: 'Point', coordinates: offset(place, 40, 30) }, deviceId: 'dup-2' }), {
      'accept-language': 'kk',
    });
    expect(second.duplicateOf).toBe(first.id);
    expect(second.notice).toBe(MESSAGES.kk['reports.notice.duplicate']);
    // A third near the second still points at the first (the chain's original).
    const third = await created(body({ category: 'robbery', location: { type: 'Point', coordinates: offset(place, 80, 60) }, deviceId: 'dup-3' }));
    expect(third.duplicateOf).toBe(first.id);
    // Another kind at the same place, or the same kind 300 m away, is a new report.
    expect((await created(body({ category: 'assault', location: { type: 'Point', coordinates: place }, deviceId: 'dup-4' }))).duplicateOf).toBeNull();
    expect((await created(body({ category: 'robbery', location: { type: 'Point', coordinates: offset(place, 0, -300) }, deviceId: 'dup-5' }))).duplicateOf).toBeNull();

    const [event] = await db().query<{ payload: { duplicateOf: string } }>("select payload from kernel_outbox where subject = 'reports.report.submitted' and key = $1", [second.id]);
    expect(event.payload.duplicateOf).toBe(first.id);
    expect((await track(second.trackingToken)).duplicateOf).toBe(first.id);
  });

  // ---- Idempotency-Key --------------------------------------------------------------------------------
  it('files a report with an address and no point: placed by the gazetteer, approximate, never joined by distance', async () => {
    // A phone with location services off: the citizen types where it happened.
    const address = 'Алматы қаласы, Алмалы ауданы, Төле би көшесі 50';
    const first = await created({ category: 'noise', address, deviceId: 'no-gps-1' });
    const r = await row(first.id);
    expect(r).toMatchObject({ location_precision: 'district', kato: '751110000', address, grid_cell: null });
    // The point stands for the district — inside it — not for the spot.
    expect(server.kernel.areas.katoOf(Number(r.lon), Number(r.lat))).toBe('751110000');
    const detail = (await server.as('operator', { method: 'GET', url: `/api/v1/reports/${first.id}` })).json();
    expect(detail).toMatchObject({ locationPrecision: 'district', kato: '751110000' });
    // Its incident carries the same precision, so the console shows it as approximate.
    const [incident] = await db().query<{ location_precision: string }>(
      'select i.location_precision from dispatch_incident i join dispatch_incident_report x on x.incident_id = i.id where x.report_id = $1',
      [first.id],
    );
    expect(incident.location_precision).toBe('district');
    // A second report of the same kind «in the same district» is not a duplicate: the place is not known that well.
    const second = await created({ category: 'noise', address, deviceId: 'no-gps-2' });
    expect(second.duplicateOf).toBeNull();
    // Nor does a precise report at the stand-in point join either of them.
    const third = await created(body({ category: 'noise', location: { type: 'Point', coordinates: [Number(r.lon), Number(r.lat)] }, deviceId: 'gps-3' }));
    expect(third.duplicateOf).toBeNull();
    // A point given with an address is the point: the address is kept as text.
    const both = await created(body({ category: 'noise', address: 'Есильский район', location: { type: 'Point', coordinates: offset(ALMATY, 9000, 0) }, deviceId: 'gps-4' }));
    expect(await row(both.id)).toMatchObject({ location_precision: 'point', address: 'Есильский район' });
  });

  it('a retry with the same Idempotency-Key returns the first report and stores nothing new', async () => {
    const payload = body({ category: 'drugs', location: { type: 'Point', coordinates: offset(ALMATY, -4000, 0) }, deviceId: 'phone-idem-1' });
    const headers = { 'idempotency-key': 'report-7f3a-0001' };
    const first = await created(payload, headers);
    const before = await counts();
    const again = await submit(payload, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toMatchObject({ id: first.id, trackingToken: first.trackingToken });
    // Even when the HTTP layer lost its record (a crash between commit and reply), the key stored with the report finds it.
    await db().query("delete from kernel_idempotency where key = 'report-7f3a-0001'");
    const afterCrash = await submit(payload, headers);
    expect(afterCrash.statusCode).toBe(201);
    expect(afterCrash.json()).toMatchObject({ id: first.id, trackingToken: first.trackingToken });
    expect(await counts()).toEqual(before);
    // The same key with a different report from the same device is a mistake: 422, nothing stored.
    problem(await submit({ ...payload, description: 'другое' }, headers), 422, 'idempotency_conflict');
    expect(await counts()).toEqual(before);
  });

  it('two anonymous devices that pick the same Idempotency-Key get their own reports', async () => {
    const headers = { 'idempotency-key': 'same-key-on-two-phones' };
    const a = await created(body({ category: 'hooliganism', location: { type: 'Point', coordinates: offset(ALMATY, -6000, 0) }, deviceId: 'phone-a' }), headers);
    const b = await created(body({ category: 'hooliganism', location: { type: 'Point', coordinates: offset(ALMATY, -6000, 2000) }, deviceId: 'phone-b' }), headers);
    expect(b.id).not.toBe(a.id);
    // Partners are kept apart by their key, not by device.
    const c = await created(body({ category: 'hooliganism', location: { type: 'Point', coordinates: offset(ALMATY, -6000, 4000) }, deviceId: 'phone-a' }), {
      ...headers,
      'x-api-key': APP102,
    });
    expect(c.id).not.toBe(a.id);
  });

  // ---- refusals write nothing -------------------------------------------------------------------------
  describe('refusals are localised 4xx problems and store nothing', () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 1);
    Buffer.from(PNG, 'base64').copy(big);
    const cases: { name: string; payload: unknown; status?: number; field: [string, string]; lang?: string; message?: string }[] = [
      { name: 'a latitude out of range', payload: body({ location: { type: 'Point', coordinates: [76.9, 95] } }), field: ['body.location.coordinates.1', 'too_big'] },
      { name: 'coordinates that are not a pair', payload: body({ location: { type: 'Point', coordinates: [76.9] } }), field: ['body.location.coordinates', 'too_small'] },
      {
        name: 'a point outside Kazakhstan',
        payload: body({ location: { type: 'Point', coordinates: BISHKEK } }),
        field: ['body.location', 'outside_kazakhstan'],
        lang: 'kk',
        message: 'Нүкте Қазақстан аумағынан тыс жерде.',
      },
      { name: 'neither a point nor an address', payload: { category: 'theft', description: 'где-то' }, field: ['body.location', 'required'] },
      {
        name: 'an address the gazetteer cannot find',
        payload: { category: 'theft', address: 'ул. Несуществующая, 5' },
        field: ['body.address', 'address_not_found'],
        lang: 'ru',
        message: 'Адрес не найден. Укажите город и улицу или отметьте место на карте.',
      },
      // Есильский район: one in Akmola, one in North Kazakhstan, one in Astana.
      { name: 'an address that fits three districts', payload: { category: 'theft', address: 'Есильский район, ул. Ленина 3' }, field: ['body.address', 'address_ambiguous'] },
      // Only the city is known here (no street index loaded): a unit cannot be sent to «Almaty».
      { name: 'an address naming only the city', payload: { category: 'theft', address: 'Алматы, Абая 10' }, field: ['body.address', 'address_too_vague'], lang: 'kk' },
      { name: 'an unknown category', payload: body({ category: 'alien-landing' }), field: ['body.category', 'invalid_value'] },
      {
        name: 'a file over 5 MiB',
        payload: body({ media: [{ contentType: 'image/png', data: big.toString('base64') }] }),
        field: ['body.media.0.data', 'media_too_large'],
        lang: 'ru',
        message: 'Файл больше 5 МиБ.',
      },
      { name: 'four files', payload: body({ media: Array.from({ length: 4 }, () => ({ contentType: 'image/png', data: PNG })) }), field: ['body.media', 'too_big'] },
      { name: 'a PNG declared as JPEG', payload: body({ media: [{ contentType: 'image/jpeg', data: PNG }] }), field: ['body.media.0.data', 'media_type_mismatch'] },
      { name: 'a file that is not base64', payload: body({ media: [{ contentType: 'image/jpeg', data: '!!!!' }] }), field: ['body.media.0.data', 'invalid_base64'] },
      { name: 'an unsupported file type', payload: body({ media: [{ contentType: 'image/gif', data: JPEG }] }), field: ['body.media.0.contentType', 'invalid_value'] },
      { name: 'an answer not in the list', payload: body({ category: 'road-defect', attributes: { defect_type: 'volcano' } }), field: ['body.attributes.defect_type', 'invalid_value'] },
      { name: 'an attribute of another category', payload: body({ attributes: { injured: 'yes' } }), field: ['body.attributes.injured', 'unrecognized_key'] },
      { name: 'a description over 4000 characters', payload: body({ description: 'ж'.repeat(4001) }), field: ['body.description', 'too_big'] },
      { name: 'a phone not in +7 format', payload: body({ contact: { phone: '87012345678' } }), field: ['body.contact.phone', 'invalid_format'] },
      { name: 'an unknown field', payload: body({ priority: 'P1' }), field: ['body.priority', 'unrecognized_key'] },
    ];

    it.each(cases)('$name → 400 $field.1', async ({ payload, field, lang, message }) => {
      const before = await counts();
      const res = await submit(payload, { 'accept-language': lang ?? 'en' });
      const p = problem(res, 400, 'validation_failed');
      expect(res.headers['content-language']).toBe(lang ?? 'en');
      const error = p.errors?.find((e) => e.path === field[0]);
      expect(error, JSON.stringify(p.errors)).toMatchObject({ code: field[1] });
      if (message) expect(error?.message).toBe(message);
      expect(await counts()).toEqual(before);
    });

    it('a valid file beside a bad one stores neither', async () => {
      const before = await counts();
      const res = await submit(body({ media: [{ contentType: 'image/png', data: PNG }, { contentType: 'image/png', data: big.toString('base64') }] }));
      problem(res, 400, 'validation_failed');
      expect(await counts()).toEqual(before);
    });
  });

  // ---- abuse ------------------------------------------------------------------------------------------
  it('limits reports per device: the sixth within an hour is 429, and not stored', async () => {
    for (let i = 0; i < 5; i++) {
      await created(body({ category: 'other', location: { type: 'Point', coordinates: offset(ALMATY, 6000, i * 500) }, deviceId: 'busy-phone' }));
    }
    const before = await counts();
    problem(await submit(body({ category: 'other', location: { type: 'Point', coordinates: offset(ALMATY, 6000, 4000) }, deviceId: 'busy-phone' })), 429, 'rate_limited');
    expect(await counts()).toEqual(before);
  });

  it('limits reports per contact phone too, across devices: the sixth within an hour is 429, and not stored', async () => {
    const withPhone = (i: number) =>
      body({ category: 'other', location: { type: 'Point', coordinates: offset(ALMATY, -6000, i * 500) }, anonymous: false, contact: { phone: '+77019990011' }, deviceId: `phone-device-${i}` });
    for (let i = 0; i < 5; i++) await created(withPhone(i));
    const before = await counts();
    problem(await submit(withPhone(5)), 429, 'rate_limited');
    expect(await counts()).toEqual(before);
    // Another phone on the same new device is not affected.
    await created(body({ category: 'other', location: { type: 'Point', coordinates: offset(ALMATY, -6000, 3000) }, anonymous: false, contact: { phone: '+77019990022' }, deviceId: 'phone-device-5' }));
  });

  it('reports from a phone whose earlier reports were marked false are flagged, whatever device they come from', async () => {
    const phone = '+77019990033';
    const report = (i: number) =>
      created(body({ category: 'suspicious-object', location: { type: 'Point', coordinates: offset(ALMATY, -5000, -5000 + i * 1000) }, anonymous: false, contact: { phone }, deviceId: `prank-sim-${i}` }));
    for (let i = 0; i < 3; i++) {
      const r = await report(i);
      const res = await server.as('operator', { method: 'POST', url: `/api/v1/reports/${r.id}/false`, payload: { reason: 'ложный вызов' } });
      expect(res.statusCode, res.body).toBe(200);
    }
    const next = await report(3);
    expect(await row(next.id)).toMatchObject({ flagged: true, flag_reason: 'false_reports_phone' });
  });

  it('reports that arrive together are stored together, under the same rules as one by one', async () => {
    // Sent at once, so the intake stores them in shared transactions (group commit); each rule still holds.
    const place = offset(ALMATY, -6000, -3000);
    const same = [0, 1, 2, 3].map((i) =>
      submit(body({ category: 'robbery', location: { type: 'Point', coordinates: offset(place, i * 20, 0) }, deviceId: `burst-dup-${i}` })),
    );
    const retried = body({ category: 'drugs', location: { type: 'Point', coordinates: offset(place, 0, 3000) }, deviceId: 'burst-retry' });
    const retries = [0, 1].map(() => submit(retried, { 'idempotency-key': 'burst-retry-0001' }));
    const busy = Array.from({ length: 7 }, (_, i) =>
      submit(body({ category: 'other', location: { type: 'Point', coordinates: offset(place, 3000, i * 500) }, deviceId: 'burst-phone' })),
    );
    const [sameRes, retryRes, busyRes] = await Promise.all([Promise.all(same), Promise.all(retries), Promise.all(busy)]);

    // One event, four reports: exactly one is first, the others join it.
    const dup = sameRes.map((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return r.json() as { id: string; duplicateOf: string | null };
    });
    const originals = dup.filter((d) => d.duplicateOf === null);
    expect(originals).toHaveLength(1);
    for (const d of dup) if (d !== originals[0]) expect(d.duplicateOf).toBe(originals[0].id);

    // A double tap: one report, both answers name it.
    expect(retryRes.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(new Set(retryRes.map((r) => r.json().id)).size).toBe(1);
    expect(await count('reports_report', "device_id = 'burst-retry'")).toBe(1);

    // The device limit (5 an hour) is exact even within one burst: five stored, two refused.
    expect(busyRes.filter((r) => r.statusCode === 201)).toHaveLength(5);
    for (const r of busyRes.filter((x) => x.statusCode !== 201)) problem(r, 429, 'rate_limited');
    expect(await count('reports_report', "device_id = 'burst-phone'")).toBe(5);

    // And they were indeed stored together: fewer commit times than reports (a batch shares its time).
    const [{ n: times }] = await db().query<{ n: number }>(
      "select count(distinct submitted_at)::int8 as n from reports_report where device_id like 'burst-%'",
    );
    expect(times).toBeLessThan(11);
    // Every stored report has its history entry, audit record and event.
    const ids = (await db().query<{ id: string }>("select id from reports_report where device_id like 'burst-%'")).map((r) => r.id);
    expect(await count('reports_history', "report_id = any($1::uuid[]) and status = 'received'", [ids])).toBe(ids.length);
    expect(await count('kernel_audit', "action = 'report.submitted' and entity_id = any($1::text[])", [ids])).toBe(ids.length);
    expect(await count('kernel_outbox', "subject = 'reports.report.submitted' and key = any($1::text[])", [ids])).toBe(ids.length);
  });

  it('marking false is audited and closes the report; from the third, a device’s new reports are flagged, not dropped', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await created(body({ category: 'suspicious-object', location: { type: 'Point', coordinates: offset(ALMATY, 4000, -4000 + i * 1000) }, deviceId: 'prank-phone' }));
      ids.push(r.id);
      if (i === 0) expect((await row(r.id)).flagged).toBe(false);
    }
    for (const id of ids) {
      const res = await server.as('operator', { method: 'POST', url: `/api/v1/reports/${id}/false`, headers: { 'accept-language': 'en' }, payload: { reason: 'Пакет с мусором, вызов ложный' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id, status: 'closed', falseReport: true, statusNote: MESSAGES.en['reports.note.false_report'] });
      expect(await count('kernel_audit', "action = 'report.marked_false' and entity_id = $1 and actor = 'user:operator'", [id])).toBe(1);
    }
    problem(await server.as('operator', { method: 'POST', url: `/api/v1/reports/${ids[0]}/false`, payload: { reason: 'ещё раз' } }), 409, 'report_already_false');
    // The citizen sees it closed with a neutral note; the staff reason stays internal.
    const tokenRow = await row(ids[0]);
    const tracking = await track(tokenRow.tracking_token as string, 'ru');
    expect(tracking).toMatchObject({ status: 'closed', statusNote: MESSAGES.ru['reports.note.false_report'] });
    expect(JSON.stringify(tracking)).not.toContain('мусором');

    const next = await created(body({ category: 'suspicious-object', location: { type: 'Point', coordinates: offset(ALMATY, 4000, 4000) }, deviceId: 'prank-phone' }));
    expect(await row(next.id)).toMatchObject({ flagged: true, flag_reason: 'false_reports_device' });
    expect(await count('kernel_outbox', "subject = 'reports.report.submitted' and key = $1", [next.id])).toBe(1);
    const list = await server.as('operator', { method: 'GET', url: '/api/v1/reports?flagged=true' });
    expect(list.json().items.map((i: { id: string }) => i.id)).toContain(next.id);
    // Another device is not affected.
    const other = await created(body({ category: 'suspicious-object', location: { type: 'Point', coordinates: offset(ALMATY, -4000, -4000) }, deviceId: 'honest-phone' }));
    expect((await row(other.id)).flagged).toBe(false);
  });

  // ---- staff views ------------------------------------------------------------------------------------
  it('the console asks for an incident’s reports by id: exactly those, no contact, bad ids refused', async () => {
    const a = await created(body({ category: 'noise', location: { type: 'Point', coordinates: offset(ALMATY, 1500, -1500) }, description: 'Музыка ночью', deviceId: 'ids-a' }));
    const b = await created(body({ category: 'noise', location: { type: 'Point', coordinates: offset(ALMATY, 1500, -1800) }, deviceId: 'ids-b' }));
    await created(body({ category: 'noise', location: { type: 'Point', coordinates: offset(ALMATY, 1500, -2100) }, deviceId: 'ids-c' }));
    const res = await server.as('operator', { method: 'GET', url: `/api/v1/reports?ids=${a.id},${b.id}` });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { id: string; description: string | null; flagged: boolean }[];
    expect(items.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
    expect(items.find((i) => i.id === a.id)).toMatchObject({ description: 'Музыка ночью', flagged: false });
    expect(JSON.stringify(items)).not.toContain('contact');
    problem(await server.as('operator', { method: 'GET', url: '/api/v1/reports?ids=not-a-uuid' }), 400, 'validation_failed');
  });

  it('staff see reports in their jurisdiction only; the detail with the contact is audited', async () => {
    const almaty = await created(
      body({ category: 'domestic-violence', location: { type: 'Point', coordinates: offset(ALMATY, 0, -3000) }, anonymous: false, contact: { name: 'Айгүл', phone: '+77011234567' }, deviceId: 'dv-phone' }),
    );
    const astana = await created(body({ category: 'domestic-violence', location: { type: 'Point', coordinates: ASTANA }, deviceId: 'dv-phone-2' }));
    expect((await row(astana.id)).kato).toMatch(/^71/);

    const ids = async (user: string, query = '') => {
      const res = await server.as(user, { method: 'GET', url: `/api/v1/reports?category=domestic-violence${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items.map((i: { id: string }) => i.id) as string[];
    };
    expect(await ids('operator')).toEqual([almaty.id]);
    expect(await ids('supervisor')).toEqual([astana.id, almaty.id]);
    const list = await server.as('operator', { method: 'GET', url: '/api/v1/reports?category=domestic-violence' });
    expect(list.body).not.toContain('+77011234567');
    expect(list.body).not.toContain('dv-phone');

    // Pages: newest first, the cursor continues where the page ended.
    const page1 = (await server.as('supervisor', { method: 'GET', url: '/api/v1/reports?category=domestic-violence&limit=1' })).json();
    expect(page1.items.map((i: { id: string }) => i.id)).toEqual([astana.id]);
    const page2 = (await server.as('supervisor', { method: 'GET', url: `/api/v1/reports?category=domestic-violence&limit=1&cursor=${page1.nextCursor}` })).json();
    expect(page2.items.map((i: { id: string }) => i.id)).toEqual([almaty.id]);
    expect(await ids('supervisor', '&status=closed')).toEqual([]);

    const auditBefore = await count('kernel_audit', "action = 'report.read' and entity_id = $1", [almaty.id]);
    const detail = await server.as('operator', { method: 'GET', url: `/api/v1/reports/${almaty.id}` });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({ id: almaty.id, anonymous: false, contact: { name: 'Айгүл', phone: '+77011234567', email: null }, deviceId: 'dv-phone' });
    expect(detail.json().history[0]).toMatchObject({ status: 'received', note: null });
    expect(await count('kernel_audit', "action = 'report.read' and entity_id = $1 and actor = 'user:operator'", [almaty.id])).toBe(auditBefore + 1);
    const [audit] = await db().query<{ jurisdiction: string; request_id: string }>(
      "select jurisdiction, request_id from kernel_audit where action = 'report.read' and entity_id = $1 order by seq desc limit 1",
      [almaty.id],
    );
    expect(audit).toMatchObject({ jurisdiction: (await row(almaty.id)).kato, request_id: detail.headers['x-request-id'] });

    // Outside the operator's jurisdiction: refused, and no read recorded.
    const astanaReads = await count('kernel_audit', "action = 'report.read' and entity_id = $1", [astana.id]);
    problem(await server.as('operator', { method: 'GET', url: `/api/v1/reports/${astana.id}` }), 403, 'outside_jurisdiction');
    problem(await server.as('operator', { method: 'POST', url: `/api/v1/reports/${astana.id}/false`, payload: { reason: 'не наш район' } }), 403, 'outside_jurisdiction');
    expect(await count('kernel_audit', "action = 'report.read' and entity_id = $1", [astana.id])).toBe(astanaReads);
    problem(await server.as('operator', { method: 'GET', url: `/api/v1/reports/${newId()}` }), 404, 'not_found');
  });

  it('serves a report’s photo to staff, audited', async () => {
    const r = await created(body({ category: 'road-defect', location: { type: 'Point', coordinates: offset(ALMATY, 2000, 2000) }, media: [{ contentType: 'image/jpeg', data: JPEG }, { contentType: 'image/png', data: PNG }] }));
    const res = await server.as('dispatcher', { method: 'GET', url: `/api/v1/reports/${r.id}/media/1` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.equals(Buffer.from(PNG, 'base64'))).toBe(true);
    expect(await count('kernel_audit', "action = 'report.media.read' and entity_id = $1 and actor = 'user:dispatcher'", [r.id])).toBe(1);
    problem(await server.as('dispatcher', { method: 'GET', url: `/api/v1/reports/${r.id}/media/2` }), 404, 'not_found');
    problem(await server.app.inject({ method: 'GET', url: `/api/v1/reports/${r.id}/media/0` }), 401, 'unauthenticated');
  });

  // ---- following dispatch, webhooks -------------------------------------------------------------------
  it('follows its incident and tells the partner through a signed webhook, retrying a failed delivery', async () => {
    const secret = 'webhook-secret-for-the-102-app-0123456789';
    problem(await server.app.inject({ method: 'PUT', url: '/api/v1/reports/webhook', headers: { 'x-api-key': APP102 }, payload: { url: hookUrl, secret: 'short' } }), 400, 'validation_failed');
    const reg = await server.app.inject({ method: 'PUT', url: '/api/v1/reports/webhook', headers: { 'x-api-key': APP102 }, payload: { url: hookUrl, secret } });
    expect(reg.statusCode, reg.body).toBe(200);
    expect(reg.json()).toMatchObject({ url: hookUrl, channel: 'app102' });
    expect(reg.body).not.toContain(secret);

    const r = await created(body({ category: 'traffic-accident', location: { type: 'Point', coordinates: offset(ALMATY, -2000, -2000) }, attributes: { injured: 'yes' } }), { 'x-api-key': APP102 });
    await settle();
    // Follow whatever incident dispatch opened for it, if it did; otherwise one of our own.
    const incidentId = ((await row(r.id)).incident_id as string | null) ?? newId();
    const seen = received.length;
    failNext.set(r.id, 1); // the first delivery fails and must be retried

    await incident({ incidentId, status: 'DISPATCHED', reportIds: [r.id] });
    await until('dispatched', async () => (await statusOf(r.id)) === 'dispatched');
    await incident({ incidentId, status: 'ON_SCENE', reportIds: [r.id] });
    await until('on scene', async () => (await statusOf(r.id)) === 'on_scene');
    const note = 'Пострадавший передан скорой, оформлено ДТП';
    await incident({ incidentId, status: 'CLOSED', reportIds: [r.id], note });
    await until('closed', async () => (await statusOf(r.id)) === 'closed');

    const tracking = await track(r.trackingToken);
    expect(tracking).toMatchObject({ status: 'closed', statusNote: note });
    const statuses = tracking.history.map((h: { status: string }) => h.status);
    expect(statuses[0]).toBe('received');
    expect(statuses.slice(-3)).toEqual(['dispatched', 'on_scene', 'closed']);
    expect(tracking.history.at(-1)).toMatchObject({ status: 'closed', note });
    expect((await row(r.id)).incident_id).toBe(incidentId);
    expect(await count('kernel_outbox', "subject = 'reports.report.status_changed' and key = $1", [r.id])).toBeGreaterThanOrEqual(3);

    // The partner's listener: every change, in order, signed with the secret; the failed one again with the same id.
    const mine = async () => received.slice(seen).filter((x) => JSON.parse(x.body).reportId === r.id);
    const deliveries = await until('webhooks', async () => {
      const got = await mine();
      return got.filter((x) => x.answered === 200).some((x) => JSON.parse(x.body).status === 'closed') && got;
    });
    for (const d of deliveries) {
      expect(d.headers['content-type']).toBe('application/json');
      expect(verifySignature(secret, d.body, d.headers['x-tartip-signature'] as string)).toBe(true);
      // The timestamped signature verifies against the receiver's clock now; an hour later it would be a replay.
      const nowS = Math.floor(Date.now() / 1000);
      expect(verifyTimestamped(secret, d.body, d.headers['x-tartip-signature-256'] as string, nowS)).toBe(true);
      expect(verifyTimestamped(secret, d.body, d.headers['x-tartip-signature-256'] as string, nowS + 3600)).toBe(false);
      expect(d.headers['x-tartip-event-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const ok = deliveries.filter((d) => d.answered === 200).map((d) => JSON.parse(d.body));
    expect(ok.map((p) => p.status).filter((s) => ['dispatched', 'on_scene', 'closed'].includes(s))).toEqual(['dispatched', 'on_scene', 'closed']);
    expect(ok.at(-1)).toEqual({
      event: 'report.status_changed',
      reportId: r.id,
      trackingToken: r.trackingToken,
      status: 'closed',
      statusNote: note,
      statusNoteCode: null,
      statusNotes: { ru: note, kk: note, en: note },
      incidentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      duplicateOf: null,
      at: expect.any(String),
    });
    const failed = deliveries.find((d) => d.answered === 500);
    expect(failed).toBeDefined();
    const retried = deliveries.filter((d) => d.answered === 200 && d.headers['x-tartip-event-id'] === failed?.headers['x-tartip-event-id']);
    expect(retried).toHaveLength(1);
    expect(retried[0].body).toBe(failed?.body);
    expect(new Set(deliveries.filter((d) => d.answered === 200).map((d) => d.headers['x-tartip-event-id'])).size).toBe(ok.length);
  });

  it('a partner lists its webhook deliveries and has the failed ones sent again once its endpoint is fixed', async () => {
    // The 102 app's webhook is registered (previous test). Its endpoint is down for this report's first change.
    const r = await created(body({ category: 'noise', location: { type: 'Point', coordinates: offset(ALMATY, -4000, 3000) } }), { 'x-api-key': APP102 });
    await settle();
    failNext.set(r.id, 2);
    const incidentId = ((await row(r.id)).incident_id as string | null) ?? newId();
    await incident({ incidentId, status: 'DISPATCHED', reportIds: [r.id] });
    const list = async (query = '', key = APP102) => {
      const res = await server.app.inject({ method: 'GET', url: `/api/v1/reports/webhook/deliveries${query}`, headers: { 'x-api-key': key } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { id: string; reportId: string; state: string; attempts: number; lastStatus: number | null; body: { status: string } }[]; nextCursor: string | null };
    };
    // Two attempts, both refused: given up, and the partner can see why.
    const failed = await until('given up', async () => (await list('?state=failed')).items.find((d) => d.reportId === r.id));
    expect(failed).toMatchObject({ state: 'failed', attempts: 2, lastStatus: 500, body: { status: 'dispatched' } });
    const sentBefore = received.filter((x) => x.headers['x-tartip-event-id'] === failed.id).length;
    expect(sentBefore).toBe(2);

    // Another key's delivery is not found, nor listed to it.
    problem(
      await server.app.inject({ method: 'POST', url: `/api/v1/reports/webhook/deliveries/${failed.id}/redeliver`, headers: { 'x-api-key': EGOV } }),
      404,
      'not_found',
    );
    expect((await list('', EGOV)).items.map((d) => d.id)).not.toContain(failed.id);

    // Fixed: every failed delivery of the key goes again, with the same event id, and arrives.
    const again = await server.app.inject({ method: 'POST', url: '/api/v1/reports/webhook/deliveries/redeliver-failed', headers: { 'x-api-key': APP102 } });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().queued).toBeGreaterThanOrEqual(1);
    const delivered = await until('delivered again', async () => (await list('?state=delivered')).items.find((d) => d.id === failed.id));
    expect(delivered).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200 });
    const arrived = received.filter((x) => x.headers['x-tartip-event-id'] === failed.id);
    expect(arrived.map((x) => x.answered)).toEqual([500, 500, 200]);
    expect(new Set(arrived.map((x) => x.body)).size).toBe(1);
    // One delivered event can be asked for again (a partner that lost what it stored); pages go by cursor.
    const one = await server.app.inject({ method: 'POST', url: `/api/v1/reports/webhook/deliveries/${failed.id}/redeliver`, headers: { 'x-api-key': APP102 } });
    expect(one.json()).toEqual({ queued: 1 });
    await until('sent a fourth time', async () => received.filter((x) => x.headers['x-tartip-event-id'] === failed.id).length === 4);
    // A delivery still waiting for its next attempt is not pushed again: it is being retried (409, localised).
    await db().query("update reports_webhook_delivery set delivered_at = null, next_attempt_at = now() + interval '1 hour' where id = $1", [failed.id]);
    const pending = problem(
      await server.app.inject({ method: 'POST', url: `/api/v1/reports/webhook/deliveries/${failed.id}/redeliver`, headers: { 'x-api-key': APP102, 'accept-language': 'ru' } }),
      409,
      'reports.delivery_pending',
    );
    expect(pending.title).toBe('Доставка ещё повторяется');
    const page1 = await list('?limit=1');
    expect(page1.items).toHaveLength(1);
    const page2 = await list(`?limit=1&cursor=${page1.nextCursor}`);
    expect(page2.items[0].id).not.toBe(page1.items[0].id);
    expect(await count('kernel_audit', "action = 'report.webhook.redelivered'")).toBe(2);
    // Only partners read deliveries: a user's token is refused.
    expect((await server.as('operator', { method: 'GET', url: '/api/v1/reports/webhook/deliveries' })).statusCode).toBe(403);
  });

  it("writes a report's status changes in place, adding no entry to any of its indexes", async () => {
    // What reports does when a report follows its incident (service.ts, followIncidents): the status, its note and the
    // incident change. PostgreSQL can do that as a heap-only update only if no index covers those columns and the
    // page has room (migration 0003); before, each change added an entry to all twelve indexes of the table.
    const r = await created(body({ category: 'assault', location: { type: 'Point', coordinates: offset(ALMATY, 0, 13_000) } }));
    await settle();
    const rolledBack = new Error('rolled back on purpose');
    let stats: { n_tup_upd: number; n_tup_hot_upd: number } | undefined;
    await expect(
      db().transaction(async (tx) => {
        await tx.query(
          `update reports_report set status = 'dispatched', status_note = null, status_note_code = null, incident_id = $2, incident_at = now(), updated_at = now()
           where id = $1`,
          [r.id, newId()],
        );
        [stats] = await tx.query<{ n_tup_upd: number; n_tup_hot_upd: number }>("select n_tup_upd, n_tup_hot_upd from pg_stat_xact_user_tables where relname = 'reports_report'");
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    // The counts cover this connection's updates not yet reported to the statistics (the follow-ups above included).
    expect(stats?.n_tup_upd).toBeGreaterThanOrEqual(1);
    expect(stats?.n_tup_hot_upd).toBe(stats?.n_tup_upd);
  });

  it('handles each incident event once, follows merges, and closes cancelled incidents with a note', async () => {
    const a = await created(body({ category: 'assault', location: { type: 'Point', coordinates: offset(ALMATY, 0, 9000) } }));
    const b = await created(body({ category: 'assault', location: { type: 'Point', coordinates: offset(ALMATY, 0, 11_000) } }));
    await settle();
    const first = newId();
    const second = newId();
    await incident({ incidentId: first, status: 'DISPATCHED', reportIds: [a.id] });
    await incident({ incidentId: second, status: 'TRIAGED', reportIds: [b.id] });
    await until('both followed', async () => (await statusOf(a.id)) === 'dispatched' && (await statusOf(b.id)) === 'accepted');

    // The same event delivered twice (a redelivery) changes the report once.
    const history = () => count('reports_history', 'report_id = $1', [b.id]);
    const before = await history();
    const redelivered: BusEvent = {
      id: newId(),
      subject: INCIDENT_UPDATED,
      key: second,
      occurredAt: new Date().toISOString(),
      jurisdiction: null,
      permission: null,
      data: { incidentId: second, status: 'ON_SCENE', priority: 'P1', category: 'assault', location: { lon: 0, lat: 0 }, kato: null, reportIds: [b.id], mergedInto: null, note: null, at: new Date().toISOString() },
    };
    const follower = reportsModule.subscribers?.[0];
    if (!follower || !('handleBatch' in follower)) throw new Error('reports follows incidents in batches');
    await follower.handleBatch([redelivered, redelivered], server.kernel); // twice in one batch
    await follower.handleBatch([redelivered], server.kernel); // and once more later
    expect(await history()).toBe(before + 1);
    expect(await statusOf(b.id)).toBe('on_scene');

    // `first` is merged into `second`: a follows `second` from now on; `first`'s late news moves nothing.
    await incident({ incidentId: first, status: 'MERGED', mergedInto: second, reportIds: [a.id] });
    await until('merge followed', async () => (await row(a.id)).incident_id === second);
    expect(await statusOf(a.id)).toBe('dispatched');
    await incident({ incidentId: first, status: 'CLOSED', reportIds: [a.id], note: 'устаревшее' });
    await incident({ incidentId: second, status: 'CANCELLED', reportIds: [b.id] });
    await until('cancelled', async () => (await statusOf(a.id)) === 'closed' && (await statusOf(b.id)) === 'closed');
    const trackA = await track((await row(a.id)).tracking_token as string, 'kk');
    expect(trackA).toMatchObject({ status: 'closed', statusNote: MESSAGES.kk['reports.note.incident_cancelled'] });
    expect(JSON.stringify(trackA)).not.toContain('устаревшее');
    // A malformed event is logged and left behind, not retried forever.
    await follower.handleBatch([{ ...redelivered, id: newId(), data: { incidentId: second } }], server.kernel);
  });
});
