import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../apps/server/src/http/authenticate.ts';
import { anyOf, partner, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { covers, jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { LOCALES, type Locale, t } from '../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { CAMERA_VIOLATION_KINDS, type CameraViolationInput, postCameraViolation } from './camera-violations.ts';
import {
  CAMERA_KINDS,
  type CameraPatch,
  type ClockReport,
  createSection,
  type NewCamera,
  type NewSection,
  presentCamera,
  presentSection,
  registerCamera,
  reportClock,
  type SectionPatch,
  updateCamera,
  updateSection,
} from './cameras.ts';
import { SYNC_SOURCES, SYNC_STATUSES } from './domain/clock-sync.ts';
import { VEHICLE_CLASSES } from './domain/formats.ts';
import { renderNoticeHtml } from './domain/notice.ts';
import { normalisePlate } from './domain/plates.ts';
import { ingestItems, splitNdjson } from './ingest.ts';
import { noticeOf } from './notices.ts';
import { runtime } from './runtime.ts';
import { presentViolation, type ViolationRow } from './store.ts';
import { decide, decideMany, getViolation, recordPayment } from './violations.ts';
import { decodeCursor, encodeCursor } from '../../packages/kernel/src/cursor.ts';

// ---- schemas --------------------------------------------------------------------------------------------------

const Iso = z.string();
const IsoIn = z.iso.datetime({ offset: true });
const Text = (max: number) => z.string().trim().min(1).max(max);
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(200)).default(50);
/** A camera by id (UUID) or by its code. */
const CameraRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
const CameraCode = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
const Point = z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });
const Speed = z.number().int().min(5).max(200);
const Certificate = z.strictObject({ number: Text(100), issuer: Text(200), validFrom: IsoIn, validTo: IsoIn });
const Direction = z.strictObject({ headingDeg: z.number().min(0).lt(360), label: Text(200).optional() });
const Limits = z.strictObject({
  car: Speed,
  truck: Speed.optional(),
  bus: Speed.optional(),
  motorcycle: Speed.optional(),
  moped: Speed.optional(),
  other: Speed.optional(),
});
const Lang = z.strictObject({ lang: z.enum(LOCALES).optional() });

const CameraOut = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  direction: z.object({ headingDeg: z.number(), label: z.string().nullable() }).nullable(),
  lanes: z.number(),
  owner: z.string(),
  kinds: z.array(z.string()),
  certificate: z.object({ number: z.string(), issuer: z.string(), validFrom: Iso, validTo: Iso, validNow: z.boolean() }).nullable(),
  clock: z.object({
    verdict: z.enum(['in_sync', 'unknown', 'stale', 'not_synced', 'offset_too_large']),
    status: z.string().nullable(),
    source: z.string().nullable(),
    offsetMs: z.number().nullable(),
    since: Iso.nullable(),
    lastReportAt: Iso.nullable(),
  }),
  version: z.number(),
  createdAt: Iso,
  updatedAt: Iso,
});

const CameraRefOut = z.object({ id: z.string(), code: z.string(), name: z.string(), location: z.object({ lon: z.number(), lat: z.number() }) });
const SectionOut = z.object({
  id: z.string(),
  name: z.string(),
  entryCamera: CameraRefOut,
  exitCamera: CameraRefOut,
  lengthM: z.number(),
  limits: z.record(z.string(), z.number()),
  maxTravelS: z.number(),
  activeFrom: Iso,
  activeTo: Iso.nullable(),
  kato: z.string().nullable(),
  version: z.number(),
  live: z.object({ inFlight: z.number(), pairs: z.number(), averageSpeedKmh: z.number().nullable(), violations: z.number(), suppressedUnsynced: z.number() }),
  createdAt: Iso,
  updatedAt: Iso,
});

