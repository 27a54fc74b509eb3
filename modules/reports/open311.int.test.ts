/**
 * Open311 GeoReport v2 at /open311/v2 through the whole application: every JSON answer is validated against the
 * standard's JSON schemas (copied in open311/schemas, from open311/schema-validation @ 47e06a4); XML answers are
 * parsed back and checked. Requests filed here are the same reports as the JSON API's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../packages/kernel/src/ids.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { type TestServer, testServer } from '../../apps/server/src/testing.ts';
import { INCIDENT_UPDATED, type IncidentChanged } from '../dispatch/events.ts';
import { CATEGORIES } from './config/categories.ts';
import { MESSAGES } from './messages.ts';

const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';
const EGOV = 'tk_egov_demo_Hn5bV8cZ2xQ9wE4rT7yU1iO3';
const TELECOM = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';

// ---- the standard's schemas -------------------------------------------------------------------------------

const schema = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'open311/schemas', `${name}.json`), 'utf8'));
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(schema('request'), 'request.json');
ajv.addSchema(schema('service'), 'service.json');
const validators: Record<string, ValidateFunction> = {
  services: ajv.compile(schema('services')),
  'service-definition': ajv.compile(schema('service-definition')),
  requests: ajv.compile(schema('requests')),
};

/** Asserts a JSON answer and validates it against one of the standard's schemas. */
function valid(res: LightMyRequestResponse, which: keyof typeof validators, status = 200) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = res.json();
  const validate = validators[which];
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body;
}

/** Asserts an Open311 error answer `[{code, description}]` (JSON) and returns the descriptions. */
function errors(res: LightMyRequestResponse, status: number): string[] {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = res.json() as { code: number; description: string }[];
  expect(Array.isArray(body)).toBe(true);
  expect(body.length).toBeGreaterThan(0);
  for (const e of body) {
    expect(e).toEqual({ code: status, description: expect.any(String) });
    expect(e.description.length).toBeGreaterThan(0);
  }
  return body.map((e) => e.description);
}

const xml = new XMLParser({
  parseTagValue: true,
  isArray: (name) => ['service', 'request', 'error', 'attribute', 'value', 'endpoint', 'format'].includes(name),
});
function parsedXml(res: LightMyRequestResponse, status = 200) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(res.body.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
  return xml.parse(res.body);
}

const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();

