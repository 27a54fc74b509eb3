import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { publicAccess } from '../../apps/server/src/http/context.ts';
import { toProblem } from '../../apps/server/src/http/problems.ts';
import { principalOfApiKey } from '../../packages/kernel/src/auth/identity.ts';
import type { Principal } from '../../packages/kernel/src/auth/principal.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { type FieldError, fieldErrorsFromZod, Problem, renderProblem } from '../../packages/kernel/src/errors.ts';
import { type Locale, negotiateLocale, t } from '../../packages/kernel/src/i18n/index.ts';
import { UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { CATEGORIES, categoryOf } from './config/categories.ts';
import { normalizePhone } from './domain/contact.ts';
import {
  attributesOf,
  CONTENT_TYPE,
  parseForm,
  type Format,
  type Open311Error,
  toRequest,
  toService,
  toServiceDefinition,
  xmlDocument,
} from './domain/open311.ts';
import { DEVICE_ID } from './routes.ts';
import { noteText, type ReportRow, type ReportsService } from './service.ts';

/**
 * Open311 GeoReport v2 under /open311/v2 — the same reports (same table, same events) for clients that speak the
 * standard. Outside /api, so the server treats the routes as public; partners authenticate with the form field
 * `api_key` (a key with `reports:submit`). Errors are the standard's `[{code, description}]` (`errors/error` in
 * XML), described in the caller's language (Accept-Language).
 *
 * Privacy: GET requests is public in the standard. Here a keyless caller sees status, category and times only;
 * description, address, coordinates and media_url are shown only to the key the report came through (send
 * `api_key`), and sensitive categories (domestic violence) are not listed to others at all.
 */

const CHANGESET = '2026-11-24T00:00:00Z';
const SPEC = 'http://wiki.open311.org/GeoReport_v2';
const DEFAULT_WINDOW_DAYS = 90;
const MAX_REQUESTS = 1000;

type Partner = Extract<Principal, { kind: 'partner' }>;

class Open311Failure extends Error {
  constructor(
    readonly status: number,
    readonly errors: Open311Error[],
  ) {
    super('open311');
  }
}

const formatOf = (req: FastifyRequest): Format => {
  const f = (req.params as { format?: string } | undefined)?.format;
  if (f === 'xml' || f === 'json') return f;
  return /\.xml(\?|$)/.test(req.url) ? 'xml' : 'json';
};

function send(reply: FastifyReply, format: Format, status: number, json: unknown, xml: () => string) {
  reply.code(status).header('content-type', CONTENT_TYPE[format]);
  return reply.send(format === 'json' ? JSON.stringify(json) : xml());
}

function sendErrors(reply: FastifyReply, format: Format, status: number, errors: Open311Error[]) {
  return send(reply, format, status, errors, () => xmlDocument('errors', 'error', errors));
}

/** A kernel problem (validation, rate limit, 5xx) as Open311 errors, in the caller's language. */
function problemErrors(p: Problem, locale: Locale, requestId: string): Open311Error[] {
  const body = renderProblem(p, locale, { requestId });
  if (body.errors?.length) return body.errors.map((e) => ({ code: p.status, description: `${e.path}: ${e.message}` }));
  return [{ code: p.status, description: body.detail }];
}

const fieldErrors = (errors: FieldError[], locale: Locale): Open311Error[] =>
  renderProblem(Problem.validation(errors), locale).errors?.map((e) => ({ code: 400, description: `${e.path}: ${e.message}` })) ?? [];

const notFound = (locale: Locale, what: string) => new Open311Failure(404, [{ code: 404, description: t(locale, 'reports.open311.not_found', { what }) }]);

const coordinate = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const PostFields = z.object({
  service_code: z.string().min(1).max(100),
  // Both, or neither when address_string places the request (GeoReport v2: «lat & long both required if no
  // address_string»); the gazetteer then finds the address.
  lat: coordinate(-90, 90).optional(),
  long: coordinate(-180, 180).optional(),
  address_string: z.string().trim().max(500).optional(),
  email: z.email().max(254).optional(),
  device_id: z.string().regex(DEVICE_ID).optional(),
  first_name: z.string().trim().max(100).optional(),
  last_name: z.string().trim().max(100).optional(),
  phone: z.string().max(40).optional(),
  description: z.string().trim().max(4000).optional(),
  media_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
});

const ListFields = z.object({
  service_request_id: z.string().max(20_000).optional(),
  service_code: z.string().max(2000).optional(),
  start_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.iso.datetime({ offset: true }).optional(),
  status: z
    .string()
    .regex(/^(open|closed)(,(open|closed))*$/)
    .optional(),
  api_key: z.string().max(200).optional(),
  jurisdiction_id: z.string().max(200).optional(),
});

function toRequestSource(r: ReportRow, locale: Locale) {
  const category = categoryOf(r.category);
  if (!category) return null;
  return {
    id: r.id,
    category,
    status: r.status,
    statusNote: noteText(r.status_note, r.status_note_code, locale),
    description: r.description,
    address: r.address,
    lat: r.lat,
    lon: r.lon,
    mediaUrl: r.media_url,
    submittedAt: new Date(r.submitted_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The Open311 plugin; register with `{ prefix: '/open311/v2' }`. */
export function open311Routes(kernel: Kernel, service: ReportsService) {
  const { db } = kernel;
  const SENSITIVE = CATEGORIES.filter((c) => c.sensitive).map((c) => c.code);

  /** The partner calling, by `api_key` (form or query) or X-API-Key; null when none or not valid. */
  async function partnerOf(req: FastifyRequest, field: unknown): Promise<Partner | null> {
    if (typeof field === 'string' && field.length > 0) {
      const p = await principalOfApiKey(db, field);
      return p?.kind === 'partner' ? p : null;
    }
    return req.principal?.kind === 'partner' ? req.principal : null;
  }

  function requestsOut(reply: FastifyReply, format: Format, rows: ReportRow[], locale: Locale, caller: Partner | null) {
    const items = rows.flatMap((r) => {
      const src = toRequestSource(r, locale);
      return src ? [toRequest(src, locale, caller !== null && r.partner_key_id === caller.id)] : [];
    });
    return send(reply, format, 200, items, () => xmlDocument('service_requests', 'request', items));
  }

  return async function plugin(app: FastifyInstance) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (e) {
        done(e as Error, undefined);
      }
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
      const locale = req.locale ?? negotiateLocale(req.headers['accept-language']);
      const format = formatOf(req);
      if (err instanceof Open311Failure) return sendErrors(reply, format, err.status, err.errors);
      const problem = toProblem(err);
      if (problem.status >= 500) req.log.error({ err }, 'open311 request failed');
      return sendErrors(reply, format, problem.status, problemErrors(problem, locale, String(req.id)));
    });
    app.setNotFoundHandler((req, reply) => {
      const locale = negotiateLocale(req.headers['accept-language']);
      return sendErrors(reply, formatOf(req), 404, [{ code: 404, description: t(locale, 'not_found.detail') }]);
    });

    const config = { access: publicAccess, rateLimit: { max: kernel.config.publicRateLimit, timeWindow: 60_000 } };
    const route = { config, schema: { hide: true } };
    const checkFormat = (req: FastifyRequest): Format => {
      const f = (req.params as { format: string }).format;
      if (f !== 'json' && f !== 'xml') throw notFound(req.locale, `.${f}`);
      return f;
    };

    app.get('/discovery.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const url = `${req.protocol}://${req.host}/open311/v2`;
      const endpoint = { specification: SPEC, url, changeset: CHANGESET, type: 'production', formats: ['application/json', 'text/xml'] };
      const json = {
        changeset: CHANGESET,
        contact: 'Tártip — «Закон и Порядок»; emergencies: 102',
        key_service: 'API keys are issued to partner systems (the 102 app, eGov, banks) by the platform’s administrators.',
        endpoints: [endpoint],
      };
      return send(reply, format, 200, json, () =>
        xmlDocument('discovery', null, { ...json, endpoints: { endpoint: [{ ...endpoint, formats: { format: endpoint.formats } }] } }),
      );
    });

    app.get('/services.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const items = CATEGORIES.map((c) => toService(c, req.locale));
      return send(reply, format, 200, items, () => xmlDocument('services', 'service', items));
    });

    app.get('/services/:service_code.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const code = (req.params as { service_code: string }).service_code;
      const category = categoryOf(code);
      if (!category) throw notFound(req.locale, `service_code ${code.slice(0, 100)}`);
      const def = toServiceDefinition(category, req.locale);
      return send(reply, format, 200, def, () =>
        xmlDocument('service_definition', null, {
          service_code: def.service_code,
          attributes: {
            attribute: def.attributes.map(({ values, ...a }) => (values ? { ...a, values: { value: values } } : a)),
          },
        }),
      );
    });

    app.post(
      '/requests.:format',
      {
        ...route,
        config: {
          ...config,
          // Per partner key (from the form), generous; the key is checked by the handler.
          rateLimit: {
            max: service.settings.rateLimitPartner,
            timeWindow: 60_000,
            hook: 'preHandler' as const,
            keyGenerator: (req: FastifyRequest) => {
              const k = (req.body as Record<string, unknown> | undefined)?.api_key;
              return typeof k === 'string' ? `open311:${k.slice(0, 16)}` : `open311-ip:${req.ip}`;
            },
          },
        },
        // The standard has no Idempotency-Key; its replay store keeps JSON only, and these answers may be XML.
        onRequest: async (req) => {
          delete req.headers['idempotency-key'];
        },
      },
      async (req, reply) => {
        const format = checkFormat(req);
        const locale = req.locale;
        const form = (req.body ?? {}) as Record<string, unknown>;
        if (typeof form !== 'object' || Array.isArray(form)) throw new Open311Failure(400, [{ code: 400, description: t(locale, 'malformed_body.detail') }]);
        const partner = await partnerOf(req, form.api_key);
        if (!partner?.scopes.has('reports:submit')) {
          throw new Open311Failure(403, [{ code: 403, description: t(locale, 'reports.open311.invalid_api_key') }]);
        }
        const parsed = PostFields.safeParse(form);
        const errors: FieldError[] = parsed.success ? [] : fieldErrorsFromZod(parsed.error.issues, '');
        const { answers, bad } = attributesOf(form);
        for (const key of bad) errors.push({ path: key, code: 'invalid' });
        const code = typeof form.service_code === 'string' ? form.service_code : null;
        if (code !== null && !categoryOf(code)) {
          throw new Open311Failure(400, [{ code: 400, description: t(locale, 'reports.open311.unknown_service', { code: code.slice(0, 100) }) }]);
        }
        if (parsed.success && (parsed.data.lat === undefined) !== (parsed.data.long === undefined)) {
          errors.push({ path: parsed.data.lat === undefined ? 'lat' : 'long', code: 'required' });
        }
        const phone = parsed.success && parsed.data.phone ? normalizePhone(parsed.data.phone) : null;
        if (parsed.success && parsed.data.phone && !phone) errors.push({ path: 'phone', code: 'invalid_format', params: { format: '+7XXXXXXXXXX' } });
        if (!parsed.success || errors.length > 0) throw new Open311Failure(400, fieldErrors(errors, locale));
        const f = parsed.data;
        const name = [f.first_name, f.last_name].filter(Boolean).join(' ') || null;
        try {
          const { report } = await service.submit(
            {
              category: f.service_code,
              location: f.lat !== undefined && f.long !== undefined ? { lon: f.long, lat: f.lat } : null,
              address: f.address_string || null,
              description: f.description || null,
              media: [],
              mediaUrl: f.media_url ?? null,
              // Open311 has no such flag: a report is anonymous unless the person gave their name.
              anonymous: name === null,
              contact: { name, phone, email: f.email ?? null },
              deviceId: f.device_id ?? null,
              attributes: answers,
            },
            { location: 'lat/long', address: 'address_string', attribute: (c) => `attribute[${c}]`, media: () => 'media_url' },
            { channel: partner.channel, partner, ctx: { actor: actorOf(partner), requestId: String(req.id) } },
            null,
          );
          const created = [
            {
              service_request_id: report.id,
              token: report.tracking_token,
              service_notice: t(locale, report.duplicate_of ? 'reports.notice.duplicate' : 'reports.notice.received'),
              account_id: null,
            },
          ];
          return send(reply, format, 200, created, () => xmlDocument('service_requests', 'request', created));
        } catch (e) {
          if (e instanceof Problem && e.code === 'validation_failed') throw new Open311Failure(400, fieldErrors(e.errors, locale));
          throw e;
        }
      },
    );

    app.get('/requests.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const locale = req.locale;
      const parsed = ListFields.safeParse(req.query ?? {});
      if (!parsed.success) throw new Open311Failure(400, fieldErrors(fieldErrorsFromZod(parsed.error.issues, ''), locale));
      const q = parsed.data;
      const caller = await partnerOf(req, q.api_key);
      const own = caller?.id ?? null;
      let rows: ReportRow[];
      if (q.service_request_id) {
        // A list of ids overrides every other filter.
        const ids = q.service_request_id
          .split(',')
          .map((s) => s.trim())
          .filter((s) => UUID_PATTERN.test(s))
          .slice(0, MAX_REQUESTS);
        rows = await service.open311ByIds(ids, SENSITIVE, own);
      } else {
        // The window is 90 days: ending now by default, or starting/ending at the date given; it may not be longer.
        const window = DEFAULT_WINDOW_DAYS * 86_400_000;
        const end = q.end_date ? new Date(q.end_date) : q.start_date ? new Date(new Date(q.start_date).getTime() + window) : kernel.clock.now();
        const start = q.start_date ? new Date(q.start_date) : new Date(end.getTime() - window);
        if (start > end || end.getTime() - start.getTime() > window) {
          throw new Open311Failure(400, fieldErrors([{ path: 'start_date', code: 'invalid_value' }], locale));
        }
        const codes = q.service_code ? q.service_code.split(',').map((s) => s.trim()) : null;
        const unknown = codes?.find((c) => !categoryOf(c));
        if (unknown !== undefined) throw new Open311Failure(400, [{ code: 400, description: t(locale, 'reports.open311.unknown_service', { code: unknown.slice(0, 100) }) }]);
        const statuses = q.status ? [...new Set(q.status.split(','))] : null;
        rows = await service.open311List({ start, end, codes, statuses, limit: MAX_REQUESTS, sensitive: SENSITIVE, own });
      }
      return requestsOut(reply, format, rows, locale, caller);
    });

    app.get('/requests/:id.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const { id } = req.params as { id: string };
      const caller = await partnerOf(req, (req.query as { api_key?: unknown } | undefined)?.api_key);
      const rows = UUID_PATTERN.test(id) ? await service.open311ByIds([id], SENSITIVE, caller?.id ?? null) : [];
      if (rows.length === 0) throw notFound(req.locale, `service_request_id ${id.slice(0, 100)}`);
      return requestsOut(reply, format, rows, req.locale, caller);
    });

    app.get('/tokens/:token.:format', route, async (req, reply) => {
      const format = checkFormat(req);
      const { token } = req.params as { token: string };
      const r = /^[A-Za-z0-9_-]{43}$/.test(token) ? await service.byToken(token) : null;
      if (!r) throw notFound(req.locale, 'token');
      const items = [{ service_request_id: r.id, token }];
      return send(reply, format, 200, items, () => xmlDocument('service_requests', 'request', items));
    });
  };
}