const PenaltyOut = z.object({
  type: z.enum(['fine', 'warning', 'none', 'manual']),
  part: z.string().nullable(),
  fineMrp: z.number().nullable(),
  mrpYear: z.number(),
  mrpTenge: z.number().nullable(),
  fineTenge: z.number().nullable(),
  repeatOf: z.string().nullable(),
  rulesVersion: z.string(),
  final: z.boolean(),
});
const ViolationOut = z.object({
  id: z.string(),
  kind: z.string(),
  plate: z.string(),
  country: z.string().nullable(),
  at: Iso,
  cameraId: z.string().nullable(),
  sectionId: z.string().nullable(),
  kato: z.string().nullable(),
  speedKmh: z.number().nullable(),
  limitKmh: z.number().nullable(),
  status: z.enum(['PENDING', 'CONFIRMED', 'REJECTED', 'VOID']),
  penalty: PenaltyOut,
  ruleVersion: z.string(),
  readIds: z.array(z.string()),
  recordedAt: Iso,
  decidedBy: z.string().nullable(),
  decidedAt: Iso.nullable(),
  decisionNote: z.string().nullable(),
  voidReason: z.string().nullable(),
  noticeNumber: z.string().nullable(),
  payment: z.object({ dueAt: Iso, paidAt: Iso.nullable(), reference: z.string().nullable() }).nullable(),
});
const ViolationDetailOut = ViolationOut.extend({ evidence: z.record(z.string(), z.unknown()) });

const NoticeOut = z.object({
  number: z.string(),
  issuedAt: Iso,
  locale: z.enum(LOCALES),
  title: z.string(),
  violation: z.object({
    id: z.string(),
    kind: z.string(),
    description: z.string(),
    at: Iso,
    plate: z.string(),
    country: z.string().nullable(),
    place: z.object({ camera: z.string(), name: z.string(), location: z.object({ lon: z.number(), lat: z.number() }), kato: z.string().nullable() }).nullable(),
    section: z.object({ name: z.string(), lengthM: z.number() }).nullable(),
    speedKmh: z.number().nullable(),
    limitKmh: z.number().nullable(),
    excessKmh: z.number().nullable(),
  }),
  law: z.object({ part: z.string().nullable(), article: z.string().nullable(), title: z.string().nullable(), rulesVersion: z.string(), source: z.string() }),
  sanction: z.object({
    type: z.enum(['fine', 'warning', 'none', 'manual']),
    text: z.string(),
    fineMrp: z.number().nullable(),
    mrpYear: z.number(),
    mrpTenge: z.number().nullable(),
    fineTenge: z.number().nullable(),
    repeat: z.boolean(),
  }),
  owner: z.union([
    z.object({ known: z.literal(true), kind: z.enum(['person', 'organisation']), name: z.string(), idNumber: z.string().nullable(), address: z.string().nullable() }),
    z.object({ known: z.literal(false), text: z.string() }),
  ]),
  vehicle: z.object({ make: z.string().nullable(), model: z.string().nullable(), colour: z.string().nullable(), vehicleClass: z.string().nullable() }).nullable(),
  evidence: z.object({ images: z.array(z.string()), reads: z.array(z.object({ role: z.string(), camera: z.string(), at: z.string() })), ruleVersion: z.string() }),
  confirmedBy: z.string(),
});

const FieldErrorOut = z.object({ path: z.string(), code: z.string(), message: z.string() });


const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: req.id });
/** Jurisdictions of whoever calls: a staff member's or a partner key's. */
const jurisdictionsOf = (req: FastifyRequest): string[] => req.principal?.jurisdictions ?? [];

// ---- routes ---------------------------------------------------------------------------------------------------

export async function trafficRoutes(app: FastifyInstance, kernel: Kernel) {
  runtime(kernel); // validates TARTIP_TRAFFIC_* before the server listens: a bad value stops the start
  // In their own scope, so the NDJSON parser is ours whichever module registers first.
  await app.register(async (scope) => routes(scope, kernel));
}

