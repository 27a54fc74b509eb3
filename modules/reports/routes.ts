import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { partnerOf, userOf } from '../../apps/server/src/http/authenticate.ts';
import { partner, publicAccess, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { t } from '../../packages/kernel/src/i18n/index.ts';
import { UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { CATEGORIES, CATEGORY_CODES, GROUPS, MEDIA_RULES } from './config/categories.ts';
import { PHONE } from './domain/contact.ts';
import { base64Size, type MediaType } from './domain/media.ts';
import { REPORT_STATUSES } from './domain/status.ts';
import { LOCATION_PRECISIONS } from './events.ts';
import { DELIVERY_STATES, presentDelivery, type ReportsService, type SubmitInput, toSummary } from './service.ts';

// ---- schemas --------------------------------------------------------------------------------------------

const LocalText = z.object({ ru: z.string(), kk: z.string(), en: z.string() });

const CategoryOut = z.object({
  code: z.string(),
  name: LocalText,
  description: LocalText,
  group: z.string(),
  groupName: LocalText,
  priority: z.enum(['P1', 'P2', 'P3', 'P4']),
  keywords: z.array(z.string()),
  attributes: z.array(
    z.object({
      code: z.string(),
      datatype: z.string(),
      required: z.boolean(),
      order: z.number(),
      description: LocalText,
      values: z.array(z.object({ key: z.string(), name: LocalText })).optional(),
    }),
  ),
});

/** GeoJSON point, [longitude, latitude] in WGS 84. */
const GeoPoint = z.strictObject({
  type: z.literal('Point'),
  coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]),
});

export const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const NewReport = z.strictObject({
  category: z.enum(CATEGORY_CODES),
  /** The reporter's position; without it, `address` is placed by the gazetteer (one of the two is required). */
  location: GeoPoint.optional(),
  address: z.string().trim().min(1).max(500).optional(),
  description: z.string().trim().max(4000).optional(),
  media: z
    .array(z.strictObject({ contentType: z.enum(MEDIA_RULES.types), data: z.string().min(4) }))
    .max(MEDIA_RULES.maxCount)
    .optional(),
  anonymous: z.boolean().default(true),
  contact: z
    .strictObject({
      name: z.string().trim().min(1).max(200).optional(),
      phone: z.string().regex(PHONE).optional(),
      email: z.email().max(254).optional(),
    })
    .optional(),
  deviceId: z.string().regex(DEVICE_ID).optional(),
  attributes: z.record(z.string().regex(/^[a-z0-9_]{1,64}$/), z.string().max(1000)).optional(),
});
type NewReport = z.infer<typeof NewReport>;

const Created = z.object({
  id: z.string(),
  trackingToken: z.string(),
  status: z.enum(REPORT_STATUSES),
  duplicateOf: z.string().nullable(),
  notice: z.string(),
});

const HistoryOut = z.array(z.object({ status: z.enum(REPORT_STATUSES), at: z.string(), note: z.string().nullable() }));

const Tracking = z.object({
  id: z.string(),
  category: z.string(),
  status: z.enum(REPORT_STATUSES),
  statusNote: z.string().nullable(),
  submittedAt: z.string(),
  updatedAt: z.string(),
  history: HistoryOut,
  duplicateOf: z.string().nullable(),
});

const Summary = z.object({
  id: z.string(),
  category: z.string(),
  priority: z.string(),
  status: z.enum(REPORT_STATUSES),
  statusNote: z.string().nullable(),
  channel: z.string(),
  location: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
  locationPrecision: z.enum(LOCATION_PRECISIONS),
  address: z.string().nullable(),
  kato: z.string().nullable(),
  description: z.string().nullable(),
  anonymous: z.boolean(),
  mediaCount: z.number(),
  duplicateOf: z.string().nullable(),
  incidentId: z.string().nullable(),
  flagged: z.boolean(),
  flagReason: z.string().nullable(),
  falseReport: z.boolean(),
  submittedAt: z.string(),
  updatedAt: z.string(),
});

const Detail = Summary.extend({
  categoriesVersion: z.string(),
  attributes: z.record(z.string(), z.string()),
  contact: z.object({ name: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() }).nullable(),
  deviceId: z.string().nullable(),
  mediaUrl: z.string().nullable(),
  media: z.array(z.object({ n: z.number(), contentType: z.string(), size: z.number() })),
  falseReason: z.string().nullable(),
  history: HistoryOut,
});

