import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { verifyAudit } from '../../../../packages/kernel/src/audit/log.ts';
import {
  authenticate,
  CHANNELS,
  createApiKey,
  createUser,
  NewApiKey,
  NewUser,
  principalOfUser,
  toUser,
  listApiKeys,
  revokeApiKey,
} from '../../../../packages/kernel/src/auth/identity.ts';
import { covers, jurisdictionFilter } from '../../../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import { areasGeoJson, GEO_ATTRIBUTION, getArea } from '../../../../packages/kernel/src/geo/geo.ts';
import { UUID_PATTERN } from '../../../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';
import { partner, publicAccess, queryNumber, staff } from './context.ts';
import { partnerOf, userOf } from './authenticate.ts';

const UserOut = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  jurisdictions: z.array(z.string()),
  disabled: z.boolean(),
  createdAt: z.string(),
});

const Me = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  jurisdictions: z.array(z.string()),
});

const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/);
const encodeCursor = (v: string | number) => Buffer.from(String(v)).toString('base64url');
const decodeCursor = (c: string) => Buffer.from(c, 'base64url').toString();

export async function kernelRoutes(app: FastifyInstance, kernel: Kernel) {
  const { db, commands } = kernel;
  const ctx = (req: { principal: Parameters<typeof actorOf>[0]; id: string }) => ({ actor: actorOf(req.principal), requestId: req.id });

  // ---- sign-in --------------------------------------------------------------------------------------
  app.post(
    '/api/v1/auth/login',
    {
      config: { access: publicAccess, rateLimit: { max: kernel.config.loginRateLimit, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a username and password; returns a short-lived access token',
        body: z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }),
        response: { 200: z.object({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number(), user: Me }) },
      },
    },
    async (req) => {
      const { username, password } = req.body as { username: string; password: string };
      const user = await authenticate(db, username.trim().toLowerCase(), password);
      if (!user) {
        await commands.run({ actor: `anonymous`, requestId: req.id }, (uow) =>
          uow.audit({ action: 'auth.failed', entity: 'user', data: { username: username.slice(0, 64), ip: req.ip } }),
        );
        throw new Problem('invalid_credentials');
      }
      await commands.run({ actor: `user:${user.username}`, requestId: req.id }, (uow) =>
        uow.audit({ action: 'auth.login', entity: 'user', entityId: user.id, data: { ip: req.ip } }),
      );
      const accessToken = await kernel.tokens.issue(
        { sub: user.id, username: user.username, roles: user.roles, jurisdictions: user.jurisdictions },
        kernel.clock.now(),
      );
      const p = principalOfUser(user);
      return {
        accessToken,
        tokenType: 'Bearer' as const,
        expiresIn: kernel.tokens.ttlSeconds,
        user: { ...user, permissions: [...(p.kind === 'user' ? p.permissions : [])].sort() },
      };
    },
  );

  app.get(
    '/api/v1/auth/me',
    { config: { access: staff() }, schema: { tags: ['auth'], summary: 'The signed-in staff member', response: { 200: Me } } },
    async (req) => {
      const me = userOf(req);
      const [row] = await db.query<Parameters<typeof toUser>[0]>('select * from kernel_user where id = $1', [me.id]);
      if (!row) throw new Problem('unauthenticated');
      return { ...toUser(row), permissions: [...me.permissions].sort() };
    },
  );

  // ---- staff accounts -------------------------------------------------------------------------------
  app.get(
    '/api/v1/users',
    {
      config: { access: staff('users:read') },
      schema: {
        tags: ['users'],
        summary: 'Staff accounts in the caller’s jurisdiction, newest first',
        querystring: z.strictObject({ limit: queryNumber().pipe(z.number().int().min(1).max(200)).default(50), cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(UserOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const { limit, cursor } = req.query as { limit: number; cursor?: string };
      const before = cursor ? decodeCursor(cursor) : null;
      if (before !== null && !UUID_PATTERN.test(before)) throw Problem.validation([{ path: 'query.cursor', code: 'invalid_format', params: { format: 'cursor' } }]);
      // A person is visible when all of their jurisdictions lie inside the caller's.
      const [filter, params] = jurisdictionFilter('j', me.jurisdictions, 3);
      const rows = await db.query<Parameters<typeof toUser>[0]>(
        `select * from kernel_user u where ($1::uuid is null or id < $1) and
           not exists (select 1 from unnest(u.jurisdictions) j where not (${filter}))
         order by id desc limit $2`,
        [before, limit + 1, ...params],
      );
      const items = rows.slice(0, limit).map(toUser);
      return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      config: { access: staff('users:read') },
      schema: { tags: ['users'], summary: 'One staff account (the read is audited)', params: z.strictObject({ id: z.uuid() }), response: { 200: UserOut } },
    },
    async (req) => {
      const me = userOf(req);
      const { id } = req.params as { id: string };
      const [row] = await db.query<Parameters<typeof toUser>[0]>('select * from kernel_user where id = $1', [id]);
      if (!row) throw Problem.notFound();
      const user = toUser(row);
      if (!user.jurisdictions.every((j) => (j === '*' ? me.jurisdictions.includes('*') : covers(me.jurisdictions, j)))) {
        throw new Problem('outside_jurisdiction');
      }
      await commands.run(ctx(req), (uow) => uow.audit({ action: 'user.read', entity: 'user', entityId: id }));
      return user;
    },
  );

  app.post(
    '/api/v1/users',
    {
      config: { access: staff('users:write') },
      schema: { tags: ['users'], summary: 'Create a staff account', body: NewUser, response: { 201: UserOut } },
    },
    async (req, reply) => {
      const input = req.body as NewUser;
      const user = await commands.run(ctx(req), (uow) => createUser(uow, req.principal, { ...input, username: input.username }));
      return reply.code(201).send(user);
    },
  );

  // ---- partner keys ---------------------------------------------------------------------------------
  app.post(
    '/api/v1/api-keys',
    {
      config: { access: staff('apikeys:write') },
      schema: {
        tags: ['partners'],
        summary: 'Issue a partner API key (the key is shown once)',
        body: NewApiKey,
        response: { 201: z.object({ id: z.string(), key: z.string() }) },
      },
    },
    async (req, reply) => {
      const input = req.body as NewApiKey;
      const exists = await db.query('select 1 from kernel_api_key where name = $1', [input.name]);
      if (exists.length > 0) throw Problem.conflict(`a key named ${input.name} exists`);
      const created = await commands.run(ctx(req), (uow) => createApiKey(uow, input));
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: { access: staff('apikeys:write') },
      schema: {
        tags: ['partners'],
        summary: 'Partner API keys, newest first (never the secret: the prefix identifies a key)',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                channel: z.string(),
                prefix: z.string(),
                scopes: z.array(z.string()),
                jurisdictions: z.array(z.string()),
                createdAt: z.string(),
                revokedAt: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ items: await listApiKeys(db) }),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { access: staff('apikeys:write') },
      schema: {
        tags: ['partners'],
        summary: 'Revoke a partner API key: refused at once by this server, by every server within TARTIP_API_KEY_CACHE_SECONDS',
        params: z.strictObject({ id: z.uuid() }),
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const revoked = await commands.run(ctx(req), (uow) => revokeApiKey(uow, id));
      if (!revoked) throw Problem.notFound();
      app.apiKeys.clear();
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/partner/me',
    {
      config: { access: partner('partner:read'), rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } },
      schema: {
        tags: ['partners'],
        summary: 'The calling partner system, as its API key identifies it',
        response: { 200: z.object({ name: z.string(), channel: z.enum(CHANNELS), scopes: z.array(z.string()), jurisdictions: z.array(z.string()) }) },
      },
    },
    async (req) => {
      const p = partnerOf(req);
      return { name: p.name, channel: p.channel as (typeof CHANNELS)[number], scopes: [...p.scopes].sort(), jurisdictions: p.jurisdictions };
    },
  );

  // ---- geography ------------------------------------------------------------------------------------
  const cache = new Map<string, string>();
  const geojson = async (key: string, make: () => Promise<string>) => {
    let v = cache.get(key);
    if (!v) {
      v = await make();
      cache.set(key, v);
    }
    return v;
  };
  const geoHeaders = { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': 'private, max-age=3600', 'x-attribution': GEO_ATTRIBUTION };

  app.get(
    '/api/v1/geo/regions',
    { config: { access: staff('geo:read') }, schema: { tags: ['geo'], summary: 'Kazakhstan’s 20 regions as GeoJSON (geokz, CC BY 4.0)' } },
    async (_req, reply) => reply.headers(geoHeaders).send(await geojson('regions', () => areasGeoJson(db, 'region'))),
  );

  app.get(
    '/api/v1/geo/districts',
    {
      config: { access: staff('geo:read') },
      schema: {
        tags: ['geo'],
        summary: 'Districts as GeoJSON, optionally of one region',
        querystring: z.strictObject({ region: z.string().regex(/^\d{9}$/).optional() }),
      },
    },
    async (req, reply) => {
      const { region } = req.query as { region?: string };
      return reply.headers(geoHeaders).send(await geojson(`districts:${region ?? ''}`, () => areasGeoJson(db, 'district', region)));
    },
  );

  const AreaOut = z.object({
    kato: z.string(),
    level: z.enum(['region', 'district']),
    parentKato: z.string().nullable(),
    iso: z.string().nullable(),
    name: z.object({ ru: z.string(), kk: z.string(), en: z.string() }),
  });

  app.get(
    '/api/v1/geo/locate',
    {
      config: { access: staff('geo:read') },
      schema: {
        tags: ['geo'],
        summary: 'The region and district (KATO) containing a point',
        querystring: z.strictObject({ lon: queryNumber().pipe(z.number().min(-180).max(180)), lat: queryNumber().pipe(z.number().min(-90).max(90)) }),
        response: { 200: z.object({ region: AreaOut.nullable(), district: AreaOut.nullable() }) },
      },
    },
    async (req) => {
      const { lon, lat } = req.query as { lon: number; lat: number };
      return kernel.areas.locate(lon, lat);
    },
  );

  app.get(
    '/api/v1/geo/areas/:kato',
    {
      config: { access: staff('geo:read') },
      schema: { tags: ['geo'], summary: 'One region or district by KATO code', params: z.strictObject({ kato: z.string().regex(/^\d{9}$/) }), response: { 200: AreaOut } },
    },
    async (req) => {
      const area = await getArea(db, (req.params as { kato: string }).kato);
      if (!area) throw Problem.notFound();
      return area;
    },
  );

  // ---- audit ----------------------------------------------------------------------------------------
  const AuditOut = z.object({
    seq: z.number(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    entity: z.string(),
    entityId: z.string().nullable(),
    jurisdiction: z.string().nullable(),
    hash: z.string(),
  });

  app.get(
    '/api/v1/audit',
    {
      config: { access: staff('audit:read') },
      schema: {
        tags: ['audit'],
        summary: 'Audit records in the caller’s jurisdiction, newest first',
        querystring: z.strictObject({
          limit: queryNumber().pipe(z.number().int().min(1).max(500)).default(50),
          cursor: Cursor.optional(),
          entity: z.string().max(64).optional(),
          entityId: z.string().max(128).optional(),
        }),
        response: { 200: z.object({ items: z.array(AuditOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { limit: number; cursor?: string; entity?: string; entityId?: string };
      const before = q.cursor ? Number(decodeCursor(q.cursor)) : null;
      if (before !== null && !Number.isSafeInteger(before)) throw Problem.validation([{ path: 'query.cursor', code: 'invalid_format', params: { format: 'cursor' } }]);
      const national = me.jurisdictions.includes('*');
      const [filter, params] = jurisdictionFilter('jurisdiction', me.jurisdictions, 5);
      const rows = await db.query<{ seq: number; at: Date; actor: string; action: string; entity: string; entity_id: string | null; jurisdiction: string | null; hash: string }>(
        `select seq, at, actor, action, entity, entity_id, jurisdiction, hash from kernel_audit
         where ($1::int8 is null or seq < $1) and ($2::text is null or entity = $2) and ($3::text is null or entity_id = $3)
           and (${national ? 'true' : filter}) order by seq desc limit $4`,
        [before, q.entity ?? null, q.entityId ?? null, q.limit + 1, ...(national ? [] : params)],
      );
      const items = rows.slice(0, q.limit).map((r) => ({
        seq: r.seq,
        at: new Date(r.at).toISOString(),
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        entityId: r.entity_id,
        jurisdiction: r.jurisdiction,
        hash: r.hash,
      }));
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].seq) : null };
    },
  );

  app.get(
    '/api/v1/audit/verification',
    {
      config: { access: staff('audit:read') },
      schema: {
        tags: ['audit'],
        summary: 'Verifies the whole audit chain and its signed checkpoints',
        response: {
          200: z.object({ ok: z.boolean(), records: z.number(), firstBadSeq: z.number().nullable(), reason: z.string().nullable() }),
        },
      },
    },
    async () => {
      const r = await verifyAudit(db, kernel.auditPublicKeys);
      return r.ok
        ? { ok: true, records: r.records, firstBadSeq: null, reason: null }
        : { ok: false, records: r.records, firstBadSeq: r.firstBadSeq, reason: r.reason };
    },
  );
}
