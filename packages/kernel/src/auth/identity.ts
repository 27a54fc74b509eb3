import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/types.ts';
import { Problem } from '../errors.ts';
import { newId } from '../ids.ts';
import type { UnitOfWork } from '../outbox.ts';
import { covers, KATO_PATTERN, NATIONAL } from './jurisdiction.ts';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './password.ts';
import type { Principal } from './principal.ts';
import { permissionsOf, ROLES, SCOPES, type Scope } from './roles.ts';

/** Staff accounts and partner API keys: the kernel's identity store. */

export const username = z.string().regex(/^[a-z][a-z0-9._-]{1,63}$/);
export const jurisdiction = z.union([z.literal(NATIONAL), z.string().regex(KATO_PATTERN)]);

export const NewUser = z.strictObject({
  username,
  displayName: z.string().trim().min(1).max(200),
  password: z.string().min(8).max(200),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  jurisdictions: z.array(jurisdiction).min(1).max(50),
});
export type NewUser = z.infer<typeof NewUser>;

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  jurisdictions: string[];
  disabled: boolean;
  createdAt: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  jurisdictions: string[];
  disabled: boolean;
  created_at: Date;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  roles: r.roles,
  jurisdictions: r.jurisdictions,
  disabled: r.disabled,
  createdAt: new Date(r.created_at).toISOString(),
});

/** The region a user's record belongs to, for events and audit: their first jurisdiction unless national. */
export function homeOf(jurisdictions: string[]): string | null {
  return jurisdictions.includes(NATIONAL) ? null : (jurisdictions[0] ?? null);
}

/**
 * Creates a staff account. A creator may only grant jurisdictions inside their own, so an Almaty admin
 * cannot make a national account.
 */
export async function createUser(uow: UnitOfWork, creator: Principal | null, input: NewUser): Promise<User> {
  if (creator) {
    for (const j of input.jurisdictions) {
      const inside = j === NATIONAL ? creator.jurisdictions.includes(NATIONAL) : covers(creator.jurisdictions, j);
      if (!inside) throw new Problem('outside_jurisdiction');
    }
  }
  const existing = await uow.tx.query('select 1 from kernel_user where username = $1', [input.username]);
  if (existing.length > 0) throw Problem.conflict(`username ${input.username} is taken`);
  const id = newId();
  const hash = await hashPassword(input.password);
  const [row] = await uow.tx.query<UserRow>(
    `insert into kernel_user (id, username, display_name, password_hash, roles, jurisdictions, created_at, updated_at)
     values ($1, $2, $3, $4, $5::text[], $6::text[], $7, $7) returning *`,
    [id, input.username, input.displayName, hash, input.roles, input.jurisdictions, uow.now.toISOString()],
  );
  const user = toUser(row);
  const home = homeOf(user.jurisdictions);
  await uow.audit({
    action: 'user.created',
    entity: 'user',
    entityId: id,
    jurisdiction: home,
    data: { username: user.username, roles: user.roles, jurisdictions: user.jurisdictions },
  });
  await uow.emit({
    subject: 'kernel.user.created',
    key: id,
    jurisdiction: home,
    permission: 'users:read',
    data: { id, username: user.username, displayName: user.displayName, roles: user.roles, jurisdictions: user.jurisdictions },
  });
  return user;
}

/** Checks a username and password; the same work is done for unknown users so timing reveals nothing. */
export async function authenticate(db: Queryable, name: string, password: string): Promise<User | null> {
  const rows = await db.query<UserRow>('select * from kernel_user where username = $1', [name]);
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? (await DUMMY_HASH_PROMISE));
  if (!row || !ok || row.disabled) return null;
  return toUser(row);
}

export function principalOfUser(u: Pick<User, 'id' | 'username' | 'roles' | 'jurisdictions'>): Principal {
  return {
    kind: 'user',
    id: u.id,
    username: u.username,
    roles: u.roles,
    permissions: permissionsOf(u.roles),
    jurisdictions: u.jurisdictions,
  };
}

// ---- partner API keys -------------------------------------------------------------------------------

export const CHANNELS = ['app102', 'egov', 'bank', 'telecom', 'camera'] as const;

export const NewApiKey = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
  channel: z.enum(CHANNELS),
  scopes: z.array(z.enum(Object.keys(SCOPES) as [Scope, ...Scope[]])).min(1),
  jurisdictions: z.array(jurisdiction).min(1).max(50).default([NATIONAL]),
});
export type NewApiKey = z.infer<typeof NewApiKey>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Key format: `tk_<channel>_<32 base62-ish chars>`; the first 16 characters identify it. */
export async function createApiKey(uow: UnitOfWork, input: NewApiKey, secret?: string): Promise<{ id: string; key: string }> {
  const key = secret ?? `tk_${input.channel}_${randomBytes(24).toString('base64url')}`;
  const id = newId();
  await uow.tx.query(
    `insert into kernel_api_key (id, name, channel, key_prefix, key_hash, scopes, jurisdictions, created_at)
     values ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8)`,
    [id, input.name, input.channel, key.slice(0, 16), sha256(key), input.scopes, input.jurisdictions, uow.now.toISOString()],
  );
  await uow.audit({ action: 'apikey.created', entity: 'apikey', entityId: id, data: { name: input.name, channel: input.channel, scopes: input.scopes } });
  return { id, key };
}

/** Revokes a key: it stops working at once in this process and within the key cache's time in the others. */
export async function revokeApiKey(uow: UnitOfWork, id: string): Promise<boolean> {
  const rows = await uow.tx.query<{ name: string }>('update kernel_api_key set revoked_at = $2 where id = $1 and revoked_at is null returning name', [id, uow.now.toISOString()]);
  if (rows.length === 0) return false;
  await uow.audit({ action: 'apikey.revoked', entity: 'apikey', entityId: id, data: { name: rows[0].name } });
  return true;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  channel: string;
  prefix: string;
  scopes: string[];
  jurisdictions: string[];
  createdAt: string;
  revokedAt: string | null;
}

/** Every key, newest first, without anything secret (the prefix only identifies it). */
export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const rows = await db.query<{ id: string; name: string; channel: string; key_prefix: string; scopes: string[]; jurisdictions: string[]; created_at: Date; revoked_at: Date | null }>(
    'select id, name, channel, key_prefix, scopes, jurisdictions, created_at, revoked_at from kernel_api_key order by created_at desc',
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    channel: r.channel,
    prefix: r.key_prefix,
    scopes: r.scopes,
    jurisdictions: r.jurisdictions,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  }));
}

export async function principalOfApiKey(db: Queryable, key: string): Promise<Principal | null> {
  if (key.length < 20 || key.length > 200) return null;
  const rows = await db.query<{ id: string; name: string; channel: string; key_hash: string; scopes: string[]; jurisdictions: string[] }>(
    'select id, name, channel, key_hash, scopes, jurisdictions from kernel_api_key where key_prefix = $1 and revoked_at is null',
    [key.slice(0, 16)],
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(sha256(key)))) return null;
  return {
    kind: 'partner',
    id: row.id,
    name: row.name,
    channel: row.channel,
    scopes: new Set(row.scopes as Scope[]),
    jurisdictions: row.jurisdictions,
  };
}
