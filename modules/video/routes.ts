import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../apps/server/src/http/authenticate.ts';
import { partner, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { covers, jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { decodeCursor, encodeCursor } from '../../packages/kernel/src/cursor.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { ALERT_SELECT, type AlertView, decideAlert, getAlert, presentAlert } from './alerts.ts';
import { CAPABILITIES, type CameraPatch, type CameraRow, findCamera, heartbeat, type NewCamera, presentCamera, registerCamera, updateCamera } from './cameras.ts';
import { EVENT_KINDS, FORMATS, type Format, parseLine } from './domain/formats.ts';
import { congestionNow, flowSeries } from './flow.ts';
import { ingestEvents, type SourcedEvent } from './ingest.ts';
import { runtime } from './runtime.ts';
import {
  addEntry,
  auditEntriesRead,
  createWatchlist,
  type EntryRow,
  findWatchlist,
  LEGAL_BASIS_KINDS,
  type NewEntry,
  presentEntry,
  presentWatchlist,
  removeEntry,
  type WatchlistRow,
} from './watchlists.ts';

// ---- schemas --------------------------------------------------------------------------------------------------

const Iso = z.string();
const IsoIn = z.iso.datetime({ offset: true });
const Text = (max: number) => z.string().trim().min(1).max(max);
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(200)).default(50);
const CameraCode = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
const CameraRef = CameraCode;
const Uuid = z.uuid();
const Point = z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });
const Direction = z.strictObject({ headingDeg: z.number().min(0).lt(360), label: Text(200).optional() });
const Zone = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,99}$/);
const Capabilities = z.array(z.enum(CAPABILITIES)).min(1).max(CAPABILITIES.length);
const HeartbeatS = z.number().int().min(10).max(86_400);

const CameraOut = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  direction: z.object({ headingDeg: z.number(), label: z.string().nullable() }).nullable(),
  zone: z.string().nullable(),
  owner: z.string(),
  capabilities: z.array(z.string()),
  heartbeatS: z.number(),
  trafficCode: z.string().nullable(),
  status: z.enum(['unknown', 'online', 'silent']),
  statusSince: Iso,
  lastSeenAt: Iso.nullable(),
  version: z.number(),
  createdAt: Iso,
  updatedAt: Iso,
});

const AlertOut = z.object({
  id: z.string(),
  kind: z.enum(['camera_silent', 'face_match', 'abandoned_object', 'review']),
  status: z.enum(['open', 'confirmed', 'rejected']),
  camera: z.object({ id: z.string(), code: z.string(), name: z.string(), location: z.object({ lon: z.number(), lat: z.number() }) }),
  kato: z.string().nullable(),
  eventId: z.string().nullable(),
  score: z.number().nullable(),
  snapshot: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  raisedAt: Iso,
  decidedBy: z.string().nullable(),
  decidedAt: Iso.nullable(),
  decisionNote: z.string().nullable(),
  incidentId: z.string().nullable(),
});

const EntryOut = z.object({
  id: z.string(),
  watchlistId: z.string(),
  subject: z.string(),
  referenceImage: z.string(),
  legalBasis: z.object({ kind: z.string(), reference: z.string() }),
  expiresAt: Iso,
  owner: z.string(),
  status: z.enum(['active', 'expired', 'removed']),
  dim: z.number(),
  embedding: z.array(z.number()).optional(),
  createdBy: z.string(),
  createdAt: Iso,
  removedAt: Iso.nullable(),
});
const WatchlistOut = z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), liveEntries: z.number(), createdBy: z.string(), createdAt: Iso });

const EventOut = z.object({
  id: z.string(),
  source: z.string(),
  sourceId: z.string(),
  kind: z.string(),
  label: z.string().nullable(),
  at: Iso,
  zone: z.string().nullable(),
  score: z.number().nullable(),
  snapshot: z.string().nullable(),
  purgeAfter: Iso.nullable(),
});

const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: String(req.id) });
const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

