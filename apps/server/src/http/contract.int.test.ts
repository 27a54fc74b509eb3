/**
 * Contract tests that cover every route automatically, so a module's routes get them for free:
 *
 * 1. Schema fuzz — for every operation in /api/openapi.json and every declared input (body, query, path),
 *    schema-violating requests from a caller who is allowed to call it must get a 4xx problem with a `code`
 *    (never a 5xx, never a success).
 * 2. Authorisation matrix — every route × every demo role, anonymous, bad tokens and every demo partner key:
 *    the outcome must match `config.access` and ROLE_PERMISSIONS.
 *
 * Routes and their declared access are collected with an `onRoute` hook installed on the Fastify instance the
 * app creates (Fastify does not expose a route's config after start).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLE_PERMISSIONS, ROLES, type Role, type Scope } from '../../../../packages/kernel/src/auth/roles.ts';
import { DEMO_API_KEYS } from '../../../../packages/kernel/src/demo.ts';
import { backendName } from '../../../../packages/kernel/src/testing.ts';
import { type TestServer, testServer } from '../testing.ts';
import type { Access } from './context.ts';

interface CollectedRoute {
  method: string | string[];
  url: string;
  config?: { access?: Access };
}

const collected = vi.hoisted(() => ({ routes: [] as CollectedRoute[] }));

vi.mock('fastify', async (importOriginal) => {
  const mod = await importOriginal<typeof import('fastify')>();
  const real = mod.default;
  const wrapped = ((options?: Parameters<typeof real>[0]) => {
    const app = real(options);
    // Keeps the route options object itself: the app's own onRoute hook fills in `config.access` on it later.
    app.addHook('onRoute', (route) => {
      collected.routes.push(route as CollectedRoute);
    });
    return app;
  }) as typeof real;
  return { ...mod, default: wrapped, fastify: wrapped };
});

// ---- minimal JSON Schema helpers (what fastify-type-provider-zod emits) ---------------------------------

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

interface Parameter {
  in: 'query' | 'path' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: Schema }> };
}

/** Whether a demo key may use a partner route: its scope, and its channel where the route names channels. */
const keyMay = (k: (typeof DEMO_API_KEYS)[number], a: Extract<Access, { kind: 'partner' }>) => k.scopes.includes(a.scope) && (!a.channels || a.channels.includes(k.channel));

const typeOf = (s: Schema): string | undefined => {
  if (s.type) return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (s.properties) return 'object';
  if (s.items) return 'array';
  if (s.enum) return typeof s.enum[0];
  if (s.const !== undefined) return typeof s.const;
  return undefined;
};
const nullable = (s: Schema) => (Array.isArray(s.type) && s.type.includes('null')) || (s.anyOf ?? s.oneOf ?? []).some((v) => typeOf(v) === 'null');
const matches = (pattern: string, value: string) => {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return new RegExp(pattern, 'u').test(value);
  }
};

const NOT_MATCHING = '!!! not matching';
const STRING_CANDIDATES = ['750000000', 'sample-name', 'sample', 'a1', 'demo', 'x', '>'];

function sampleString(s: Schema): string {
  if (s.format === 'uuid') return randomUUID();
  if (s.format === 'date-time') return new Date().toISOString();
  if (s.format === 'date') return new Date().toISOString().slice(0, 10);
  if (s.format === 'email') return 'sample@example.kz';
  if (s.format === 'uri' || s.format === 'url') return 'https://example.kz/';
  const fits = (v: string) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);
  if (s.pattern) {
    const pattern = s.pattern;
    const hit = STRING_CANDIDATES.find((c) => fits(c) && matches(pattern, c));
    if (hit) return hit;
  }
  let v = 'sample-value';
  if (s.minLength && v.length < s.minLength) v = v.padEnd(s.minLength, 'x');
  if (s.maxLength !== undefined && v.length > s.maxLength) v = v.slice(0, Math.max(s.maxLength, 1));
  return v;
}

function sampleNumber(s: Schema): number {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : undefined);
  let v = 1;
  if (lo !== undefined && v < lo) v = lo;
  if (hi !== undefined && v > hi) v = hi;
  return v;
}

