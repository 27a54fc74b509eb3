/**
 * The fraud API through the whole application (PGlite + memory bus, or PostgreSQL + NATS when the test URLs are set):
 * shared indicators (clear and hashed, import/export, revocation, refusals that store nothing), call screening with
 * STIR/SHAKEN certificates served by a real local HTTP server, roaming, transaction screening (JSON and ISO 20022),
 * the in-memory set following the module's events, asynchronous decision records, feedback and precision, and
 * screening that goes on, on safe defaults, when the database is gone.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../packages/kernel/src/auth/identity.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { problem, type TestServer, testServer, until } from '../../apps/server/src/testing.ts';
import { DEMO_HASH_KEY } from './config/settings.ts';
import { identifierHash } from './domain/identifiers.ts';
import { CALLS_RISKY, INDICATORS_CHANGED } from './events.ts';
import { fraudRuntime } from './index.ts';
import { FraudRuntime } from './runtime.ts';
import { pacs008 } from './testing/iso20022.ts';
import { paysimSample } from './testing/paysim.ts';
import { identityHeader, PKI_DIR, pem } from './testing/passport.ts';

const BANK = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const TELECOM = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';
const tkEgov = 'tk_egov_demo_Hn5bV8cZ2xQ9wE4rT7yU1iO3';
const IBAN_A = 'KZ86125KZT5004100100';
const IBAN_B = 'KZ75125KZT2069100100';
const IBAN_C = 'KZ18722S000012345678';
const IBAN_D = 'KZ16601A871001234567';
const IBAN_E = 'KZ75125KZT1001300335';
const IBAN_F = 'KZ29914398KZT0000111';
const IBAN_G = 'KZ14998CTB0000123456';
const IBAN_H = 'KZ57070KZT1000000001';
/** Accounts only the batch tests use, so that their velocity does not reach the others. */
const IBAN_X = 'KZ70125KZT7770000001';
const IBAN_Y = 'KZ43125KZT7770000002';