describe(`Open311 GeoReport v2 on ${backendName}`, () => {
  let server: TestServer;
  const get = (url: string, lang = 'en') => server.app.inject({ method: 'GET', url: `/open311/v2/${url}`, headers: { 'accept-language': lang } });
  const post = (url: string, fields: Record<string, string | number>, lang = 'en') =>
    server.app.inject({
      method: 'POST',
      url: `/open311/v2/${url}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
      payload: form(fields),
    });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const stored = async () => ({ reports: await count('reports_report'), events: await count('kernel_outbox', "subject = 'reports.report.submitted'") });

  /** Almaty, spread out so reports are not duplicates of each other. */
  const almaty = (i: number) => ({ lat: (43.2567 + i * 0.004).toFixed(6), long: (76.9286 - i * 0.004).toFixed(6) });

  beforeAll(async () => {
    // The geocoder reads a real OpenStreetMap extract (Monaco's, the one the road network tests use): addresses there
    // are found and then refused as outside Kazakhstan, which proves the whole path from the file to the refusal.
    server = await testServer({ env: { TARTIP_GAZETTEER_OSM: 'data/monaco-osm/monaco.osm.pbf' } });
  });
  afterAll(async () => server?.close());

  // ---- discovery, services ------------------------------------------------------------------------------
  it('discovery lists this endpoint in JSON and XML', async () => {
    const res = await get('discovery.json');
    expect(res.statusCode).toBe(200);
    const d = res.json();
    expect(d.endpoints).toEqual([
      expect.objectContaining({ specification: 'http://wiki.open311.org/GeoReport_v2', type: 'production', formats: ['application/json', 'text/xml'], url: expect.stringMatching(/\/open311\/v2$/) }),
    ]);
    const x = parsedXml(await get('discovery.xml'));
    expect(x.discovery.endpoints.endpoint[0].specification).toBe('http://wiki.open311.org/GeoReport_v2');
    expect(x.discovery.endpoints.endpoint[0].formats.format).toEqual(['application/json', 'text/xml']);
  });

  it('services: the fifteen categories, valid against services.json, in the caller’s language', async () => {
    const en = valid(await get('services.json'), 'services');
    expect(en.map((s: { service_code: string }) => s.service_code)).toEqual(CATEGORIES.map((c) => c.code));
    expect(en.find((s: { service_code: string }) => s.service_code === 'road-defect')).toMatchObject({ service_name: 'Road defect', metadata: true, type: 'realtime', group: 'Roads and traffic' });
    const kk = valid(await get('services.json', 'kk'), 'services');
    expect(kk[0]).toMatchObject({ service_code: 'theft', service_name: 'Ұрлық', group: 'Қылмыстар' });

    const x = parsedXml(await get('services.xml', 'ru'));
    expect(x.services.service).toHaveLength(15);
    expect(x.services.service[0]).toMatchObject({ service_code: 'theft', service_name: 'Кража', metadata: true, type: 'realtime' });
    // The XML carries the same services as the JSON (and so is valid against the same schema).
    expect(validators.services(x.services.service)).toBe(true);
  });

  it('a service definition lists its attributes and values (JSON and XML); an unknown service is 404', async () => {
    const def = valid(await get('services/road-defect.json', 'ru'), 'service-definition');
    expect(def.service_code).toBe('road-defect');
    expect(def.attributes[0]).toMatchObject({ variable: true, code: 'defect_type', datatype: 'singlevaluelist', required: false, order: 1, description: 'Что случилось с дорогой' });
    expect(def.attributes[0].values).toContainEqual({ key: 'pothole', name: 'Яма' });
    const accident = valid(await get('services/traffic-accident.json'), 'service-definition');
    expect(accident.attributes.find((a: { code: string }) => a.code === 'injured').values.map((v: { key: string }) => v.key)).toEqual(['yes', 'no']);

    const x = parsedXml(await get('services/road-defect.xml'));
    expect(x.service_definition.service_code).toBe('road-defect');
    const attr = x.service_definition.attributes.attribute[0];
    expect(attr).toMatchObject({ code: 'defect_type', datatype: 'singlevaluelist', variable: true, required: false });
    expect(attr.values.value.map((v: { key: string }) => v.key)).toEqual(['pothole', 'manhole', 'traffic_light', 'sign', 'other']);

    expect(errors(await get('services/alien-landing.json'), 404)[0]).toContain('alien-landing');
    const xe = parsedXml(await get('services/alien-landing.xml'), 404);
    expect(xe.errors.error[0].code).toBe(404);
    errors(await get('services.yaml'), 404);
  });

  // ---- creating requests ----------------------------------------------------------------------------------
  it('POST requests (form) with the 102 app’s key files a report like the JSON API does', async () => {
    const before = await stored();
    const res = await post('requests.json', {
      api_key: APP102,
      service_code: 'road-defect',
      ...almaty(1),
      address_string: 'пр. Абая, угол Байзакова',
      'attribute[defect_type]': 'pothole',
      email: 'citizen@example.kz',
      device_id: 'open311-device-1',
      first_name: 'Ерлан',
      last_name: 'Сапаров',
      phone: '8 (701) 234-56-78',
      description: 'Глубокая яма на правой полосе',
      media_url: 'https://example.kz/photo/1.jpg',
      jurisdiction_id: 'tartip.kz',
    });
    expect(res.statusCode, res.body).toBe(200);
    const [created] = res.json();
    expect(created).toEqual({ service_request_id: expect.any(String), token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), service_notice: MESSAGES.en['reports.notice.received'], account_id: null });
    expect(await stored()).toEqual({ reports: before.reports + 1, events: before.events + 1 });

    const [row] = await server.kernel.db.query<Record<string, unknown>>('select * from reports_report where id = $1', [created.service_request_id]);
    expect(row).toMatchObject({
      channel: 'app102',
      category: 'road-defect',
      priority: 'P4',
      contact_name: 'Ерлан Сапаров',
      contact_phone: '+77012345678',
      contact_email: 'citizen@example.kz',
      device_id: 'open311-device-1',
      anonymous: false,
      attributes: { defect_type: 'pothole' },
      media_url: 'https://example.kz/photo/1.jpg',
      address: 'пр. Абая, угол Байзакова',
    });
    expect(row.kato).toMatch(/^75/);
    // Same reports: the citizen's tracking page works with the Open311 token.
    const tracking = await server.app.inject({ method: 'GET', url: `/api/v1/reports/track/${created.token}` });
    expect(tracking.json()).toMatchObject({ id: created.service_request_id, category: 'road-defect' });
    // And the token resolves to the request.
    const token = await get(`tokens/${created.token}.json`);
    expect(token.statusCode).toBe(200);
    expect(token.json()).toEqual([{ service_request_id: created.service_request_id, token: created.token }]);
    const tx = parsedXml(await get(`tokens/${created.token}.xml`));
    expect(tx.service_requests.request[0].service_request_id).toBe(created.service_request_id);
    errors(await get(`tokens/${'B'.repeat(43)}.json`), 404);
  });

  it('POST requests.xml answers in XML; a duplicate nearby gets the duplicate notice', async () => {
    const first = parsedXml(await post('requests.xml', { api_key: EGOV, service_code: 'noise', ...almaty(2) }));
    const id = first.service_requests.request[0].service_request_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const second = parsedXml(await post('requests.xml', { api_key: EGOV, service_code: 'noise', lat: (Number(almaty(2).lat) + 0.0003).toFixed(6), long: almaty(2).long }, 'kk'));
    expect(second.service_requests.request[0].service_notice).toBe(MESSAGES.kk['reports.notice.duplicate']);
    const [row] = await server.kernel.db.query<{ duplicate_of: string; channel: string }>('select duplicate_of, channel from reports_report where id = $1', [
      second.service_requests.request[0].service_request_id,
    ]);
    expect(row).toEqual({ duplicate_of: id, channel: 'egov' });
  });

  it('refuses a missing, unknown or unauthorised api_key with 403, in the caller’s language, storing nothing', async () => {
    const before = await stored();
    const fields = { service_code: 'theft', ...almaty(3) };
    expect(errors(await post('requests.json', fields), 403)).toEqual([MESSAGES.en['reports.open311.invalid_api_key']]);
    expect(errors(await post('requests.json', { ...fields, api_key: 'tk_app102_demo_this_is_not_the_key' }, 'ru'), 403)).toEqual([
      MESSAGES.ru['reports.open311.invalid_api_key'],
    ]);
    errors(await post('requests.json', { ...fields, api_key: TELECOM }), 403);
    const x = parsedXml(await post('requests.xml', { ...fields, api_key: 'nope' }, 'kk'), 403);
    expect(x.errors.error).toEqual([{ code: 403, description: MESSAGES.kk['reports.open311.invalid_api_key'] }]);
    expect(await stored()).toEqual(before);
  });

  it('files a request with an address_string and no lat/long: placed in the district it names, shown approximate', async () => {
    const res = await post('requests.json', { api_key: APP102, service_code: 'noise', address_string: 'Бостандыкский район, г. Алматы, мкр. Орбита-1, 20' });
    expect(res.statusCode, res.body).toBe(200);
    const [created] = res.json();
    const [row] = await server.kernel.db.query<{ kato: string; location_precision: string; address: string }>(
      'select kato, location_precision, address from reports_report where id = $1',
      [created.service_request_id],
    );
    expect(row).toEqual({ kato: '751410000', location_precision: 'district', address: 'Бостандыкский район, г. Алматы, мкр. Орбита-1, 20' });
  });

  it('refuses bad requests with 400 and a description per field, storing nothing', async () => {
    const before = await stored();
    const base = { api_key: APP102, service_code: 'theft', ...almaty(4) };
    expect(errors(await post('requests.json', { ...base, lat: '' }), 400).join(' ')).toMatch(/^lat: Required\./);
    expect(errors(await post('requests.json', { ...base, lat: 'north' }), 400)[0]).toMatch(/^lat: /);
    expect(errors(await post('requests.json', { ...base, lat: '42.8746', long: '74.5698' }, 'en'), 400)).toEqual([`lat/long: The point is outside Kazakhstan.`]);
    expect(errors(await post('requests.json', { ...base, service_code: 'alien-landing' }), 400)[0]).toContain('alien-landing');
    expect(errors(await post('requests.json', { ...base, service_code: 'road-defect', 'attribute[defect_type]': 'volcano' }), 400)[0]).toMatch(/^attribute\[defect_type\]: /);
    expect(errors(await post('requests.json', { ...base, phone: '+996 555 123 456' }), 400)[0]).toMatch(/^phone: /);
    expect(errors(await post('requests.json', { ...base, email: 'not-an-email' }), 400)[0]).toMatch(/^email: /);
    expect(errors(await post('requests.json', { ...base, description: 'x'.repeat(4001) }), 400)[0]).toMatch(/^description: /);
    // GeoReport v2: lat and long together, or an address_string the gazetteer can place.
    const { lat: _lat, long: _long, ...noPoint } = base;
    const { long: _l, ...latOnly } = base;
    expect(errors(await post('requests.json', latOnly), 400)).toEqual(['long: Required.']);
    expect(errors(await post('requests.json', { ...noPoint, address_string: 'ул. Несуществующая, 5' }, 'en'), 400)).toEqual([
      'address_string: This address was not found. Add the city and street, or put a pin on the map.',
    ]);
    expect(errors(await post('requests.json', { ...noPoint, address_string: 'Avenue des Papalins 6, Monaco' }, 'en'), 400)).toEqual([
      'address_string: The point is outside Kazakhstan.',
    ]);
    const x = parsedXml(await post('requests.xml', { ...base, long: '500' }), 400);
    expect(x.errors.error[0].description).toMatch(/^long: /);
    expect(await stored()).toEqual(before);
  });

  // ---- reading requests -----------------------------------------------------------------------------------
  it('GET requests: by id (valid against requests.json), filters, open/closed with the status notes', async () => {
    const file = async (service_code: string, i: number, key = APP102) => {
      const res = await post('requests.json', { api_key: key, service_code, ...almaty(i), description: `Заявка ${i}`, address_string: `Адрес ${i}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json()[0].service_request_id as string;
    };
    const theft = await file('theft', 5);
    const accident = await file('traffic-accident', 6);
    const dv = await file('domestic-violence', 7, EGOV);

    // By id: without the key no text or location; with the key that filed it, everything.
    const bare = valid(await get(`requests/${theft}.json`), 'requests');
    expect(bare).toEqual([expect.objectContaining({ service_request_id: theft, status: 'open', service_code: 'theft', service_name: 'Theft', description: null, lat: null, long: null, address: null })]);
    const full = valid(await get(`requests/${theft}.json?api_key=${APP102}`), 'requests');
    expect(full[0]).toMatchObject({ description: 'Заявка 5', address: 'Адрес 5', lat: Number(almaty(5).lat), long: Number(almaty(5).long) });
    expect(valid(await get(`requests/${theft}.json?api_key=${EGOV}`), 'requests')[0].description).toBeNull();
    errors(await get(`requests/${newId()}.json`), 404);
    errors(await get('requests/not-a-uuid.json'), 404);
    // Sensitive categories are not shown to anyone but the key that filed them.
    errors(await get(`requests/${dv}.json`), 404);
    expect(valid(await get(`requests/${dv}.json?api_key=${EGOV}`), 'requests')[0]).toMatchObject({ service_code: 'domestic-violence', description: 'Заявка 7' });

    // A list of ids overrides the other filters.
    const byIds = valid(await get(`requests.json?service_request_id=${theft},${accident}&service_code=noise`), 'requests');
    expect(byIds.map((r: { service_request_id: string }) => r.service_request_id).sort()).toEqual([theft, accident].sort());

    // Close the theft through dispatch, as the operations centre would: once dispatch (running beside us) has
    // taken the new reports in, on the incident it opened for the theft, if any.
    let quiet = 0;
    while (quiet < 3) {
      await new Promise((r) => setTimeout(r, 100));
      quiet = (await server.kernel.relay.pending()) === 0 ? quiet + 1 : 0;
    }
    const [{ incident_id: opened }] = await server.kernel.db.query<{ incident_id: string | null }>('select incident_id from reports_report where id = $1', [theft]);
    const incident: IncidentChanged = {
      incidentId: opened ?? newId(),
      status: 'CLOSED',
      priority: 'P2',
      locationPrecision: 'point',
      category: 'theft',
      location: { lon: Number(almaty(5).long), lat: Number(almaty(5).lat) },
      kato: '751110000',
      reportIds: [theft],
      mergedInto: null,
      note: 'Похищенное возвращено владельцу',
      at: new Date(Date.now() + 60_000).toISOString(),
    };
    await server.kernel.commands.run({ actor: 'test:dispatch' }, (uow) => uow.emit({ subject: INCIDENT_UPDATED, key: incident.incidentId, data: incident }));
    const deadline = Date.now() + 15_000;
    let closed: { status: string; status_notes: string | null }[] = [];
    while (Date.now() < deadline) {
      closed = valid(await get(`requests.json?service_request_id=${theft}`), 'requests');
      if (closed[0]?.status === 'closed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(closed[0]).toMatchObject({ status: 'closed', status_notes: 'Похищенное возвращено владельцу' });

    const ids = (body: { service_request_id: string }[]) => body.map((r) => r.service_request_id);
    const closedOnes = ids(valid(await get('requests.json?status=closed'), 'requests'));
    expect(closedOnes).toContain(theft);
    expect(closedOnes).not.toContain(accident);
    const openOnes = ids(valid(await get('requests.json?status=open'), 'requests'));
    expect(openOnes).toContain(accident);
    expect(openOnes).not.toContain(theft);
    expect(ids(valid(await get('requests.json?status=open,closed&service_code=theft,traffic-accident'), 'requests'))).toEqual(expect.arrayContaining([theft, accident]));
    expect(ids(valid(await get('requests.json?service_code=traffic-accident'), 'requests'))).toEqual([accident]);
    // Keyless lists leave out sensitive categories; the filing key sees its own.
    expect(ids(valid(await get('requests.json'), 'requests'))).not.toContain(dv);
    expect(ids(valid(await get(`requests.json?api_key=${EGOV}`), 'requests'))).toContain(dv);
    // Dates: a window in the future is empty; one around now has them; newest first.
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect(valid(await get(`requests.json?start_date=${encodeURIComponent(future)}`), 'requests')).toEqual([]);
    const around = ids(valid(await get(`requests.json?start_date=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&end_date=${encodeURIComponent(future)}`), 'requests'));
    expect(around.indexOf(accident)).toBeLessThan(around.indexOf(theft));
    errors(await get('requests.json?start_date=yesterday'), 400);
    errors(await get(`requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z`), 400); // over 90 days
    errors(await get(`requests.json?start_date=2025-06-01T00:00:00Z&end_date=2025-05-01T00:00:00Z`), 400);
    errors(await get('requests.json?status=pending'), 400);
    errors(await get('requests.json?service_code=alien-landing'), 400);

    const x = parsedXml(await get(`requests.xml?service_request_id=${theft}&api_key=${APP102}`, 'ru'));
    expect(x.service_requests.request).toHaveLength(1);
    expect(x.service_requests.request[0]).toMatchObject({
      service_request_id: theft,
      status: 'closed',
      status_notes: 'Похищенное возвращено владельцу',
      service_code: 'theft',
      service_name: 'Кража',
      description: 'Заявка 5',
      lat: Number(almaty(5).lat),
    });
    const empty = parsedXml(await get(`requests.xml?start_date=${encodeURIComponent(future)}`));
    expect(empty.service_requests).toBe('');
  });
});
