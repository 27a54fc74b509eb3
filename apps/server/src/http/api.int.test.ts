/**
 * The kernel's HTTP API as a client sees it, through the whole Fastify application on fresh storage
 * (PGlite + memory bus, or PostgreSQL + NATS when TARTIP_TEST_DATABASE_URL / TARTIP_TEST_NATS_URL are set).
 * One server for the file; tests build on each other's data but each asserts only what it did.
 */
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointAudit } from '../../../../packages/kernel/src/audit/log.ts';
import { DEMO_API_KEYS } from '../../../../packages/kernel/src/demo.ts';
import { newId } from '../../../../packages/kernel/src/ids.ts';
import { backendName } from '../../../../packages/kernel/src/testing.ts';
import { type TestServer, testServer } from '../testing.ts';

const BANK_KEY = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const ALMATY = '750000000';
const ALMALY = '751110000';
const ASTANA = '710000000';

type Res = LightMyRequestResponse;

/** Asserts an RFC 9457 problem response and returns its body. */
function problem(res: Res, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, type: `https://tartip.kz/problems/${code.replaceAll('_', '-')}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

const newUser = (username: string, jurisdictions: string[] = [ALMATY], roles: string[] = ['officer']) => ({
  username,
  displayName: `Тест ${username}`,
  password: 'Zheltoksan-1986',
  roles,
  jurisdictions,
});

describe(`HTTP API on ${backendName}`, () => {
  let server: TestServer;
  let base: string;
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n;
  const counts = async () => ({ users: await count('kernel_user'), audit: await count('kernel_audit'), outbox: await count('kernel_outbox') });
  const idOf = async (username: string) =>
    (await server.kernel.db.query<{ id: string }>('select id from kernel_user where username = $1', [username]))[0].id;
  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers, payload: { username, password } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_BODY_LIMIT: '2048' } });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => server?.close());

  // ---- sign-in ------------------------------------------------------------------------------------
  describe('sign-in', () => {
    it('returns an access token that works, and the user with their permissions', async () => {
      const res = await login('admin', 'demo');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { username: 'admin', roles: ['admin'], jurisdictions: ['*'] } });
      expect(body.user.permissions).toEqual(['apikeys:write', 'audit:read', 'dispatch:units', 'geo:read', 'stream:read', 'users:read', 'users:write']);
      expect(JSON.stringify(body)).not.toMatch(/password|scrypt/i);
      const me = await server.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(body.accessToken) });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ username: 'admin', permissions: body.user.permissions });
      expect(await count('kernel_audit', "action = 'auth.login' and entity_id = $1", [body.user.id])).toBeGreaterThan(0);
    });

    it('accepts the username in any case and with surrounding spaces', async () => {
      expect((await login('  Operator ', 'demo')).statusCode).toBe(200);
    });

    it('refuses a wrong password with 401 invalid_credentials in the caller’s language, and audits the attempt', async () => {
      const before = await count('kernel_audit', "action = 'auth.failed'");
      const titles: Record<string, string> = {};
      for (const lang of ['kk', 'en', 'ru']) {
        const res = await login('dispatcher', 'not-the-password', { 'accept-language': `${lang};q=0.9, de;q=0.1` });
        const body = problem(res, 401, 'invalid_credentials');
        expect(res.headers['content-language']).toBe(lang);
        expect(JSON.stringify(body)).not.toContain('not-the-password');
        titles[lang] = body.title;
      }
      expect(titles).toEqual({
        kk: 'Пайдаланушы аты немесе құпиясөз қате',
        en: 'Wrong username or password',
        ru: 'Неверное имя пользователя или пароль',
      });
      expect(await count('kernel_audit', "action = 'auth.failed'")).toBe(before + 3);
      const [last] = await server.kernel.db.query<{ actor: string; data: { username: string } }>(
        "select actor, data from kernel_audit where action = 'auth.failed' order by seq desc limit 1",
      );
      expect(last).toMatchObject({ actor: 'anonymous', data: { username: 'dispatcher' } });
    });

    it('answers an unknown user exactly like a wrong password (no account discovery)', async () => {
      const unknown = problem(await login('no.such.person', 'demo', { 'accept-language': 'en' }), 401, 'invalid_credentials');
      const wrong = problem(await login('admin', 'wrong', { 'accept-language': 'en' }), 401, 'invalid_credentials');
      expect({ ...unknown, requestId: null }).toEqual({ ...wrong, requestId: null });
    });

    it('refuses forged, expired and garbage tokens with 401', async () => {
      const token = await server.token('admin');
      const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      const expired = await server.kernel.tokens.issue(
        { sub: await idOf('admin'), username: 'admin', roles: ['admin'], jurisdictions: ['*'] },
        new Date(Date.now() - 3600_000),
      );
      for (const t of [forged, expired, 'garbage']) {
        problem(await server.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(t) }), 401, 'unauthenticated');
      }
      problem(await server.app.inject({ method: 'GET', url: '/api/v1/users' }), 401, 'unauthenticated');
    });
  });

  // ---- bad requests change nothing ------------------------------------------------------------------
  describe('bad requests are 4xx problems and write nothing', () => {
    const valid = newUser('bad.request.probe');
    const cases: { name: string; status: number; code: string; payload?: string; contentType?: string; field?: [string, string] }[] = [
      { name: 'an unknown field', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, isAdmin: true }), field: ['body.isAdmin', 'unrecognized_key'] },
      { name: 'a field of the wrong type', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, roles: 'admin' }), field: ['body.roles', 'invalid_type'] },
      { name: 'a missing required field', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, password: undefined }), field: ['body.password', 'required'] },
      { name: 'an unknown role', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, roles: ['sheriff'] }), field: ['body.roles.0', 'invalid_value'] },
      { name: 'a jurisdiction that is not a KATO code', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, jurisdictions: ['75'] }), field: ['body.jurisdictions.0', 'invalid_format'] },
      { name: 'a short password', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, password: 'short' }), field: ['body.password', 'too_small'] },
      { name: 'a NUL character', status: 400, code: 'validation_failed', payload: JSON.stringify({ ...valid, displayName: 'a\u0000b' }), field: ['body.displayName', 'invalid_format'] },
      { name: 'a lone surrogate', status: 400, code: 'validation_failed', payload: `{"username":"lone.surrogate","displayName":"\\ud800","password":"Zheltoksan-1986","roles":["officer"],"jurisdictions":["${ALMATY}"]}`, field: ['body.displayName', 'invalid_format'] },
      { name: 'a JSON array', status: 400, code: 'validation_failed', payload: '[]', field: ['body', 'invalid_type'] },
      { name: 'JSON null', status: 400, code: 'validation_failed', payload: 'null' },
      { name: 'no body at all', status: 400, code: 'validation_failed', contentType: 'none', field: ['body', 'invalid_type'] },
      { name: 'an empty JSON body', status: 400, code: 'malformed_body', payload: '' },
      { name: 'malformed JSON', status: 400, code: 'malformed_body', payload: '{"username": "x",' },
      { name: 'a prototype-poisoning body', status: 400, code: 'malformed_body', payload: '{"__proto__": {"roles": ["admin"]}}' },
      { name: 'XML', status: 415, code: 'unsupported_media_type', payload: '<user><username>x</username></user>', contentType: 'application/xml' },
      { name: 'a body over TARTIP_BODY_LIMIT', status: 413, code: 'payload_too_large', payload: JSON.stringify({ ...valid, displayName: 'Ж'.repeat(2000) }) },
    ];

    it.each(cases)('$name → $status $code', async ({ status, code, payload, contentType, field }) => {
      const token = await server.token('admin');
      const before = await counts();
      const headers: Record<string, string> = { ...bearer(token), 'accept-language': 'en' };
      if (contentType !== 'none') headers['content-type'] = contentType ?? 'application/json';
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/users', headers, payload });
      const body = problem(res, status, code);
      if (field) expect(body.errors, JSON.stringify(body.errors)).toContainEqual(expect.objectContaining({ path: field[0], code: field[1] }));
      if (code === 'payload_too_large') expect(body.detail).toContain('2048');
      expect(await counts()).toEqual(before);
    });

    it('plain text is not JSON either: 4xx, nothing written', async () => {
      const before = await counts();
      const res = await server.as('admin', { method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(valid) });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await counts()).toEqual(before);
    });

    it('a bad login body is refused before any audit record is written', async () => {
      const before = await counts();
      problem(await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin' } }), 400, 'validation_failed');
      problem(await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'demo', remember: true } }), 400, 'validation_failed');
      problem(await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ad\u0000min', password: 'x' } }), 400, 'validation_failed');
      expect(await counts()).toEqual(before);
    });

    it('a path with broken percent-encoding is a problem response too', async () => {
      const res = await server.as('admin', { method: 'GET', url: '/api/v1/users/%E0%A4%A' });
      problem(res, 400, 'validation_failed');
    });
  });

  // ---- staff accounts -------------------------------------------------------------------------------
  describe('creating staff accounts', () => {
    it('creates the user, an audit record and an outbox event, all in the same transaction', async () => {
      const before = await counts();
      const res = await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('almaly.patrol', [ALMALY]) });
      expect(res.statusCode, res.body).toBe(201);
      const user = res.json();
      expect(user).toMatchObject({ username: 'almaly.patrol', roles: ['officer'], jurisdictions: [ALMALY], disabled: false });
      expect(user).not.toHaveProperty('password');
      expect(await counts()).toEqual({ users: before.users + 1, audit: before.audit + 1, outbox: before.outbox + 1 });

      const [audit] = await server.kernel.db.query<{ actor: string; jurisdiction: string; request_id: string; at: Date; data: unknown }>(
        "select actor, jurisdiction, request_id, at, data from kernel_audit where action = 'user.created' and entity_id = $1",
        [user.id],
      );
      expect(audit).toMatchObject({ actor: 'user:admin', jurisdiction: ALMALY, request_id: res.headers['x-request-id'] });
      expect(audit.data).toEqual({ username: 'almaly.patrol', roles: ['officer'], jurisdictions: [ALMALY] });
      const [event] = await server.kernel.db.query<{ subject: string; key: string; jurisdiction: string; permission: string; occurred_at: Date; payload: { username: string } }>(
        "select subject, key, jurisdiction, permission, occurred_at, payload from kernel_outbox where subject = 'kernel.user.created' and key = $1",
        [user.id],
      );
      expect(event).toMatchObject({ subject: 'kernel.user.created', key: user.id, jurisdiction: ALMALY, permission: 'users:read', payload: { username: 'almaly.patrol' } });
      // One unit of work: the row, the audit record and the event carry the same instant.
      expect(new Date(audit.at).toISOString()).toBe(user.createdAt);
      expect(new Date(event.occurred_at).toISOString()).toBe(user.createdAt);
      // The new account can sign in.
      expect((await login('almaly.patrol', 'Zheltoksan-1986')).statusCode).toBe(200);
    });

    it('a duplicate username is 409, and neither an audit record nor an event is added', async () => {
      const before = await counts();
      const body = problem(await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('almaly.patrol') }), 409, 'conflict');
      expect(body.detail).toContain('almaly.patrol');
      expect(await counts()).toEqual(before);
    });

    it('when the event cannot be written, the user and the audit record are rolled back too', async () => {
      const { db } = server.kernel;
      await db.exec(`create function test_refuse_outbox() returns trigger language plpgsql as $$
        begin raise exception 'outbox unavailable (test)'; end $$;
        create trigger test_refuse_outbox before insert on kernel_outbox for each row execute function test_refuse_outbox();`);
      const before = await counts();
      try {
        const res = await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('half.written') });
        const body = problem(res, 500, 'internal');
        expect(body.detail).toContain(body.requestId);
        expect(JSON.stringify(body)).not.toContain('outbox unavailable');
        expect(await counts()).toEqual(before);
        expect(await count('kernel_user', "username = 'half.written'")).toBe(0);
      } finally {
        await db.exec('drop trigger test_refuse_outbox on kernel_outbox; drop function test_refuse_outbox();');
      }
      const retry = await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('half.written') });
      expect(retry.statusCode).toBe(201);
      expect(await counts()).toEqual({ users: before.users + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
    });

    it('concurrent requests for one username: one 201, the others 409 — never a 500', async () => {
      const token = await server.token('admin');
      const before = await counts();
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          server.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(token), payload: newUser('race.same.name') }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.statusCode === 409)) problem(r, 409, 'conflict');
      expect(await counts()).toEqual({ users: before.users + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
    });
  });

  // ---- jurisdiction ---------------------------------------------------------------------------------
  describe('an Almaty administrator', () => {
    let almaty: string;
    beforeAll(async () => {
      const created = await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('almaty.admin', [ALMATY], ['admin']) });
      expect(created.statusCode, created.body).toBe(201);
      const res = await login('almaty.admin', 'Zheltoksan-1986');
      expect(res.statusCode).toBe(200);
      almaty = res.json().accessToken;
      // Someone in Astana to be hidden from them.
      expect((await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('astana.patrol', [ASTANA]) })).statusCode).toBe(201);
    });
    const asAlmaty = (opts: { method: 'GET' | 'POST'; url: string; payload?: object }) =>
      server.app.inject({ ...opts, headers: { ...bearer(almaty), 'accept-language': 'en' } });

    it('cannot create accounts for Astana, for the whole country, or partly outside Almaty', async () => {
      for (const jurisdictions of [[ASTANA], ['*'], [ALMATY, ASTANA], ['711110000']]) {
        const before = await counts();
        const body = problem(await asAlmaty({ method: 'POST', url: '/api/v1/users', payload: newUser('outside.try', jurisdictions) }), 403, 'outside_jurisdiction');
        expect(body.title).toBe('Outside your jurisdiction');
        expect(await counts()).toEqual(before);
      }
    });

    it('can create an account for a district of Almaty', async () => {
      const res = await asAlmaty({ method: 'POST', url: '/api/v1/users', payload: newUser('almaly.by.city', [ALMALY]) });
      expect(res.statusCode, res.body).toBe(201);
      const [audit] = await server.kernel.db.query<{ actor: string }>("select actor from kernel_audit where action = 'user.created' and entity_id = $1", [res.json().id]);
      expect(audit.actor).toBe('user:almaty.admin');
    });

    it('lists only accounts whose every jurisdiction lies in Almaty', async () => {
      const res = await asAlmaty({ method: 'GET', url: '/api/v1/users?limit=200' });
      expect(res.statusCode).toBe(200);
      const items: { username: string; jurisdictions: string[] }[] = res.json().items;
      for (const u of items) for (const j of u.jurisdictions) expect(j, u.username).toMatch(/^75/);
      const names = items.map((u) => u.username);
      expect(names).toEqual(expect.arrayContaining(['operator', 'dispatcher', 'officer', 'investigator', 'almaty.admin', 'almaly.patrol', 'almaly.by.city']));
      for (const hidden of ['admin', 'traffic', 'bailiff', 'fraud', 'protection', 'astana.patrol']) expect(names).not.toContain(hidden);
      const visible = await server.kernel.db.query<{ n: number }>(
        "select count(*)::int8 as n from kernel_user u where not exists (select 1 from unnest(u.jurisdictions) j where j not like '75%')",
      );
      expect(items).toHaveLength(visible[0].n);
    });

    it('gets 403 for an Astana account and reads an Almaty one', async () => {
      problem(await asAlmaty({ method: 'GET', url: `/api/v1/users/${await idOf('astana.patrol')}` }), 403, 'outside_jurisdiction');
      problem(await asAlmaty({ method: 'GET', url: `/api/v1/users/${await idOf('admin')}` }), 403, 'outside_jurisdiction');
      const ok = await asAlmaty({ method: 'GET', url: `/api/v1/users/${await idOf('operator')}` });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().username).toBe('operator');
    });

    it('sees only Almaty audit records', async () => {
      const res = await asAlmaty({ method: 'GET', url: '/api/v1/audit?limit=500' });
      expect(res.statusCode).toBe(200);
      const items: { jurisdiction: string | null }[] = res.json().items;
      expect(items.length).toBeGreaterThan(0);
      for (const r of items) expect(r.jurisdiction).toMatch(/^75/);
    });
  });

  describe('reading accounts', () => {
    it('a national administrator reads any account, and the read is audited', async () => {
      const id = await idOf('traffic');
      const before = await count('kernel_audit', "action = 'user.read' and entity_id = $1", [id]);
      const res = await server.as('admin', { method: 'GET', url: `/api/v1/users/${id}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id, username: 'traffic', jurisdictions: [ASTANA] });
      expect(res.json()).not.toHaveProperty('password_hash');
      const [rec] = await server.kernel.db.query<{ actor: string; entity: string; request_id: string }>(
        "select actor, entity, request_id from kernel_audit where action = 'user.read' and entity_id = $1 order by seq desc limit 1",
        [id],
      );
      expect(rec).toEqual({ actor: 'user:admin', entity: 'user', request_id: res.headers['x-request-id'] });
      expect(await count('kernel_audit', "action = 'user.read' and entity_id = $1", [id])).toBe(before + 1);
    });

    it('an unknown id is 404, a malformed one 400', async () => {
      problem(await server.as('admin', { method: 'GET', url: `/api/v1/users/${newId()}` }), 404, 'not_found');
      problem(await server.as('admin', { method: 'GET', url: '/api/v1/users/42' }), 400, 'validation_failed');
    });

    it('cursor pagination walks every account once, newest first', async () => {
      const all = (await server.kernel.db.query<{ id: string }>('select id from kernel_user order by id desc')).map((r) => r.id);
      expect(all.length).toBeGreaterThan(15);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/api/v1/users?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await server.as('admin', { method: 'GET', url });
        expect(res.statusCode).toBe(200);
        const page: { items: { id: string }[]; nextCursor: string | null } = res.json();
        expect(page.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.items.map((u) => u.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / 4));
    });

    it('a forged cursor is a 400 problem', async () => {
      const forged = Buffer.from("' or 1=1 --").toString('base64url');
      problem(await server.as('admin', { method: 'GET', url: `/api/v1/users?cursor=${forged}` }), 400, 'validation_failed');
      problem(await server.as('admin', { method: 'GET', url: '/api/v1/users?limit=0' }), 400, 'validation_failed');
      problem(await server.as('admin', { method: 'GET', url: '/api/v1/users?limit=201' }), 400, 'validation_failed');
    });
  });

  // ---- partner keys ---------------------------------------------------------------------------------
  describe('partner API keys', () => {
    it('a bank’s key identifies the bank', async () => {
      const res = await server.app.inject({ method: 'GET', url: '/api/v1/partner/me', headers: { 'x-api-key': BANK_KEY } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ name: 'demo-bank', channel: 'bank', scopes: ['fraud:indicators', 'fraud:screen', 'partner:read', 'reports:submit'], jurisdictions: ['*'] });
    });

    it('a staff token on a partner route is 403; a partner key on staff routes is 403', async () => {
      problem(await server.as('admin', { method: 'GET', url: '/api/v1/partner/me' }), 403, 'forbidden');
      for (const url of ['/api/v1/users', '/api/v1/auth/me', '/api/v1/geo/regions', '/api/v1/audit']) {
        problem(await server.app.inject({ method: 'GET', url, headers: { 'x-api-key': BANK_KEY } }), 403, 'forbidden');
      }
    });

    it('an unknown or altered key is 401', async () => {
      for (const key of [`${BANK_KEY.slice(0, -1)}X`, 'tk_bank_demo_nope', 'x'.repeat(300)]) {
        problem(await server.app.inject({ method: 'GET', url: '/api/v1/partner/me', headers: { 'x-api-key': key } }), 401, 'unauthenticated');
      }
    });

    it('an administrator issues a key that works at once and is shown only once', async () => {
      const res = await server.as('admin', { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'kaspi-test', channel: 'bank', scopes: ['partner:read'] } });
      expect(res.statusCode, res.body).toBe(201);
      const { key } = res.json();
      expect(key).toMatch(/^tk_bank_/);
      const stored = await server.kernel.db.query<{ key_hash: string }>("select key_hash from kernel_api_key where name = 'kaspi-test'");
      expect(stored[0].key_hash).not.toContain(key);
      const me = await server.app.inject({ method: 'GET', url: '/api/v1/partner/me', headers: { 'x-api-key': key } });
      expect(me.json()).toMatchObject({ name: 'kaspi-test', scopes: ['partner:read'], jurisdictions: ['*'] });
      problem(await server.as('admin', { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'kaspi-test', channel: 'bank', scopes: ['partner:read'] } }), 409, 'conflict');
      problem(await server.as('supervisor', { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x-test', channel: 'bank', scopes: ['partner:read'] } }), 403, 'forbidden');
    });

    it('an administrator lists keys without secrets and revokes one: refused at once, audited', async () => {
      const made = await server.as('admin', { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'leaked-test', channel: 'bank', scopes: ['partner:read'] } });
      const { id, key } = made.json();
      const me = () => server.app.inject({ method: 'GET', url: '/api/v1/partner/me', headers: { 'x-api-key': key } });
      expect((await me()).statusCode).toBe(200); // looked up, and now cached
      const list = await server.as('admin', { method: 'GET', url: '/api/v1/api-keys' });
      const listed = list.json().items.find((k: { id: string }) => k.id === id);
      expect(listed).toMatchObject({ name: 'leaked-test', prefix: key.slice(0, 16), revokedAt: null });
      expect(list.body).not.toContain(key);
      problem(await server.as('supervisor', { method: 'DELETE', url: `/api/v1/api-keys/${id}` }), 403, 'forbidden');
      expect((await server.as('admin', { method: 'DELETE', url: `/api/v1/api-keys/${id}` })).statusCode).toBe(204);
      problem(await me(), 401, 'unauthenticated');
      problem(await server.as('admin', { method: 'DELETE', url: `/api/v1/api-keys/${id}` }), 404, 'not_found');
      const audit = await server.kernel.db.query("select 1 from kernel_audit where action = 'apikey.revoked' and entity_id = $1", [id]);
      expect(audit).toHaveLength(1);
    });

    it('every demo key is accepted', async () => {
      for (const k of DEMO_API_KEYS) {
        const res = await server.app.inject({ method: 'GET', url: '/api/v1/partner/me', headers: { 'x-api-key': k.key } });
        expect(res.json(), k.name).toMatchObject({ name: k.name, channel: k.channel });
      }
    });
  });

  // ---- geography ------------------------------------------------------------------------------------
  describe('geography', () => {
    type Feature = { id: string; properties: { kato: string; level: string; parentKato?: string; name: { ru: string; kk: string; en: string } }; geometry: { type: string } };
    const names = (f: Feature) => [f.properties.name.ru, f.properties.name.kk, f.properties.name.en];

    it('serves the 20 regions as GeoJSON with names in ru, kk and en', async () => {
      const res = await server.as('officer', { method: 'GET', url: '/api/v1/geo/regions' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
      expect(res.headers['x-attribution']).toMatch(/geokz.*CC BY 4\.0/);
      const fc = res.json();
      expect(fc.type).toBe('FeatureCollection');
      expect(fc.features).toHaveLength(20);
      for (const f of fc.features as Feature[]) {
        expect(f.properties.level).toBe('region');
        expect(f.properties.kato).toMatch(/^\d{2}0{7}$/);
        for (const n of names(f)) expect(n.length, f.properties.kato).toBeGreaterThan(2);
        expect(['Polygon', 'MultiPolygon']).toContain(f.geometry.type);
      }
      const katos = (fc.features as Feature[]).map((f) => f.properties.kato);
      expect(katos).toEqual(expect.arrayContaining([ALMATY, ASTANA, '790000000', '100000000', '620000000']));
      const almaty = (fc.features as Feature[]).find((f) => f.properties.kato === ALMATY);
      expect(almaty?.properties.name.en).toMatch(/Almaty/);
      expect(almaty?.properties.name.ru).toMatch(/Алматы/);
    });

    it('serves the 224 districts, and one region’s districts on request', async () => {
      const all = await server.as('traffic', { method: 'GET', url: '/api/v1/geo/districts' });
      const features = all.json().features as Feature[];
      expect(features).toHaveLength(224);
      for (const f of features) {
        expect(f.properties.level).toBe('district');
        expect(f.properties.kato.slice(0, 2), f.properties.kato).toBe(f.properties.parentKato?.slice(0, 2));
        for (const n of names(f)) expect(n.length).toBeGreaterThan(1);
      }
      const almaty = (await server.as('traffic', { method: 'GET', url: `/api/v1/geo/districts?region=${ALMATY}` })).json().features as Feature[];
      expect(almaty.length).toBeGreaterThan(3);
      expect(almaty.map((f) => f.properties.kato)).toContain(ALMALY);
      for (const f of almaty) expect(f.properties.parentKato).toBe(ALMATY);
    });

    it('locates Almaty’s centre in Almaty and one of its districts', async () => {
      const res = await server.as('operator', { method: 'GET', url: '/api/v1/geo/locate?lon=76.9286&lat=43.2567' });
      expect(res.statusCode).toBe(200);
      const { region, district } = res.json();
      expect(region).toMatchObject({ kato: ALMATY, level: 'region' });
      expect(district).toMatchObject({ level: 'district', parentKato: ALMATY });
      expect(district.kato).toMatch(/^75\d{4}000$/);
    });

    it('locates Astana in Astana', async () => {
      const { region, district } = (await server.as('operator', { method: 'GET', url: '/api/v1/geo/locate?lon=71.4304&lat=51.1282' })).json();
      expect(region.kato).toBe(ASTANA);
      expect(district?.parentKato).toBe(ASTANA);
    });

    it('a point in China (Ürümqi) is in no region or district', async () => {
      const res = await server.as('operator', { method: 'GET', url: '/api/v1/geo/locate?lon=87.6168&lat=43.8256' });
      expect(res.json()).toEqual({ region: null, district: null });
    });

    it('refuses coordinates off the globe', async () => {
      problem(await server.as('operator', { method: 'GET', url: '/api/v1/geo/locate?lon=200&lat=43' }), 400, 'validation_failed');
      problem(await server.as('operator', { method: 'GET', url: '/api/v1/geo/locate?lon=76.9' }), 400, 'validation_failed');
    });

    it('reads one area by KATO code', async () => {
      const res = await server.as('analyst', { method: 'GET', url: `/api/v1/geo/areas/${ALMALY}` });
      expect(res.json()).toMatchObject({ kato: ALMALY, level: 'district', parentKato: ALMATY });
      problem(await server.as('analyst', { method: 'GET', url: '/api/v1/geo/areas/999999999' }), 404, 'not_found');
    });
  });

  // ---- operations -----------------------------------------------------------------------------------
  describe('operations endpoints', () => {
    it('/health/live and /health/ready answer without a token', async () => {
      const live = await server.app.inject({ method: 'GET', url: '/health/live' });
      expect(live.statusCode).toBe(200);
      expect(live.json()).toEqual({ status: 'live' });
      const ready = await server.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', database: server.kernel.db.kind, bus: server.kernel.bus.kind });
    });

    it('/metrics exposes request durations by route', async () => {
      await login('admin', 'demo');
      const res = await server.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('# TYPE tartip_http_request_duration_seconds histogram');
      expect(res.body).toMatch(/tartip_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/login",status="200"\} [1-9]/);
      expect(res.body).toContain('tartip_outbox_pending');
    });

    it('/api/openapi.json is OpenAPI 3.1 and documents sign-in', async () => {
      const res = await server.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema).toMatchObject({
        type: 'object',
        required: ['username', 'password'],
      });
      expect(doc.paths['/api/v1/users/{id}'].get).toBeDefined();
    });

    it('every response carries a request id, problems included', async () => {
      const ok = await server.app.inject({ method: 'GET', url: '/health/live' });
      const bad = await server.app.inject({ method: 'GET', url: '/api/v1/users' });
      expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(bad.json().requestId).toBe(bad.headers['x-request-id']);
      problem(await server.app.inject({ method: 'GET', url: '/api/v1/no-such-thing' }), 404, 'not_found');
    });
  });

  // ---- live stream ----------------------------------------------------------------------------------
  describe('live stream (SSE over a real connection)', () => {
    interface Frame {
      event: string;
      data: { id: string; subject: string; jurisdiction: string | null; data: { username?: string } };
    }
    interface Stream {
      status: number;
      contentType: string | null;
      frames: Frame[];
      until(what: string, pred: (frames: Frame[]) => boolean, ms?: number): Promise<void>;
      close(): void;
    }
    const open: Stream[] = [];
    afterAll(() => {
      for (const s of open) s.close();
    });

    async function stream(query: string, headers: Record<string, string> = {}): Promise<Stream> {
      const ctrl = new AbortController();
      const res = await fetch(`${base}/api/v1/stream${query}`, { headers, signal: ctrl.signal });
      const frames: Frame[] = [];
      let connected = false;
      const s: Stream = {
        status: res.status,
        contentType: res.headers.get('content-type'),
        frames,
        async until(what, pred, ms = 15_000) {
          const deadline = Date.now() + ms;
          while (!pred(frames)) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames.map((f) => f.event))}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        close: () => ctrl.abort(),
      };
      open.push(s);
      if (!res.ok || !res.body) {
        await res.text().catch(() => '');
        return s;
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      void (async () => {
        let buffer = '';
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
              const block = buffer.slice(0, i);
              buffer = buffer.slice(i + 2);
              if (block.includes(': connected')) connected = true;
              const event = block.match(/^event: (.*)$/m)?.[1];
              const data = block.match(/^data: (.*)$/m)?.[1];
              if (event && data) frames.push({ event, data: JSON.parse(data) });
            }
          }
        } catch {
          // aborted
        }
      })();
      const deadline = Date.now() + 10_000;
      while (!connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(connected).toBe(true);
      return s;
    }

    const created = (username: string) => (frames: Frame[]) => frames.some((f) => f.event === 'kernel.user.created' && f.data.data.username === username);

    it('refuses anonymous callers and partner keys, before any stream starts', async () => {
      const anon = await stream('');
      expect(anon.status).toBe(401);
      expect(anon.contentType).toMatch(/^application\/problem\+json/);
      const partnerStream = await stream('', { 'x-api-key': BANK_KEY });
      expect(partnerStream.status).toBe(403);
      const badTopic = await stream('?topics=a..b', bearer(await server.token('admin')));
      expect(badTopic.status).toBe(400);
    });

    it('delivers each event only to the people allowed to see it', async () => {
      const almatyToken = (await login('almaty.admin', 'Zheltoksan-1986')).json().accessToken as string;
      const admin = await stream('', bearer(await server.token('admin')));
      // EventSource cannot send headers: the operator passes the token in the query string.
      const operator = await stream(`?access_token=${await server.token('operator')}`);
      const almaty = await stream('', bearer(almatyToken));
      const onlyTests = await stream('?topics=test.>', bearer(await server.token('admin')));
      for (const s of [admin, operator, almaty, onlyTests]) {
        expect(s.status).toBe(200);
        expect(s.contentType).toMatch(/^text\/event-stream/);
      }
      expect(server.hub.size).toBeGreaterThanOrEqual(4);

      expect((await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('sse.almaty', [ALMATY]) })).statusCode).toBe(201);
      expect((await server.as('admin', { method: 'POST', url: '/api/v1/users', payload: newUser('sse.astana', [ASTANA]) })).statusCode).toBe(201);
      await admin.until('both creations on the national admin’s stream', (f) => created('sse.almaty')(f) && created('sse.astana')(f));

      // A sentinel everyone may see: once it arrives on a stream, everything published before it has too.
      const sentinel = newId();
      await server.kernel.bus.publish({ id: sentinel, subject: 'test.sentinel', occurredAt: new Date().toISOString(), jurisdiction: null, permission: null, data: {} });
      const gotSentinel = (f: Frame[]) => f.some((x) => x.data.id === sentinel);
      for (const [name, s] of Object.entries({ admin, operator, almaty, onlyTests })) await s.until(`the sentinel on ${name}`, gotSentinel);

      // The operator works in Almaty but lacks users:read: no account events at all.
      expect(operator.frames.filter((f) => f.event.startsWith('kernel.user'))).toEqual([]);
      // The Almaty admin sees Almaty's new account, not Astana's.
      expect(created('sse.almaty')(almaty.frames)).toBe(true);
      expect(created('sse.astana')(almaty.frames)).toBe(false);
      // Topic filters: only what was asked for.
      expect(onlyTests.frames.map((f) => f.event)).toEqual(['test.sentinel']);
      // Frames carry the whole event.
      const frame = admin.frames.find((f) => f.data.data.username === 'sse.astana');
      expect(frame?.data).toMatchObject({ subject: 'kernel.user.created', jurisdiction: ASTANA });
    });

    it('forgets a client that disconnects', async () => {
      const s = await stream('', bearer(await server.token('supervisor')));
      const before = server.hub.size;
      s.close();
      const deadline = Date.now() + 5000;
      while (server.hub.size >= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(server.hub.size).toBe(before - 1);
    });
  });

  // ---- audit chain (last: the final test tampers with the log) -------------------------------------
  describe('audit chain', () => {
    it('verifies after everything above, and again with a signed checkpoint', async () => {
      const token = await server.token('supervisor');
      const records = await count('kernel_audit');
      const res = await server.app.inject({ method: 'GET', url: '/api/v1/audit/verification', headers: bearer(token) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true, records, firstBadSeq: null, reason: null });
      expect(await checkpointAudit(server.kernel.db, server.kernel.auditKey, new Date())).not.toBeNull();
      const again = await server.as('supervisor', { method: 'GET', url: '/api/v1/audit/verification' });
      expect(again.json()).toMatchObject({ ok: true });
      problem(await server.as('operator', { method: 'GET', url: '/api/v1/audit/verification' }), 403, 'forbidden');
    });

    it('names the first altered record when an insider edits the log behind the application’s back', async () => {
      const [target] = await server.kernel.db.query<{ seq: number }>("select seq from kernel_audit where action = 'user.read' order by seq limit 1");
      await server.kernel.db.transaction(async (tx) => {
        await tx.exec(`set local session_replication_role = replica; update kernel_audit set actor = 'user:nobody' where seq = ${Number(target.seq)}`);
      });
      const res = await server.as('admin', { method: 'GET', url: '/api/v1/audit/verification' });
      expect(res.json()).toMatchObject({ ok: false, firstBadSeq: Number(target.seq) });
      expect(res.json().reason).toMatch(/altered|checkpoint/);
    });
  });
});

describe(`sign-in rate limit on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_LOGIN_RATE_LIMIT: '3' } });
  });
  afterAll(async () => server?.close());

  const attempt = (password: string, remoteAddress = '127.0.0.1', lang = 'kk') =>
    server.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers: { 'accept-language': lang }, payload: { username: 'admin', password } });

  it('the 4th attempt in a minute is 429 rate_limited, even with the right password; other clients are unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await attempt(`guess-${i}`)).statusCode).toBe(401);
    const limited = await attempt('demo');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = limited.json();
    expect(body).toMatchObject({ status: 429, code: 'rate_limited', title: 'Сұраулар тым көп' });
    expect(body.detail).toMatch(/\d+ с/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt('demo', '10.20.30.40')).statusCode).toBe(200);
    // Other routes are not limited by the sign-in budget.
    expect((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });
});