/** Tracking tokens are 32 random bytes, base64url (43 characters). */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/);
const encodeCursor = (v: string) => Buffer.from(v).toString('base64url');
const decodeCursor = (c: string) => Buffer.from(c, 'base64url').toString();

const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: String(req.id) });

export function categoriesView() {
  return CATEGORIES.map((c) => ({
    code: c.code,
    name: c.name,
    description: c.description,
    group: c.group,
    groupName: GROUPS.find((g) => g.code === c.group)?.name ?? { ru: c.group, kk: c.group, en: c.group },
    priority: c.priority,
    keywords: c.keywords,
    attributes: [...c.attributes].sort((a, b) => a.order - b.order),
  }));
}

/**
 * Media from the JSON body: base64 checked and sized before decoding (a 20 MB string is never decoded just to
 * be refused); the content is sniffed against the declared type by the service.
 */
function decodeMedia(media: NewReport['media']): { items: SubmitInput['media']; errors: FieldError[] } {
  const items: SubmitInput['media'] = [];
  const errors: FieldError[] = [];
  (media ?? []).forEach((m, i) => {
    const path = `body.media.${i}.data`;
    const size = base64Size(m.data);
    if (size === null) errors.push({ path, code: 'invalid_base64' });
    else if (size > MEDIA_RULES.maxBytes) errors.push({ path, code: 'media_too_large', params: { maximum: MEDIA_RULES.maxBytes / (1024 * 1024) } });
    else items.push({ contentType: m.contentType as MediaType, bytes: Buffer.from(m.data, 'base64') });
  });
  return { items, errors };
}

// ---- routes ---------------------------------------------------------------------------------------------

