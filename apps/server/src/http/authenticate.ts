import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOfApiKey, principalOfUser } from '../../../../packages/kernel/src/auth/identity.ts';
import type { Principal } from '../../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import { negotiateLocale } from '../../../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';

const STREAM_ROUTE = '/api/v1/stream';

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  // EventSource cannot send headers: the SSE route, and only it, accepts the token in the query string.
  if (req.routeOptions.url !== STREAM_ROUTE) return null;
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' ? q : null;
}

/**
 * Partner keys looked up in the last `apiKeyCacheSeconds`, by the key's hash (unknown keys too, so a flood of
 * wrong keys does not become a flood of queries). Bounded: when full, it is emptied.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { principal: Promise<Principal | null>; until: number }>();
  private static readonly MAX = 10_000;

  constructor(private readonly ttlMs: number) {}

  get(key: string, lookup: () => Promise<Principal | null>): Promise<Principal | null> {
    if (this.ttlMs === 0) return lookup();
    const id = hash('sha256', key, 'base64url');
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.principal;
    // The lookup's promise is what is kept, so requests that arrive together with a new key wait for one query.
    const principal = lookup();
    if (this.entries.size >= ApiKeyCache.MAX) this.entries.clear();
    this.entries.set(id, { principal, until: now + this.ttlMs });
    principal.catch(() => this.entries.delete(id)); // a failed lookup (database down) is not remembered
    return principal;
  }

  clear(): void {
    this.entries.clear();
  }
}

async function identify(kernel: Kernel, keys: ApiKeyCache, req: FastifyRequest): Promise<Principal | null> {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return keys.get(key, () => principalOfApiKey(kernel.db, key));
  const token = bearer(req);
  if (!token) return null;
  const claims = await kernel.tokens.verify(token, kernel.clock.now());
  return claims ? principalOfUser({ id: claims.sub, username: claims.username, roles: claims.roles, jurisdictions: claims.jurisdictions }) : null;
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
  app.addHook('onRequest', async (req) => {
    req.locale = negotiateLocale(req.headers['accept-language']);
    const access = req.routeOptions.config?.access;
    if (!req.routeOptions.url) return; // 404s go to the not-found handler
    if (!access) throw new Problem('forbidden', { permission: 'undeclared' });
    if (access.kind === 'public') {
      req.principal = await identify(kernel, keys, req).catch(() => null);
      return;
    }
    const principal = await identify(kernel, keys, req);
    if (!principal) throw new Problem('unauthenticated');
    req.principal = principal;
    if (access.kind === 'staff') {
      if (principal.kind !== 'user') throw Problem.forbidden(access.permission ?? 'staff');
      if (access.permission && !principal.permissions.has(access.permission)) throw Problem.forbidden(access.permission);
    } else if (access.kind === 'partner') {
      if (principal.kind !== 'partner' || !principal.scopes.has(access.scope)) throw Problem.forbidden(access.scope);
    } else if (access.kind === 'any') {
      const allowed = access.of.some((a) =>
        a.kind === 'staff'
          ? principal.kind === 'user' && (!a.permission || principal.permissions.has(a.permission))
          : principal.kind === 'partner' && principal.scopes.has(a.scope),
      );
      if (!allowed) throw Problem.forbidden(access.of.map((a) => (a.kind === 'staff' ? (a.permission ?? 'staff') : a.scope)).join(' | '));
    }
  });
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