/** A value that satisfies `s`, as far as these heuristics go. */
function sample(s: Schema): unknown {
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return sample(variants.find((v) => typeOf(v) !== 'null') ?? variants[0]);
  switch (typeOf(s)) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k] ?? {})]));
    case 'array':
      return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, () => sample(s.items ?? {}));
    case 'integer':
    case 'number':
      return sampleNumber(s);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return sampleString(s);
  }
}

/** Values that violate `s`, each with a label. `depth` limits recursion into arrays and objects. */
function invalidValues(s: Schema, depth = 0): [string, unknown][] {
  const out: [string, unknown][] = [];
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    const types = new Set(variants.map(typeOf));
    if (!types.has('number') && !types.has('integer')) out.push(['a number matching no variant', 12345]);
    if (!types.has('object')) out.push(['an object matching no variant', { a: 1 }]);
    const excludes = (v: Schema) =>
      typeOf(v) !== 'string' ||
      (v.enum !== undefined && !v.enum.includes(NOT_MATCHING)) ||
      (v.const !== undefined && v.const !== NOT_MATCHING) ||
      (v.pattern !== undefined && !matches(v.pattern, NOT_MATCHING)) ||
      v.format === 'uuid';
    if (variants.every(excludes)) out.push(['a string matching no variant', NOT_MATCHING]);
    if (!nullable(s)) out.push(['null', null]);
    return out;
  }
  const t = typeOf(s);
  if (s.enum) out.push(['a value not in the enum', '__not_an_option__']);
  if (s.const !== undefined) out.push(['not the constant', '__not_the_constant__']);
  if (!nullable(s)) out.push(['null', null]);
  switch (t) {
    case 'string':
      out.push(['a number instead of a string', 12345], ['an object instead of a string', { a: 1 }], ['a NUL character', 'a\u0000b']);
      if (s.maxLength !== undefined) out.push([`${s.maxLength * 10 + 100} characters (max ${s.maxLength})`, 'x'.repeat(s.maxLength * 10 + 100)]);
      if (s.minLength) out.push([`${s.minLength - 1} characters (min ${s.minLength})`, 'x'.repeat(s.minLength - 1)]);
      if (s.pattern && !matches(s.pattern, NOT_MATCHING)) out.push([`not matching ${s.pattern}`, NOT_MATCHING]);
      if (s.format && !s.pattern) out.push([`not a ${s.format}`, NOT_MATCHING]);
      break;
    case 'integer':
    case 'number':
      out.push(['a string instead of a number', 'abc'], ['a boolean instead of a number', true]);
      if (s.minimum !== undefined) out.push([`below the minimum ${s.minimum}`, s.minimum - 1]);
      if (s.exclusiveMinimum !== undefined) out.push([`at the exclusive minimum ${s.exclusiveMinimum}`, s.exclusiveMinimum]);
      if (s.maximum !== undefined) out.push([`above the maximum ${s.maximum}`, s.maximum + 1]);
      if (s.exclusiveMaximum !== undefined) out.push([`at the exclusive maximum ${s.exclusiveMaximum}`, s.exclusiveMaximum]);
      if (t === 'integer') out.push(['a fraction', sampleNumber(s) + 0.5]);
      break;
    case 'boolean':
      out.push(['a string instead of a boolean', 'yes']);
      break;
    case 'array':
      out.push(['a string instead of an array', 'x'], ['an object instead of an array', { a: 1 }]);
      if (s.minItems) out.push([`fewer than ${s.minItems} items`, Array.from({ length: s.minItems - 1 }, () => sample(s.items ?? {}))]);
      if (s.maxItems !== undefined) out.push([`more than ${s.maxItems} items`, Array.from({ length: s.maxItems + 1 }, () => sample(s.items ?? {}))]);
      if (s.items && depth < 2) for (const [label, v] of invalidValues(s.items, depth + 1)) out.push([`an item that is ${label}`, [v]]);
      break;
    case 'object': {
      out.push(['an array instead of an object', []], ['a string instead of an object', 'x']);
      const valid = sample(s) as Record<string, unknown>;
      if (s.additionalProperties === false) out.push(['an unknown field', { ...valid, unknownField: 1 }]);
      for (const k of s.required ?? []) {
        const { [k]: _, ...rest } = valid;
        out.push([`missing ${k}`, rest]);
      }
      if (depth < 2) {
        for (const [k, ps] of Object.entries(s.properties ?? {})) {
          for (const [label, v] of invalidValues(ps, depth + 1)) out.push([`${k}: ${label}`, { ...valid, [k]: v }]);
        }
      }
      break;
    }
  }
  return out;
}