/** Serves the test PKI as x5u URLs; counts requests so caching can be seen. */
async function certServer(): Promise<{ server: Server; base: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const files: Record<string, string> = {
    '/sp.pem': pem('sp.pem'),
    '/chain.pem': pem('sp.pem') + pem('sti-ca.pem'),
    '/expired.pem': pem('sp-expired.pem'),
    '/rogue.pem': pem('sp-rogue.pem'),
  };
  const server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    const body = files[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const ENV = {
  TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS: join(PKI_DIR, 'sti-ca.pem'),
  TARTIP_FRAUD_SHAKEN_ALLOW_HTTP: 'true',
  // The test's certificate server is on 127.0.0.1.
  TARTIP_FRAUD_SHAKEN_ALLOW_PRIVATE: 'true',
  TARTIP_FRAUD_HEALTH_MS: '100',
  TARTIP_FRAUD_KZT_RATES: 'USD=470,EUR=510',
};

describe(`fraud API on ${backendName}`, () => {
  let server: TestServer;
  let certs: Awaited<ReturnType<typeof certServer>>;

  const db = () => server.kernel.db;
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number((await db().query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n);
  const writes = async () => ({
    indicators: await count('fraud_indicator'),
    events: await count('kernel_outbox', "subject like 'fraud.%'"),
    audit: await count('kernel_audit', "entity like 'fraud_%'"),
  });
  const key = (k: string, o: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }) =>
    server.app.inject({ method: o.method, url: o.url, payload: o.payload as object, headers: { 'x-api-key': k, 'accept-language': 'en', ...o.headers } });
  const indicator = (k: string, body: Record<string, unknown>) => key(k, { method: 'POST', url: '/api/v1/fraud/indicators', payload: body });
  const screenCall = (body: Record<string, unknown>) => key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen', payload: body });
  const screenTx = (body: Record<string, unknown>) => key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen', payload: body });
  const call = async (body: Record<string, unknown>) => {
    const res = await screenCall({ trunk: 'tg-intl-1', ingress: 'domestic', ...body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; outcome: string; reasons: string[]; attestation: string | null; degraded: boolean; latencyUs: number };
  };
  const tx = async (body: Record<string, unknown>) => {
    const res = await screenTx({ id: newId(), amount: 20_000, ...body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; outcome: string; score: number; reasons: string[]; typologies: { id: string; score: number }[]; degraded: boolean };
  };
  const h = (kind: 'phone' | 'iban' | 'card' | 'imei' | 'imsi', v: string) => identifierHash(DEMO_HASH_KEY, kind, v);
  const iat = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    certs = await certServer();
    server = await testServer({ env: ENV });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((r) => certs?.server.close(r));
  });

  describe('shared indicators', () => {
    it('a partner contributes a phone in Kazakhstan’s national form: normalised, hashed, audited, published, in force at once', async () => {
      const before = await writes();
      const res = await indicator(BANK, { kind: 'phone', value: '8 (705) 111-22-33', source: 'bank', sourceRef: 'case-17', confidence: 0.9, effect: 'block', overridable: false });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({ kind: 'phone', value: '+77051112233', hash: h('phone', '+77051112233'), effect: 'block', overridable: false, contributor: 'partner:demo-bank', revoked: false });
      const after = await writes();
      expect(after).toEqual({ indicators: before.indicators + 1, events: before.events + 1, audit: before.audit + 1 });
      expect(await count('kernel_audit', "action = 'indicator.upserted' and entity_id = $1 and actor = 'partner:demo-bank'", [body.id])).toBe(1);
      const blocked = await call({ caller: '+77051112233', called: '+77011234567' });
      expect(blocked).toMatchObject({ outcome: 'block', reasons: ['caller_listed_block', 'shaken_absent'] });
      // The decision log says which indicator fired — what an analyst opens to review or revoke it; a decision that
      // matched none says nothing of indicators.
      const clean = await call({ caller: '+77051112299', called: '+77011234567' });
      await fraudRuntime(server.kernel).recorder.flush();
      const subjectOf = async (id: string) => (await server.kernel.db.query<{ subject: Record<string, unknown> }>('select subject from fraud_decision where id = $1', [id]))[0].subject;
      expect((await subjectOf(blocked.id)).indicators).toEqual([body.id]);
      expect(await subjectOf(clean.id)).not.toHaveProperty('indicators');
    });

    it('the same contributor sending it again replaces it rather than adding one', async () => {
      const first = (await indicator(BANK, { kind: 'imei', value: '490154203237518', source: 'bank', confidence: 0.5, effect: 'warn' })).json();
      const again = await indicator(BANK, { kind: 'imei', value: '49-015420-323751-8', source: 'bank', confidence: 0.8, effect: 'warn' });
      expect(again.statusCode).toBe(201);
      expect(again.json()).toMatchObject({ id: first.id, confidence: 0.8 });
      expect(await count('fraud_indicator', "kind = 'imei'")).toBe(1);
    });

    it('identifiers shared hashed are matched against identifiers in the clear, and the other way round', async () => {
      // The operator knows only the hash of the account; staff look it up by the IBAN itself.
      const res = await indicator(TELECOM, { kind: 'iban', hash: h('iban', IBAN_C), source: 'operator', confidence: 0.95, effect: 'warn' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().value).toBeNull();
      const found = await server.as('fraud', { method: 'GET', url: `/api/v1/fraud/indicators?kind=iban&value=${encodeURIComponent('kz18 722s 0000 1234 5678')}` });
      expect(found.statusCode, found.body).toBe(200);
      expect(found.json().items).toEqual([expect.objectContaining({ hash: h('iban', IBAN_C), contributor: 'partner:demo-telecom' })]);
      // A partner sees the others' identifiers only as hashes, its own in the clear.
      const asTelecom = (await key(TELECOM, { method: 'GET', url: '/api/v1/fraud/indicators?kind=phone&value=%2B77051112233' })).json();
      expect(asTelecom.items).toEqual([expect.objectContaining({ value: null, sourceRef: null, hash: h('phone', '+77051112233') })]);
      const asBank = (await key(BANK, { method: 'GET', url: '/api/v1/fraud/indicators?kind=phone&value=%2B77051112233' })).json();
      expect(asBank.items).toEqual([expect.objectContaining({ value: '+77051112233', sourceRef: 'case-17' })]);
      expect(await count('kernel_audit', "action = 'indicators.read'")).toBeGreaterThanOrEqual(3);
    });

    it('a card number is hashed at once and never stored', async () => {
      const pan = '4111111111111111';
      const res = await indicator(BANK, { kind: 'card', value: '4111 1111 1111 1111', source: 'bank', confidence: 0.7, effect: 'block' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ value: null, hash: h('card', pan) });
      expect(await count('fraud_indicator', "to_jsonb(fraud_indicator)::text like '%' || $1 || '%'", [pan])).toBe(0);
      expect(await count('kernel_outbox', "payload::text like '%' || $1 || '%'", [pan])).toBe(0);
      expect(await count('kernel_audit', "to_jsonb(kernel_audit)::text like '%' || $1 || '%'", [pan])).toBe(0);
    });

    it('bad input gets a localised 4xx and stores nothing', async () => {
      const before = await writes();
      const badImei = await indicator(BANK, { kind: 'imei', value: '490154203237519', source: 'bank', confidence: 0.5, effect: 'warn' });
      expect(problem(badImei, 400, 'validation_failed').errors).toEqual([{ path: 'body.value', code: 'fraud.bad_check_digit', message: 'The check digit is wrong.' }]);
      const ru = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', headers: { 'accept-language': 'ru' }, payload: { kind: 'phone', value: '12', source: 'bank', confidence: 0.5, effect: 'warn' } });
      expect(problem(ru, 400, 'validation_failed').errors?.[0]).toMatchObject({ path: 'body.value', code: 'fraud.invalid_phone', message: expect.stringContaining('Номер телефона') });
      const kk = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', headers: { 'accept-language': 'kk' }, payload: { kind: 'iban', value: IBAN_A, hash: h('iban', IBAN_A), source: 'bank', confidence: 0.5, effect: 'warn' } });
      expect(problem(kk, 400, 'validation_failed').errors?.[0]).toMatchObject({ path: 'body.value', code: 'fraud.value_or_hash', message: expect.stringContaining('хэш') });
      problem(await indicator(BANK, { kind: 'phone', value: '+77011234567', source: 'bank', confidence: 1.5, effect: 'warn' }), 400, 'validation_failed');
      problem(await indicator(BANK, { kind: 'phone', value: '+77011234567', source: 'gossip', confidence: 0.5, effect: 'warn' }), 400, 'validation_failed');
      // A partner's key sends as what it is: a bank cannot label its indicator a police case or an operator's.
      const posing = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', headers: { 'accept-language': 'ru' }, payload: { kind: 'phone', value: '+77011234567', source: 'police_case', confidence: 1, effect: 'block', overridable: false } });
      expect(problem(posing, 400, 'validation_failed').errors).toEqual([{ path: 'body.source', code: 'fraud.source_not_yours', message: 'Этот ключ может передавать индикаторы только с источником: bank.' }]);
      problem(await indicator(TELECOM, { kind: 'phone', value: '+77011234567', source: 'bank', confidence: 0.5, effect: 'warn' }), 400, 'validation_failed');
      problem(await indicator(BANK, { kind: 'phone', value: '+77011234567', source: 'citizen_report', confidence: 0.5, effect: 'warn' }), 400, 'validation_failed');
      const period = await indicator(BANK, { kind: 'phone', value: '+77011234567', source: 'bank', confidence: 0.5, effect: 'warn', validFrom: '2026-12-01T00:00:00Z', validUntil: '2026-11-01T00:00:00Z' });
      expect(problem(period, 400, 'validation_failed').errors?.[0]).toMatchObject({ path: 'body.validUntil', code: 'invalid_value' });
      expect(await writes()).toEqual(before);
    });

    it('who may: fraud staff write, other staff and partners without the scope are refused', async () => {
      const body = { kind: 'phone', value: '+77011110000', source: 'police_case', confidence: 0.6, effect: 'warn' };
      expect((await server.as('fraud', { method: 'POST', url: '/api/v1/fraud/indicators', payload: body })).statusCode).toBe(201);
      problem(await server.as('supervisor', { method: 'POST', url: '/api/v1/fraud/indicators', payload: body }), 403, 'forbidden');
      problem(await server.as('officer', { method: 'GET', url: '/api/v1/fraud/indicators' }), 403, 'forbidden');
      problem(await indicator(APP102, body), 403, 'forbidden');
      problem(await server.app.inject({ method: 'POST', url: '/api/v1/fraud/indicators', payload: body }), 401, 'unauthenticated');
    });

    it('bulk import is all or nothing; export gives NDJSON', async () => {
      const lines = [
        { kind: 'phone', value: '+77020000001', source: 'bank', confidence: 0.4, effect: 'warn' },
        { kind: 'iban', value: IBAN_D, source: 'bank', confidence: 0.99, effect: 'block', overridable: false },
        { kind: 'imsi', value: '401011234567890', source: 'bank', confidence: 0.7, effect: 'warn' },
      ];
      const ndjson = (xs: unknown[]) => xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
      const before = await writes();
      const bad = await key(BANK, {
        method: 'POST',
        url: '/api/v1/fraud/indicators/import',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: ndjson([lines[0], { ...lines[1], value: 'KZ00125KZT5004100100' }, '{not json', { ...lines[2], extra: 1 }]),
      });
      expect(problem(bad, 400, 'validation_failed').errors?.map((e) => [e.path, e.code])).toEqual([
        ['body.1.value', 'fraud.bad_check_digit'],
        ['body.2', 'fraud.invalid_json_line'],
        ['body.3.extra', 'unrecognized_key'],
      ]);
      expect(await writes()).toEqual(before);
      const ok = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators/import', headers: { 'content-type': 'application/x-ndjson' }, payload: `${ndjson(lines)}\n` });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ imported: 3 });
      expect(await count('kernel_audit', "action = 'indicators.imported'")).toBe(1);
      const exported = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/indicators/export' });
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const rows = exported.body.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => r.value)).toEqual(expect.arrayContaining(['+77020000001', IBAN_D, '401011234567890']));
      // The imported non-overridable block on the payee account applies at once.
      expect(await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_D }, override: true })).toMatchObject({ outcome: 'block', reasons: ['payee_listed_block'] });
    });

    it('an identifier on several lines of one import, or twice in one roaming feed, is stored once, as its last mention says', async () => {
      // The same number in its national and international forms, then the same account twice: before, one statement
      // touched a row twice and PostgreSQL refused it (a 500, nothing stored).
      const lines = [
        { kind: 'phone', value: '8 702 000 00 09', source: 'bank', confidence: 0.4, effect: 'warn' },
        { kind: 'iban', value: IBAN_D, source: 'bank', confidence: 0.5, effect: 'warn' },
        { kind: 'phone', value: '+77020000009', source: 'bank', confidence: 0.9, effect: 'block' },
        { kind: 'iban', value: IBAN_D, source: 'bank', confidence: 0.99, effect: 'block', overridable: false },
      ];
      const res = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators/import', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.map((l) => JSON.stringify(l)).join('\n') });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ imported: 2 });
      const rows = await db().query<{ kind: string; confidence: number; effect: string }>(
        "select kind, confidence, effect from fraud_indicator where contributor = 'partner:demo-bank' and value in ('+77020000009', $1) order by kind",
        [IBAN_D],
      );
      expect(rows).toEqual([
        { kind: 'iban', confidence: 0.99, effect: 'block' },
        { kind: 'phone', confidence: 0.9, effect: 'block' },
      ]);
      expect(fraudRuntime(server.kernel).indicators.lookup('phone', h('phone', '+77020000009'), Date.now())).toMatchObject({ effect: 'block' });

      const fed = await key(TELECOM, {
        method: 'PUT',
        url: '/api/v1/fraud/roaming',
        payload: { items: [{ msisdn: '+77012223355', roaming: true }, { msisdn: '8 701 222 33 55', roaming: false }] },
      });
      expect(fed.statusCode, fed.body).toBe(200);
      expect(fed.json()).toEqual({ updated: 1 });
      expect(await db().query("select roaming from fraud_roaming where msisdn = '+77012223355'")).toEqual([{ roaming: false }]);
    });

    it('the export holds the indicators in force only, and is imported again as it is', async () => {
      // One that has expired (a SIM-box warning of last month) and one not yet in force: neither is exported.
      await db().query(
        `insert into fraud_indicator (id, kind, value_hash, value, source, confidence, effect, overridable, valid_from, valid_until, contributor, created_at, updated_at)
         values (gen_random_uuid(), 'phone', $1, '+77020000101', 'operator', 0.9, 'warn', true, now() - interval '60 days', now() - interval '30 days', 'partner:demo-telecom', now(), now()),
                (gen_random_uuid(), 'phone', $2, '+77020000102', 'operator', 0.9, 'warn', true, now() + interval '1 day', null, 'partner:demo-telecom', now(), now())`,
        [h('phone', '+77020000101'), h('phone', '+77020000102')],
      );
      expect((await indicator(BANK, { kind: 'phone', value: '+77020000103', source: 'bank', confidence: 0.8, effect: 'warn' })).statusCode).toBe(201);
      const exported = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/indicators/export' });
      expect(exported.statusCode).toBe(200);
      const lines = exported.body.trim().split('\n');
      const values = lines.map((l) => JSON.parse(l).value);
      expect(values).not.toContain('+77020000101');
      expect(values).not.toContain('+77020000102');
      expect(values).toContain('+77020000103');

      // The same file, imported by the analyst as it is: every line taken, each now the analyst's own as well.
      const before = await count('fraud_indicator', "contributor like 'user:%'");
      const res = await server.as('fraud', { method: 'POST', url: '/api/v1/fraud/indicators/import', headers: { 'content-type': 'application/x-ndjson' }, payload: exported.body });
      expect(res.statusCode, res.body).toBe(200);
      const distinct = new Set(lines.map((l) => `${JSON.parse(l).kind}:${JSON.parse(l).hash}`)).size;
      expect(res.json()).toEqual({ imported: distinct });
      expect(await count('fraud_indicator', "contributor like 'user:%'")).toBeGreaterThan(before);
      // A line that says it was revoked is not an indicator to import.
      const revoked = { ...JSON.parse(lines[0]), revoked: true };
      const refused = await server.as('fraud', { method: 'POST', url: '/api/v1/fraud/indicators/import', headers: { 'content-type': 'application/x-ndjson', 'accept-language': 'en' }, payload: JSON.stringify(revoked) });
      expect(problem(refused, 400, 'validation_failed').errors?.map((e) => [e.path, e.code])).toEqual([['body.0.revoked', 'unrecognized_key']]);
      // The two rows written beside the API are not the running process's: remove them for the tests that follow.
      await db().query("delete from fraud_indicator where value in ('+77020000101', '+77020000102')");
    });

    it('revocation takes an indicator out of force; a partner may revoke only its own', async () => {
      const created = (await indicator(BANK, { kind: 'phone', value: '+77059990000', source: 'bank', confidence: 0.9, effect: 'block' })).json();
      expect((await call({ caller: '+77059990000', called: '+77011234567' })).outcome).toBe('block');
      problem(await key(TELECOM, { method: 'DELETE', url: `/api/v1/fraud/indicators/${created.id}` }), 404, 'not_found');
      const res = await key(BANK, { method: 'DELETE', url: `/api/v1/fraud/indicators/${created.id}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().revoked).toBe(true);
      expect((await call({ caller: '+77059990000', called: '+77011234567' })).outcome).toBe('allow');
    });

    it('every process’s set follows the module’s events (an indicator written elsewhere)', async () => {
      const at = new Date().toISOString();
      const hash = h('phone', '+77071234000');
      // What another process's upsert publishes; this process never saw the write.
      await server.kernel.commands.run({ actor: 'test:other-process' }, (uow) =>
        uow.emit({
          subject: INDICATORS_CHANGED,
          data: { items: [{ id: newId(), kind: 'phone', hash, source: 'operator', confidence: 0.8, effect: 'warn', overridable: true, validFrom: at, validUntil: null, revoked: false, updatedAt: at }] },
        }),
      );
      await until('the event to reach the set', async () => fraudRuntime(server.kernel).indicators.lookup('phone', hash, Date.now()));
      expect(await call({ caller: '+77071234000', called: '+77011234567' })).toMatchObject({ outcome: 'label', reasons: ['caller_listed_warn', 'shaken_absent'] });
    });
    it('a process starting later loads the indicators in force from the table', async () => {
      const rt = fraudRuntime(server.kernel);
      const fresh = new FraudRuntime(server.kernel, rt.settings);
      await fresh.start();
      try {
        const inForce = await count('fraud_indicator', 'revoked_at is null and (valid_until is null or valid_until > now())');
        // The indicator only ever published as an event (never written to the table) is the one difference.
        expect(fresh.indicators.size).toBe(inForce);
        expect(rt.indicators.size).toBe(inForce + 1);
        expect(fresh.indicators.lookup('phone', h('phone', '+77051112233'), Date.now())).toMatchObject({ effect: 'block', overridable: false });
        expect(fresh.indicators.lookup('phone', h('phone', '+77059990000'), Date.now())).toBeNull(); // revoked
      } finally {
        await fresh.stop();
      }
    });
  });

  describe('call screening', () => {
    it('a Kazakhstan number on an international ingress is blocked unless its operator says it is roaming', async () => {
      expect(await call({ caller: '+77012223344', called: '+77273334455', ingress: 'international' })).toMatchObject({ outcome: 'block', reasons: ['domestic_cli_international_ingress', 'shaken_absent'] });
      expect(await call({ caller: '+79161234567', called: '+77273334455', ingress: 'international' })).toMatchObject({ outcome: 'allow' });
      const fed = await key(TELECOM, { method: 'PUT', url: '/api/v1/fraud/roaming', payload: { items: [{ msisdn: '8 701 222 33 44', roaming: true }] } });
      expect(fed.statusCode, fed.body).toBe(200);
      expect(await call({ caller: '+77012223344', called: '+77273334455', ingress: 'international' })).toMatchObject({ outcome: 'allow', reasons: ['roaming_confirmed', 'shaken_absent'] });
      await key(TELECOM, { method: 'PUT', url: '/api/v1/fraud/roaming', payload: { items: [{ msisdn: '+77012223344', roaming: false }] } });
      expect((await call({ caller: '+77012223344', called: '+77273334455', ingress: 'international' })).outcome).toBe('block');
      expect(await count('fraud_roaming', "msisdn = '+77012223344'")).toBe(1);
    });

    it('only an operator’s key feeds roaming, SIM registrations and call records: a bank’s is refused and changes nothing', async () => {
      const spoofed = { caller: '+77012229988', called: '+77273334455', ingress: 'international' };
      expect((await call(spoofed)).outcome).toBe('block');
      const before = { roaming: await count('fraud_roaming'), sims: await count('fraud_sim_registration') };
      const roaming = await key(BANK, { method: 'PUT', url: '/api/v1/fraud/roaming', headers: { 'accept-language': 'ru' }, payload: { items: [{ msisdn: spoofed.caller, roaming: true }] } });
      expect(problem(roaming, 403, 'forbidden').detail).toContain('fraud:screen (channel telecom)');
      problem(await key(BANK, { method: 'POST', url: '/api/v1/fraud/sim-registrations', payload: { items: [{ iin: '850104300120', msisdn: spoofed.caller, event: 'registered', at: new Date().toISOString() }] } }), 403, 'forbidden');
      problem(await key(BANK, { method: 'POST', url: '/api/v1/fraud/cdrs', headers: { 'content-type': 'application/x-ndjson' }, payload: '{}' }), 403, 'forbidden');
      expect({ roaming: await count('fraud_roaming'), sims: await count('fraud_sim_registration') }).toEqual(before);
      // The spoofed number stays blocked on the international ingress.
      expect((await call(spoofed)).outcome).toBe('block');
    });

    it('verifies STIR/SHAKEN PASSporTs with the certificate fetched from x5u over HTTP, and caches it', async () => {
      const c = { caller: '+77011234567', called: '+77273334455' };
      const identity = (o: Partial<Parameters<typeof identityHeader>[0]> = {}) => identityHeader({ x5u: `${certs.base}/sp.pem`, orig: c.caller, dest: [c.called], iat: iat(), ...o });
      expect(await call({ ...c, identity: identity() })).toMatchObject({ outcome: 'allow', reasons: ['shaken_a'], attestation: 'A' });
      expect(await call({ ...c, identity: identity({ attest: 'B' }) })).toMatchObject({ outcome: 'label', reasons: ['shaken_b'], attestation: 'B' });
      expect(await call({ ...c, identity: identity({ attest: 'C', x5u: `${certs.base}/chain.pem` }) })).toMatchObject({ outcome: 'label', reasons: ['shaken_c'] });
      expect(certs.hits.get('/sp.pem')).toBe(1);
      const refused: [Partial<Parameters<typeof identityHeader>[0]>, string][] = [
        [{ x5u: `${certs.base}/expired.pem`, key: 'sp-expired.key' }, 'shaken_invalid_cert_expired'],
        [{ x5u: `${certs.base}/rogue.pem`, key: 'sp-rogue.key' }, 'shaken_invalid_cert_untrusted'],
        [{ x5u: `${certs.base}/gone.pem` }, 'shaken_invalid_cert_unavailable'],
        [{ key: 'sp-rogue.key' }, 'shaken_invalid_bad_signature'],
        [{ iat: iat() - 3600 }, 'shaken_invalid_stale_iat'],
        [{ orig: '+77019998877' }, 'shaken_invalid_orig_mismatch'],
        [{ header: { alg: 'HS256' } }, 'shaken_invalid_wrong_alg'],
      ];
      for (const [o, reason] of refused) expect(await call({ ...c, identity: identity(o) }), reason).toMatchObject({ outcome: 'label', reasons: [reason], attestation: null });
    });

    it('refuses a number that is not one, in the caller’s language, and records nothing', async () => {
      const rt = fraudRuntime(server.kernel);
      await rt.recorder.flush();
      const before = await count('fraud_decision');
      const res = await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen', headers: { 'accept-language': 'kk' }, payload: { caller: 'anonymous', called: '+77273334455', ingress: 'domestic', trunk: 't1' } });
      expect(problem(res, 400, 'validation_failed').errors).toEqual([{ path: 'body.caller', code: 'fraud.invalid_phone', message: expect.stringContaining('Телефон нөмірі') }]);
      problem(await screenCall({ caller: '+77011234567', called: '+77273334455', ingress: 'satellite', trunk: 't1' }), 400, 'validation_failed');
      problem(await server.as('fraud', { method: 'POST', url: '/api/v1/fraud/calls/screen', payload: { caller: '+77011234567', called: '+77273334455', ingress: 'domestic', trunk: 't1' } }), 403, 'forbidden');
      await rt.recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });

    it('every decision is recorded behind the answer, with its reasons and latency', async () => {
      const d = await call({ caller: '+77012220000', called: '+77273330000' });
      await fraudRuntime(server.kernel).recorder.flush();
      const [row] = await db().query<{ outcome: string; reasons: string[]; latency_us: number; partner: string; degraded: boolean }>(
        'select outcome, reasons, latency_us, partner, degraded from fraud_decision where id = $1',
        [d.id],
      );
      expect(row).toMatchObject({ outcome: 'allow', reasons: ['shaken_absent'], partner: 'partner:demo-telecom', degraded: false });
      expect(row.latency_us).toBe(d.latencyUs);
    });
  });

  describe('batches', () => {
    it('a batch of calls gets one decision per call, in order, each as if screened alone and each recorded', async () => {
      const rt = fraudRuntime(server.kernel);
      await indicator(TELECOM, { kind: 'phone', value: '+77015550001', source: 'operator', confidence: 0.9, effect: 'block' });
      const calls = [
        { caller: '+77015550001', called: '+77273330001', ingress: 'domestic', trunk: 't1' },
        { caller: '+77015550002', called: '+77273330002', ingress: 'international', trunk: 'intl-1' },
        { caller: '+77015550003', called: '+77273330003', ingress: 'domestic', trunk: 't1' },
      ];
      const res = await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen/batch', payload: { calls } });
      expect(res.statusCode, res.body).toBe(200);
      const { decisions } = res.json() as { decisions: { id: string; outcome: string; reasons: string[] }[] };
      expect(decisions.map((d) => [d.outcome, d.reasons[0]])).toEqual([
        ['block', 'caller_listed_block'],
        ['block', 'domestic_cli_international_ingress'],
        ['allow', 'shaken_absent'],
      ]);
      expect(new Set(decisions.map((d) => d.id)).size).toBe(3);
      await rt.recorder.flush();
      const rows = await db().query<{ id: string; outcome: string }>('select id, outcome from fraud_decision where id = any($1::uuid[])', [decisions.map((d) => d.id)]);
      expect(new Map(rows.map((r) => [r.id, r.outcome]))).toEqual(new Map(decisions.map((d) => [d.id, d.outcome])));
    });

    it('one bad call or transfer refuses the whole batch, naming it, and nothing is decided or recorded', async () => {
      const rt = fraudRuntime(server.kernel);
      await rt.recorder.flush();
      const before = await count('fraud_decision');
      const calls = [
        { caller: '+77015550004', called: '+77273330004', ingress: 'domestic', trunk: 't1' },
        { caller: '+77015550005', called: '+77273330005', ingress: 'domestic', trunk: 't1' },
        { caller: 'withheld', called: '+77273330006', ingress: 'domestic', trunk: 't1' },
      ];
      const res = await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen/batch', headers: { 'accept-language': 'ru' }, payload: { calls } });
      expect(problem(res, 400, 'validation_failed').errors).toEqual([{ path: 'body.calls.2.caller', code: 'fraud.invalid_phone', message: expect.any(String) }]);
      const txs = [
        { id: 'b-1', amount: 100, payer: { account: IBAN_X }, payee: { account: IBAN_Y } },
        { id: 'b-2', amount: 100, payer: { account: 'KZ00125KZT5004100100' }, payee: { account: IBAN_Y } },
      ];
      const bad = await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen/batch', payload: { transactions: txs } });
      expect(problem(bad, 400, 'validation_failed').errors).toMatchObject([{ path: 'body.transactions.1.payer.account', code: 'fraud.bad_check_digit' }]);
      problem(await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen/batch', payload: { transactions: [] } }), 400, 'validation_failed');
      problem(await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen/batch', payload: { calls: Array.from({ length: 1001 }, () => calls[0]) } }), 400, 'validation_failed');
      await rt.recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });

    it('a later transfer of a batch sees the earlier ones: velocity counts within the batch as one by one', async () => {
      const one = { amount: 1_000, payer: { account: IBAN_X }, payee: { account: IBAN_Y } };
      const res = await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen/batch', payload: { transactions: Array.from({ length: 30 }, (_, i) => ({ id: `v-${i}`, ...one })) } });
      expect(res.statusCode, res.body).toBe(200);
      const { decisions } = res.json() as { decisions: { transactionId: string; rules: { rule: string; value: number }[] }[] };
      expect(decisions.map((d) => d.transactionId)).toEqual(Array.from({ length: 30 }, (_, i) => `v-${i}`));
      const velocity = decisions.map((d) => d.rules.find((r) => r.rule === 'velocity')?.value ?? -1);
      expect(velocity[29]).toBeGreaterThan(velocity[0]);
    });
  });

  describe('citizens’ fraud reports', () => {
    const report = (body: Record<string, unknown>, k = APP102, lang = 'en') =>
      key(k, { method: 'POST', url: '/api/v1/fraud/citizen-reports', headers: { 'accept-language': lang }, payload: body });

    it('a report opens a case and its numbers become warn indicators at once, more confident with each further report', async () => {
      const first = await report({ phones: ['8 778 123 45 67'], accounts: [IBAN_H], cards: ['4111111111111111'], description: 'Звонили из «банка», просили код', amount: 150_000 });
      expect(first.statusCode, first.body).toBe(201);
      const c1 = first.json();
      expect(c1.indicators).toEqual(
        expect.arrayContaining([
          { kind: 'phone', hash: h('phone', '+77781234567'), reports: 1, confidence: 0.4, listed: true },
          { kind: 'iban', hash: h('iban', IBAN_H), reports: 1, confidence: 0.4, listed: true },
          { kind: 'card', hash: h('card', '4111111111111111'), reports: 1, confidence: 0.4, listed: true },
        ]),
      );
      // The call from that number is labelled straight away.
      expect(await call({ caller: '+77781234567', called: '+77011234567' })).toMatchObject({ outcome: 'label', reasons: ['caller_listed_warn', 'shaken_absent'] });
      await report({ phones: ['+77781234567'] }, tkEgov);
      const third = (await report({ phones: ['+7 778 123-45-67'] })).json();
      expect(third.indicators).toEqual([{ kind: 'phone', hash: h('phone', '+77781234567'), reports: 3, confidence: 0.7, listed: true }]);
      expect(await count('fraud_indicator', "contributor = 'citizen-reports' and kind = 'phone' and value = '+77781234567'")).toBe(1);
      expect(await count('fraud_case')).toBe(3);
      expect(await count('kernel_audit', "action = 'case.opened'")).toBe(3);
      expect(await count('fraud_case_identifier', "kind = 'card' and value is not null")).toBe(0);
      const cases = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/cases?limit=5' });
      expect(cases.statusCode, cases.body).toBe(200);
      expect(cases.json().items[2]).toMatchObject({ id: c1.caseId, channel: 'app102', reporter: 'partner:app-102', amount: 150_000, currency: 'KZT', status: 'open' });
      expect(cases.json().items[1]).toMatchObject({ channel: 'egov' });
    });

    it('one reporter’s reports count once; an analyst’s revocation stays; an analyst works the case', async () => {
      const phone = '+77781239900';
      const r1 = (await report({ phones: [phone], reporter: 'device-aa11' })).json();
      const r2 = (await report({ phones: [phone], reporter: 'device-aa11' })).json();
      expect(r2.indicators).toEqual([{ kind: 'phone', hash: h('phone', phone), reports: 1, confidence: 0.4, listed: true }]);
      // Another reporter (or one the channel cannot name) counts.
      expect((await report({ phones: [phone], reporter: 'device-bb22' })).json().indicators[0]).toMatchObject({ reports: 2, confidence: 0.6 });
      // The reporter is kept only as a keyed hash.
      expect(await count('fraud_case', "reporter_hash is not null and reporter_hash not like '%device%'")).toBe(3);
      expect(await count('fraud_case', "reporter_hash like '%device%' or description like '%device%'")).toBe(0);
      // An analyst finds the number was misreported and revokes the citizens' indicator: later reports do not bring it back.
      const [ind] = await db().query<{ id: string }>("select id from fraud_indicator where contributor = 'citizen-reports' and value = $1", [phone]);
      expect((await server.as('fraud', { method: 'DELETE', url: `/api/v1/fraud/indicators/${ind.id}` })).statusCode).toBe(200);
      const after = (await report({ phones: [phone], reporter: 'device-cc33' })).json();
      expect(after.indicators).toEqual([{ kind: 'phone', hash: h('phone', phone), reports: 3, confidence: 0.7, listed: false }]);
      expect(await count('fraud_indicator', "contributor = 'citizen-reports' and value = $1 and revoked_at is not null", [phone])).toBe(1);
      expect((await call({ caller: phone, called: '+77011234567' })).outcome).toBe('allow');
      // The case is worked: investigating, then closed; audited; bad input changes nothing.
      const patch = (id: string, payload: Record<string, unknown>, who: 'fraud' | 'operator' = 'fraud') => server.as(who, { method: 'PATCH', url: `/api/v1/fraud/cases/${id}`, payload });
      const worked = await patch(r1.caseId, { status: 'investigating', comment: 'запрос в банк' });
      expect(worked.statusCode, worked.body).toBe(200);
      expect(worked.json()).toMatchObject({ id: r1.caseId, status: 'investigating', statusComment: 'запрос в банк' });
      expect((await patch(r1.caseId, { status: 'closed' })).json().status).toBe('closed');
      expect(await count('kernel_audit', "action = 'case.status_changed' and entity_id = $1", [r1.caseId])).toBe(2);
      problem(await patch(r1.caseId, { status: 'archived' }), 400, 'validation_failed');
      problem(await patch(newId(), { status: 'closed' }), 404, 'not_found');
      problem(await patch(r1.caseId, { status: 'open' }, 'operator'), 403, 'forbidden');
      const listed = (await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/cases?limit=50' })).json().items.find((c: { id: string }) => c.id === r1.caseId);
      expect(listed).toMatchObject({ status: 'closed', statusComment: null });
    });

    it('a report naming nothing usable is refused, localised, and opens nothing', async () => {
      const before = await count('fraud_case');
      expect(problem(await report({ description: 'they called me' }), 400, 'validation_failed').errors).toEqual([{ path: 'body.phones', code: 'required', message: expect.any(String) }]);
      const bad = await report({ phones: ['+77781234567', 'call me'] }, APP102, 'ru');
      expect(problem(bad, 400, 'validation_failed').errors).toEqual([{ path: 'body.phones.1', code: 'fraud.invalid_phone', message: expect.stringContaining('Номер телефона') }]);
      problem(await report({ phones: ['+77781234567'] }, TELECOM), 403, 'forbidden');
      expect(await count('fraud_case')).toBe(before);
    });
  });

  describe('SIM-box detection from call records', () => {
    const ndjson = (xs: unknown[]) => xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
    const post = (body: string, lang = 'en') =>
      key(TELECOM, { method: 'POST', url: '/api/v1/fraud/cdrs', headers: { 'content-type': 'application/x-ndjson', 'accept-language': lang }, payload: body });
    const t0 = Date.now() - 3 * 3_600_000;

    it('malformed call records are refused with the line and field, and nothing is taken', async () => {
      const rt = fraudRuntime(server.kernel);
      const sims = rt.simbox.size;
      const before = await writes();
      const res = await post(
        ndjson([
          { imsi: '401011234567890', direction: 'out', cell: 'C1', durationS: 20, at: new Date(t0).toISOString() },
          { imsi: '401011234567890', imei: '490154203237519', direction: 'out', cell: 'C1', durationS: 20, at: new Date(t0).toISOString() },
          { imsi: '401011234567890', direction: 'sideways', cell: 'C1', durationS: 20, at: new Date(t0).toISOString() },
          'garbage',
        ]),
        'ru',
      );
      expect(problem(res, 400, 'validation_failed').errors?.map((e) => [e.path, e.code])).toEqual([
        ['body.1.imei', 'fraud.bad_check_digit'],
        ['body.2.direction', 'invalid_value'],
        ['body.3', 'fraud.invalid_json_line'],
      ]);
      expect(rt.simbox.size).toBe(sims);
      expect(await writes()).toEqual(before);
      problem(await key(APP102, { method: 'POST', url: '/api/v1/fraud/cdrs', headers: { 'content-type': 'application/x-ndjson' }, payload: '{}' }), 403, 'forbidden');
    });

    it('a SIM placing many short calls from one cell and receiving none becomes SIM and device indicators', async () => {
      const box = { imsi: '401017777777777', msisdn: '8 707 777 77 77', iccid: '8970101234567890123', imei: '356938035643809', cell: 'ALA-0042', simActivatedAt: new Date(t0 - 86_400_000).toISOString() };
      const number = '+77077777777';
      // Before: its calls are allowed like anyone's.
      expect((await call({ caller: number, called: '+77273334455', imsi: box.imsi })).outcome).toBe('allow');
      const lines: unknown[] = [];
      for (let i = 0; i < 120; i++) lines.push({ ...box, direction: 'out', durationS: 25 + (i % 10), at: new Date(t0 + i * 30_000).toISOString() });
      // An ordinary subscriber in the same batch: calls both ways, moves between cells.
      for (let i = 0; i < 120; i++) lines.push({ imsi: '401012222222222', direction: i % 3 ? 'out' : 'in', cell: `ALA-${i % 7}`, durationS: 120, at: new Date(t0 + i * 30_000).toISOString() });
      const res = await post(ndjson(lines));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        accepted: 240,
        flagged: [{ imsi: box.imsi, msisdn: number, iccid: box.iccid, imeis: [box.imei], newSim: true, outgoing: 100, incoming: 0, cells: 1, meanDurationS: 30 }],
      });
      const rows = await db().query<{ kind: string; value: string; contributor: string; confidence: number; effect: string }>(
        "select kind, value, contributor, confidence, effect from fraud_indicator where contributor = 'partner:demo-telecom' and note like 'SIM-box%' order by kind",
      );
      expect(rows).toEqual([
        { kind: 'iccid', value: box.iccid, contributor: 'partner:demo-telecom', confidence: 0.9, effect: 'warn' },
        { kind: 'imei', value: box.imei, contributor: 'partner:demo-telecom', confidence: 0.9, effect: 'warn' },
        { kind: 'imsi', value: box.imsi, contributor: 'partner:demo-telecom', confidence: 0.9, effect: 'warn' },
        { kind: 'phone', value: number, contributor: 'partner:demo-telecom', confidence: 0.9, effect: 'warn' },
      ]);
      expect(await count('kernel_audit', "action = 'indicators.detected'")).toBe(1);
      expect(fraudRuntime(server.kernel).indicators.lookup('imsi', h('imsi', box.imsi), Date.now())).toMatchObject({ effect: 'warn', sources: ['operator'] });
      // Its calls are labelled now: by the number it shows, and by the SIM or handset when the switch sends them
      // (a SIM moved to another number is still caught).
      expect(await call({ caller: number, called: '+77273334455' })).toMatchObject({ outcome: 'label', reasons: ['caller_listed_warn', 'shaken_absent'] });
      expect(await call({ caller: '+77070000001', called: '+77273334455', imsi: box.imsi })).toMatchObject({ outcome: 'label', reasons: ['caller_device_listed_warn', 'shaken_absent'] });
      expect(await call({ caller: '+77070000002', called: '+77273334455', imei: '35-693803-564380-9' })).toMatchObject({ outcome: 'label', reasons: ['caller_device_listed_warn', 'shaken_absent'] });
      expect((await call({ caller: '+77070000003', called: '+77273334455', imsi: '401012222222222' })).outcome).toBe('allow');
      // A malformed IMEI on a call is refused, naming it.
      expect(problem(await screenCall({ trunk: 't', ingress: 'domestic', caller: '+77070000004', called: '+77273334455', imei: '356938035643800' }), 400, 'validation_failed').errors?.[0]).toMatchObject({ path: 'body.imei', code: 'fraud.bad_check_digit' });
    });

    it('two SIM-boxes of one gateway, sharing a handset, flagged in one batch: both listed, the handset once', async () => {
      const gateway = '353918057314219';
      const box = (n: number) => ({ imsi: `40101888888888${n}`, msisdn: `+7707888888${n}`, imei: gateway, cell: 'AST-0007' });
      const lines: unknown[] = [];
      for (let i = 0; i < 120; i++) for (const n of [1, 2]) lines.push({ ...box(n), direction: 'out', durationS: 20, at: new Date(t0 + i * 30_000).toISOString() });
      const res = await post(ndjson(lines));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().flagged.map((f: { imsi: string }) => f.imsi)).toEqual([box(1).imsi, box(2).imsi]);
      const kinds = await db().query<{ kind: string; n: number }>(
        "select kind, count(*)::int as n from fraud_indicator where contributor = 'partner:demo-telecom' and value in ($1, $2, $3, $4, $5) group by kind order by kind",
        [gateway, box(1).imsi, box(2).imsi, box(1).msisdn, box(2).msisdn],
      );
      expect(kinds).toEqual([
        { kind: 'imei', n: 1 },
        { kind: 'imsi', n: 2 },
        { kind: 'phone', n: 2 },
      ]);
    });
  });

  describe('SIM cards per person', () => {
    const feed = (items: unknown[], k = TELECOM, lang = 'en') =>
      key(k, { method: 'POST', url: '/api/v1/fraud/sim-registrations', headers: { 'accept-language': lang }, payload: { items } });
    const IIN = '850104300120';
    const reg = (n: number, o: Record<string, unknown> = {}) => ({ iin: IIN, msisdn: `+770${String(n).padStart(8, '0')}`, event: 'registered', at: new Date(Date.now() - 60_000 + n).toISOString(), ...o });

    it('more than 10 active SIMs on one IIN across operators is flagged; a deregistration clears it', async () => {
      const first = await feed(Array.from({ length: 6 }, (_, i) => reg(i)));
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toEqual({ accepted: 6, overLimit: [], limit: 10 });
      // Another operator registers five more to the same person.
      const other = await server.kernel.commands.run({ actor: 'test' }, (uow) =>
        createApiKey(uow, { name: 'second-operator', channel: 'telecom', scopes: ['fraud:screen'], jurisdictions: ['*'] }),
      );
      const second = await feed(Array.from({ length: 5 }, (_, i) => reg(10 + i)), other.key);
      expect(second.json().overLimit).toEqual([{ iin: IIN, active: 11 }]);
      expect(await count('kernel_outbox', "subject = 'fraud.sim_limit.changed' and payload->>'iin' = $1 and (payload->>'exceeded')::boolean", [IIN])).toBe(1);
      const listed = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/sim-limits' });
      expect(listed.statusCode, listed.body).toBe(200);
      expect(listed.json().items).toEqual([{ iin: IIN, active: 11, flaggedAt: expect.any(String) }]);
      expect(await count('kernel_audit', "action = 'sim_limits.read'")).toBe(1);
      // A deregistration (later than the registration) brings the person back to the limit.
      const third = await feed([reg(3, { event: 'deregistered', at: new Date().toISOString() })]);
      expect(third.json().overLimit).toEqual([]);
      expect((await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/sim-limits' })).json().items).toEqual([]);
      // A stale registration of the same number arriving late does not bring it back.
      expect((await feed([reg(3)])).json().overLimit).toEqual([]);
    });

    it('a bad IIN or number is refused, localised, and nothing is stored', async () => {
      const before = await count('fraud_sim_registration');
      const res = await feed([reg(50, { iin: '850104300121' }), reg(51, { msisdn: '12' })], TELECOM, 'kk');
      expect(problem(res, 400, 'validation_failed').errors).toEqual([
        { path: 'body.items.0.iin', code: 'fraud.invalid_iin', message: expect.stringContaining('ЖСН') },
        { path: 'body.items.1.msisdn', code: 'fraud.invalid_phone', message: expect.any(String) },
      ]);
      expect(await count('fraud_sim_registration')).toBe(before);
      problem(await feed([reg(52)], APP102), 403, 'forbidden');
    });
  });

  describe('transaction screening', () => {
    it('a payee on a warning list: scored by confidence and explained', async () => {
      await indicator(BANK, { kind: 'iban', value: IBAN_B, source: 'bank', confidence: 0.6, effect: 'warn' });
      const d = await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } });
      expect(d).toMatchObject({ outcome: 'hold', score: 400, reasons: ['typology_T-LIST_alert'] });
    });

    it('call-then-transfer: a call from abroad to the payer’s phone, then a first transfer', async () => {
      const payerPhone = '+77015550001';
      // Before any call: allowed.
      expect((await tx({ payer: { account: IBAN_E, phone: payerPhone }, payee: { account: IBAN_F } })).outcome).toBe('allow');
      // A foreign number on the international gateway reaches the payer; a first transfer to a new payee follows.
      expect((await call({ caller: '+442079460958', called: payerPhone, ingress: 'international' })).outcome).toBe('allow');
      const held = await tx({ payer: { account: IBAN_E, phone: '8 701 555 00 01' }, payee: { account: IBAN_G } });
      expect(held).toMatchObject({ outcome: 'hold', score: 500, reasons: ['typology_T-CALL_alert'] });
      // The same payer paying a payee it already paid: the call alone does not hold it.
      expect((await tx({ payer: { account: IBAN_E, phone: payerPhone }, payee: { account: IBAN_F } })).outcome).toBe('allow');
      // A call from a listed number, then a transfer: blocked.
      await indicator(TELECOM, { kind: 'phone', value: '+77470001122', source: 'operator', confidence: 0.7, effect: 'warn' });
      const payer2 = '+77015550002';
      expect((await call({ caller: '+77470001122', called: payer2 })).outcome).toBe('label');
      const blocked = await tx({ payer: { account: IBAN_H, phone: payer2 }, payee: { account: IBAN_E } });
      expect(blocked).toMatchObject({ outcome: 'block', reasons: ['typology_T-CALL_interdiction'] });
      expect(blocked.typologies.find((t) => t.id === 'T-CALL')?.score).toBe(650);
    });

    it('amounts are judged in tenge: 1,500 USD after a call from abroad is large, 1,500 KZT is not; an unrated currency is refused', async () => {
      const payer = { account: 'KZ86125KZT6660000001', phone: '+77015550031' };
      const payee = { account: 'KZ59125KZT6660000002' };
      // The payer has paid this payee before: not a first transfer.
      expect((await tx({ payer, payee, amount: 5_000 })).outcome).toBe('allow');
      expect((await call({ caller: '+442079460931', called: payer.phone, ingress: 'international' })).outcome).toBe('allow');
      // 1,500 tenge is small: allowed. 1,500 dollars is 705,000 tenge at the configured rate — large: held.
      expect((await tx({ payer, payee, amount: 1_500, currency: 'KZT' })).outcome).toBe('allow');
      expect(await tx({ payer, payee, amount: 1_500, currency: 'USD' })).toMatchObject({ outcome: 'hold', reasons: ['typology_T-CALL_alert'] });
      // The decision log keeps what the bank sent (prevented loss is summed per currency).
      await fraudRuntime(server.kernel).recorder.flush();
      expect(await count('fraud_decision', "amount = 1500 and currency = 'USD' and outcome = 'hold'")).toBe(1);
      // A currency with no rate is not judged as if it were tenge: 400 on the field, in the partner's language.
      const before = await count('fraud_decision');
      const res = await screenTx({ id: newId(), amount: 10_000, currency: 'CNY', payer, payee });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        expect.objectContaining({ path: 'body.currency', code: 'fraud.currency_unrated', message: 'No tenge rate for CNY: transfers are taken in KZT, USD, EUR.' }),
      ]);
      await fraudRuntime(server.kernel).recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });

    it('a transfer sent again gets its first decision back, recorded once; the same id with other content is decided anew', async () => {
      const rt = fraudRuntime(server.kernel);
      const payer = { account: 'KZ21125KZT4440000001', phone: '+77015550009' };
      const payee = { account: 'KZ91125KZT4440000002' };
      expect((await call({ caller: '+442079460977', called: payer.phone, ingress: 'international' })).outcome).toBe('allow');
      const first = await screenTx({ id: 'resent-1', amount: 20_000, payer, payee });
      expect(first.json()).toMatchObject({ outcome: 'hold', reasons: ['typology_T-CALL_alert'], repeated: false });
      // The bank's request timed out and it sends the transfer again: the first attempt is in the payer's history
      // now, so deciding again would allow it (no longer a first transfer). It gets the hold back, same decision.
      const again = await screenTx({ id: 'resent-1', amount: 20_000, payer, payee });
      // The same decision (its explanation — typologies and rules — is the decision log's, not repeated).
      expect(again.json()).toEqual({ ...first.json(), typologies: [], rules: [], repeated: true });
      expect(rt.repeatedTransfers).toBeGreaterThanOrEqual(1);
      // Another partner may use the same id for its own transfer: not a repeat.
      const other = await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/transactions/screen', payload: { id: 'resent-1', amount: 20_000, payer, payee } });
      expect(other.json()).toMatchObject({ repeated: false });
      expect(other.json().id).not.toBe(first.json().id);
      // The same id with other content (the bank vouches for the payer now) is a new request, decided anew.
      const vouched = await screenTx({ id: 'resent-1', amount: 20_000, payer, payee, override: true });
      expect(vouched.json()).toMatchObject({ repeated: false });
      expect(vouched.json().id).not.toBe(first.json().id);
      await rt.recorder.flush();
      expect(await count('fraud_decision', "subject->>'transactionId' = 'resent-1' and id = $1", [first.json().id])).toBe(1);
      expect(await count('fraud_decision', "subject->>'transactionId' = 'resent-1'")).toBe(3);
      expect(await count('fraud_decision', "subject->>'transactionId' = 'resent-1' and partner = 'partner:demo-telecom'")).toBe(1);
    });

    it('calls screened by another process count too (fraud.calls.risky)', async () => {
      const phone = '+77015550003';
      server.kernel.bus.broadcast({
        id: newId(),
        subject: CALLS_RISKY,
        occurredAt: new Date().toISOString(),
        jurisdiction: null,
        permission: 'fraud:read',
        data: { origin: 'another-process', items: [{ called: phone, caller: '+442079460000', risk: 'international', at: Date.now() }] },
      });
      await until('the risky call to reach the stream', async () => fraudRuntime(server.kernel).calls.riskiest(phone, Date.now(), 60_000).value === 2);
      expect(await tx({ payer: { account: IBAN_G, phone }, payee: { account: IBAN_H } })).toMatchObject({ outcome: 'hold', reasons: ['typology_T-CALL_alert'] });
    });

    it('refuses bad accounts with a localised reason and records nothing', async () => {
      const rt = fraudRuntime(server.kernel);
      await rt.recorder.flush();
      const before = await count('fraud_decision');
      const res = await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen', headers: { 'accept-language': 'ru' }, payload: { id: 't-1', amount: 5, payer: { account: 'KZ00125KZT5004100100' }, payee: { account: IBAN_B } } });
      expect(problem(res, 400, 'validation_failed').errors).toEqual([{ path: 'body.payer.account', code: 'fraud.bad_check_digit', message: 'Неверная контрольная цифра.' }]);
      problem(await screenTx({ id: 't-2', amount: -5, payer: { account: IBAN_A }, payee: { account: IBAN_B } }), 400, 'validation_failed');
      await rt.recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });

    it('ISO 20022: pacs.008 in, pacs.002 out; malformed XML and missing elements are 4xx with a reason', async () => {
      const post = (xml: string, lang = 'en') =>
        key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/pacs.008', headers: { 'content-type': 'application/xml', 'accept-language': lang }, payload: xml });
      const res = await post(pacs008({ e2e: 'E2E-ISO-1', creditor: IBAN_D }));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/xml/);
      const sts = new XMLParser().parse(res.body).Document.FIToFIPmtSts;
      expect(sts.OrgnlGrpInfAndSts.OrgnlMsgId).toBe('MSG-1');
      expect(sts.TxInfAndSts).toMatchObject({ OrgnlEndToEndId: 'E2E-ISO-1', TxSts: 'RJCT' }); // IBAN_D is on the block list
      await fraudRuntime(server.kernel).recorder.flush();
      expect(await count('fraud_decision', "id = $1 and subject->>'transactionId' = 'E2E-ISO-1' and outcome = 'block'", [sts.TxInfAndSts.StsId])).toBe(1);

      const before = await count('fraud_decision');
      const malformed = problem(await post('<Document><FIToFICstmrCdtTrf>', 'ru'), 400, 'fraud.malformed_xml');
      expect(malformed.title).toBe('Некорректное сообщение ISO 20022');
      expect(malformed.detail).toMatch(/XML/);
      const missing = problem(await post(pacs008({ omit: 'EndToEndId' })), 400, 'validation_failed');
      expect(missing.errors).toEqual([{ path: 'body.Document.FIToFICstmrCdtTrf.CdtTrfTxInf.0.PmtId.EndToEndId', code: 'required', message: expect.any(String) }]);
      const badIban = problem(await post(pacs008({ debtor: 'KZ00125KZT5004100100' })), 400, 'validation_failed');
      expect(badIban.errors?.[0]).toMatchObject({ path: 'body.Document.FIToFICstmrCdtTrf.CdtTrfTxInf.0.DbtrAcct.Id.IBAN', code: 'fraud.bad_check_digit' });
      problem(await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/pacs.008', payload: { not: 'xml' } }), 400, 'fraud.malformed_xml');
      await fraudRuntime(server.kernel).recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });
  });

  describe('backtest', () => {
    it('replays a PaySim-style CSV and reports precision, recall and AUC; bad rows are named', async () => {
      const post = (csv: string, who = 'fraud') => server.as(who, { method: 'POST', url: '/api/v1/fraud/backtests', headers: { 'content-type': 'text/csv', 'accept-language': 'en' }, payload: csv });
      const res = await post(paysimSample());
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ rows: 33, frauds: 13, flagged: 9, truePositives: 9, precision: 1, outcomes: { allow: 24, hold: 6, block: 3 } });
      expect(res.json().auc).toBeCloseTo(220 / 260);
      expect(problem(await post('step,type\n1,PAYMENT'), 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['body.0.amount', 'body.0.nameOrig', 'body.0.nameDest', 'body.0.isFraud']);
      problem(await post(paysimSample(), 'analyst'), 403, 'forbidden');
    });

    it('a draft policy is backtested on the same file before it is saved; every run is kept with the policy it tested', async () => {
      const rt = fraudRuntime(server.kernel);
      const csv = paysimSample();
      const staff = (o: { method: 'GET' | 'POST'; url: string; payload?: unknown; csv?: boolean }) =>
        server.as('fraud', { method: o.method, url: o.url, headers: { 'accept-language': 'en', ...(o.csv ? { 'content-type': 'text/csv' } : {}) }, payload: o.payload as string });
      const inForce = await staff({ method: 'POST', url: '/api/v1/fraud/backtests?fileName=paysim.csv', payload: csv, csv: true });
      expect(inForce.statusCode, inForce.body).toBe(200);
      expect(inForce.json()).toMatchObject({ policyVersion: String(rt.active.version), draft: false, fileName: 'paysim.csv', fileSha256: createHash('sha256').update(csv).digest('hex'), createdBy: 'user:fraud', flagged: 9 });

      // The draft holds at a lower score: more alerts, on the same file — and the policy in force does not change.
      const policy = structuredClone({ transactions: rt.active.transactions, calls: rt.active.calls });
      for (const t of policy.transactions.typologies) t.alert = Math.max(1, Math.floor(t.alert / 4));
      const versionBefore = rt.active.version;
      const draft = await staff({ method: 'POST', url: '/api/v1/fraud/backtests/draft', payload: { csv, policy, fileName: 'paysim.csv' } });
      expect(draft.statusCode, draft.body).toBe(200);
      const d = draft.json();
      expect(d).toMatchObject({ policyVersion: null, draft: true, rows: 33, fileSha256: inForce.json().fileSha256 });
      expect(d.flagged).toBeGreaterThan(inForce.json().flagged);
      expect(rt.active.version).toBe(versionBefore);

      // A bad draft is refused field by field and nothing is kept; an unknown version is 404.
      const kept = await count('fraud_backtest');
      const bad = structuredClone(policy);
      bad.transactions.typologies[0].alert = bad.transactions.typologies[0].interdiction + 1;
      const refused = problem(await staff({ method: 'POST', url: '/api/v1/fraud/backtests/draft', payload: { csv, policy: bad } }), 400, 'validation_failed');
      expect(refused.errors?.[0].path).toMatch(/^body\.policy\.transactions\.typologies\.0\./);
      problem(await staff({ method: 'POST', url: '/api/v1/fraud/backtests?version=9999', payload: csv, csv: true }), 404, 'not_found');
      problem(await staff({ method: 'POST', url: '/api/v1/fraud/backtests/draft', payload: { csv: 'step,type\n1,PAYMENT', policy } }), 400, 'validation_failed');
      expect(await count('fraud_backtest')).toBe(kept);

      // Kept, newest first, each with the policy exactly as tested; audited.
      const list = await staff({ method: 'GET', url: '/api/v1/fraud/backtests?limit=2' });
      expect(list.statusCode, list.body).toBe(200);
      expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([d.id, inForce.json().id]);
      const first = await staff({ method: 'GET', url: '/api/v1/fraud/backtests?limit=1' });
      const next = await staff({ method: 'GET', url: `/api/v1/fraud/backtests?limit=1&cursor=${first.json().nextCursor}` });
      expect([...first.json().items, ...next.json().items].map((x: { id: string }) => x.id)).toEqual([d.id, inForce.json().id]);
      const one = await staff({ method: 'GET', url: `/api/v1/fraud/backtests/${d.id}` });
      expect(one.statusCode, one.body).toBe(200);
      expect(one.json().policy.transactions.typologies.map((t: { alert: number }) => t.alert)).toEqual(policy.transactions.typologies.map((t) => t.alert));
      expect(one.json().flagged).toBe(d.flagged);
      problem(await staff({ method: 'GET', url: `/api/v1/fraud/backtests/${newId()}` }), 404, 'not_found');
      expect(await count('kernel_audit', "action = 'backtest.run' and entity_id = $1", [d.id])).toBe(1);
      // A supervisor (fraud:read) reads the results but cannot run one; a crime analyst without fraud rights sees none.
      expect((await server.as('supervisor', { method: 'GET', url: `/api/v1/fraud/backtests/${d.id}` })).statusCode).toBe(200);
      problem(await server.as('supervisor', { method: 'POST', url: '/api/v1/fraud/backtests/draft', payload: { csv, policy } }), 403, 'forbidden');
      problem(await server.as('analyst', { method: 'GET', url: '/api/v1/fraud/backtests' }), 403, 'forbidden');
    });
  });

  describe('feedback and precision', () => {
    it('banks confirm outcomes once, only their own; precision and prevented loss follow', async () => {
      await indicator(BANK, { kind: 'phone', value: '+77478880000', source: 'bank', confidence: 0.95, effect: 'warn' });
      const flagged1 = await tx({ amount: 300_000, payer: { account: IBAN_C }, payee: { account: IBAN_A, phone: '+77478880000' } });
      const flagged2 = await tx({ amount: 50_000, payer: { account: IBAN_C }, payee: { account: IBAN_A, phone: '+77478880000' } });
      const missed = await tx({ amount: 7_000, payer: { account: IBAN_C }, payee: { account: IBAN_A } });
      expect([flagged1.outcome, flagged2.outcome, missed.outcome]).toEqual(['block', 'block', 'allow']);
      const confirm = (k: string, id: string, fraud: boolean) => key(k, { method: 'POST', url: `/api/v1/fraud/decisions/${id}/outcome`, payload: { fraud } });
      const res = await confirm(BANK, flagged1.id, true);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: flagged1.id, kind: 'transaction', outcome: 'block', fraud: true });
      problem(await confirm(BANK, flagged1.id, false), 409, 'fraud.outcome_recorded');
      problem(await confirm(TELECOM, flagged2.id, false), 403, 'fraud.not_own_decision');
      problem(await confirm(BANK, newId(), true), 404, 'fraud.not_screened');
      expect((await server.as('fraud', { method: 'POST', url: `/api/v1/fraud/decisions/${flagged2.id}/outcome`, payload: { fraud: false, note: 'customer’s own account' } })).statusCode).toBe(200);
      expect((await confirm(BANK, missed.id, true)).statusCode).toBe(200);
      expect(await count('kernel_audit', "action = 'decision.outcome_recorded'")).toBe(3);

      const stats = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/stats' });
      expect(stats.statusCode, stats.body).toBe(200);
      const s = stats.json();
      expect(s.feedback).toEqual([{ kind: 'transaction', truePositives: 1, falsePositives: 1, falseNegatives: 1, trueNegatives: 0, precision: 0.5, recall: 0.5 }]);
      expect(s.preventedLoss).toEqual([{ currency: 'KZT', amount: 300_000 }]);
      // By day and partner (summed over days, so a run across midnight UTC passes too).
      type Day = { day: string; partner: string; currency: string | null; preventedAmount: number; callsBlocked: number };
      const sum = (partner: string, f: (d: Day) => number) => (s.byDay as Day[]).filter((d) => d.partner === partner).reduce((a, d) => a + f(d), 0);
      expect((s.byDay as Day[]).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.day))).toBe(true);
      expect(sum('partner:demo-bank', (d) => d.preventedAmount)).toBe(300_000);
      expect(sum('partner:demo-telecom', (d) => d.callsBlocked)).toBe(await count('fraud_decision', "kind = 'call' and outcome = 'block'"));
      expect(s.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'call', outcome: 'block' }), expect.objectContaining({ kind: 'transaction', outcome: 'hold' })]));
      expect(s.live).toMatchObject({ degraded: false, recorderDropped: 0 });
      expect(s.live.indicators).toBeGreaterThan(5);

      // The decision log for analysts, newest first, with the verdicts; partners never read it.
      const log = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/decisions?kind=transaction&limit=500' });
      expect(log.statusCode, log.body).toBe(200);
      const rows = log.json().items as { id: string; outcome: string; confirmedFraud: boolean | null; reasons: string[]; decidedAt: string }[];
      expect(rows.find((r) => r.id === flagged1.id)).toMatchObject({ outcome: 'block', confirmedFraud: true });
      expect(rows.find((r) => r.id === flagged2.id)).toMatchObject({ confirmedFraud: false });
      expect(rows.find((r) => r.id === flagged1.id)?.reasons.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.decidedAt)).toEqual([...rows.map((r) => r.decidedAt)].sort().reverse());
      const first = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/decisions?limit=1' });
      const next = await server.as('fraud', { method: 'GET', url: `/api/v1/fraud/decisions?limit=1&cursor=${first.json().nextCursor}` });
      expect(next.json().items[0].id).not.toBe(first.json().items[0].id);
      problem(await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/decisions?cursor=nonsense' }), 400, 'validation_failed');
      problem(await key(BANK, { method: 'GET', url: '/api/v1/fraud/decisions' }), 403, 'forbidden');
    });

    it('the decision log is searched by number, account or transaction id, and by outcome and time; searches are audited', async () => {
      const rt = fraudRuntime(server.kernel);
      const caller = '+77011118899';
      const payer = { account: 'KZ21125KZT4440000001' };
      const blockedCall = await call({ caller, called: '+77273334499', ingress: 'international' });
      const t = await tx({ id: 'search-tx-1', amount: 3_000, payer, payee: { account: IBAN_B } });
      await rt.recorder.flush();
      const search = async (qs: string) => {
        const res = await server.as('fraud', { method: 'GET', url: `/api/v1/fraud/decisions?limit=500&${qs}` });
        expect(res.statusCode, res.body).toBe(200);
        return (res.json().items as { id: string; kind: string; outcome: string }[]).map((d) => d.id);
      };
      const audited = () => count('kernel_audit', "action = 'decisions.searched'");
      const before = await audited();
      // A number in any national form finds the calls it placed or received.
      expect(await search(`search=${encodeURIComponent('8 701 111 88 99')}`)).toEqual([blockedCall.id]);
      expect(await search(`search=${encodeURIComponent('+77273334499')}`)).toEqual([blockedCall.id]);
      // An account finds the transfers paid into it (matched by its hash; the log keeps no account in the clear).
      expect(await search(`search=${IBAN_B}&kind=transaction`)).toContain(t.id);
      expect(await search(`search=${payer.account}`)).not.toContain(t.id);
      expect(await search('search=search-tx-1')).toEqual([t.id]);
      expect(await search('search=no-such-transaction')).toEqual([]);
      expect(await audited()).toBe(before + 6);
      const [row] = await db().query<{ data: { by: string; found: number } }>("select data from kernel_audit where action = 'decisions.searched' order by seq desc limit 1");
      expect(row.data).toEqual({ by: 'transaction', found: 0 });
      // Outcome, flagged and time narrow the list (on the server: beyond the first page too).
      const blocked = await search(`outcome=block&search=${encodeURIComponent(caller)}`);
      expect(blocked).toEqual([blockedCall.id]);
      expect(await search(`outcome=allow&search=${encodeURIComponent(caller)}`)).toEqual([]);
      const flagged = await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/decisions?flagged=true&limit=500' });
      expect((flagged.json().items as { outcome: string }[]).every((d) => d.outcome !== 'allow')).toBe(true);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect(await search(`from=${encodeURIComponent(future)}`)).toEqual([]);
      expect((await search(`to=${encodeURIComponent(future)}&search=search-tx-1`)).length).toBe(1);
      problem(await server.as('fraud', { method: 'GET', url: '/api/v1/fraud/decisions?outcome=maybe' }), 400, 'validation_failed');
      problem(await server.as('fraud', { method: 'GET', url: `/api/v1/fraud/decisions?search=${'x'.repeat(65)}` }), 400, 'validation_failed');
    });
  });
});

describe(`fraud screening without a database on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    // Partner keys are looked up for 1 s at a time, so the test outlives their cached answers (default 10 s).
    server = await testServer({ env: { ...ENV, TARTIP_FRAUD_DEGRADED_HOLD_AMOUNT: '100000', TARTIP_API_KEY_CACHE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('decisions continue from memory with the safe defaults; their records wait in memory for the database', async () => {
    const call = (body: Record<string, unknown>) =>
      server.app.inject({ method: 'POST', url: '/api/v1/fraud/calls/screen', headers: { 'x-api-key': TELECOM }, payload: { trunk: 't1', ingress: 'domestic', ...body } });
    const tx = (amount: number, payee = IBAN_B) =>
      server.app.inject({ method: 'POST', url: '/api/v1/fraud/transactions/screen', headers: { 'x-api-key': BANK }, payload: { id: newId(), amount, payer: { account: IBAN_A }, payee: { account: payee } } });
    const listed = await server.app.inject({
      method: 'POST',
      url: '/api/v1/fraud/indicators',
      headers: { 'x-api-key': BANK },
      payload: { kind: 'phone', value: '+77051112233', source: 'bank', confidence: 1, effect: 'block', overridable: false },
    });
    expect(listed.statusCode).toBe(201);
    // Partner keys are checked against the database: each key is looked up once while it is there.
    expect((await call({ caller: '+77011234567', called: '+77273334455' })).json().outcome).toBe('allow');
    expect((await tx(500_000)).json().outcome).toBe('allow');

    await server.kernel.db.close();
    const rt = fraudRuntime(server.kernel);
    await until('degraded mode', async () => rt.degraded);
    // Past the keys' cache time: their lookups now fail, and each key keeps the answer it had.
    await new Promise((r) => setTimeout(r, 1200));

    const ordinary = await call({ caller: '+77011234567', called: '+77273334455' });
    expect(ordinary.statusCode, ordinary.body).toBe(200);
    expect(ordinary.json()).toMatchObject({ outcome: 'label', reasons: ['shaken_absent', 'degraded_default'], degraded: true });
    expect((await call({ caller: '+77051112233', called: '+77273334455' })).json()).toMatchObject({ outcome: 'block', reasons: ['caller_listed_block', 'shaken_absent'] });
    expect((await tx(500_000)).json()).toMatchObject({ outcome: 'hold', reasons: ['degraded_default'], degraded: true });
    expect((await tx(5_000)).json()).toMatchObject({ outcome: 'allow', degraded: true });
    // A key this process never looked up cannot be checked: refused, localised, nothing decided.
    const unknownKey = await server.app.inject({
      method: 'POST',
      url: '/api/v1/fraud/calls/screen',
      headers: { 'x-api-key': tkEgov, 'accept-language': 'kk' },
      payload: { trunk: 't1', ingress: 'domestic', caller: '+77011234567', called: '+77273334455' },
    });
    expect(unknownKey.statusCode, unknownKey.body).toBe(503);
    expect(unknownKey.json()).toMatchObject({ code: 'database_unavailable', title: 'Дерекқормен байланыс үзілді' });
    // The records wait in memory for the database.
    expect(rt.recorder.pending).toBeGreaterThanOrEqual(4);
    expect(rt.recorder.dropped).toBe(0);
  });
});
