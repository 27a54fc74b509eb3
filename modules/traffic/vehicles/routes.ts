import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../../apps/server/src/http/authenticate.ts';
import { queryNumber, staff } from '../../../apps/server/src/http/context.ts';
import { jurisdictionFilter } from '../../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { SCORE_ITEM_CODES } from './config/rules.ts';
import { idNumberProblem } from './domain/iin.ts';
import { OwnerInput, parseImport, VEHICLE_CLASSES, VehicleInput, validateVehicle, WantedInput } from './domain/vehicle.ts';
import { computePersonScores, computePlateScores, presentItems } from './korgau.ts';
import {
  auditRead,
  importVehicles,
  plateParam,
  presentVehicle,
  registerVehicle,
  updateVehicle,
  VEHICLE_COLUMNS,
  type VehiclePatch,
  type VehicleRow,
} from './register.ts';
import { vehiclesRuntime } from './runtime.ts';
import { decodeCursor, encodeCursor } from '../../../packages/kernel/src/cursor.ts';

// ---- schemas ----------------------------------------------------------------------------------------------------

const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(200)).default(50);
const Iso = z.string();

const VehicleOut = z.object({
  plate: z.string(),
  country: z.string().nullable(),
  class: z.enum(VEHICLE_CLASSES),
  make: z.string().nullable(),
  model: z.string().nullable(),
  colour: z.string().nullable(),
  year: z.number().nullable(),
  vin: z.string().nullable(),
  owner: z.object({ kind: z.enum(['person', 'organisation']), name: z.string(), iin: z.string(), address: z.string() }),
  insuranceValidUntil: z.string().nullable(),
  insured: z.boolean(),
  wanted: z.object({ reason: z.string(), basis: z.string(), since: Iso }).nullable(),
  createdBy: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
});

const VehiclePatchIn = z.strictObject({
  class: z.enum(VEHICLE_CLASSES).optional(),
  make: z.string().trim().min(1).max(100).nullable().optional(),
  model: z.string().trim().min(1).max(100).nullable().optional(),
  colour: z.string().trim().min(1).max(50).nullable().optional(),
  year: z.number().int().min(1900).max(2100).nullable().optional(),
  vin: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-HJ-NPR-Z0-9]{17}$/)
    .nullable()
    .optional(),
  owner: OwnerInput.optional(),
  insuranceValidUntil: z.iso.date().nullable().optional(),
  /** An object sets (or changes) the wanted flag; null clears it. */
  wanted: WantedInput.nullable().optional(),
});

const ScoreItemOut = z.object({
  code: z.enum(SCORE_ITEM_CODES),
  at: Iso.nullable(),
  ref: z.string().nullable(),
  plate: z.string().nullable(),
  weight: z.number(),
  factor: z.number(),
  points: z.number(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  text: z.string(),
});

const ScoreOut = z.object({
  subject: z.string(),
  kind: z.enum(['plate', 'person']),
  score: z.number(),
  flagged: z.boolean(),
  threshold: z.number(),
  items: z.array(ScoreItemOut),
  rulesVersion: z.string(),
  computedAt: Iso,
});

const PlateScoreOut = ScoreOut.extend({
  registered: z.boolean(),
  wanted: z.boolean(),
  /** Flagged: a camera that sees it alerts the ops centre (wanted, or score ≥ threshold). */
  alerting: z.boolean(),
});

const CloneOut = z.object({
  id: z.string(),
  plate: z.string(),
  first: z.object({ readId: z.string(), cameraId: z.string(), at: Iso, location: z.object({ lon: z.number(), lat: z.number() }) }),
  second: z.object({ readId: z.string(), cameraId: z.string(), at: Iso, location: z.object({ lon: z.number(), lat: z.number() }) }),
  distanceM: z.number(),
  dtS: z.number(),
  impliedSpeedKmh: z.number(),
  settings: z.record(z.string(), z.unknown()),
  detectedAt: Iso,
});

const SightingOut = z.object({
  readId: z.string(),
  plate: z.string(),
  cameraId: z.string(),
  at: Iso,
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  reason: z.enum(['wanted', 'score']),
  score: z.number().nullable(),
  incidentId: z.string().nullable(),
});

const ImportOut = z.object({
  created: z.number(),
  updated: z.number(),
  wantedSet: z.array(z.object({ plate: z.string(), reason: z.string() })),
  wantedCleared: z.array(z.string()),
  at: Iso,
});


const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: req.id });
const today = (kernel: Kernel) => kernel.clock.now().toISOString().slice(0, 10);