/** Query-string values that violate a parameter's schema (query values are always strings). */
function invalidQueryValues(s: Schema): [string, string | string[]][] {
  const out: [string, string | string[]][] = [];
  const t = typeOf(s);
  if (s.enum) out.push(['a value not in the enum', '__not_an_option__']);
  if (t === 'integer' || t === 'number') {
    out.push(['not a number', 'abc'], ['NaN', 'NaN'], ['Infinity', 'Infinity'], ['1e400', '1e400']);
    if (s.minimum !== undefined) out.push([`below the minimum ${s.minimum}`, String(s.minimum - 1)]);
    if (s.maximum !== undefined) out.push([`above the maximum ${s.maximum}`, String(s.maximum + 1)]);
    if (t === 'integer') out.push(['a fraction', String(sampleNumber(s) + 0.5)]);
  }
  if (t === 'string' || t === undefined) {
    out.push(['a NUL character', 'a\u0000b']);
    // Far over the limit, but within what an HTTP server accepts in a request line.
    if (s.maxLength !== undefined) out.push([`${s.maxLength + 2000} characters (max ${s.maxLength})`, 'x'.repeat(s.maxLength + 2000)]);
    if (s.minLength) out.push([`${s.minLength - 1} characters (min ${s.minLength})`, 'x'.repeat(s.minLength - 1)]);
    if (s.pattern && !matches(s.pattern, NOT_MATCHING)) out.push([`not matching ${s.pattern}`, NOT_MATCHING]);
    if (s.format === 'uuid') out.push(['not a uuid', 'not-a-uuid']);
  }
  if (t === 'boolean') out.push(['not a boolean', 'maybe']);
  if (t !== 'array') out.push(['given twice', [String(sample(s)), String(sample(s))]]);
  return out;
}

const queryString = (q: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  const s = p.toString();
  return s ? `?${s}` : '';
};

// ---- the suite ----------------------------------------------------------------------------------------

interface Reply {
  status: number;
  type: string;
  body: string;
  json: { code?: string } | null;
}

type Who =
  | { name: string; kind: 'anonymous'; headers: Record<string, string> }
  | { name: string; kind: 'invalid'; headers: Record<string, string> }
  | { name: string; kind: 'user'; role: Role; headers: Record<string, string> }
  | { name: string; kind: 'partner'; scopes: Set<Scope>; channel: string; headers: Record<string, string> };