/** Splits NDJSON (1-based line numbers, blank lines skipped); a line that is not JSON is a field error. */
export function splitNdjson(text: string): { lines: { n: number; value: unknown }[]; errors: FieldError[] } {
  const lines: { n: number; value: unknown }[] = [];
  const errors: FieldError[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      lines.push({ n: i + 1, value: JSON.parse(line) });
    } catch {
      errors.push({ path: `body.${i + 1}`, code: 'invalid_json' });
    }
  });
  return { lines, errors };
}

// ---- routes ---------------------------------------------------------------------------------------------------

export async function videoRoutes(app: FastifyInstance, kernel: Kernel) {
  runtime(kernel); // validates TARTIP_VIDEO_* before the server listens
  await app.register(async (scope) => routes(scope, kernel));
}

async function routes(app: FastifyInstance, kernel: Kernel) {
  const { db } = kernel;
  const rt = runtime(kernel);
  const tags = ['video'];
  if (!app.hasContentTypeParser('application/x-ndjson')) {
    app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  // ---- cameras --------------------------------------------------------------------------------------------
  app.post(
    '/api/v1/video/cameras',
    {
      config: { access: staff('video:write') },
      schema: {
        tags,
        summary: 'Register a camera: place, direction, zone, owner, capabilities and expected heartbeat',
        description:
          '`code` is how sources name the camera: Frigate’s camera name, the ONVIF event broker’s TopicPrefix, DeepStream’s sensor.id, ours. `trafficCode` (default: `code`; null: none) is the camera’s code in the traffic module, to which plate reads are forwarded. A camera not heard (heartbeat or event) for `heartbeatS` × TARTIP_VIDEO_SILENCE_FACTOR raises one camera_silent alert.',
        body: z.strictObject({
          code: CameraCode,
          name: Text(200),
          location: Point,
          direction: Direction.optional(),
          zone: Zone.optional(),
          owner: Text(200),
          capabilities: Capabilities,
          heartbeatS: HeartbeatS.default(60),
          trafficCode: CameraCode.nullable().optional(),
        }),
        response: { 201: CameraOut },
      },
    },
    async (req, reply) => {
      const c = await registerCamera(kernel, ctxOf(req), userOf(req), req.body as NewCamera);
      return reply.code(201).send(presentCamera(c));
    },
  );

  app.get(
    '/api/v1/video/cameras',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'Cameras in the caller’s jurisdiction with their status (online, silent, unknown), by code',
        querystring: z.strictObject({ status: z.enum(['unknown', 'online', 'silent']).optional(), limit: Limit.default(200), cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(CameraOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { status?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.string()) : null;
      const me = userOf(req);
      const [where, params] = jurisdictionFilter('kato', me.jurisdictions, 4);
      const rows = await db.query<CameraRow>(
        `select * from video_camera where (${where}) and ($1::text is null or status = $1) and ($2::text is null or code > $2) order by code limit $3`,
        [q.status ?? null, after, q.limit + 1, ...params],
      );
      const page = rows.slice(0, q.limit);
      return { items: page.map(presentCamera), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].code) : null };
    },
  );

  app.get(
    '/api/v1/video/cameras/:camera',
    {
      config: { access: staff('video:read') },
      schema: { tags, summary: 'One camera, by id or code', params: z.strictObject({ camera: CameraRef }), response: { 200: CameraOut } },
    },
    async (req) => {
      const c = await findCamera(kernel, (req.params as { camera: string }).camera);
      if (!c) throw Problem.notFound();
      if (!covers(userOf(req).jurisdictions, c.kato)) throw new Problem('outside_jurisdiction');
      return presentCamera(c);
    },
  );

  app.patch(
    '/api/v1/video/cameras/:camera',
    {
      config: { access: staff('video:write') },
      schema: {
        tags,
        summary: 'Change a camera: name, direction, zone, owner, capabilities, heartbeat, traffic code',
        params: z.strictObject({ camera: CameraRef }),
        body: z.strictObject({
          name: Text(200).optional(),
          direction: Direction.nullable().optional(),
          zone: Zone.nullable().optional(),
          owner: Text(200).optional(),
          capabilities: Capabilities.optional(),
          heartbeatS: HeartbeatS.optional(),
          trafficCode: CameraCode.nullable().optional(),
        }),
        response: { 200: CameraOut },
      },
    },
    async (req) => presentCamera(await updateCamera(kernel, ctxOf(req), userOf(req), (req.params as { camera: string }).camera, req.body as CameraPatch)),
  );

  app.post(
    '/api/v1/video/cameras/heartbeat',
    {
      config: { access: partner('video:ingest') },
      schema: {
        tags,
        summary: 'Heartbeat: the cameras (by code) are alive; a silent camera is online again',
        body: z.strictObject({ cameras: z.array(CameraCode).min(1).max(10_000) }),
        response: { 200: z.object({ heard: z.number(), back: z.array(z.string()) }) },
      },
    },
    async (req) => heartbeat(kernel, ctxOf(req), req.principal?.jurisdictions ?? [], (req.body as { cameras: string[] }).cameras),
  );

  // ---- events ---------------------------------------------------------------------------------------------
  app.post(
    '/api/v1/video/events',
    {
      config: { access: partner('video:ingest') },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Camera analytics events: ours, Frigate, CompreFace, Double Take or DeepStream payloads, as JSON (one or an array) or NDJSON',
        description:
          '`format` names the payloads’ shape (default ours: `{id, camera, at, kind, label?, zone?, score?, snapshot?, embedding?, plate?, lane?, speedKmh?, count?, stationaryS?}`). `frigate`: `frigate/events`, `frigate/reviews` and `frigate/tracked_object_update` messages as published; `compreface`: a recognize response (with `face_plugins=calculator` for embeddings) — give `camera` and, for idempotency, `eventId`; `double-take`: its MQTT match messages; `deepstream`: nvmsgconv’s full schema. The batch is all or nothing: any bad line is a 400 with `errors[]` paths like `body.17.camera` (NDJSON line numbers from 1) and nothing is stored. A resent event is counted as a duplicate. ONVIF Profile M events come over MQTT.',
        querystring: z.strictObject({
          format: z.enum(FORMATS.filter((f) => f !== 'onvif') as [Format, ...Format[]]).default('generic'),
          camera: CameraCode.optional(),
          eventId: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/).optional(),
          at: IsoIn.optional(),
          snapshot: z.string().min(1).max(2000).optional(),
        }),
        consumes: ['application/json', 'application/x-ndjson'],
        body: z.unknown().describe('One payload, an array of payloads (JSON), or one payload per line (NDJSON)'),
        response: {
          202: z.object({ received: z.number(), stored: z.number(), updated: z.number(), duplicates: z.number(), alerts: z.number(), platesForwarded: z.number() }),
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { format: Exclude<Format, 'onvif'>; camera?: string; eventId?: string; at?: string; snapshot?: string };
      let lines: { path: string; value: unknown }[];
      const errors: FieldError[] = [];
      if (typeof req.body === 'string') {
        const split = splitNdjson(req.body);
        errors.push(...split.errors);
        lines = split.lines.map((l) => ({ path: `body.${l.n}`, value: l.value }));
      } else if (Array.isArray(req.body)) {
        lines = req.body.map((value, i) => ({ path: `body.${i}`, value }));
      } else if (req.body && typeof req.body === 'object') {
        lines = [{ path: 'body', value: req.body }];
      } else {
        throw Problem.validation([{ path: 'body', code: 'required' }]);
      }
      if (lines.length + errors.length === 0) throw Problem.validation([{ path: 'body', code: 'required' }]);
      if (lines.length > rt.settings.maxLines) throw Problem.validation([{ path: 'body', code: 'too_big', params: { maximum: `${rt.settings.maxLines} lines` } }]);
      const at = q.at ?? kernel.clock.now().toISOString();
      const items: SourcedEvent[] = [];
      for (const [i, l] of lines.entries()) {
        const parsed = parseLine(q.format, l.value, { camera: q.camera, at, eventId: q.eventId && lines.length > 1 ? `${q.eventId}.${i}` : q.eventId, snapshot: q.snapshot });
        if (!parsed.ok) {
          for (const e of parsed.errors) errors.push({ ...e, path: e.path ? `${l.path}.${e.path}` : l.path });
          if (errors.length >= 100) break;
        } else for (const event of parsed.events) items.push({ event, path: l.path });
      }
      if (errors.length > 0) throw Problem.validation(errors);
      const p = req.principal;
      const r = await ingestEvents(kernel, items, { actor: actorOf(p), jurisdictions: p?.jurisdictions ?? [], requestId: String(req.id) });
      return reply.code(202).send({ ...r, received: lines.length });
    },
  );

  app.get(
    '/api/v1/video/cameras/:camera/events',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'A camera’s recent events, newest first',
        params: z.strictObject({ camera: CameraRef }),
        querystring: z.strictObject({ kind: z.enum(EVENT_KINDS).optional(), limit: Limit }),
        response: { 200: z.object({ items: z.array(EventOut) }) },
      },
    },
    async (req) => {
      const c = await findCamera(kernel, (req.params as { camera: string }).camera);
      if (!c) throw Problem.notFound();
      if (!covers(userOf(req).jurisdictions, c.kato)) throw new Problem('outside_jurisdiction');
      const q = req.query as { kind?: string; limit: number };
      const rows = await db.query<{ id: string; source: string; source_id: string; kind: string; label: string | null; at: Date; zone: string | null; score: number | null; snapshot: string | null; purge_after: Date | null }>(
        'select id, source, source_id, kind, label, at, zone, score, snapshot, purge_after from video_event where camera_id = $1 and ($2::text is null or kind = $2) order by at desc limit $3',
        [c.id, q.kind ?? null, q.limit],
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          source: r.source,
          sourceId: r.source_id,
          kind: r.kind,
          label: r.label,
          at: iso(r.at) as string,
          zone: r.zone,
          score: r.score,
          snapshot: r.snapshot,
          purgeAfter: iso(r.purge_after),
        })),
      };
    },
  );

  // ---- alerts ---------------------------------------------------------------------------------------------
  app.get(
    '/api/v1/video/alerts',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'The alert queue in the caller’s jurisdiction, newest first (open ones unless `status` says otherwise)',
        querystring: z.strictObject({
          status: z.enum(['open', 'confirmed', 'rejected']).default('open'),
          kind: z.enum(['camera_silent', 'face_match', 'abandoned_object', 'review']).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(AlertOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { status: string; kind?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.string(), z.string()])) : null;
      const [where, params] = jurisdictionFilter('a.kato', userOf(req).jurisdictions, 6);
      const rows = await db.query<AlertView>(
        `${ALERT_SELECT} where (${where}) and a.status = $1 and ($2::text is null or a.kind = $2)
           and ($3::timestamptz is null or (a.raised_at, a.id) < ($3::timestamptz, $4::uuid)) order by a.raised_at desc, a.id desc limit $5`,
        [q.status, q.kind ?? null, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map(presentAlert), nextCursor: rows.length > q.limit ? encodeCursor([iso(last.raised_at), last.id]) : null };
    },
  );

  app.get(
    '/api/v1/video/alerts/:id',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'One alert; for a face match, holders of video:review also get the watchlist entry to compare with (the read is audited)',
        params: z.strictObject({ id: Uuid }),
        response: {
          200: AlertOut.extend({
            match: z.object({ entryId: z.string(), subject: z.string(), referenceImage: z.string(), legalBasis: z.object({ kind: z.string(), reference: z.string() }), expiresAt: Iso }).nullable(),
          }),
        },
      },
    },
    async (req) => {
      const a = await getAlert(kernel, (req.params as { id: string }).id);
      if (!a) throw Problem.notFound();
      const me = userOf(req);
      if (!covers(me.jurisdictions, a.kato)) throw new Problem('outside_jurisdiction');
      let match = null;
      if (a.entry_id && (me.permissions.has('video:review') || me.permissions.has('video:watchlist'))) {
        const [e] = await db.query<EntryRow>('select * from video_watchlist_entry where id = $1', [a.entry_id]);
        if (e) {
          await auditEntriesRead(kernel, ctxOf(req), 'watchlist_entry.read', [e.id], { purpose: 'alert review', alertId: a.id });
          match = { entryId: e.id, subject: e.subject, referenceImage: e.reference_image, legalBasis: { kind: e.legal_basis_kind, reference: e.legal_basis_ref }, expiresAt: iso(e.expires_at) as string };
        }
      }
      return { ...presentAlert(a), match };
    },
  );

  for (const decision of ['confirm', 'reject'] as const) {
    app.post(
      `/api/v1/video/alerts/:id/${decision}`,
      {
        config: { access: staff('video:review') },
        schema: {
          tags,
          summary:
            decision === 'confirm'
              ? 'Confirm an alert: a face match, abandoned object or review alert becomes a dispatch incident at the camera'
              : 'Reject an alert (a false match or a false alarm)',
          params: z.strictObject({ id: Uuid }),
          body: z.strictObject({ note: Text(2000).optional() }).optional(),
          response: { 200: AlertOut },
        },
      },
      async (req) => {
        const body = (req.body ?? {}) as { note?: string };
        const me = userOf(req);
        const a = await decideAlert(kernel, ctxOf(req), me.jurisdictions, (req.params as { id: string }).id, decision, body.note ?? null);
        return presentAlert(a);
      },
    );
  }

  // ---- watchlists -----------------------------------------------------------------------------------------
  app.post(
    '/api/v1/video/watchlists',
    {
      config: { access: staff('video:watchlist') },
      schema: { tags, summary: 'Create a face watchlist', body: z.strictObject({ name: Text(200), description: Text(2000).optional() }), response: { 201: WatchlistOut } },
    },
    async (req, reply) => reply.code(201).send(presentWatchlist(await createWatchlist(kernel, ctxOf(req), req.body as { name: string; description?: string }))),
  );

  app.get(
    '/api/v1/video/watchlists',
    {
      config: { access: staff('video:watchlist') },
      schema: { tags, summary: 'Face watchlists with their count of live entries', response: { 200: z.object({ items: z.array(WatchlistOut) }) } },
    },
    async () => {
      const rows = await db.query<WatchlistRow & { entries: number }>(
        `select w.*, (select count(*) from video_watchlist_entry e where e.watchlist_id = w.id and e.removed_at is null and e.expires_at > $1)::int8 as entries
         from video_watchlist w order by w.name`,
        [kernel.clock.now().toISOString()],
      );
      return { items: rows.map(presentWatchlist) };
    },
  );

  app.post(
    '/api/v1/video/watchlists/:id/entries',
    {
      config: { access: staff('video:watchlist') },
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Add an entry: reference image, embedding, legal basis (court order or wanted-list reference), expiry, owner',
        description:
          '`embedding` has TARTIP_VIDEO_EMBEDDING_DIM values (512 by default) and is stored L2-normalised. Without it, a server with TARTIP_VIDEO_EMBEDDING_PROVIDER=human computes it from `referenceImage` given as a `data:image/jpeg|png;base64,…` URL (the largest face; none → 422 `video.no_face`, nothing stored); with the provider `none` it is required. From `expiresAt` on, the entry never matches.',
        params: z.strictObject({ id: Uuid }),
        body: z.strictObject({
          subject: Text(300),
          referenceImage: z.string().min(1).max(4_000_000),
          embedding: z.array(z.number()).min(1).max(4096).optional(),
          legalBasis: z.strictObject({ kind: z.enum(LEGAL_BASIS_KINDS), reference: Text(300) }),
          expiresAt: IsoIn,
          owner: Text(200),
        }),
        response: { 201: EntryOut },
      },
    },
    async (req, reply) => {
      const e = await addEntry(kernel, ctxOf(req), (req.params as { id: string }).id, req.body as NewEntry);
      return reply.code(201).send(presentEntry(e, kernel.clock.now().getTime()));
    },
  );

  app.get(
    '/api/v1/video/watchlists/:id/entries',
    {
      config: { access: staff('video:watchlist') },
      schema: {
        tags,
        summary: 'A watchlist’s entries, newest first (the read is audited, naming the entries shown)',
        params: z.strictObject({ id: Uuid }),
        querystring: z.strictObject({ status: z.enum(['active', 'all']).default('active'), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(EntryOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      await findWatchlist(kernel, id);
      const q = req.query as { status: 'active' | 'all'; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.string(), z.string()])) : null;
      const rows = await db.query<EntryRow>(
        `select * from video_watchlist_entry where watchlist_id = $1 and ($2 = 'all' or (removed_at is null and expires_at > $3))
           and ($4::timestamptz is null or (created_at, id) < ($4::timestamptz, $5::uuid)) order by created_at desc, id desc limit $6`,
        [id, q.status, kernel.clock.now().toISOString(), after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
      );
      const page = rows.slice(0, q.limit);
      await auditEntriesRead(kernel, ctxOf(req), 'watchlist_entry.list_read', page.map((e) => e.id), { watchlistId: id });
      const last = page[page.length - 1];
      const nowMs = kernel.clock.now().getTime();
      return { items: page.map((e) => presentEntry(e, nowMs)), nextCursor: rows.length > q.limit ? encodeCursor([iso(last.created_at), last.id]) : null };
    },
  );

  app.get(
    '/api/v1/video/watchlists/:id/entries/:entryId',
    {
      config: { access: staff('video:watchlist') },
      schema: { tags, summary: 'One entry, with its embedding (the read is audited)', params: z.strictObject({ id: Uuid, entryId: Uuid }), response: { 200: EntryOut } },
    },
    async (req) => {
      const p = req.params as { id: string; entryId: string };
      const [e] = await db.query<EntryRow>('select * from video_watchlist_entry where id = $1 and watchlist_id = $2', [p.entryId, p.id]);
      if (!e) throw Problem.notFound();
      await auditEntriesRead(kernel, ctxOf(req), 'watchlist_entry.read', [e.id], { watchlistId: p.id });
      return presentEntry(e, kernel.clock.now().getTime(), true);
    },
  );

  app.delete(
    '/api/v1/video/watchlists/:id/entries/:entryId',
    {
      config: { access: staff('video:watchlist') },
      schema: { tags, summary: 'Remove an entry: it never matches again (kept for the audit trail)', params: z.strictObject({ id: Uuid, entryId: Uuid }), response: { 200: EntryOut } },
    },
    async (req) => {
      const p = req.params as { id: string; entryId: string };
      return presentEntry(await removeEntry(kernel, ctxOf(req), p.id, p.entryId), kernel.clock.now().getTime());
    },
  );

  // ---- zone rules and traffic flow ---------------------------------------------------------------------------
  app.put(
    '/api/v1/video/zones/:zone/rule',
    {
      config: { access: staff('video:write') },
      schema: {
        tags,
        summary: 'The abandoned-object rule of a watched zone (station, airport, square): which labels, how long stationary, incident at once or after confirmation',
        params: z.strictObject({ zone: Zone }),
        body: z.strictObject({ labels: z.array(Text(50)).min(1).max(50).optional(), dwellS: z.number().int().min(5).max(86_400).optional(), autoIncident: z.boolean().default(false) }),
        response: { 200: z.object({ zone: z.string(), labels: z.array(z.string()), dwellS: z.number(), autoIncident: z.boolean(), updatedBy: z.string(), updatedAt: Iso }) },
      },
    },
    async (req) => {
      const zone = (req.params as { zone: string }).zone;
      const b = req.body as { labels?: string[]; dwellS?: number; autoIncident: boolean };
      const ctx = ctxOf(req);
      const row = await kernel.commands.run(ctx, async (uow) => {
        const [r] = await uow.tx.query<{ zone: string; labels: string[]; dwell_s: number; auto_incident: boolean; updated_by: string; updated_at: Date }>(
          `insert into video_zone_rule (zone, labels, dwell_s, auto_incident, updated_by, updated_at) values ($1, $2, $3, $4, $5, $6)
           on conflict (zone) do update set labels = excluded.labels, dwell_s = excluded.dwell_s, auto_incident = excluded.auto_incident,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at returning *`,
          [zone, b.labels ?? rt.settings.abandonedLabels, b.dwellS ?? rt.settings.abandonedDwellS, b.autoIncident, ctx.actor, uow.now.toISOString()],
        );
        await uow.audit({ action: 'zone_rule.set', entity: 'video_zone_rule', entityId: zone, data: { labels: r.labels, dwellS: r.dwell_s, autoIncident: r.auto_incident } });
        return r;
      });
      return { zone: row.zone, labels: row.labels, dwellS: row.dwell_s, autoIncident: row.auto_incident, updatedBy: row.updated_by, updatedAt: iso(row.updated_at) as string };
    },
  );

  const BucketOut = z.object({
    bucket: Iso,
    vehicles: z.number(),
    speedKmh: z.number().nullable(),
    usual: z.object({ vehicles: z.number(), speedKmh: z.number().nullable(), samples: z.number() }).nullable(),
    congested: z.boolean().nullable(),
    reason: z.enum(['speed', 'volume']).nullable(),
  });

  app.get(
    '/api/v1/video/flow/now',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'Traffic flow now: each camera in the caller’s jurisdiction with flow in the last 15 minutes, its latest 5-minute bucket and congestion verdict (for the map)',
        response: { 200: z.object({ items: z.array(BucketOut.extend({ cameraId: z.string(), camera: z.string() })) }) },
      },
    },
    async (req) => {
      const [where, params] = jurisdictionFilter('kato', userOf(req).jurisdictions, 1);
      const cams = await db.query<{ id: string; code: string }>(`select id, code from video_camera where ${where}`, params);
      const codeOf = new Map(cams.map((c) => [c.id, c.code]));
      const items = await congestionNow(
        kernel,
        cams.map((c) => c.id),
      );
      return { items: items.map((i) => ({ ...i, camera: codeOf.get(i.cameraId) as string })) };
    },
  );

  app.get(
    '/api/v1/video/cameras/:camera/flow',
    {
      config: { access: staff('video:read') },
      schema: {
        tags,
        summary: 'Traffic flow at a camera: 5-minute buckets (vehicles, mean speed) over all lanes, each with the usual level for its hour and weekday and a congestion verdict',
        params: z.strictObject({ camera: CameraRef }),
        querystring: z.strictObject({ hours: queryNumber().pipe(z.number().int().min(1).max(168)).default(24) }),
        response: {
          200: z.object({
            camera: z.string(),
            buckets: z.array(
              z.object({
                bucket: Iso,
                vehicles: z.number(),
                speedKmh: z.number().nullable(),
                usual: z.object({ vehicles: z.number(), speedKmh: z.number().nullable(), samples: z.number() }).nullable(),
                congested: z.boolean().nullable(),
                reason: z.enum(['speed', 'volume']).nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const c = await findCamera(kernel, (req.params as { camera: string }).camera);
      if (!c) throw Problem.notFound();
      if (!covers(userOf(req).jurisdictions, c.kato)) throw new Problem('outside_jurisdiction');
      return { camera: c.code, buckets: await flowSeries(kernel, c.id, (req.query as { hours: number }).hours) };
    },
  );
}
