import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../../apps/server/src/http/authenticate.ts';
import { queryNumber, staff } from '../../../apps/server/src/http/context.ts';
import { covers, jurisdictionFilter } from '../../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { CRASH_KINDS, DEFECT_TYPES, KZ_UTC_OFFSET_H, SEVERITIES } from './config/rules.ts';
import { blackSpots, CrashInput, type CrashRow, crashStats, defaultPeriod, presentCrash, recordCrash } from './crashes.ts';
import { createDefect, createInspection, DefectInput, DefectPatch, type DefectRow, InspectionInput, patchDefect, presentDefect } from './defects.ts';
import { DEFECT_STATUSES } from './domain/defects.ts';
import { roadSettings } from './settings.ts';
import { decodeCursor, encodeCursor } from '../../../packages/kernel/src/cursor.ts';

// ---- schemas ----------------------------------------------------------------------------------------------------

const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(200)).default(50);
const Iso = z.string();
const Place = z.object({ lon: z.number(), lat: z.number() });
const Id = z.strictObject({ id: z.uuid() });

const CrashOut = z.object({
  id: z.string(),
  occurredAt: Iso,
  location: Place,
  kato: z.string().nullable(),
  address: z.string().nullable(),
  kind: z.enum(CRASH_KINDS),
  road: z.object({ name: z.string().nullable(), code: z.string().nullable(), national: z.boolean(), km: z.number().nullable() }),
  injuries: z.number(),
  deaths: z.number(),
  vehicles: z.array(z.object({ plate: z.string().nullable(), class: z.string().nullable(), role: z.string() })),
  description: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Iso,
});

const BlackSpotOut = z.object({
  rank: z.number(),
  center: Place,
  radiusM: z.number(),
  crashes: z.number(),
  injuries: z.number(),
  deaths: z.number(),
  fatalCrashes: z.number(),
  injuryCrashes: z.number(),
  severityIndex: z.number(),
  nationalRoad: z.boolean(),
  roadCodes: z.array(z.string()),
  firstAt: Iso,
  lastAt: Iso,
  crashIds: z.array(z.string()),
});

const Change = z.object({ absolute: z.number(), percent: z.number().nullable() }).nullable();
const YearOut = z.object({
  year: z.number(),
  crashes: z.number(),
  injuries: z.number(),
  deaths: z.number(),
  national: z.object({ crashes: z.number(), injuries: z.number(), deaths: z.number() }),
  nationalDeathsChange: Change,
  deathsChange: Change,
});

const DefectOut = z.object({
  id: z.string(),
  type: z.enum(DEFECT_TYPES),
  severity: z.enum(SEVERITIES),
  status: z.enum(DEFECT_STATUSES),
  statusNote: z.string().nullable(),
  location: Place,
  kato: z.string().nullable(),
  address: z.string().nullable(),
  road: z.object({ name: z.string().nullable(), code: z.string().nullable(), national: z.boolean().nullable() }).nullable(),
  description: z.string().nullable(),
  photo: z.object({ url: z.string(), sha256: z.string().nullable() }).nullable(),
  responsibleOrg: z.string().nullable(),
  deadline: Iso,
  overdue: z.boolean(),
  overdueAlertedAt: Iso.nullable(),
  incidentId: z.string().nullable(),
  source: z.enum(['inspection', 'citizen']),
  inspectionId: z.string().nullable(),
  reportId: z.string().nullable(),
  rulesVersion: z.string(),
  createdBy: z.string(),
  createdAt: Iso,
  updatedAt: Iso,
  fixedAt: Iso.nullable(),
  verifiedAt: Iso.nullable(),
});

const DefectDetailOut = DefectOut.extend({
  history: z.array(z.object({ at: Iso, actor: z.string(), from: z.string().nullable(), to: z.string(), note: z.string().nullable() })),
  reportIds: z.array(z.string()),
});

