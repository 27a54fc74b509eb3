import { z } from 'zod';
import type { Principal } from '../../../../packages/kernel/src/auth/principal.ts';
import type { Permission, Scope } from '../../../../packages/kernel/src/auth/roles.ts';
import type { Locale } from '../../../../packages/kernel/src/i18n/index.ts';

/**
 * Who may call a route, declared on the route itself (`config.access`) so that the authorisation test can
 * walk every route: public, any signed-in staff member, staff holding a permission, or a partner key with
 * a scope — and, where only some kinds of partner may (an operator's feeds), of one of those key channels.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'staff'; permission?: Permission }
  | { kind: 'partner'; scope: Scope; channels?: readonly string[] }
  /** Allowed when any alternative allows (e.g. a crew member *or* a tracker gateway sends positions). */
  | { kind: 'any'; of: Exclude<Access, { kind: 'any' } | { kind: 'public' }>[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Partner keys recently looked up (authenticate.ts); cleared when a key is revoked. */
    apiKeys: { clear(): void };
  }
  interface FastifyRequest {
    principal: Principal | null;
    locale: Locale;
  }
}

/**
 * A number in a query string. Unlike `z.coerce.number()`, an empty value (`?lat=`) is refused rather than
 * read as 0 — a report placed at (0, 0) is a bug, not a place.
 */
export const queryNumber = () =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)
    .transform(Number)
    .pipe(z.number());

export const publicAccess: Access = { kind: 'public' };
export const staff = (permission?: Permission): Extract<Access, { kind: 'staff' }> => ({ kind: 'staff', permission });
export const partner = (scope: Scope, channels?: readonly string[]): Extract<Access, { kind: 'partner' }> =>
  channels ? { kind: 'partner', scope, channels } : { kind: 'partner', scope };
/** Any of several staff permissions or partner scopes, e.g. `anyOf(staff('dispatch:write'), staff('dispatch:field'))`. */
export const anyOf = (...of: Exclude<Access, { kind: 'any' } | { kind: 'public' }>[]): Access => ({ kind: 'any', of });