async function routes(app: FastifyInstance, kernel: Kernel) {
  const { db } = kernel;
  const rt = runtime(kernel);
  const tags = ['traffic'];
  if (!app.hasContentTypeParser('application/x-ndjson')) {
    app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  // ---- cameras --------------------------------------------------------------------------------------------
  app.post(
    '/api/v1/traffic/cameras',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Register an ANPR camera or gantry: position, direction, lanes, owner, certificate and (optionally) its clock state',
        description:
          '`code` is how gateways name the camera: our reads’ `camera`, OpenALPR `<site_id>-cam<camera_id>` or `<camera_id>`, Frigate’s camera name. A read from a camera without a valid certificate, or whose clock was not in sync, never becomes a violation.',
        body: z.strictObject({
          code: CameraCode,
          name: Text(200),
          location: Point,
          direction: Direction.optional(),
          lanes: z.number().int().min(1).max(16),
          owner: Text(200),
          kinds: z.array(z.enum(CAMERA_KINDS)).min(1).max(CAMERA_KINDS.length),
          certificate: Certificate.optional(),
          clock: z.strictObject({ status: z.enum(SYNC_STATUSES), source: z.enum(SYNC_SOURCES), offsetMs: z.number().int().min(-86_400_000).max(86_400_000).nullable().optional() }).optional(),
        }),
        response: { 201: CameraOut },
      },
    },
    async (req, reply) => {
      const c = await registerCamera(kernel, ctxOf(req), userOf(req), req.body as NewCamera);
      return reply.code(201).send(presentCamera(kernel, c));
    },
  );

  app.get(
    '/api/v1/traffic/cameras',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Cameras in the caller’s jurisdiction, by code, with certificate and clock state now',
        querystring: z.strictObject({ limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(CameraOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      await rt.load(kernel);
      const q = req.query as { limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.string()) : null;
      const me = userOf(req);
      const all = [...rt.cameras.values()].filter((c) => covers(me.jurisdictions, c.kato) && (after === null || c.code > after)).sort((a, b) => (a.code < b.code ? -1 : 1));
      const page = all.slice(0, q.limit);
      return { items: page.map((c) => presentCamera(kernel, c)), nextCursor: all.length > q.limit ? encodeCursor(page[page.length - 1].code) : null };
    },
  );

  app.get(
    '/api/v1/traffic/cameras/:camera',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'One camera (by id or code) with its recent clock-sync history',
        params: z.strictObject({ camera: CameraRef }),
        response: {
          200: CameraOut.extend({
            clockHistory: z.array(z.object({ at: Iso, status: z.string(), source: z.string(), offsetMs: z.number().nullable(), reportedBy: z.string(), receivedAt: Iso })),
          }),
        },
      },
    },
    async (req) => {
      await rt.load(kernel);
      const c = rt.camera((req.params as { camera: string }).camera);
      if (!c) throw Problem.notFound();
      if (!covers(userOf(req).jurisdictions, c.kato)) throw new Problem('outside_jurisdiction');
      const history = await db.query<{ at: Date; status: string; source: string; offset_ms: number | null; reported_by: string; received_at: Date }>(
        'select at, status, source, offset_ms, reported_by, received_at from traffic_camera_sync where camera_id = $1 order by at desc limit 100',
        [c.id],
      );
      return {
        ...presentCamera(kernel, c),
        clockHistory: history.map((h) => ({
          at: new Date(h.at).toISOString(),
          status: h.status,
          source: h.source,
          offsetMs: h.offset_ms,
          reportedBy: h.reported_by,
          receivedAt: new Date(h.received_at).toISOString(),
        })),
      };
    },
  );

  app.patch(
    '/api/v1/traffic/cameras/:camera',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Change a camera: name, direction, lanes, owner, kinds, certificate (a renewed verification; null removes it)',
        params: z.strictObject({ camera: CameraRef }),
        body: z.strictObject({
          name: Text(200).optional(),
          direction: Direction.optional(),
          lanes: z.number().int().min(1).max(16).optional(),
          owner: Text(200).optional(),
          kinds: z.array(z.enum(CAMERA_KINDS)).min(1).max(CAMERA_KINDS.length).optional(),
          certificate: Certificate.nullable().optional(),
        }),
        response: { 200: CameraOut },
      },
    },
    async (req) => {
      const c = await updateCamera(kernel, ctxOf(req), userOf(req), (req.params as { camera: string }).camera, req.body as CameraPatch);
      return presentCamera(kernel, c);
    },
  );

  app.post(
    '/api/v1/traffic/cameras/clock',
    {
      config: { access: anyOf(partner('traffic:ingest'), staff('traffic:write')) },
      schema: {
        tags,
        summary: 'Clock-sync reports (NTP / PTP / GNSS): a gateway tells the state of its cameras’ clocks',
        description:
          'Each report joins the camera’s history; a read at time t is judged by the latest report at or before t (in sync only if `synced`, the offset within TARTIP_TRAFFIC_MAX_CLOCK_OFFSET_MS, and the report not older than TARTIP_TRAFFIC_SYNC_VALID_S). A report that a clock was not in sync from a past `at` withdraws (VOID) the pending violations resting on that camera’s reads since then.',
        body: z.strictObject({
          reports: z
            .array(
              z.strictObject({
                camera: CameraRef,
                status: z.enum(SYNC_STATUSES),
                source: z.enum(SYNC_SOURCES),
                offsetMs: z.number().int().min(-86_400_000).max(86_400_000).nullable().optional(),
                at: IsoIn.optional(),
              }),
            )
            .min(1)
            .max(1000),
        }),
        response: {
          200: z.object({
            results: z.array(z.object({ camera: z.string(), cameraId: z.string(), at: Iso, status: z.enum(SYNC_STATUSES), changed: z.boolean() })),
            voided: z.number(),
          }),
        },
      },
    },
    async (req) => reportClock(kernel, ctxOf(req), { jurisdictions: jurisdictionsOf(req) }, (req.body as { reports: ClockReport[] }).reports),
  );

  // ---- sections -------------------------------------------------------------------------------------------
  const SectionBody = z.strictObject({
    name: Text(200),
    entryCamera: CameraRef,
    exitCamera: CameraRef,
    lengthM: z.number().positive().max(500_000),
    limits: Limits,
    maxTravelS: z.number().int().min(1).max(86_400).optional(),
    activeFrom: IsoIn.optional(),
    activeTo: IsoIn.nullable().optional(),
  });
  app.post(
    '/api/v1/traffic/sections',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Create an average-speed section: entry and exit camera, surveyed length, limit per class, active period, maximum travel time',
        description:
          'Limits in km/h; classes not given take the car limit. `maxTravelS` defaults to the section at 20 km/h. The length may not be shorter than the straight line between the cameras (nor implausibly longer).',
        body: SectionBody,
        response: { 201: SectionOut },
      },
    },
    async (req, reply) => {
      const s = await createSection(kernel, ctxOf(req), userOf(req), req.body as NewSection);
      return reply.code(201).send(presentSection(kernel, s));
    },
  );

  app.get(
    '/api/v1/traffic/sections',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Sections in the caller’s jurisdiction, with this process’s live figures (vehicles in flight, average speed)',
        querystring: z.strictObject({ limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(SectionOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      await rt.load(kernel);
      const q = req.query as { limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.string(), z.string()])) : null;
      const me = userOf(req);
      const key = (s: { name: string; id: string }) => `${s.name}\u0000${s.id}`;
      const all = [...rt.sections.values()]
        .filter((s) => covers(me.jurisdictions, s.kato) && (after === null || key(s) > `${after[0]}\u0000${after[1]}`))
        .sort((a, b) => (key(a) < key(b) ? -1 : 1));
      const page = all.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map((s) => presentSection(kernel, s)), nextCursor: all.length > q.limit ? encodeCursor([last.name, last.id]) : null };
    },
  );

  app.patch(
    '/api/v1/traffic/sections/:id',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Change a section’s name, length, limits, maximum travel time or end (a new version; its cameras are fixed)',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({
          name: Text(200).optional(),
          lengthM: z.number().positive().max(500_000).optional(),
          limits: Limits.optional(),
          maxTravelS: z.number().int().min(1).max(86_400).optional(),
          activeTo: IsoIn.nullable().optional(),
        }),
        response: { 200: SectionOut },
      },
    },
    async (req) => {
      const s = await updateSection(kernel, ctxOf(req), userOf(req), (req.params as { id: string }).id, req.body as SectionPatch);
      return presentSection(kernel, s);
    },
  );

  // ---- ANPR reads -----------------------------------------------------------------------------------------
  app.post(
    '/api/v1/traffic/anpr-reads',
    {
      config: { access: partner('traffic:ingest') },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Plate reads as NDJSON (application/x-ndjson): ours, OpenALPR alpr_results / alpr_group, or Frigate lpr updates, one per line',
        description:
          'Ours: `{camera, plate, at, country?, vehicleClass?, speedKmh?, lane?, confidence?, imageUrl?, ref?}`. Lines are judged one by one: good lines are stored (in one transaction, all or none of them) and bad ones come back in `errors[]` with paths like `line.17.plate`; a batch in which no line is good is a 400 and stores nothing. A read already stored (same camera, time and plate) counts as a duplicate, so a gateway may resend a whole batch safely. OpenALPR heartbeats and Frigate face/description updates are `ignored`. Only cameras in the key’s jurisdictions.',
        consumes: ['application/x-ndjson'],
        body: z.unknown().describe('NDJSON text: one read per line'),
        response: {
          202: z.object({
            received: z.number(),
            accepted: z.number(),
            stored: z.number(),
            duplicates: z.number(),
            ignored: z.number(),
            rejected: z.number(),
            unsynced: z.number(),
            errors: z.array(FieldErrorOut),
          }),
        },
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') throw new Problem('traffic.ndjson_required', {}, [], 415);
      const split = splitNdjson(req.body);
      if (split.lines > rt.settings.maxLines) throw Problem.validation([{ path: 'body', code: 'too_big', params: { maximum: `${rt.settings.maxLines} lines` } }]);
      if (split.lines === 0) throw Problem.validation([{ path: 'body', code: 'required' }]);
      const p = req.principal;
      const r = await ingestItems(kernel, split.items, { actor: actorOf(p), jurisdictions: p?.jurisdictions ?? [] }, split.errors, split.lines);
      // Nothing good at all: a plain 400, nothing stored.
      if (r.accepted === 0 && r.ignored === 0) throw Problem.validation(r.errors);
      const locale = req.locale;
      return reply.code(202).send({ ...r, errors: r.errors.map((e) => ({ path: e.path, code: e.code, message: t(locale, `field.${e.code}`, e.params) })) });
    },
  );

  app.get(
    '/api/v1/traffic/section-control/stats',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Section control figures: pairs, violations, and what was refused — reads from unsynced or uncertified cameras, implausible pairs, late and duplicate reads',
        description: '`cameras` and `sections` are summed from the hourly counters of every process over the last `hours`; `process` is this process’s engine and intake since it started.',
        querystring: z.strictObject({ hours: queryNumber().pipe(z.number().int().min(1).max(24 * 366)).default(24) }),
        response: {
          200: z.object({
            since: Iso,
            cameras: z.array(
              z.object({ cameraId: z.string(), code: z.string(), name: z.string(), reads: z.number(), unsynced: z.number(), uncertified: z.number(), duplicates: z.number(), clockNow: z.string() }),
            ),
            sections: z.array(
              z.object({
                sectionId: z.string(),
                name: z.string(),
                pairs: z.number(),
                compliant: z.number(),
                violations: z.number(),
                suppressedUnsynced: z.number(),
                suppressedUncertified: z.number(),
                implausible: z.number(),
                unmatchedEntries: z.number(),
                unmatchedExits: z.number(),
                duplicates: z.number(),
                late: z.number(),
                averageSpeedKmh: z.number().nullable(),
              }),
            ),
            process: z.object({
              startedAt: Iso,
              watermark: Iso.nullable(),
              inFlight: z.number(),
              engine: z.record(z.string(), z.number()),
              intake: z.record(z.string(), z.number()),
            }),
          }),
        },
      },
    },
    async (req) => {
      await rt.load(kernel);
      const me = userOf(req);
      const hours = (req.query as { hours: number }).hours;
      const since = new Date(Math.floor((kernel.clock.now().getTime() - hours * 3_600_000) / 3_600_000) * 3_600_000).toISOString();
      const cams = await db.query<{ camera_id: string; reads: number; unsynced: number; uncertified: number; duplicates: number }>(
        `select camera_id, sum(reads)::int8 as reads, sum(unsynced)::int8 as unsynced, sum(uncertified)::int8 as uncertified, sum(duplicates)::int8 as duplicates
         from traffic_camera_hour where hour >= $1 group by camera_id`,
        [since],
      );
      const secs = await db.query<Record<string, number | string>>(
        `select section_id, sum(pairs)::int8 as pairs, sum(compliant)::int8 as compliant, sum(violations)::int8 as violations,
           sum(suppressed_unsynced)::int8 as suppressed_unsynced, sum(suppressed_uncertified)::int8 as suppressed_uncertified, sum(implausible)::int8 as implausible,
           sum(unmatched_entries)::int8 as unmatched_entries, sum(unmatched_exits)::int8 as unmatched_exits, sum(duplicates)::int8 as duplicates, sum(late)::int8 as late,
           sum(speed_sum_kmh)::float8 as speed_sum_kmh
         from traffic_section_hour where hour >= $1 group by section_id`,
        [since],
      );
      const nowMs = kernel.clock.now().getTime();
      const cameras = cams
        .map((r) => ({ r, c: rt.cameras.get(r.camera_id) }))
        .filter(({ c }) => c && covers(me.jurisdictions, c.kato))
        .map(({ r, c }) => {
          const cam = c as NonNullable<typeof c>;
          return {
            cameraId: cam.id,
            code: cam.code,
            name: cam.name,
            reads: r.reads,
            unsynced: r.unsynced,
            uncertified: r.uncertified,
            duplicates: r.duplicates,
            clockNow: presentCamera(kernel, cam).clock.verdict,
          };
        })
        .sort((a, b) => (a.code < b.code ? -1 : 1));
      const n = (v: number | string | undefined) => Number(v ?? 0);
      const sections = secs
        .map((r) => ({ r, s: rt.sections.get(String(r.section_id)) }))
        .filter(({ s }) => s && covers(me.jurisdictions, s.kato))
        .map(({ r, s }) => ({
          sectionId: (s as NonNullable<typeof s>).id,
          name: (s as NonNullable<typeof s>).name,
          pairs: n(r.pairs),
          compliant: n(r.compliant),
          violations: n(r.violations),
          suppressedUnsynced: n(r.suppressed_unsynced),
          suppressedUncertified: n(r.suppressed_uncertified),
          implausible: n(r.implausible),
          unmatchedEntries: n(r.unmatched_entries),
          unmatchedExits: n(r.unmatched_exits),
          duplicates: n(r.duplicates),
          late: n(r.late),
          averageSpeedKmh: n(r.pairs) > 0 ? Math.round((n(r.speed_sum_kmh) / n(r.pairs)) * 10) / 10 : null,
        }));
      const wm = rt.engine.watermark;
      return {
        since,
        cameras,
        sections,
        process: {
          startedAt: rt.startedAt,
          watermark: Number.isFinite(wm) ? new Date(Math.min(wm, nowMs + 86_400_000)).toISOString() : null,
          inFlight: rt.engine.inFlight,
          engine: { ...rt.engine.total },
          intake: { ...rt.intake },
        },
      };
    },
  );

  // ---- violations -----------------------------------------------------------------------------------------
  app.post(
    '/api/v1/traffic/violations',
    {
      config: { access: partner('traffic:ingest') },
      schema: {
        tags,
        summary: 'A violation a camera detected itself (spot speed, red light, bus lane, phone, headlights), with its evidence',
        description:
          'Filed through the same path as section control: the camera’s clock must have been in sync at `at` (else 422 traffic.clock_not_in_sync), measuring kinds need a valid certificate, a speed must exceed limit + tolerance. Idempotent per (camera, `ref`): a resend answers 200 with the violation filed first.',
        body: z.strictObject({
          camera: CameraRef,
          kind: z.enum(CAMERA_VIOLATION_KINDS),
          plate: Text(32),
          country: z.string().regex(/^[A-Za-z]{2}$/).nullable().optional(),
          at: IsoIn,
          speedKmh: z.number().min(0).max(400).nullable().optional(),
          limitKmh: z.number().int().min(5).max(200).nullable().optional(),
          vehicleClass: z.enum(VEHICLE_CLASSES).nullable().optional(),
          lane: z.number().int().min(1).max(16).nullable().optional(),
          confidence: z.number().min(0).max(100).nullable().optional(),
          images: z.array(z.url({ protocol: /^https?$/ }).max(2000)).min(1).max(10),
          video: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
          ref: Text(200),
          details: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional(),
        }),
        response: { 200: ViolationOut, 201: ViolationOut },
      },
    },
    async (req, reply) => {
      const r = await postCameraViolation(kernel, ctxOf(req), jurisdictionsOf(req), req.body as CameraViolationInput);
      return reply.code(r.created ? 201 : 200).send(presentViolation(r.violation));
    },
  );

  app.get(
    '/api/v1/traffic/violations',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Violations in the caller’s jurisdiction — the verification queue (`status=PENDING`, oldest first) or a vehicle’s record (`plate=…`, newest first) — with status and penalty',
        description: '`plate` is normalised like reads are (Cyrillic look-alikes, spaces and dashes), so «123 АВС 01» finds 123ABC01.',
        querystring: z.strictObject({
          plate: Text(32).optional(),
          status: z.enum(['PENDING', 'CONFIRMED', 'REJECTED', 'VOID']).optional(),
          kind: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(ViolationOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { plate?: string; status?: string; kind?: string; limit: number; cursor?: string };
      let plate: string | null = null;
      if (q.plate !== undefined) {
        const p = normalisePlate(q.plate);
        if (!p.ok) throw Problem.validation([{ path: 'query.plate', code: 'invalid_plate', params: { reason: p.reason } }]);
        plate = p.value.plate;
      }
      const queue = q.status === 'PENDING';
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const [filter, params] = jurisdictionFilter('kato', me.jurisdictions, 7);
      const rows = await db.query<ViolationRow>(
        `select * from traffic_violation
         where (${filter}) and ($1::text is null or plate = $1) and ($2::text is null or status = $2) and ($3::text is null or kind = $3)
           and ($4::timestamptz is null or (recorded_at, id) ${queue ? '>' : '<'} ($4::timestamptz, $5::uuid))
         order by recorded_at ${queue ? 'asc' : 'desc'}, id ${queue ? 'asc' : 'desc'} limit $6`,
        [plate, q.status ?? null, q.kind ?? null, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map((v) => presentViolation(v));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.recordedAt, last.id]) : null };
    },
  );

  app.get(
    '/api/v1/traffic/violations/:id',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'One violation with its evidence: both reads, images, timestamps, clock state and certificates of the cameras, computed speed, rule version',
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: ViolationDetailOut },
      },
    },
    async (req) => presentViolation(await getViolation(kernel, (req.params as { id: string }).id, userOf(req).jurisdictions), true),
  );

  const DecisionBody = z.strictObject({ decision: z.enum(['confirm', 'reject']), note: Text(2000).optional() });
  /** A rejection says why. */
  const noteRequired = (b: { decision: string; note?: string }) => {
    if (b.decision === 'reject' && b.note === undefined) throw Problem.validation([{ path: 'body.note', code: 'required' }]);
  };
  app.post(
    '/api/v1/traffic/violations/:id/decision',
    {
      config: { access: staff('traffic:verify') },
      schema: {
        tags,
        summary: 'Confirm or reject one violation (a rejection needs a note); confirming fixes the penalty and numbers the notice',
        description:
          'Confirming checks the reads’ clocks again: a violation a camera’s late clock report has undermined becomes VOID and the answer is 409 traffic.clock_not_in_sync.',
        params: z.strictObject({ id: z.uuid() }),
        body: DecisionBody,
        response: { 200: ViolationOut },
      },
    },
    async (req) => {
      const b = req.body as { decision: 'confirm' | 'reject'; note?: string };
      noteRequired(b);
      const v = await decide(kernel, ctxOf(req), userOf(req).jurisdictions, (req.params as { id: string }).id, b.decision, b.note ?? null);
      return presentViolation(v);
    },
  );

  app.post(
    '/api/v1/traffic/violations/:id/payment',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Record that a confirmed fine was paid (from the treasury or the bank’s payment confirmation)',
        description: 'A fine is due TARTIP_TRAFFIC_PAYMENT_TERM_DAYS after confirmation; one unpaid past that counts in the «Қорғау» score. Paying twice, or a violation without a fine, is 409.',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ paidAt: Iso.optional(), reference: Text(200) }),
        response: { 200: ViolationOut },
      },
    },
    async (req) => {
      const b = req.body as { paidAt?: string; reference: string };
      const v = await recordPayment(kernel, ctxOf(req), userOf(req).jurisdictions, (req.params as { id: string }).id, { paidAt: b.paidAt ?? null, reference: b.reference });
      return presentViolation(v);
    },
  );

  app.post(
    '/api/v1/traffic/violations/decisions',
    {
      config: { access: staff('traffic:verify') },
      schema: {
        tags,
        summary: 'Bulk confirm (or reject) violations; each is decided on its own and answered with its outcome',
        body: z.strictObject({ ids: z.array(z.uuid()).min(1).max(500), decision: z.enum(['confirm', 'reject']), note: Text(2000).optional() }),
        response: {
          200: z.object({
            results: z.array(z.object({ id: z.string(), ok: z.boolean(), status: z.string().nullable(), code: z.string().nullable() })),
            confirmed: z.number(),
            rejected: z.number(),
            failed: z.number(),
          }),
        },
      },
    },
    async (req) => {
      const b = req.body as { ids: string[]; decision: 'confirm' | 'reject'; note?: string };
      noteRequired(b);
      const results = await decideMany(kernel, ctxOf(req), userOf(req).jurisdictions, b.ids, b.decision, b.note ?? null);
      return {
        results,
        confirmed: results.filter((r) => r.ok && r.status === 'CONFIRMED').length,
        rejected: results.filter((r) => r.ok && r.status === 'REJECTED').length,
        failed: results.filter((r) => !r.ok).length,
      };
    },
  );

  const localeOf = (req: FastifyRequest): Locale => (req.query as { lang?: Locale }).lang ?? req.locale;
  app.get(
    '/api/v1/traffic/violations/:id/notice',
    {
      config: { access: staff('traffic:verify') },
      schema: {
        tags,
        summary: 'The notice to the vehicle’s owner (confirmed violations only), as JSON, in ru / kk / en (`lang`, else Accept-Language)',
        params: z.strictObject({ id: z.uuid() }),
        querystring: Lang,
        response: { 200: NoticeOut },
      },
    },
    async (req) => noticeOf(kernel, ctxOf(req), userOf(req).jurisdictions, (req.params as { id: string }).id, localeOf(req)),
  );

  app.get(
    '/api/v1/traffic/violations/:id/notice.html',
    {
      config: { access: staff('traffic:verify') },
      schema: {
        tags,
        summary: 'The notice as a printable page (text/html, A4), in ru / kk / en',
        params: z.strictObject({ id: z.uuid() }),
        querystring: Lang,
        produces: ['text/html'],
      },
    },
    async (req, reply) => {
      const locale = localeOf(req);
      const n = await noticeOf(kernel, ctxOf(req), userOf(req).jurisdictions, (req.params as { id: string }).id, locale);
      return reply.type('text/html; charset=utf-8').send(renderNoticeHtml(n, (key, params) => t(locale, key, params)));
    },
  );
}