const InspectionOut = z.object({
  id: z.string(),
  road: z.object({ name: z.string().nullable(), code: z.string().nullable(), national: z.boolean() }),
  inspector: z.string(),
  inspectedAt: Iso,
  notes: z.string().nullable(),
  defectCount: z.number(),
  kato: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Iso,
});

const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: req.id });
const period = (from: string | undefined, to: string | undefined, fallback: { from: Date; to: Date }) => {
  const p = { from: from ? new Date(from) : fallback.from, to: to ? new Date(to) : fallback.to };
  if (p.from >= p.to) throw Problem.validation([{ path: 'query.to', code: 'before_from' }]);
  return p;
};

// ---- routes -----------------------------------------------------------------------------------------------------

/** Routes of the roads part: crashes, black spots, year-on-year deaths, inspections and defects. */
export async function roadRoutes(app: FastifyInstance, kernel: Kernel): Promise<void> {
  const { db } = kernel;
  const tags = ['traffic: roads'];
  const settings = roadSettings(kernel); // validates TARTIP_TRAFFIC_BLACKSPOT_* / _DEFECT_* before the server listens

  // ---- crashes --------------------------------------------------------------------------------------------------
  app.post(
    '/api/v1/traffic/crashes',
    {
      config: { access: staff('traffic:write') },
      schema: { tags, summary: 'Record a crash (ДТП): time, place, road (national or not), injuries, deaths, vehicles', body: CrashInput, response: { 201: CrashOut } },
    },
    async (req, reply) => reply.code(201).send(presentCrash(await recordCrash(kernel, ctxOf(req), userOf(req).jurisdictions, req.body as CrashInput))),
  );

  app.get(
    '/api/v1/traffic/crashes',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Crashes in the caller’s jurisdiction, newest first',
        querystring: z.strictObject({
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          national: z.enum(['true', 'false']).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(CrashOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string; national?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const [filter, params] = jurisdictionFilter('kato', userOf(req).jurisdictions, 7);
      const rows = await db.query<CrashRow>(
        `select * from traffic_crash where (${filter})
           and ($1::timestamptz is null or occurred_at >= $1) and ($2::timestamptz is null or occurred_at < $2) and ($3::bool is null or national_road = $3)
           and ($4::timestamptz is null or (occurred_at, id) < ($4::timestamptz, $5::uuid))
         order by occurred_at desc, id desc limit $6`,
        [q.from ?? null, q.to ?? null, q.national === undefined ? null : q.national === 'true', after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map(presentCrash);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.occurredAt, last.id]) : null };
    },
  );

  app.get(
    '/api/v1/traffic/crashes/black-spots',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Black spots: crashes clustered with PostGIS ST_ClusterDBSCAN (metres on the ground), ranked by EPDO severity',
        description: 'Defaults: the last TARTIP_TRAFFIC_BLACKSPOT_DAYS days, radius TARTIP_TRAFFIC_BLACKSPOT_EPS_M, at least TARTIP_TRAFFIC_BLACKSPOT_MIN_CRASHES crashes.',
        querystring: z.strictObject({
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          epsM: queryNumber().pipe(z.number().positive().max(5000)).optional(),
          minCrashes: queryNumber().pipe(z.number().int().min(2).max(1000)).optional(),
          limit: Limit,
        }),
        response: {
          200: z.object({ from: Iso, to: Iso, epsM: z.number(), minCrashes: z.number(), items: z.array(BlackSpotOut) }),
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string; epsM?: number; minCrashes?: number; limit: number };
      const p = period(q.from, q.to, defaultPeriod(kernel));
      const epsM = q.epsM ?? settings.blackSpot.epsM;
      const minCrashes = q.minCrashes ?? settings.blackSpot.minCrashes;
      const items = await blackSpots(kernel, userOf(req).jurisdictions, { ...p, epsM, minCrashes, limit: q.limit });
      return { from: p.from.toISOString(), to: p.to.toISOString(), epsM, minCrashes, items };
    },
  );

  app.get(
    '/api/v1/traffic/crashes/stats',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Crashes, injuries and deaths per year (Kazakhstan time), national roads apart; deaths on national roads year on year',
        querystring: z.strictObject({
          from: queryNumber().pipe(z.number().int().min(1990).max(2100)).optional(),
          to: queryNumber().pipe(z.number().int().min(1990).max(2100)).optional(),
        }),
        response: { 200: z.object({ years: z.array(YearOut) }) },
      },
    },
    async (req) => {
      const q = req.query as { from?: number; to?: number };
      const thisYear = new Date(kernel.clock.now().getTime() + KZ_UTC_OFFSET_H * 3_600_000).getUTCFullYear();
      const to = q.to ?? thisYear;
      const from = q.from ?? to - 4;
      if (from > to) throw Problem.validation([{ path: 'query.to', code: 'before_from' }]);
      if (to - from > 50) throw Problem.validation([{ path: 'query.from', code: 'too_small', params: { minimum: to - 50 } }]);
      return { years: await crashStats(kernel, userOf(req).jurisdictions, from, to) };
    },
  );

  app.get(
    '/api/v1/traffic/crashes/:id',
    { config: { access: staff('traffic:read') }, schema: { tags, summary: 'One crash', params: Id, response: { 200: CrashOut } } },
    async (req) => {
      const [r] = await db.query<CrashRow>('select * from traffic_crash where id = $1', [(req.params as { id: string }).id]);
      if (!r) throw Problem.notFound();
      if (!covers(userOf(req).jurisdictions, r.kato)) throw new Problem('outside_jurisdiction');
      return presentCrash(r);
    },
  );

  // ---- inspections and defects --------------------------------------------------------------------------------------
  app.post(
    '/api/v1/traffic/inspections',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Record a road inspection with the defects it found (all or nothing)',
        body: InspectionInput,
        response: { 201: z.object({ id: z.string(), defects: z.array(DefectOut) }) },
      },
    },
    async (req, reply) => {
      const r = await createInspection(kernel, ctxOf(req), userOf(req).jurisdictions, req.body as InspectionInput);
      const now = kernel.clock.now();
      return reply.code(201).send({ id: r.inspectionId, defects: r.defects.map((d) => presentDefect(d, now)) });
    },
  );

  app.get(
    '/api/v1/traffic/inspections',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Road inspections in the caller’s jurisdiction, newest first',
        querystring: z.strictObject({ limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(InspectionOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const [filter, params] = jurisdictionFilter('kato', userOf(req).jurisdictions, 4);
      const rows = await db.query<{
        id: string;
        road_name: string | null;
        road_code: string | null;
        national_road: boolean;
        inspector: string;
        inspected_at: Date;
        notes: string | null;
        defect_count: number;
        kato: string | null;
        created_by: string;
        created_at: Date;
      }>(
        `select * from traffic_inspection where (${filter}) and ($1::timestamptz is null or (inspected_at, id) < ($1::timestamptz, $2::uuid))
         order by inspected_at desc, id desc limit $3`,
        [after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map((r) => ({
        id: r.id,
        road: { name: r.road_name, code: r.road_code, national: r.national_road },
        inspector: r.inspector,
        inspectedAt: new Date(r.inspected_at).toISOString(),
        notes: r.notes,
        defectCount: r.defect_count,
        kato: r.kato,
        createdBy: r.created_by,
        createdAt: new Date(r.created_at).toISOString(),
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.inspectedAt, last.id]) : null };
    },
  );

  app.post(
    '/api/v1/traffic/defects',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Record a road defect: type, severity, place, photo, responsible organisation, deadline (from the severity by default)',
        body: DefectInput,
        response: { 201: DefectOut },
      },
    },
    async (req, reply) => reply.code(201).send(presentDefect(await createDefect(kernel, ctxOf(req), userOf(req).jurisdictions, req.body as DefectInput), kernel.clock.now())),
  );

  app.get(
    '/api/v1/traffic/defects',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags,
        summary: 'Defects in the caller’s jurisdiction, newest first; `overdue=true` for those past their deadline and not fixed',
        querystring: z.strictObject({
          status: z.enum(DEFECT_STATUSES).optional(),
          severity: z.enum(SEVERITIES).optional(),
          type: z.enum(DEFECT_TYPES).optional(),
          source: z.enum(['inspection', 'citizen']).optional(),
          overdue: z.enum(['true', 'false']).optional(),
          limit: Limit,
          cursor: Cursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(DefectOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { status?: string; severity?: string; type?: string; source?: string; overdue?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const now = kernel.clock.now();
      const [filter, params] = jurisdictionFilter('kato', userOf(req).jurisdictions, 10);
      const rows = await db.query<DefectRow>(
        `select * from traffic_defect where (${filter})
           and ($1::text is null or status = $1) and ($2::text is null or severity = $2) and ($3::text is null or type = $3)
           and ($4::text is null or source = $4)
           and ($5::bool is null or (status in ('open', 'in_progress') and deadline < $6) = $5)
           and ($7::timestamptz is null or (created_at, id) < ($7::timestamptz, $8::uuid))
         order by created_at desc, id desc limit $9`,
        [q.status ?? null, q.severity ?? null, q.type ?? null, q.source ?? null, q.overdue === undefined ? null : q.overdue === 'true', now.toISOString(), after?.[0] ?? null, after?.[1] ?? null, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map((r) => presentDefect(r, now));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.createdAt, last.id]) : null };
    },
  );

  const visibleDefect = async (req: FastifyRequest): Promise<DefectRow> => {
    const [r] = await db.query<DefectRow>('select * from traffic_defect where id = $1', [(req.params as { id: string }).id]);
    if (!r) throw Problem.notFound();
    if (!covers(userOf(req).jurisdictions, r.kato)) throw new Problem('outside_jurisdiction');
    return r;
  };

  const detail = async (r: DefectRow) => {
    const history = await db.query<{ at: Date; actor: string; from_status: string | null; to_status: string; note: string | null }>(
      'select at, actor, from_status, to_status, note from traffic_defect_history where defect_id = $1 order by seq',
      [r.id],
    );
    const reports = await db.query<{ report_id: string }>('select report_id from traffic_defect_report where defect_id = $1 order by attached_at, report_id', [r.id]);
    return {
      ...presentDefect(r, kernel.clock.now()),
      history: history.map((h) => ({ at: new Date(h.at).toISOString(), actor: h.actor, from: h.from_status, to: h.to_status, note: h.note })),
      reportIds: reports.map((x) => x.report_id),
    };
  };

  app.get(
    '/api/v1/traffic/defects/:id',
    { config: { access: staff('traffic:read') }, schema: { tags, summary: 'One defect with its history and citizens’ reports', params: Id, response: { 200: DefectDetailOut } } },
    async (req) => detail(await visibleDefect(req)),
  );

  app.patch(
    '/api/v1/traffic/defects/:id',
    {
      config: { access: staff('traffic:write') },
      schema: {
        tags,
        summary: 'Change a defect: status (open → in_progress → fixed → verified; rejected), severity, organisation, deadline, note',
        description: '`verified` needs traffic:verify. A new severity without a deadline brings the severity’s default deadline (from when the defect was recorded).',
        params: Id,
        body: DefectPatch,
        response: { 200: DefectDetailOut },
      },
    },
    async (req) => {
      const r = await visibleDefect(req);
      const me = userOf(req);
      const updated = await patchDefect(kernel, ctxOf(req), { name: actorOf(me), canVerify: me.permissions.has('traffic:verify') }, r, req.body as DefectPatch);
      return detail(updated);
    },
  );
}