export async function reportRoutes(app: FastifyInstance, kernel: Kernel, service: ReportsService) {
  const { settings } = service;

  app.get(
    '/api/v1/reports/categories',
    {
      config: { access: publicAccess, rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } },
      schema: {
        tags: ['reports'],
        summary: 'What citizens can report (Open311 services): names and descriptions in ru/kk/en, default priority, attributes',
        response: { 200: z.object({ items: z.array(CategoryOut) }) },
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { items: categoriesView() };
    },
  );

  app.post(
    '/api/v1/reports',
    {
      bodyLimit: 25 * 1024 * 1024,
      config: {
        // Public (our web page, channel `web`) or a partner key with `reports:submit` (its channel); see onRequest.
        access: publicAccess,
        rateLimit: {
          max: (req: FastifyRequest) => (req.principal?.kind === 'partner' ? settings.rateLimitPartner : settings.rateLimitIp),
          timeWindow: 60_000,
          keyGenerator: (req: FastifyRequest) => (req.principal?.kind === 'partner' ? `partner:${req.principal.id}` : `ip:${req.ip}`),
        },
        // Two anonymous phones that happen to pick the same Idempotency-Key must not get each other's report.
        idempotencyScope: (req: FastifyRequest) => {
          const device = (req.body as { deviceId?: unknown } | undefined)?.deviceId;
          return typeof device === 'string' && DEVICE_ID.test(device) ? `device:${device}` : null;
        },
      },
      // A key that is sent must be valid and allowed to submit: a misconfigured partner learns it at once
      // instead of filing reports as the anonymous web channel.
      onRequest: async (req) => {
        if (req.headers['x-api-key'] === undefined) return;
        const p = req.principal;
        if (p?.kind !== 'partner') throw new Problem('unauthenticated');
        if (!p.scopes.has('reports:submit')) throw Problem.forbidden('reports:submit');
      },
      schema: {
        tags: ['reports'],
        summary: 'File a citizen report (one click): anonymous web page, or a partner app with X-API-Key (reports:submit)',
        description:
          'A GeoJSON point inside Kazakhstan, or only an address: the offline gazetteer places it (house, street, place or district — ' +
          '`locationPrecision`) and refuses it with 400 on `body.address` when it is not found, fits several places, or names only a city. ' +
          'Up to 3 media files (JPEG, PNG, WebP, MP4), 5 MiB each decoded, base64 in JSON. Idempotency-Key is honoured; anonymous callers are ' +
          'kept apart by deviceId (or address). A report of the same category within the duplicate radius and window of an open one joins it ' +
          '(`duplicateOf`).',
        body: NewReport,
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const body = req.body as NewReport;
      const p = req.principal;
      const partnerPrincipal = p?.kind === 'partner' ? p : null;
      const { items, errors } = decodeMedia(body.media);
      const input: SubmitInput = {
        category: body.category,
        location: body.location ? { lon: body.location.coordinates[0], lat: body.location.coordinates[1] } : null,
        address: body.address ?? null,
        description: body.description ? body.description : null,
        media: items,
        mediaUrl: null,
        anonymous: body.anonymous,
        contact: { name: body.contact?.name ?? null, phone: body.contact?.phone ?? null, email: body.contact?.email ?? null },
        deviceId: body.deviceId ?? null,
        attributes: body.attributes ?? {},
      };
      const idem = req.idempotency ? { scope: req.idempotency.principal, key: req.idempotency.key, hash: req.idempotency.hash } : null;
      const { report, created } = await service.submit(
        input,
        { location: 'body.location', address: 'body.address', attribute: (code) => `body.attributes.${code}`, media: (i) => `body.media.${i}.data` },
        { channel: partnerPrincipal?.channel ?? 'web', partner: partnerPrincipal, ctx: ctxOf(req) },
        idem,
        errors,
      );
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({
        id: report.id,
        trackingToken: report.tracking_token,
        status: report.status,
        duplicateOf: report.duplicate_of,
        notice: t(req.locale, report.duplicate_of ? 'reports.notice.duplicate' : 'reports.notice.received'),
      });
    },
  );

  app.get(
    '/api/v1/reports/track/:token',
    {
      config: { access: publicAccess, rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } },
      schema: {
        tags: ['reports'],
        summary: 'The citizen’s view of a report by its tracking token: status, note, history (no personal data)',
        params: z.strictObject({ token: z.string().regex(TOKEN) }),
        response: { 200: Tracking },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return service.track((req.params as { token: string }).token, req.locale);
    },
  );

  app.get(
    '/api/v1/reports',
    {
      config: { access: staff('reports:read') },
      schema: {
        tags: ['reports'],
        summary: 'Reports in the caller’s jurisdiction, newest first (no contact details)',
        querystring: z.strictObject({
          limit: queryNumber().pipe(z.number().int().min(1).max(500)).default(50),
          cursor: Cursor.optional(),
          status: z.enum(REPORT_STATUSES).optional(),
          category: z.enum(CATEGORY_CODES).optional(),
          flagged: z.enum(['true', 'false']).optional(),
          /** Only these reports, comma-separated ids (at most 100): the reports an incident gathered, for the console. */
          ids: z
            .string()
            .regex(/^[0-9a-f-]{36}(,[0-9a-f-]{36}){0,99}$/i)
            .optional(),
        }),
        response: { 200: z.object({ items: z.array(Summary), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { limit: number; cursor?: string; status?: (typeof REPORT_STATUSES)[number]; category?: string; flagged?: 'true' | 'false'; ids?: string };
      const ids = q.ids?.split(',');
      if (ids?.some((id) => !UUID_PATTERN.test(id))) throw Problem.validation([{ path: 'query.ids', code: 'invalid_format', params: { format: 'uuid,uuid,…' } }]);
      const before = q.cursor ? decodeCursor(q.cursor) : null;
      if (before !== null && !UUID_PATTERN.test(before)) throw Problem.validation([{ path: 'query.cursor', code: 'invalid_format', params: { format: 'cursor' } }]);
      const rows = await service.list(me.jurisdictions, {
        limit: q.limit,
        before,
        status: q.status,
        category: q.category,
        flagged: q.flagged === undefined ? undefined : q.flagged === 'true',
        ids,
      });
      const items = rows.slice(0, q.limit).map((r) => toSummary(r, req.locale));
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].id) : null };
    },
  );

  app.get(
    '/api/v1/reports/:id',
    {
      config: { access: staff('reports:read') },
      schema: {
        tags: ['reports'],
        summary: 'One report with the reporter’s contact details and history (the read is audited)',
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: Detail },
      },
    },
    async (req) => service.detail(userOf(req).jurisdictions, (req.params as { id: string }).id, ctxOf(req), req.locale),
  );

  app.get(
    '/api/v1/reports/:id/media/:n',
    {
      config: { access: staff('reports:read') },
      schema: {
        tags: ['reports'],
        summary: 'A photo or video of a report, by its index in the submitted `media` array (the read is audited)',
        params: z.strictObject({ id: z.uuid(), n: z.string().regex(/^[0-9]$/) }),
      },
    },
    async (req, reply) => {
      const { id, n } = req.params as { id: string; n: string };
      const m = await service.media(userOf(req).jurisdictions, id, Number(n), ctxOf(req));
      const ext = m.contentType.split('/')[1];
      return reply
        .type(m.contentType)
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename="report-${id}-${n}.${ext}"`)
        .send(m.data);
    },
  );

  app.post(
    '/api/v1/reports/:id/false',
    {
      config: { access: staff('reports:write') },
      schema: {
        tags: ['reports'],
        summary: 'Mark a report false (closes it; counts toward its device’s and phone’s abuse flag; audited)',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ reason: z.string().trim().min(3).max(1000) }),
        response: { 200: Summary },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { reason } = req.body as { reason: string };
      return service.markFalse(userOf(req).jurisdictions, id, reason, ctxOf(req), req.locale);
    },
  );

  app.put(
    '/api/v1/reports/webhook',
    {
      config: { access: partner('reports:submit'), rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } },
      schema: {
        tags: ['reports'],
        summary: 'Register the calling key’s webhook: every status change of its reports is POSTed there, signed',
        description:
          'Body sent: `{ event: "report.status_changed", reportId, status, statusNote, at }` with `X-Tartip-Signature: sha256=<hex HMAC-SHA256 ' +
          'of the raw body with the secret>` and `X-Tartip-Event-Id` (stable across retries). Non-2xx answers are retried with backoff.',
        body: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000), secret: z.string().min(32).max(256) }),
        response: { 200: z.object({ url: z.string(), channel: z.string(), updatedAt: z.string() }) },
      },
    },
    async (req) => {
      const p = partnerOf(req);
      const { url, secret } = req.body as { url: string; secret: string };
      if (kernel.config.mode === 'production' && !url.startsWith('https:')) {
        throw Problem.validation([{ path: 'body.url', code: 'invalid_format', params: { format: 'https URL' } }]);
      }
      return service.registerWebhook(p, url, secret, ctxOf(req));
    },
  );

  const partnerRoute = { access: partner('reports:submit'), rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } };
  const Delivery = z.object({
    id: z.string(),
    reportId: z.string(),
    state: z.enum(DELIVERY_STATES),
    attempts: z.number(),
    nextAttemptAt: z.string().nullable(),
    lastStatus: z.number().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    failedAt: z.string().nullable(),
    createdAt: z.string(),
    /** The exact body that was (or will be) POSTed and signed. */
    body: z.unknown(),
  });

  app.get(
    '/api/v1/reports/webhook/deliveries',
    {
      config: partnerRoute,
      schema: {
        tags: ['reports'],
        summary: 'The calling key’s webhook deliveries, newest first: state, attempts, what the endpoint last answered, the body',
        description: 'Delivered ones are kept 7 days, failed ones 30. `state`: pending (retrying), delivered, failed (given up).',
        querystring: z.strictObject({
          state: z.enum(DELIVERY_STATES).optional(),
          limit: queryNumber().pipe(z.number().int().min(1).max(500)).default(100),
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(Delivery), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { state?: (typeof DELIVERY_STATES)[number]; limit: number; cursor?: string };
      const before = q.cursor ? Number(decodeCursor(q.cursor)) : null;
      if (before !== null && !Number.isSafeInteger(before)) throw Problem.validation([{ path: 'query.cursor', code: 'invalid_format', params: { format: 'cursor' } }]);
      const rows = await service.deliveries(partnerOf(req).id, { state: q.state, limit: q.limit + 1, beforeSeq: before });
      const items = rows.slice(0, q.limit).map(presentDelivery);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(String(rows[q.limit - 1].seq)) : null };
    },
  );

  app.post(
    '/api/v1/reports/webhook/deliveries/:id/redeliver',
    {
      config: partnerRoute,
      schema: {
        tags: ['reports'],
        summary: 'Send one delivered or failed delivery again (same event id, to deduplicate by); 409 while it is still being retried',
        params: z.strictObject({ id: z.uuid() }),
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (req, reply) => {
      const queued = await service.redeliver(partnerOf(req), { id: (req.params as { id: string }).id }, ctxOf(req));
      return reply.code(202).send({ queued });
    },
  );

  app.post(
    '/api/v1/reports/webhook/deliveries/redeliver-failed',
    {
      config: partnerRoute,
      schema: {
        tags: ['reports'],
        summary: 'Send every failed delivery of the calling key again — once its endpoint is fixed after an outage',
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (req, reply) => {
      const queued = await service.redeliver(partnerOf(req), { failed: true }, ctxOf(req));
      return reply.code(202).send({ queued });
    },
  );
}