describe(`API contract on ${backendName}`, () => {
  let server: TestServer;
  let base: string;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };
  let adminId: string;
  const who: Who[] = [];

  /** One request over a real connection. Event streams are closed as soon as their headers arrive. */
  async function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 20_000);
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body,
        redirect: 'manual',
        signal: ctrl.signal,
      });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) {
        ctrl.abort();
        return { status: res.status, type, body: '(event stream)', json: null };
      }
      const text = await res.text();
      let json: Reply['json'] = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: res.status, type, body: text, json };
    } finally {
      clearTimeout(timer);
    }
  }

  beforeAll(async () => {
    collected.routes.length = 0;
    server = await testServer();
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    doc = (await server.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    adminId = (await server.kernel.db.query<{ id: string }>("select id from kernel_user where username = 'admin'"))[0].id;

    who.push({ name: 'anonymous', kind: 'anonymous', headers: {} });
    const admin = await server.token('admin');
    const forged = `${admin.slice(0, -2)}${admin.endsWith('AA') ? 'BB' : 'AA'}`;
    who.push({ name: 'forged token', kind: 'invalid', headers: { authorization: `Bearer ${forged}` } });
    const expired = await server.kernel.tokens.issue({ sub: adminId, username: 'admin', roles: ['admin'], jurisdictions: ['*'] }, new Date(Date.now() - 86_400_000));
    who.push({ name: 'expired token', kind: 'invalid', headers: { authorization: `Bearer ${expired}` } });
    who.push({ name: 'unknown API key', kind: 'invalid', headers: { 'x-api-key': 'tk_bank_demo_not_a_real_key_at_all' } });
    for (const role of ROLES) who.push({ name: role, kind: 'user', role, headers: { authorization: `Bearer ${await server.token(role)}` } });
    for (const k of DEMO_API_KEYS) who.push({ name: `partner ${k.name}`, kind: 'partner', scopes: new Set(k.scopes), channel: k.channel, headers: { 'x-api-key': k.key } });
  });
  afterAll(async () => server?.close());

  /** Every (method, url) the app serves, with its declared access; HEAD/OPTIONS mirror other routes. */
  const routes = () => {
    const seen = new Map<string, { method: string; url: string; access: Access | undefined }>();
    for (const r of collected.routes) {
      for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
        const method = m.toUpperCase();
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        seen.set(`${method} ${r.url}`, { method, url: r.url, access: r.config?.access });
      }
    }
    return [...seen.values()];
  };
  const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
  const operationOf = (method: string, url: string): Operation | undefined => doc.paths[openApiPath(url)]?.[method.toLowerCase()];
  const accessOf = (method: string, openApi: string) => routes().find((r) => r.method === method && openApiPath(r.url) === openApi)?.access;

  /** Public routes that read an optional partner key (reports: the web page files anonymously, partner apps with a key). */
  const PUBLIC_WITH_OPTIONAL_KEY: Record<string, Scope> = { 'POST /api/v1/reports': 'reports:submit' };

  /** Values that make an allowed call succeed where a generated sample would not. */
  const overrides = (method: string, url: string): { body?: unknown; params?: Record<string, string> } => {
    if (method === 'POST' && url === '/api/v1/auth/login') return { body: { username: 'admin', password: 'demo' } };
    if (url === '/api/v1/users/:id') return { params: { id: adminId } };
    return {};
  };

  function validRequest(method: string, url: string) {
    const op = operationOf(method, url);
    const o = overrides(method, url);
    const params = op?.parameters ?? [];
    const pathParams: Record<string, string> = {};
    for (const p of params.filter((x) => x.in === 'path')) pathParams[p.name] = o.params?.[p.name] ?? String(sample(p.schema));
    const query: Record<string, string> = {};
    for (const p of params.filter((x) => x.in === 'query' && x.required)) query[p.name] = String(sample(p.schema));
    const bodySchema = op?.requestBody?.content?.['application/json']?.schema;
    const body = o.body ?? (bodySchema ? sample(bodySchema) : undefined);
    const path = url
      .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(pathParams[name] ?? o.params?.[name] ?? 'sample'))
      .replace(/\*$/, 'index.html');
    return { path, pathParams, query, body: body === undefined ? undefined : JSON.stringify(body) };
  }

  it('collects the routes, and finds every documented operation among them', () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(15);
    const served = new Set(all.map((r) => `${r.method} ${openApiPath(r.url)}`));
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
    expect(doc.openapi).toMatch(/^3\.1/);
  });

  it('every route declares who may call it; /api routes are public only when listed here', () => {
    const undeclared = routes().filter((r) => !r.access);
    expect(undeclared.map((r) => `${r.method} ${r.url}`), 'routes without config.access (they answer 403 to everyone)').toEqual([]);
    // Opening an API route to anonymous callers is a decision to review, so it is spelled out here.
    const PUBLIC_API = new Set([
      'POST /api/v1/auth/login',
      'GET /api/openapi.json',
      // reports: citizens file reports from the web page without an account, see the categories and track their
      // report by its unguessable token (no personal data); partner apps use the same filing route with their key.
      'GET /api/v1/reports/categories',
      'POST /api/v1/reports',
      'GET /api/v1/reports/track/:token',
    ]);
    const publicApi = routes().filter(
      (r) => r.url.startsWith('/api/') && !r.url.startsWith('/api/docs') && r.access?.kind === 'public' && !PUBLIC_API.has(`${r.method} ${r.url}`),
    );
    expect(publicApi.map((r) => `${r.method} ${r.url}`), 'public /api routes not in the allow-list').toEqual([]);
    // Every permission and scope a route asks for is held by some demo account, or the route is unreachable.
    // (`any`: at least one alternative must be reachable — a partner scope no demo key holds, like telemetry:ingest, may sit beside a staff permission.)
    const reachable = (a: Access): boolean =>
      a.kind === 'any'
        ? a.of.some(reachable)
        : a.kind === 'staff'
          ? !a.permission || ROLES.some((role) => (ROLE_PERMISSIONS[role] as string[]).includes(a.permission as string))
          : a.kind === 'partner'
            ? DEMO_API_KEYS.some((k) => keyMay(k, a))
            : true;
    for (const r of routes()) {
      const a = r.access;
      if (a?.kind === 'any') expect(reachable(a), `${r.method} ${r.url} needs one of ${JSON.stringify(a.of)}`).toBe(true);
      if (a?.kind === 'staff' && a.permission) {
        expect(ROLES.some((role) => (ROLE_PERMISSIONS[role] as string[]).includes(a.permission as string)), `${r.method} ${r.url} needs ${a.permission}`).toBe(true);
      }
      if (a?.kind === 'partner') expect(DEMO_API_KEYS.some((k) => keyMay(k, a)), `${r.method} ${r.url} needs ${a.scope}`).toBe(true);
    }
  });

  it('authorisation matrix: every route × every role, anonymous, bad credentials and partner keys', async () => {
    const failures: string[] = [];
    let allowed = 0;
    let denied = 0;
    for (const r of routes()) {
      const access = r.access;
      if (!access) continue; // named by the test above
      for (const w of who) {
        let expected: 'allow' | 401 | 403;
        // `any` (added with the dispatch module): allowed when one of its alternatives allows.
        const allows = (a: Access): boolean =>
          a.kind === 'any'
            ? a.of.some(allows)
            : a.kind === 'staff'
              ? w.kind === 'user' && (!a.permission || (ROLE_PERMISSIONS[w.role] as string[]).includes(a.permission))
              : a.kind === 'partner' && w.kind === 'partner' && w.scopes.has(a.scope) && (!a.channels || a.channels.includes(w.channel));
        if (access.kind === 'public') {
          // A public route that also takes a partner key: a key that is sent must be valid (401) and carry the scope (403).
          const scope = PUBLIC_WITH_OPTIONAL_KEY[`${r.method} ${r.url}`];
          if (scope && w.headers['x-api-key']) expected = w.kind === 'invalid' ? 401 : w.kind === 'partner' && !w.scopes.has(scope) ? 403 : 'allow';
          else expected = 'allow';
        } else if (w.kind === 'anonymous' || w.kind === 'invalid') expected = 401;
        else expected = allows(access) ? 'allow' : 403;

        let res: Reply;
        if (expected === 'allow') {
          const req = validRequest(r.method, r.url);
          res = await call(r.method, `${req.path}${queryString(req.query)}`, w.headers, req.body);
          allowed++;
          // A data-level refusal (outside_jurisdiction) is not the route's access rule; anything else 401/403 is.
          const refused = res.status === 401 || (res.status === 403 && res.json?.code !== 'outside_jurisdiction');
          if (refused || res.status >= 500) failures.push(`${w.name} → ${r.method} ${r.url}: expected access, got ${res.status} ${res.body.slice(0, 160)}`);
        } else {
          // Denied callers are refused before validation: an invalid request must not reveal the schema.
          const req = validRequest(r.method, r.url);
          const body = operationOf(r.method, r.url)?.requestBody ? '[]' : undefined;
          res = await call(r.method, req.path, w.headers, body);
          denied++;
          const code = expected === 401 ? 'unauthenticated' : 'forbidden';
          if (res.status !== expected || !res.type.startsWith('application/problem+json') || res.json?.code !== code) {
            failures.push(`${w.name} → ${r.method} ${r.url}: expected ${expected} ${code}, got ${res.status} ${res.body.slice(0, 160)}`);
          }
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(allowed).toBeGreaterThan(100);
    expect(denied).toBeGreaterThan(100);
  });

  it('schema fuzz: schema-violating input to every operation is a 4xx problem with a code, never a 5xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    const headersFor = (method: string, path: string, given?: Access): Record<string, string> | null => {
      const access = given ?? accessOf(method, path);
      if (!access) return null;
      if (access.kind === 'public') return {};
      if (access.kind === 'any') {
        for (const a of access.of) {
          const h = headersFor(method, path, a);
          if (h) return h;
        }
        return null;
      }
      if (access.kind === 'partner') {
        const key = DEMO_API_KEYS.find((k) => keyMay(k, access));
        return key ? { 'x-api-key': key.key } : null;
      }
      const permission = access.permission;
      const role = (['admin', 'supervisor', ...ROLES] as Role[]).find((r) => !permission || (ROLE_PERMISSIONS[r] as string[]).includes(permission));
      const w = who.find((x) => x.kind === 'user' && x.role === role);
      return w ? w.headers : null;
    };

    for (const [openApi, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        const method = m.toUpperCase();
        const route = routes().find((r) => r.method === method && openApiPath(r.url) === openApi);
        const headers = headersFor(method, openApi);
        if (!route || !headers) {
          failures.push(`${method} ${openApi}: no route or no demo caller allowed to call it`);
          continue;
        }
        const valid = validRequest(method, route.url);
        const params = op.parameters ?? [];
        const cases: { label: string; path: string; query: Record<string, string | string[]>; body?: string }[] = [];
        const at = (pathParams: Record<string, string>) =>
          route.url.replace(/:(\w+)/g, (_, name: string) => (name in pathParams ? pathParams[name] : encodeURIComponent(valid.pathParams[name])));

        // body
        const bodySchema = op.requestBody?.content?.['application/json']?.schema;
        if (bodySchema) {
          for (const raw of ['[]', '"x"', 'null', '42', 'true', '{"unterminated": ', '']) cases.push({ label: `body ${raw || '(empty)'}`, path: valid.path, query: valid.query, body: raw });
          cases.push({ label: 'no body', path: valid.path, query: valid.query });
          if (bodySchema.required?.length) cases.push({ label: 'body {}', path: valid.path, query: valid.query, body: '{}' });
          for (const [label, v] of invalidValues(bodySchema).filter(([l]) => !/instead of an object|^null$/.test(l))) {
            cases.push({ label: `body ${label}`, path: valid.path, query: valid.query, body: JSON.stringify(v) });
          }
        }
        // query
        const queryParams = params.filter((p) => p.in === 'query');
        for (const p of queryParams) {
          for (const [label, v] of invalidQueryValues(p.schema)) cases.push({ label: `query ${p.name}: ${label}`, path: valid.path, query: { ...valid.query, [p.name]: v }, body: valid.body });
          if (p.required) {
            const { [p.name]: _, ...rest } = valid.query;
            cases.push({ label: `query ${p.name} missing`, path: valid.path, query: rest, body: valid.body });
          }
        }
        if (queryParams.length > 0) cases.push({ label: 'an unknown query parameter', path: valid.path, query: { ...valid.query, unknownParam: '1' }, body: valid.body });
        // path
        for (const p of params.filter((x) => x.in === 'path')) {
          const bad: [string, string][] = [
            ['500 characters', 'x'.repeat(500)],
            ['broken percent-encoding', '%E0%A4%A'],
            ['a NUL character', '%00'],
          ];
          if (p.schema.pattern || p.schema.format || p.schema.enum) bad.push(['not matching its schema', encodeURIComponent(NOT_MATCHING)]);
          for (const [label, v] of bad) cases.push({ label: `path ${p.name}: ${label}`, path: at({ [p.name]: v }), query: valid.query, body: valid.body });
        }

        for (const c of cases) {
          const res = await call(method, `${c.path}${queryString(c.query)}`, headers, c.body);
          sent++;
          const problem = res.type.startsWith('application/problem+json');
          const code = res.json?.code;
          const ok = res.status >= 400 && res.status < 500 && problem && typeof code === 'string' && code.length > 0;
          // The caller is allowed: a 401/403 here would mean validation was never reached.
          const reachedValidation = code !== 'unauthenticated' && code !== 'forbidden';
          if (!ok || !reachedValidation) failures.push(`${method} ${openApi} [${c.label}] → ${res.status} ${res.type} ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures, `\n${failures.join('\n')}`).toEqual([]);
    expect(sent).toBeGreaterThan(150);
  });
});
