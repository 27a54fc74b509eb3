import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOfApiKey, principalOfUser } from '../../../../packages/kernel/src/auth/identity.ts';
import type { Principal } from '../../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import { negotiateLocale } from '../../../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';
import type { Access } from './context.ts';

const STREAM_ROUTE = '/api/v1/stream';

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  // EventSource cannot send headers: the SSE route, and only it, accepts the token in the query string.
  if (req.routeOptions.url !== STREAM_ROUTE) return null;
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' ? q : null;
}

/** A value, or the promise of one while it is being looked up. */
type Soon<T> = T | Promise<T>;

/** A cached lookup: its answer (or the promise of it), until when it holds, and the last answer a lookup gave. */
interface KeyEntry {
  principal: Soon<Principal | null>;
  until: number;
  /** The answer of the last lookup that finished, kept while a new one runs, to serve if that one fails. */
  known: { value: Principal | null } | undefined;
}

/**
 * Partner keys looked up in the last `apiKeyCacheSeconds`, by the key's hash (unknown keys too, so a flood of
 * wrong keys does not become a flood of queries). Bounded: when full, it is emptied. A key whose lookup has
 * finished is answered as a value, not a promise: the request goes on in the same turn.
 *
 * When its time is up a key is looked up again, and requests wait for that answer, so a revoked key stops working
 * within the time. If that lookup fails (the database cannot be reached), the key keeps its last answer and the
 * lookup is tried again after `retryMs`: partners already known to this process go on being served — the fraud
 * module's screening is meant to go on through a database outage — while a key this process never saw is refused
 * until the database answers.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, KeyEntry>();
  private static readonly MAX = 10_000;

  constructor(
    private readonly ttlMs: number,
    private readonly retryMs = 1000,
  ) {}

  get(key: string, lookup: () => Promise<Principal | null>): Soon<Principal | null> {
    if (this.ttlMs === 0) return lookup();
    const id = hash('sha256', key, 'base64url');
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.principal;
    // The lookup's promise is kept until it settles, so requests that arrive together with a new key wait for one
    // query; then its value replaces it.
    const known = hit && !(hit.principal instanceof Promise) ? { value: hit.principal } : hit?.known;
    const entry: KeyEntry = { principal: null, until: now + this.ttlMs, known };
    const principal = lookup().then(
      (found) => {
        entry.principal = found;
        entry.known = undefined;
        return found;
      },
      (err: unknown) => {
        // Never answered before: the failure is not remembered, the next request asks again.
        if (!known) {
          if (this.entries.get(id) === entry) this.entries.delete(id);
          throw err;
        }
        entry.principal = known.value;
        entry.until = Date.now() + this.retryMs;
        return known.value;
      },
    );
    entry.principal = principal;
    if (this.entries.size >= ApiKeyCache.MAX) this.entries.clear();
    this.entries.set(id, entry);
    return principal;
  }

  clear(): void {
    this.entries.clear();
  }
}

function identify(kernel: Kernel, keys: ApiKeyCache, req: FastifyRequest): Soon<Principal | null> {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return keys.get(key, () => principalOfApiKey(kernel.db, key));
  const token = bearer(req);
  if (!token) return null;
  return kernel.tokens
    .verify(token, kernel.clock.now())
    .then((claims) => (claims ? principalOfUser({ id: claims.sub, username: claims.username, roles: claims.roles, jurisdictions: claims.jurisdictions }) : null));
}

/** A partner key with the scope, and of one of the channels when the route names them. */
function partnerMay(access: Extract<Access, { kind: 'partner' }>, principal: Principal): boolean {
  return principal.kind === 'partner' && principal.scopes.has(access.scope) && (!access.channels || access.channels.includes(principal.channel));
}

/** What a partner needs, as the refusal names it: `fraud:screen`, or `fraud:screen (channel telecom)`. */
const partnerNeeds = (a: Extract<Access, { kind: 'partner' }>) => (a.channels ? `${a.scope} (channel ${a.channels.join(', ')})` : a.scope);

/** Why `principal` may not use a route declared with `access`, or null when it may. */
function refusal(access: Access, principal: Principal | null): Problem | null {
  if (access.kind === 'public') return null;
  if (!principal) return new Problem('unauthenticated');
  if (access.kind === 'staff') {
    if (principal.kind !== 'user') return Problem.forbidden(access.permission ?? 'staff');
    if (access.permission && !principal.permissions.has(access.permission)) return Problem.forbidden(access.permission);
  } else if (access.kind === 'partner') {
    if (!partnerMay(access, principal)) return Problem.forbidden(partnerNeeds(access));
  } else if (access.kind === 'any') {
    const allowed = access.of.some((a) =>
      a.kind === 'staff' ? principal.kind === 'user' && (!a.permission || principal.permissions.has(a.permission)) : partnerMay(a, principal),
    );
    if (!allowed) return Problem.forbidden(access.of.map((a) => (a.kind === 'staff' ? (a.permission ?? 'staff') : partnerNeeds(a))).join(' | '));
  }
  return null;
}

/**
 * Every route declares `config.access`; this hook enforces it before validation, so an unauthenticated
 * caller learns nothing about a route's schema. A route without a declaration is refused — fail closed.
 */
export function registerAuthentication(app: FastifyInstance, kernel: Kernel) {
  const keys = new ApiKeyCache(kernel.config.apiKeyCacheSeconds * 1000);
  app.decorate('apiKeys', keys);
  app.decorateRequest('principal', null);
  app.decorateRequest('locale', 'ru');
  // A callback, not async: a partner's key, once looked up, is known without waiting, and the request goes on in
  // the same turn (the switch's call screening is such a request). No function is made per request on that path.
  app.addHook('onRequest', (req, _reply, done) => {
    req.locale = negotiateLocale(req.headers['accept-language']);
    const access = req.routeOptions.config?.access;
    if (!req.routeOptions.url) return done(); // 404s go to the not-found handler
    if (!access) return done(new Problem('forbidden', { permission: 'undeclared' }));
    let found: Soon<Principal | null>;
    try {
      found = identify(kernel, keys, req);
    } catch (err) {
      return access.kind === 'public' ? admit(req, access, null, done) : done(err as Error);
    }
    if (!(found instanceof Promise)) return admit(req, access, found, done);
    // A public route serves anyone whose credentials cannot be checked (database down) as anonymous.
    found.then(
      (principal) => admit(req, access, principal, done),
      (err) => (access.kind === 'public' ? admit(req, access, null, done) : done(err)),
    );
  });
}

function admit(req: FastifyRequest, access: Access, principal: Principal | null, done: (err?: Error) => void): void {
  req.principal = principal;
  const refused = refusal(access, principal);
  if (refused) done(refused);
  else done();
}

/** The signed-in staff member, for handlers behind `staff(...)` access. */
export function userOf(req: FastifyRequest): Extract<Principal, { kind: 'user' }> {
  const p = req.principal;
  if (p?.kind !== 'user') throw new Problem('unauthenticated');
  return p;
}

export function partnerOf(req: FastifyRequest): Extract<Principal, { kind: 'partner' }> {
  const p = req.principal;
  if (p?.kind !== 'partner') throw new Problem('unauthenticated');
  return p;
}
