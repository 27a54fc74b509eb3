import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../apps/server/src/http/authenticate.ts';
import { anyOf, partner, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { username } from '../../packages/kernel/src/auth/identity.ts';
import { covers, jurisdictionFilter, KATO_PATTERN } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { PRECISIONS } from '../../packages/kernel/src/geo/gazetteer.ts';
import { t } from '../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { FlagPremiseInput, flagPremise, Point } from './api.ts';
import { INCIDENT_TYPE_CODES, incidentType, PRIORITIES } from './config/catalogue.ts';
import { buildEido, Eido } from './domain/eido.ts';
import { ALERT_KINDS } from './domain/sla.ts';
import { ALERT_ACKNOWLEDGED, INCIDENT_STATUSES, UNIT_STATUSES } from './events.ts';
import { runtime } from './runtime.ts';
import { type Actor, incidentDetail, katoOf, link, merge, relocate, setUnitStatus, transition } from './service.ts';
import { getIncidentRow, type IncidentRow, presentIncident, presentRunCard, presentUnit, setPanicFlag, type UnitRow } from './store.ts';
import { ingestTelemetry, parseTelemetry } from './telemetry.ts';
import { assign, assistCalls, createIncident, createUnit, mine, panic, recommend, UNIT_TYPES } from './units.ts';
import { decodeCursor, encodeCursor } from '../../packages/kernel/src/cursor.ts';

// ---- schemas --------------------------------------------------------------------------------------------------

const Id = z.strictObject({ id: z.uuid() });
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(200)).default(50);
const Note = z.string().trim().min(1).max(4000);
const Iso = z.string();