function iinParam(raw: string): string {
  const problem = idNumberProblem(raw, 'person') && idNumberProblem(raw, 'organisation');
  if (problem) throw Problem.validation([{ path: 'path.iin', code: problem === 'checksum' ? 'iin_checksum' : 'iin_format' }]);
  return raw;
}

// ---- routes -----------------------------------------------------------------------------------------------------

/** Routes of the vehicles part: the register, its bulk import, «Қорғау», cloned plates and flagged sightings. */
export async function vehicleRoutes(app: FastifyInstance, kernel: Kernel): Promise<void> {
  const { db } = kernel;
  const tags = ['traffic: vehicles'];
  const rt = vehiclesRuntime(kernel); // validates TARTIP_TRAFFIC_SCORE_* / _CLONE_* / _FLAGGED_* before the server listens

  // Imports arrive as text (NDJSON or CSV), in this plugin's scope only.
  const IMPORT_LIMIT = 64 * 1024 * 1024;
  for (const type of ['application/x-ndjson', 'text/csv']) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: IMPORT_LIMIT }, (_req, body, done) => done(null, body));
  }

  app.post(
    '/api/v1/traffic/vehicles',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Register a vehicle: plate (folded like camera reads), class, owner with ИИН/БИН (check digit verified), insurance, wanted flag',
        body: VehicleInput,
        response: { 201: VehicleOut },
      },
    },
    async (req, reply) => {
      const r = validateVehicle(req.body, 'body');
      if ('errors' in r) throw Problem.validation(r.errors);
      const row = await registerVehicle(kernel, ctxOf(req), r.vehicle);
      return reply.code(201).send(presentVehicle(row, today(kernel)));
    },
  );

  app.post(
    '/api/v1/traffic/vehicles/import',
    {
      config: { access: staff('traffic:write') },
      bodyLimit: IMPORT_LIMIT,
      schema: {
        tags,
        summary: 'Bulk import (a register extract): NDJSON (one vehicle object per line) or CSV (header row; columns as in the README)',
        description:
          'All or nothing: one bad line refuses the file with per-line field errors (`line.17.owner.iin`) and nothing is stored. Existing plates are replaced. At most TARTIP_TRAFFIC_IMPORT_MAX_LINES lines.',
        consumes: ['application/x-ndjson', 'text/csv'],
        body: z.string(),
        response: { 200: ImportOut },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new Problem('traffic.import_format', {}, [], 415);
      const csv = String(req.headers['content-type'] ?? '').startsWith('text/csv');
      const parsed = parseImport(req.body, csv ? 'csv' : 'ndjson', rt.settings.importMaxLines);
      if (!parsed.ok) throw Problem.validation(parsed.errors);
      const digest = createHash('sha256').update(req.body).digest('hex');
      return importVehicles(kernel, ctxOf(req), parsed.vehicles, digest);
    },
  );

  app.get(
    '/api/v1/traffic/vehicles',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'The register, by plate: filter by plate (any spelling), owner ИИН/БИН, class, wanted. Owners’ data: the read is audited',
        querystring: z.strictObject({
          plate: z.string().trim().min(1).max(20).optional(),
          ownerIin: z.string().regex(/^\d{12}$/).optional(),
          class: z.enum(VEHICLE_CLASSES).optional(),
          wanted: z.enum(['true', 'false']).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(VehicleOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { plate?: string; ownerIin?: string; class?: string; wanted?: string; limit: number; cursor?: string };
      const plate = q.plate ? plateParam(q.plate, 'query.plate') : null;
      const after = q.cursor ? decodeCursor(q.cursor, z.string()) : null;
      const rows = await db.query<VehicleRow>(
        `select ${VEHICLE_COLUMNS} from traffic_vehicle
         where ($1::text is null or plate = $1) and ($2::text is null or owner_iin = $2) and ($3::text is null or class = $3)
           and ($4::bool is null or wanted = $4) and ($5::text is null or plate > $5)
         order by plate limit $6`,
        [plate, q.ownerIin ?? null, q.class ?? null, q.wanted === undefined ? null : q.wanted === 'true', after, q.limit + 1],
      );
      const page = rows.slice(0, q.limit);
      if (page.length > 0) {
        await auditRead(kernel, ctxOf(req), 'vehicle.list.read', null, { plates: page.map((r) => r.plate), filter: { plate, ownerIin: q.ownerIin ?? null, class: q.class ?? null, wanted: q.wanted ?? null } });
      }
      return { items: page.map((r) => presentVehicle(r, today(kernel))), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].plate) : null };
    },
  );

  app.get(
    '/api/v1/traffic/vehicles/:plate',
    {
      config: { access: staff('traffic:read') },
      schema: { tags, summary: 'One vehicle with its owner (audited read)', params: z.strictObject({ plate: z.string().min(1).max(40) }), response: { 200: VehicleOut } },
    },
    async (req) => {
      const plate = plateParam((req.params as { plate: string }).plate, 'path.plate');
      const [row] = await db.query<VehicleRow>(`select ${VEHICLE_COLUMNS} from traffic_vehicle where plate = $1`, [plate]);
      if (!row) throw Problem.notFound();
      await auditRead(kernel, ctxOf(req), 'vehicle.read', plate, null);
      return presentVehicle(row, today(kernel));
    },
  );

  app.patch(
    '/api/v1/traffic/vehicles/:plate',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Change a vehicle: owner, insurance, class, details; `wanted` {reason, basis} sets the wanted flag, null clears it',
        params: z.strictObject({ plate: z.string().min(1).max(40) }),
        body: VehiclePatchIn,
        response: { 200: VehicleOut },
      },
    },
    async (req) => {
      const plate = plateParam((req.params as { plate: string }).plate, 'path.plate');
      const row = await updateVehicle(kernel, ctxOf(req), plate, req.body as VehiclePatch);
      return presentVehicle(row, today(kernel));
    },
  );

  // ---- «Қорғау» ------------------------------------------------------------------------------------------------
  app.get(
    '/api/v1/traffic/korgau',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: '«Қорғау»: highest dangerous-driver scores first, each explained item by item (vehicles, or people by ИИН/БИН — audited)',
        description: 'Scores as last computed (on every change of an input and every TARTIP_TRAFFIC_SCORE_REFRESH_S); `computedAt` says when.',
        querystring: z.strictObject({
          kind: z.enum(['plate', 'person']).default('plate'),
          flagged: z.enum(['true', 'false']).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ threshold: z.number(), items: z.array(ScoreOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { kind: 'plate' | 'person'; flagged?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.number(), z.string()])) : null;
      const rows = await db.query<{ subject: string; score: number; flagged: boolean; items: unknown; rules_version: string; computed_at: Date }>(
        `select subject, score, flagged, items, rules_version, computed_at from traffic_score
         where subject_kind = $1 and ($2::bool is null or flagged = $2)
           and ($3::float8 is null or score < $3 or (score = $3 and subject > $4))
         order by score desc, subject limit $5`,
        [q.kind, q.flagged === undefined ? null : q.flagged === 'true', after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
      );
      const page = rows.slice(0, q.limit);
      if (q.kind === 'person' && page.length > 0) await auditRead(kernel, ctxOf(req), 'korgau.persons.read', null, { persons: page.map((r) => r.subject) });
      const items = page.map((r) => ({
        subject: r.subject,
        kind: q.kind,
        score: r.score,
        flagged: r.flagged,
        threshold: rt.settings.score.threshold,
        items: presentItems(r.items as Parameters<typeof presentItems>[0], req.locale),
        rulesVersion: r.rules_version,
        computedAt: new Date(r.computed_at).toISOString(),
      }));
      const last = page[page.length - 1];
      return { threshold: rt.settings.score.threshold, items, nextCursor: rows.length > q.limit ? encodeCursor([last.score, last.subject]) : null };
    },
  );

  app.get(
    '/api/v1/traffic/korgau/:plate',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'One vehicle’s score now, explained item by item',
        params: z.strictObject({ plate: z.string().min(1).max(40) }),
        response: { 200: PlateScoreOut },
      },
    },
    async (req) => {
      const plate = plateParam((req.params as { plate: string }).plate, 'path.plate');
      const score = (await computePlateScores(kernel, db, [plate])).get(plate);
      if (!score) throw Problem.notFound();
      const [v] = await db.query<{ wanted: boolean }>('select wanted from traffic_vehicle where plate = $1', [plate]);
      const threshold = rt.settings.score.threshold;
      return {
        subject: plate,
        kind: 'plate' as const,
        score: score.score,
        flagged: score.score >= threshold,
        threshold,
        items: presentItems(score.items, req.locale),
        rulesVersion: score.rulesVersion,
        computedAt: score.computedAt,
        registered: v !== undefined,
        wanted: v?.wanted ?? false,
        alerting: rt.flagged.get(plate) !== undefined,
      };
    },
  );

  app.get(
    '/api/v1/traffic/korgau/persons/:iin',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'One person’s (ИИН/БИН) score now, over their vehicles and the violations naming them (audited read)',
        params: z.strictObject({ iin: z.string().min(1).max(20) }),
        response: { 200: ScoreOut },
      },
    },
    async (req) => {
      const iin = iinParam((req.params as { iin: string }).iin);
      const score = (await computePersonScores(kernel, db, [iin])).get(iin);
      if (!score) throw Problem.notFound();
      await auditRead(kernel, ctxOf(req), 'korgau.person.read', null, { iin });
      const threshold = rt.settings.score.threshold;
      return { subject: iin, kind: 'person' as const, score: score.score, flagged: score.score >= threshold, threshold, items: presentItems(score.items, req.locale), rulesVersion: score.rulesVersion, computedAt: score.computedAt };
    },
  );

  // ---- cloned plates and flagged sightings ---------------------------------------------------------------------
  app.get(
    '/api/v1/traffic/clones',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Cloned-plate findings, newest first: the same plate at two places faster than physically possible',
        querystring: z.strictObject({ plate: z.string().trim().min(1).max(20).optional(), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(CloneOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { plate?: string; limit: number; cursor?: string };
      const plate = q.plate ? plateParam(q.plate, 'query.plate') : null;
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const rows = await db.query<Record<string, unknown> & { id: string; detected_at: Date }>(
        `select * from traffic_clone_finding where ($1::text is null or plate = $1)
           and ($2::timestamptz is null or (detected_at, id) < ($2::timestamptz, $3::uuid))
         order by detected_at desc, id desc limit $4`,
        [plate, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
      );
      const page = rows.slice(0, q.limit);
      const place = (r: Record<string, unknown>, p: 'first' | 'second') => ({
        readId: String(r[`${p}_read_id`]),
        cameraId: String(r[`${p}_camera_id`]),
        at: new Date(r[`${p}_at`] as Date).toISOString(),
        location: { lon: Number(r[`${p}_lon`]), lat: Number(r[`${p}_lat`]) },
      });
      const items = page.map((r) => ({
        id: r.id,
        plate: String(r.plate),
        first: place(r, 'first'),
        second: place(r, 'second'),
        distanceM: Number(r.distance_m),
        dtS: Number(r.dt_s),
        impliedSpeedKmh: Number(r.implied_speed_kmh),
        settings: r.settings as Record<string, unknown>,
        detectedAt: new Date(r.detected_at).toISOString(),
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.detectedAt, last.id]) : null };
    },
  );

  app.get(
    '/api/v1/traffic/flagged-sightings',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Flagged vehicles seen by cameras in the caller’s jurisdiction, newest first, with the incident raised',
        querystring: z.strictObject({ plate: z.string().trim().min(1).max(20).optional(), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(SightingOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { plate?: string; limit: number; cursor?: string };
      const plate = q.plate ? plateParam(q.plate, 'query.plate') : null;
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.string()])) : null;
      const [filter, params] = jurisdictionFilter('kato', userOf(req).jurisdictions, 5);
      const rows = await db.query<{ read_id: string; plate: string; camera_id: string; at: Date; lon: number; lat: number; kato: string | null; reason: 'wanted' | 'score'; score: number | null; incident_id: string | null }>(
        `select * from traffic_flagged_sighting where (${filter}) and ($1::text is null or plate = $1)
           and ($2::timestamptz is null or (at, read_id) < ($2::timestamptz, $3::text)) order by at desc, read_id desc limit $4`,
        [plate, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map((r) => ({
        readId: r.read_id,
        plate: r.plate,
        cameraId: r.camera_id,
        at: new Date(r.at).toISOString(),
        location: { lon: r.lon, lat: r.lat },
        kato: r.kato,
        reason: r.reason,
        score: r.score,
        incidentId: r.incident_id,
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.at, last.readId]) : null };
    },
  );
}