const IncidentOut = z.object({
  id: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  priority: z.enum(PRIORITIES),
  category: z.string(),
  description: z.string().nullable(),
  address: z.string().nullable(),
  source: z.string(),
  externalRef: z.string().nullable(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  /** `point` unless a report placed by its address only made it: then approximate until an operator relocates it. */
  locationPrecision: z.enum(['point', 'house', 'street', 'place', 'district']),
  kato: z.string().nullable(),
  createdBy: z.string(),
  configVersion: z.string(),
  receivedAt: Iso,
  triagedAt: Iso.nullable(),
  dispatchedAt: Iso.nullable(),
  enRouteAt: Iso.nullable(),
  onSceneAt: Iso.nullable(),
  clearedAt: Iso.nullable(),
  closedAt: Iso.nullable(),
  cancelledAt: Iso.nullable(),
  mergedInto: z.string().nullable(),
  panicUnitId: z.string().nullable(),
  updatedAt: Iso,
  sla: z.object({ dispatchDueAt: Iso, onSceneDueAt: Iso, dispatchOverdue: z.boolean(), onSceneOverdue: z.boolean() }),
});

const AssignmentOut = z.object({
  id: z.string(),
  incidentId: z.string(),
  unitId: z.string(),
  callSign: z.string().nullable(),
  assignedAt: Iso,
  assignedBy: z.string(),
  method: z.string().nullable(),
  topUnitId: z.string().nullable(),
  recommendationRank: z.number().nullable(),
  acceptedTop: z.boolean().nullable(),
  acknowledgedAt: Iso.nullable(),
  onSceneAt: Iso.nullable(),
  releasedAt: Iso.nullable(),
  releaseReason: z.string().nullable(),
});

const PremiseFlagOut = z.object({
  id: z.string(),
  kind: z.string(),
  note: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  radiusM: z.number(),
  distanceM: z.number(),
  expiresAt: Iso.nullable(),
  sourceModule: z.string(),
  sourceRef: z.string(),
});

const RunCardOut = z
  .object({
    version: z.string(),
    category: z.string(),
    requirements: z.array(
      z.object({
        unitType: z.enum(UNIT_TYPES),
        required: z.number(),
        assigned: z.number(),
        missing: z.number(),
      }),
    ),
    complete: z.boolean(),
  })
  .describe('The incident type’s run card (`config/runcards.ts`): required unit types and counts, against the units actively assigned');

const IncidentDetailOut = IncidentOut.extend({
  reportIds: z.array(z.string()),
  timeline: z.array(
    z.object({
      seq: z.number(),
      at: Iso,
      actor: z.string(),
      kind: z.string(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      position: z.object({ lon: z.number(), lat: z.number() }).nullable(),
      note: z.string().nullable(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  assignments: z.array(AssignmentOut),
  links: z.array(z.object({ incidentId: z.string(), kind: z.string(), createdAt: Iso })),
  mergedFrom: z.array(z.string()),
  premiseFlags: z.array(PremiseFlagOut),
  runCard: RunCardOut,
});

const UnitOut = z.object({
  id: z.string(),
  callSign: z.string(),
  type: z.string(),
  homeKato: z.string(),
  crew: z.array(z.string()),
  status: z.enum(UNIT_STATUSES),
  flags: z.array(z.string()),
  stale: z.boolean(),
  incidentId: z.string().nullable(),
  lastPosition: z
    .object({ lon: z.number(), lat: z.number(), speed: z.number().nullable(), heading: z.number().nullable(), battery: z.number().nullable(), at: Iso })
    .nullable(),
  statusAt: Iso,
  createdAt: Iso,
});

const RecommendationOut = z.object({
  rank: z.number(),
  unitId: z.string(),
  callSign: z.string(),
  type: z.string(),
  method: z.enum(['road_network', 'great_circle']),
  distanceM: z.number(),
  etaS: z.number(),
  straightLineM: z.number(),
  fills: z.enum(UNIT_TYPES).nullable().describe('The missing run-card requirement this unit would fill; such units are ranked first'),
  reason: z.string(),
});

const AlertOut = z.object({
  id: z.string(),
  kind: z.string(),
  incidentId: z.string().nullable(),
  unitId: z.string().nullable(),
  kato: z.string().nullable(),
  dueAt: Iso.nullable(),
  raisedAt: Iso,
  data: z.record(z.string(), z.unknown()),
  acknowledgedAt: Iso.nullable(),
  acknowledgedBy: z.string().nullable(),
  escalateTo: z.literal('supervisor'),
  /** When nobody had acknowledged it in time and it went to the supervisors (TARTIP_DISPATCH_ESCALATE_AFTER_S). */
  escalatedAt: Iso.nullable(),
});


const actorFrom = (req: FastifyRequest): Actor => {
  const me = userOf(req);
  return { name: actorOf(me), username: me.username, permissions: me.permissions as Set<string>, jurisdictions: me.jurisdictions };
};
const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: req.id });

/** Loads an incident the caller may see (404 / 403 outside_jurisdiction otherwise). */
async function visibleIncident(kernel: Kernel, req: FastifyRequest): Promise<IncidentRow> {
  const inc = await getIncidentRow(kernel.db, (req.params as { id: string }).id);
  if (!covers(userOf(req).jurisdictions, inc.kato)) throw new Problem('outside_jurisdiction');
  return inc;
}

export async function dispatchRoutes(app: FastifyInstance, kernel: Kernel) {
  const { db } = kernel;
  const settings = () => runtime(kernel).settings;
  const tags = ['dispatch'];

  // NDJSON telemetry batches arrive as text; each line is validated by the route.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  // ---- incidents ------------------------------------------------------------------------------------------
  app.get(
    '/api/v1/incidents',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'The incident queue in the caller’s jurisdiction: most urgent first, then oldest; with SLA due times',
        description: 'Without `status`, every incident not yet CLOSED, CANCELLED or MERGED.',
        querystring: z.strictObject({ status: z.enum(INCIDENT_STATUSES).optional(), priority: z.enum(PRIORITIES).optional(), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(IncidentOut.extend({ reportIds: z.array(z.string()) })), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { status?: string; priority?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.enum(PRIORITIES), z.iso.datetime(), z.uuid()])) : null;
      const [filter, params] = jurisdictionFilter('kato', me.jurisdictions, 7);
      const rows = await db.query<IncidentRow>(
        `select * from dispatch_incident
         where (${filter})
           and (case when $1::text is null then status not in ('CLOSED', 'CANCELLED', 'MERGED') else status = $1 end)
           and ($2::text is null or priority = $2)
           and ($3::text is null or (priority, received_at, id) > ($3, $4::timestamptz, $5::uuid))
         order by priority, received_at, id limit $6`,
        [q.status ?? null, q.priority ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, q.limit + 1, ...params],
      );
      const now = kernel.clock.now();
      const page = rows.slice(0, q.limit);
      const reports = new Map<string, string[]>();
      for (const r of await db.query<{ incident_id: string; report_id: string }>(
        'select incident_id, report_id from dispatch_incident_report where incident_id = any($1::uuid[]) order by attached_at, report_id',
        [page.map((r) => r.id)],
      )) {
        reports.set(r.incident_id, [...(reports.get(r.incident_id) ?? []), r.report_id]);
      }
      const items = page.map((r) => ({ ...presentIncident(r, settings(), now), reportIds: reports.get(r.id) ?? [] }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.priority, last.receivedAt, last.id]) : null };
    },
  );

  app.post(
    '/api/v1/incidents',
    {
      config: { access: anyOf(staff('dispatch:write'), staff('dispatch:field')) },
      schema: {
        tags,
        summary: 'Create an incident: an operator taking a 102 call, or an officer on the street (their unit is put on scene)',
        body: z.strictObject({
          category: z.enum(INCIDENT_TYPE_CODES),
          priority: z.enum(PRIORITIES).optional(),
          location: Point,
          description: z.string().trim().min(1).max(4000).optional(),
          address: z.string().trim().min(1).max(500).optional(),
          note: Note.optional(),
        }),
        response: { 201: IncidentDetailOut },
      },
    },
    async (req, reply) => {
      const body = req.body as Parameters<typeof createIncident>[3];
      const inc = await createIncident(kernel, ctxOf(req), actorFrom(req), body);
      return reply.code(201).send(await incidentDetail(kernel, inc));
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'One incident with its timeline, assignments, reports, links and premise flags nearby',
        params: Id,
        response: { 200: IncidentDetailOut },
      },
    },
    async (req) => incidentDetail(kernel, await visibleIncident(kernel, req)),
  );

  app.post(
    '/api/v1/incidents/:id/transitions',
    {
      config: { access: anyOf(staff('dispatch:write'), staff('dispatch:field')) },
      schema: {
        tags,
        summary: 'Move an incident along its lifecycle (a crew: EN_ROUTE, ON_SCENE, CLEARED on its own incident)',
        description: 'An illegal step is a 409 problem saying which steps are allowed. DISPATCHED comes from an assignment, MERGED from a merge.',
        params: Id,
        body: z.strictObject({ to: z.enum(INCIDENT_STATUSES), note: Note.optional(), priority: z.enum(PRIORITIES).optional(), position: Point.optional() }),
        response: { 200: IncidentDetailOut },
      },
    },
    async (req) => {
      const body = req.body as { to: (typeof INCIDENT_STATUSES)[number]; note?: string; priority?: (typeof PRIORITIES)[number]; position?: { lon: number; lat: number } };
      const row = await transition(kernel, ctxOf(req), actorFrom(req), (req.params as { id: string }).id, body);
      return incidentDetail(kernel, row);
    },
  );

  app.post(
    '/api/v1/incidents/:id/location',
    {
      config: { access: staff('dispatch:write') },
      schema: {
        tags,
        summary: 'Put the incident where it really is (an address-only report placed approximately, a caller’s correction)',
        description:
          'The point becomes exact (`locationPrecision: point`), its district is placed again — the operator must cover both the old and the ' +
          'new — and the timeline keeps where it was. 409 on a closed, cancelled or merged incident.',
        params: Id,
        body: z.strictObject({ location: Point, address: z.string().trim().min(1).max(500).optional(), note: Note.optional() }),
        response: { 200: IncidentDetailOut },
      },
    },
    async (req) => {
      const body = req.body as { location: { lon: number; lat: number }; address?: string; note?: string };
      const row = await relocate(kernel, ctxOf(req), actorFrom(req), (req.params as { id: string }).id, body);
      return incidentDetail(kernel, row);
    },
  );

  app.post(
    '/api/v1/incidents/:id/merge',
    {
      config: { access: staff('dispatch:write') },
      schema: {
        tags,
        summary: 'Merge this incident (a duplicate) into another: this one REPLACED, the other REPLACING; reports move over',
        params: Id,
        body: z.strictObject({ into: z.uuid() }),
        response: { 200: IncidentDetailOut },
      },
    },
    async (req) => {
      const { survivor } = await merge(kernel, ctxOf(req), actorFrom(req), (req.params as { id: string }).id, (req.body as { into: string }).into);
      return incidentDetail(kernel, survivor);
    },
  );

  app.post(
    '/api/v1/incidents/:id/links',
    {
      config: { access: staff('dispatch:write') },
      schema: {
        tags,
        summary: 'Link two incidents (EIDO link: PARENT, CHILD or RELATED; the other side gets the inverse)',
        params: Id,
        body: z.strictObject({ other: z.uuid(), kind: z.enum(['PARENT', 'CHILD', 'RELATED']) }),
        response: { 200: IncidentDetailOut },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { other, kind } = req.body as { other: string; kind: 'PARENT' | 'CHILD' | 'RELATED' };
      await link(kernel, ctxOf(req), actorFrom(req), id, other, kind);
      return incidentDetail(kernel, await getIncidentRow(db, id));
    },
  );

  app.get(
    '/api/v1/incidents/:id/eido',
    {
      config: { access: staff('dispatch:read') },
      schema: { tags, summary: 'The incident as a NENA EIDO 1.0 JSON document (NENA-STA-021.1a)', params: Id },
    },
    async (req, reply) => {
      const inc = await visibleIncident(kernel, req);
      const detail = await incidentDetail(kernel, inc);
      const unitIds = [...new Set(detail.assignments.map((a) => a.unitId))];
      const units = await db.query<UnitRow>('select * from dispatch_unit where id = any($1::uuid[])', [unitIds]);
      const byId = new Map(units.map((u) => [u.id, u]));
      const type = incidentType(inc.category);
      const merges = [
        ...(inc.merged_into ? [{ otherId: inc.merged_into, direction: 'REPLACED' as const, at: detail.updatedAt, actor: detail.timeline.find((x) => x.to === 'MERGED')?.actor ?? 'system' }] : []),
        ...detail.timeline
          .filter((x) => x.kind === 'merge')
          .map((x) => ({ otherId: String(x.data.from), direction: 'REPLACING' as const, at: x.at, actor: x.actor })),
      ];
      const eido = buildEido({
        agency: 'tartip.kz',
        incident: {
          id: inc.id,
          status: inc.status,
          priority: inc.priority,
          category: inc.category,
          categoryText: type?.name.en ?? inc.category,
          apco: type?.apco ?? 'OTHER',
          location: { lon: inc.lon, lat: inc.lat },
          address: inc.address,
          kato: inc.kato,
          createdBy: inc.created_by,
          updatedAt: detail.updatedAt,
          receivedAt: detail.receivedAt,
        },
        units: detail.assignments.map((a) => {
          const u = byId.get(a.unitId) as UnitRow;
          const p = presentUnit(u);
          return {
            id: u.id,
            callSign: u.call_sign,
            type: u.type,
            status: a.releasedAt ? 'AVAILABLE' : u.status,
            flags: u.flags,
            crew: u.crew,
            assignedBy: a.assignedBy,
            assignedAt: a.assignedAt,
            position: p.lastPosition ? { lon: p.lastPosition.lon, lat: p.lastPosition.lat, at: p.lastPosition.at } : null,
          };
        }),
        notes: detail.timeline.filter((x) => x.note).map((x) => ({ seq: x.seq, at: x.at, actor: x.actor, text: x.note as string })),
        merges,
        links: detail.links.map((l) => ({ otherId: l.incidentId, kind: l.kind as 'PARENT' | 'CHILD' | 'RELATED', at: l.createdAt, actor: 'dispatcher' })),
      });
      await kernel.commands.run(ctxOf(req), (uow) => uow.audit({ action: 'incident.exported', entity: 'incident', entityId: inc.id, jurisdiction: inc.kato, data: { format: 'EIDO 1.0' } }));
      return reply.type('application/json; charset=utf-8').send(Eido.parse(eido));
    },
  );

  // ---- recommendations and assignments ---------------------------------------------------------------------
  app.get(
    '/api/v1/incidents/:id/recommendations',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'Available, non-stale units ranked by estimated travel time (road network when loaded, else great-circle)',
        description:
          'When the incident type’s run card still misses units (`runCard`), the fastest unit of each missing type is ranked first (`fills`); otherwise the order is by travel time.',
        params: Id,
        response: {
          200: z.object({
            incidentId: z.string(),
            method: z.enum(['road_network', 'great_circle']),
            generatedAt: Iso,
            items: z.array(RecommendationOut),
            premiseFlags: z.array(PremiseFlagOut),
            runCard: RunCardOut,
          }),
        },
      },
    },
    async (req) => {
      const inc = await visibleIncident(kernel, req);
      const me = userOf(req);
      const recs = await recommend(kernel, inc, me.jurisdictions);
      const s = settings();
      const detail = await incidentDetail(kernel, inc);
      return {
        incidentId: inc.id,
        method: recs.method,
        generatedAt: kernel.clock.now().toISOString(),
        items: recs.items.map((r) => ({
          ...r,
          reason: t(req.locale, r.type === 'FOOT_PATROL' && r.method === 'great_circle' ? 'dispatch.reason.foot' : `dispatch.reason.${r.method}`, {
            callSign: r.callSign,
            km: (r.distanceM / 1000).toFixed(1),
            min: Math.max(1, Math.round(r.etaS / 60)),
            detour: s.detourFactor,
          }),
        })),
        premiseFlags: detail.premiseFlags,
        runCard: presentRunCard(inc.category, recs.runCard),
      };
    },
  );

  app.post(
    '/api/v1/incidents/:id/assignments',
    {
      config: { access: staff('dispatch:write') },
      schema: {
        tags,
        summary: 'Assign a unit: unit and incident become DISPATCHED; records whether the top recommendation was taken',
        params: Id,
        body: z.strictObject({ unitId: z.uuid(), recommendationRank: z.number().int().min(1).max(100).optional() }),
        response: { 201: z.object({ assignmentId: z.string(), acceptedTop: z.boolean().nullable(), incident: IncidentDetailOut }) },
      },
    },
    async (req, reply) => {
      const r = await assign(kernel, ctxOf(req), actorFrom(req), (req.params as { id: string }).id, req.body as { unitId: string; recommendationRank?: number });
      return reply.code(201).send({ assignmentId: r.assignmentId, acceptedTop: r.acceptedTop, incident: await incidentDetail(kernel, r.incident) });
    },
  );

  // ---- units ---------------------------------------------------------------------------------------------
  app.get(
    '/api/v1/units',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'Units in the caller’s jurisdiction with status, last position and the stale flag',
        querystring: z.strictObject({ status: z.enum(UNIT_STATUSES).optional(), type: z.enum(UNIT_TYPES).optional(), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(UnitOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { status?: string; type?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.string().min(1).max(64)) : null;
      const [filter, params] = jurisdictionFilter('home_kato', me.jurisdictions, 5);
      const rows = await db.query<UnitRow>(
        `select * from dispatch_unit where (${filter}) and ($1::text is null or status = $1) and ($2::text is null or type = $2)
           and ($3::text is null or call_sign > $3) order by call_sign limit $4`,
        [q.status ?? null, q.type ?? null, after, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map(presentUnit);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].callSign) : null };
    },
  );

  app.post(
    '/api/v1/units',
    {
      config: { access: staff('dispatch:units') },
      schema: {
        tags,
        summary: 'Register a unit (call sign, type, home KATO, crew usernames)',
        body: z.strictObject({
          callSign: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/),
          type: z.enum(UNIT_TYPES),
          homeKato: z.string().regex(KATO_PATTERN),
          crew: z.array(username).max(10).default([]),
        }),
        response: { 201: UnitOut },
      },
    },
    async (req, reply) => {
      const u = await createUnit(kernel, ctxOf(req), actorFrom(req), req.body as Parameters<typeof createUnit>[3]);
      return reply.code(201).send(presentUnit(u));
    },
  );

  app.get(
    '/api/v1/units/mine',
    {
      config: { access: staff('dispatch:field') },
      schema: {
        tags,
        summary:
          'The tablet’s main call: the officer’s unit, its current task with the incident card, and `assist`: other units’ panics that named this unit among the nearest, while their incidents are open',
        response: {
          200: z.object({
            unit: UnitOut.nullable(),
            incident: IncidentDetailOut.nullable(),
            assist: z.array(
              z.object({ alertId: z.string(), incidentId: z.string(), unitId: z.string(), callSign: z.string(), location: z.object({ lon: z.number(), lat: z.number() }), address: z.string().nullable(), raisedAt: z.string() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const me = userOf(req);
      const m = await mine(db, me.username);
      const assist = m.unit ? await assistCalls(db, m.unit.id, kernel.clock.now()) : [];
      return {
        unit: m.unit ? presentUnit(m.unit) : null,
        incident: m.incident ? await incidentDetail(kernel, m.incident) : null,
        assist: assist.map((a) => ({ alertId: a.alertId, incidentId: a.incidentId, unitId: a.unitId, callSign: a.callSign, location: { lon: a.lon, lat: a.lat }, address: a.address, raisedAt: new Date(a.raisedAt).toISOString() })),
      };
    },
  );

  app.post(
    '/api/v1/units/:id/status',
    {
      config: { access: anyOf(staff('dispatch:field'), staff('dispatch:units')) },
      schema: {
        tags,
        summary: 'Set a unit’s status (the crew for its own unit; dispatch:units for any). EN_ROUTE / ON_SCENE move its incident along',
        params: Id,
        body: z.strictObject({ status: z.enum(UNIT_STATUSES) }),
        response: { 200: UnitOut },
      },
    },
    async (req) => {
      const u = await setUnitStatus(kernel, ctxOf(req), actorFrom(req), (req.params as { id: string }).id, (req.body as { status: (typeof UNIT_STATUSES)[number] }).status);
      return presentUnit(u);
    },
  );

  app.post(
    '/api/v1/units/telemetry',
    {
      config: { access: anyOf(staff('dispatch:field'), partner('telemetry:ingest')) },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Positions as NDJSON (application/x-ndjson), one `{unitId, at, lon, lat, speed?, heading?, battery?}` per line',
        description:
          'All or nothing: one bad line rejects the batch with per-line field errors (`line.17.lat`) and nothing is stored. Crews may report only for their own unit; gateways (scope telemetry:ingest) for units in their jurisdictions.',
        consumes: ['application/x-ndjson'],
        body: z.string(),
        response: { 202: z.object({ accepted: z.number(), stored: z.number(), units: z.number() }) },
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') throw new Problem('dispatch.ndjson_required', {}, [], 415);
      const parsed = parseTelemetry(req.body, kernel.clock.now());
      if (!parsed.ok) throw Problem.validation(parsed.errors);
      const p = req.principal;
      const sender = p?.kind === 'partner' ? { kind: 'partner' as const, jurisdictions: p.jurisdictions } : { kind: 'crew' as const, username: userOf(req).username };
      const lineNumbers = lineNumbersOf(req.body);
      const r = await ingestTelemetry(kernel, parsed.lines, sender, lineNumbers);
      return reply.code(202).send({ accepted: parsed.lines.length, stored: r.stored, units: r.units });
    },
  );

  // A badge or gateway may post its panic with a JSON content type and no body, half a body, or an array: the alarm is
  // raised all the same. The route lives in a scope of its own whose JSON parser never refuses (anything it cannot
  // read is no body); everywhere else a malformed body stays a 400.
  await app.register(async (panicScope) => {
    panicScope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
      try {
        done(null, text === '' ? null : JSON.parse(text as string));
      } catch {
        done(null, null);
      }
    });
    panicRoute(panicScope);
  });
  function panicRoute(app: FastifyInstance) {
  app.post(
    '/api/v1/units/:id/panic',
    {
      config: { access: anyOf(staff('dispatch:field'), staff('dispatch:write')) },
      schema: {
        tags,
        summary: 'Panic (duress): an immediate P1 incident at the device’s position (else the unit’s last); the nearest units are alerted',
        description:
          'The tablet or badge sends the position it has (`{ position: { lon, lat } }`); without one — or with one that cannot be used, out of range or malformed — the unit’s last reported position is used. A unit with no position at all still raises the alarm — the unit flagged PANIC, the consoles sounding — and `incident` is null: never a refusal.',
        params: Id,
        // A panic is never refused for its body: a position that cannot be used is left out (see the handler).
        body: z.unknown(),
        response: { 201: z.object({ alertId: z.string(), nearestUnitIds: z.array(z.string()), incident: IncidentDetailOut.nullable() }) },
      },
    },
    async (req, reply) => {
      const me = actorFrom(req);
      const id = (req.params as { id: string }).id;
      const [unit] = await db.query<UnitRow>('select * from dispatch_unit where id = $1', [id]);
      if (!unit) throw Problem.notFound();
      const crew = unit.crew.includes(me.username ?? '');
      if (!crew && !me.permissions.has('dispatch:write')) throw new Problem('dispatch.not_crew', {}, [], 403);
      if (!crew && !covers(me.jurisdictions, unit.home_kato)) throw new Problem('outside_jurisdiction');
      const body = req.body;
      const given = Point.safeParse(typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { position?: unknown }).position : undefined);
      const position = given.success ? given.data : null;
      const r = await panic(kernel, ctxOf(req), id, position);
      return reply.code(201).send({ alertId: r.alertId, nearestUnitIds: r.nearestUnitIds, incident: r.incident ? await incidentDetail(kernel, r.incident) : null });
    },
  );
  }

  // ---- alerts --------------------------------------------------------------------------------------------
  interface AlertRow {
    id: string;
    kind: string;
    incident_id: string | null;
    unit_id: string | null;
    kato: string | null;
    due_at: Date | null;
    raised_at: Date;
    data: Record<string, unknown>;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    escalated_at: Date | null;
  }
  const presentAlert = (a: AlertRow) => ({
    id: a.id,
    kind: a.kind,
    incidentId: a.incident_id,
    unitId: a.unit_id,
    kato: a.kato,
    dueAt: a.due_at ? new Date(a.due_at).toISOString() : null,
    raisedAt: new Date(a.raised_at).toISOString(),
    data: a.data ?? {},
    acknowledgedAt: a.acknowledged_at ? new Date(a.acknowledged_at).toISOString() : null,
    acknowledgedBy: a.acknowledged_by,
    escalateTo: 'supervisor' as const,
    escalatedAt: a.escalated_at ? new Date(a.escalated_at).toISOString() : null,
  });

  app.get(
    '/api/v1/alerts',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'Open alerts (panic, SLA and safety timers) in the caller’s jurisdiction, newest first',
        querystring: z.strictObject({ kind: z.enum(ALERT_KINDS).optional(), state: z.enum(['open', 'all']).default('open'), limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(AlertOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const q = req.query as { kind?: string; state: 'open' | 'all'; limit: number; cursor?: string };
      const before = q.cursor ? decodeCursor(q.cursor, z.uuid()) : null;
      const [filter, params] = jurisdictionFilter('kato', me.jurisdictions, 5);
      const rows = await db.query<AlertRow>(
        `select * from dispatch_alert where (${filter}) and ($1::text is null or kind = $1) and ($2 or acknowledged_at is null)
           and ($3::uuid is null or id < $3) order by id desc limit $4`,
        [q.kind ?? null, q.state === 'all', before, q.limit + 1, ...params],
      );
      const items = rows.slice(0, q.limit).map(presentAlert);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].id) : null };
    },
  );

  app.post(
    '/api/v1/alerts/:id/acknowledge',
    {
      config: { access: staff('dispatch:read') },
      schema: { tags, summary: 'Acknowledge an alert (recorded with who and when)', params: Id, response: { 200: AlertOut } },
    },
    async (req) => {
      const me = userOf(req);
      const id = (req.params as { id: string }).id;
      const row = await kernel.commands.run(ctxOf(req), async (uow) => {
        const [a] = await uow.tx.query<AlertRow>('select * from dispatch_alert where id = $1 for update', [id]);
        if (!a) throw Problem.notFound();
        if (!covers(me.jurisdictions, a.kato)) throw new Problem('outside_jurisdiction');
        if (a.acknowledged_at) throw new Problem('dispatch.already_acknowledged', { by: a.acknowledged_by }, [], 409);
        const [updated] = await uow.tx.query<AlertRow>('update dispatch_alert set acknowledged_at = $2, acknowledged_by = $3 where id = $1 returning *', [
          id,
          uow.now.toISOString(),
          actorOf(me),
        ]);
        await uow.audit({ action: 'alert.acknowledged', entity: 'alert', entityId: id, jurisdiction: a.kato, data: { kind: a.kind } });
        // A panic that had no place had no incident to end: answering it takes the unit's PANIC flag off.
        if (a.kind === 'panic' && a.incident_id === null && a.unit_id) await setPanicFlag(uow, a.unit_id, false);
        await uow.emit({
          subject: ALERT_ACKNOWLEDGED,
          key: a.incident_id ?? a.unit_id ?? a.id,
          jurisdiction: a.kato,
          permission: 'dispatch:read',
          data: { alertId: id, kind: a.kind, by: actorOf(me), at: uow.now.toISOString() },
        });
        return updated;
      });
      return presentAlert(row);
    },
  );

  // ---- addresses -------------------------------------------------------------------------------------------
  app.get(
    '/api/v1/geocode',
    {
      config: { access: staff('dispatch:read') },
      schema: {
        tags,
        summary: 'An address as a caller says it → a point on the map, offline (the kernel’s gazetteer), with how precisely it is known',
        description:
          '`found: false` with `reason` `not_found` or `ambiguous` (the name fits several districts or towns: add the town). A `region` or ' +
          '`district` answer is only where to look; a unit needs a house, a street or a click on the map.',
        querystring: z.strictObject({ q: z.string().trim().min(1).max(500) }),
        response: {
          200: z.object({
            found: z.boolean(),
            reason: z.enum(['not_found', 'ambiguous']).nullable(),
            place: z
              .object({ location: Point, precision: z.enum(PRECISIONS), label: z.string(), kato: z.string().nullable() })
              .nullable(),
          }),
        },
      },
    },
    async (req) => {
      const r = kernel.gazetteer.geocode((req.query as { q: string }).q);
      if (!r.found) return { found: false, reason: r.reason, place: null };
      const { lon, lat, precision, label } = r.place;
      return { found: true, reason: null, place: { location: { lon, lat }, precision, label, kato: kernel.areas.katoOf(lon, lat) } };
    },
  );

  // ---- premise flags ---------------------------------------------------------------------------------------
  app.post(
    '/api/v1/premise-flags',
    {
      config: { access: staff('dispatch:write') },
      schema: {
        tags,
        summary: 'Flag a premise hazard (protective order, weapons, prior violence) shown on incidents within its radius',
        body: FlagPremiseInput.omit({ sourceModule: true, sourceRef: true }).extend({ expiresAt: FlagPremiseInput.shape.expiresAt.optional() }),
        response: { 201: z.object({ flagId: z.string(), kato: z.string().nullable() }) },
      },
    },
    async (req, reply) => {
      const me = actorFrom(req);
      const body = req.body as Omit<FlagPremiseInput, 'sourceModule' | 'sourceRef'>;
      // Nothing outside the caller's area may be flagged.
      if (!covers(me.jurisdictions, katoOf(kernel, body.location))) throw new Problem('outside_jurisdiction');
      const r = await flagPremise(kernel, { ...body, expiresAt: body.expiresAt ?? null, sourceModule: 'dispatch', sourceRef: `manual:${req.id}` }, ctxOf(req));
      return reply.code(201).send(r);
    },
  );
}

/** 1-based line numbers of the non-blank lines, so service-side errors (unknown unit) point at the right line. */
function lineNumbersOf(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() !== '') out.push(i + 1);
  });
  return out;
}
