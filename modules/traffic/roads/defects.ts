/**
 * Road inspections and defects: recording (by inspectors, or from citizens' Open311 `road-defect` reports), the
 * lifecycle, and the overdue check that alerts the console and — for dangerous defects — the ops centre.
 */
import { z } from 'zod';
import { covers } from '../../../packages/kernel/src/auth/jurisdiction.ts';
import type { BusEvent } from '../../../packages/kernel/src/bus/types.ts';
import type { Queryable } from '../../../packages/kernel/src/db/types.ts';
import { type FieldError, Problem } from '../../../packages/kernel/src/errors.ts';
import { t } from '../../../packages/kernel/src/i18n/index.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import type { Subscriber } from '../../../packages/kernel/src/module.ts';
import { type CommandContext, markHandled, type UnitOfWork } from '../../../packages/kernel/src/outbox.ts';
import { raiseIncident } from '../../dispatch/index.ts';
import { REPORT_SUBMITTED, ReportSubmitted } from '../../reports/events.ts';
import { CITIZEN_SEVERITY_BY_TYPE, CITIZEN_TYPE, DEFECT_TYPES, type DefectType, ROADS_RULES_VERSION, SEVERITIES, type Severity } from './config/rules.ts';
import { placeIn, Point, RoadInput } from './crashes.ts';
import { allowedNext, canMove, DEFECT_STATUSES, type DefectStatus, deadlineFor, overdueAlerts } from './domain/defects.ts';
import { DEFECT_CREATED, DEFECT_OVERDUE, DEFECT_UPDATED, type DefectChanged, type DefectOverdue, INSPECTION_RECORDED } from './events.ts';
import { roadSettings } from './settings.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

export const PhotoInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  sha256: z.string().regex(/^[a-f0-9]{64}$/).optional(),
});

export const DefectInput = z.strictObject({
  type: z.enum(DEFECT_TYPES),
  severity: z.enum(SEVERITIES),
  location: Point,
  address: text(500).optional(),
  road: RoadInput.optional(),
  description: text(4000).optional(),
  photo: PhotoInput.optional(),
  responsibleOrg: text(300).optional(),
  /** ISO 8601; by default from the severity (TARTIP_TRAFFIC_DEFECT_DEADLINE_*_H). */
  deadline: z.iso.datetime({ offset: true }).optional(),
});
export type DefectInput = z.infer<typeof DefectInput>;

export const InspectionInput = z.strictObject({
  road: RoadInput,
  inspector: text(200),
  inspectedAt: z.iso.datetime({ offset: true }),
  notes: text(4000).optional(),
  /** Defects found; each takes the inspection's road unless it names its own. */
  defects: z.array(DefectInput).max(1000),
});
export type InspectionInput = z.infer<typeof InspectionInput>;

export const DefectPatch = z
  .strictObject({
    status: z.enum(DEFECT_STATUSES).optional(),
    note: text(4000).optional(),
    type: z.enum(DEFECT_TYPES).optional(),
    severity: z.enum(SEVERITIES).optional(),
    responsibleOrg: text(300).nullable().optional(),
    deadline: z.iso.datetime({ offset: true }).optional(),
    description: text(4000).optional(),
    photo: PhotoInput.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'nothing to change' });
export type DefectPatch = z.infer<typeof DefectPatch>;

export interface DefectRow {
  id: string;
  type: DefectType;
  severity: Severity;
  status: DefectStatus;
  lon: number;
  lat: number;
  kato: string | null;
  address: string | null;
  road_name: string | null;
  road_code: string | null;
  national_road: boolean | null;
  description: string | null;
  photo_url: string | null;
  photo_sha256: string | null;
  responsible_org: string | null;
  deadline: Date;
  source: 'inspection' | 'citizen';
  inspection_id: string | null;
  report_id: string | null;
  rules_version: string;
  status_note: string | null;
  overdue_alerted_at: Date | null;
  incident_id: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  fixed_at: Date | null;
  verified_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function presentDefect(r: DefectRow, now: Date) {
  const active = r.status === 'open' || r.status === 'in_progress';
  return {
    id: r.id,
    type: r.type,
    severity: r.severity,
    status: r.status,
    statusNote: r.status_note,
    location: { lon: r.lon, lat: r.lat },
    kato: r.kato,
    address: r.address,
    road: r.road_name || r.road_code || r.national_road !== null ? { name: r.road_name, code: r.road_code, national: r.national_road } : null,
    description: r.description,
    photo: r.photo_url ? { url: r.photo_url, sha256: r.photo_sha256 } : null,
    responsibleOrg: r.responsible_org,
    deadline: new Date(r.deadline).toISOString(),
    overdue: active && new Date(r.deadline).getTime() < now.getTime(),
    overdueAlertedAt: iso(r.overdue_alerted_at),
    incidentId: r.incident_id,
    source: r.source,
    inspectionId: r.inspection_id,
    reportId: r.report_id,
    rulesVersion: r.rules_version,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    fixedAt: iso(r.fixed_at),
    verifiedAt: iso(r.verified_at),
  };
}

const changed = (r: DefectRow, at: Date): DefectChanged => ({
  defectId: r.id,
  type: r.type,
  severity: r.severity,
  status: r.status,
  location: { lon: r.lon, lat: r.lat },
  kato: r.kato,
  deadline: new Date(r.deadline).toISOString(),
  responsibleOrg: r.responsible_org,
  source: r.source,
  reportId: r.report_id,
  at: at.toISOString(),
});

interface NewDefect {
  type: DefectType;
  severity: Severity;
  location: { lon: number; lat: number };
  kato: string | null;
  address: string | null;
  road: { name?: string; code?: string; national: boolean } | null;
  description: string | null;
  photo: { url: string; sha256?: string } | null;
  responsibleOrg: string | null;
  deadline: Date | null;
  source: 'inspection' | 'citizen';
  inspectionId: string | null;
  reportId: string | null;
}

/** Inserts a defect with its first history entry, event and audit record, inside the caller's command. */
async function insertDefect(kernel: Kernel, uow: UnitOfWork, actor: string, d: NewDefect): Promise<DefectRow> {
  const s = roadSettings(kernel).defect;
  const deadline = d.deadline ?? deadlineFor(d.severity, uow.now, s.deadlineH);
  const org = d.responsibleOrg ?? (d.road?.national ? s.nationalOrg : null);
  const [r] = await uow.tx.query<DefectRow>(
    `insert into traffic_defect (id, type, severity, status, lon, lat, geom, kato, address, road_name, road_code, national_road, description,
       photo_url, photo_sha256, responsible_org, deadline, source, inspection_id, report_id, rules_version, created_by, created_at, updated_at)
     values ($1, $2, $3, 'open', $4, $5, ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
     returning *`,
    [
      newId(),
      d.type,
      d.severity,
      d.location.lon,
      d.location.lat,
      d.kato,
      d.address,
      d.road?.name ?? null,
      d.road?.code ?? null,
      d.road ? d.road.national : null,
      d.description,
      d.photo?.url ?? null,
      d.photo?.sha256 ?? null,
      org,
      deadline.toISOString(),
      d.source,
      d.inspectionId,
      d.reportId,
      ROADS_RULES_VERSION,
      actor,
      uow.now.toISOString(),
    ],
  );
  await uow.tx.query('insert into traffic_defect_history (defect_id, at, actor, from_status, to_status, note) values ($1, $2, $3, null, $4, null)', [
    r.id,
    uow.now.toISOString(),
    actor,
    'open',
  ]);
  if (d.reportId) await uow.tx.query('insert into traffic_defect_report (report_id, defect_id, attached_at) values ($1, $2, $3)', [d.reportId, r.id, uow.now.toISOString()]);
  await uow.emit({ subject: DEFECT_CREATED, key: r.id, jurisdiction: r.kato, permission: 'traffic:read', data: changed(r, uow.now) });
  await uow.audit({ action: 'defect.created', entity: 'defect', entityId: r.id, jurisdiction: r.kato, data: { type: r.type, severity: r.severity, source: r.source, reportId: r.report_id } });
  return r;
}

/** Validates what zod cannot (the place is in Kazakhstan, the deadline is ahead) and fills in the place's KATO. */
async function checkDefect(kernel: Kernel, x: DefectInput, at: string, errors: FieldError[]): Promise<string | null> {
  if (x.deadline && Date.parse(x.deadline) <= kernel.clock.now().getTime()) errors.push({ path: `${at}.deadline`, code: 'in_past' });
  return placeIn(kernel.db, x.location, `${at}.location`, errors);
}

const fromInput = (x: DefectInput, kato: string | null, road: NewDefect['road'], inspectionId: string | null): NewDefect => ({
  type: x.type,
  severity: x.severity,
  location: x.location,
  kato,
  address: x.address ?? null,
  road: x.road ?? road,
  description: x.description ?? null,
  photo: x.photo ?? null,
  responsibleOrg: x.responsibleOrg ?? null,
  deadline: x.deadline ? new Date(x.deadline) : null,
  source: 'inspection',
  inspectionId,
  reportId: null,
});

/** Records one defect found by an inspector, inside `jurisdictions` (elsewhere is a 403). */
export async function createDefect(kernel: Kernel, ctx: CommandContext, jurisdictions: readonly string[], x: DefectInput): Promise<DefectRow> {
  const errors: FieldError[] = [];
  const kato = await checkDefect(kernel, x, 'body', errors);
  if (errors.length > 0) throw Problem.validation(errors);
  if (!covers(jurisdictions, kato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, (uow) => insertDefect(kernel, uow, ctx.actor, fromInput(x, kato, null, null)));
}

/** Records an inspection and the defects it found, all or nothing; every defect inside `jurisdictions`. */
export async function createInspection(
  kernel: Kernel,
  ctx: CommandContext,
  jurisdictions: readonly string[],
  x: InspectionInput,
): Promise<{ inspectionId: string; defects: DefectRow[] }> {
  const errors: FieldError[] = [];
  if (Date.parse(x.inspectedAt) > kernel.clock.now().getTime() + 5 * 60_000) errors.push({ path: 'body.inspectedAt', code: 'in_future' });
  const katos: (string | null)[] = [];
  for (const [i, d] of x.defects.entries()) katos.push(await checkDefect(kernel, d, `body.defects.${i}`, errors));
  if (errors.length > 0) throw Problem.validation(errors);
  if (katos.some((k) => !covers(jurisdictions, k))) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, async (uow) => {
    const inspectionId = newId();
    const region = katos.find((k) => k !== null) ?? null;
    await uow.tx.query(
      `insert into traffic_inspection (id, road_name, road_code, national_road, inspector, inspected_at, notes, defect_count, kato, created_by, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [inspectionId, x.road.name ?? null, x.road.code ?? null, x.road.national, x.inspector, new Date(x.inspectedAt).toISOString(), x.notes ?? null, x.defects.length, region, ctx.actor, uow.now.toISOString()],
    );
    const defects: DefectRow[] = [];
    for (const [i, d] of x.defects.entries()) defects.push(await insertDefect(kernel, uow, ctx.actor, fromInput(d, katos[i], x.road, inspectionId)));
    await uow.emit({
      subject: INSPECTION_RECORDED,
      key: inspectionId,
      jurisdiction: region,
      permission: 'traffic:read',
      data: { inspectionId, inspector: x.inspector, roadCode: x.road.code ?? null, defects: defects.length, at: uow.now.toISOString() },
    });
    await uow.audit({ action: 'inspection.recorded', entity: 'inspection', entityId: inspectionId, jurisdiction: region, data: { defects: defects.length, road: x.road.code ?? x.road.name ?? null } });
    return { inspectionId, defects };
  });
}

/** Who changes a defect: verification needs `traffic:verify`. */
export interface DefectActor {
  name: string;
  canVerify: boolean;
}

export async function patchDefect(kernel: Kernel, ctx: CommandContext, actor: DefectActor, row: DefectRow, p: DefectPatch): Promise<DefectRow> {
  const s = roadSettings(kernel).defect;
  if (p.status === 'verified' && !actor.canVerify) throw Problem.forbidden('traffic:verify');
  if (p.deadline && Date.parse(p.deadline) <= kernel.clock.now().getTime()) throw Problem.validation([{ path: 'body.deadline', code: 'in_past' }]);
  return kernel.commands.run(ctx, async (uow) => {
    const [old] = await uow.tx.query<DefectRow>('select * from traffic_defect where id = $1 for update', [row.id]);
    const status = p.status ?? old.status;
    if (p.status && p.status !== old.status && !canMove(old.status, p.status)) {
      throw new Problem('traffic.defect_transition', { from: old.status, to: p.status, allowed: allowedNext(old.status).join(', ') || '—' }, [], 409);
    }
    const severity = p.severity ?? old.severity;
    // A new severity brings its own deadline (from when the defect was recorded) unless one is given.
    const deadline = p.deadline ? new Date(p.deadline) : p.severity && p.severity !== old.severity ? deadlineFor(severity, new Date(old.created_at), s.deadlineH) : new Date(old.deadline);
    const deadlineMoved = deadline.getTime() !== new Date(old.deadline).getTime();
    const now = uow.now.toISOString();
    const [r] = await uow.tx.query<DefectRow>(
      `update traffic_defect set status = $2, type = $3, severity = $4, responsible_org = $5, deadline = $6, description = $7, photo_url = $8, photo_sha256 = $9,
         status_note = $10, updated_at = $11,
         overdue_alerted_at = case when $12 then null else overdue_alerted_at end,
         fixed_at = case when $2 = 'fixed' and status <> 'fixed' then $11::timestamptz else fixed_at end,
         verified_at = case when $2 = 'verified' then $11::timestamptz else verified_at end
       where id = $1 returning *`,
      [
        old.id,
        status,
        p.type ?? old.type,
        severity,
        p.responsibleOrg !== undefined ? p.responsibleOrg : old.responsible_org,
        deadline.toISOString(),
        p.description ?? old.description,
        p.photo ? p.photo.url : old.photo_url,
        p.photo ? (p.photo.sha256 ?? null) : old.photo_sha256,
        p.note ?? (p.status && p.status !== old.status ? null : old.status_note),
        now,
        deadlineMoved,
      ],
    );
    if (p.status && p.status !== old.status) {
      await uow.tx.query('insert into traffic_defect_history (defect_id, at, actor, from_status, to_status, note) values ($1, $2, $3, $4, $5, $6)', [
        r.id,
        now,
        actor.name,
        old.status,
        r.status,
        p.note ?? null,
      ]);
    }
    const fields = (Object.keys(p) as (keyof DefectPatch)[]).filter((k) => p[k] !== undefined);
    await uow.emit({ subject: DEFECT_UPDATED, key: r.id, jurisdiction: r.kato, permission: 'traffic:read', data: changed(r, uow.now) });
    await uow.audit({ action: 'defect.updated', entity: 'defect', entityId: r.id, jurisdiction: r.kato, data: { fields, from: old.status, to: r.status } });
    return r;
  });
}

// ---- overdue ----------------------------------------------------------------------------------------------------

const ACTOR = 'system:traffic.defects';

/**
 * Alerts on defects past their deadline (once per deadline): `traffic.defect.overdue` on the live stream for the
 * traffic officers of the place, and — when the severity is at or above TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY
 * (default critical: an open manhole, a dark traffic light) — a dispatch `road-defect` incident at the defect, so
 * a patrol secures the place until the road owner fixes it. Lesser overdue defects are the road owner's business,
 * not the ops centre's. Safe on several processes: the incident is idempotent per (defect, deadline) and the
 * alert mark is set once.
 */
export async function runOverdueCheck(kernel: Kernel): Promise<number> {
  const s = roadSettings(kernel).defect;
  const now = kernel.clock.now();
  const rows = await kernel.db.query<DefectRow>(
    `select * from traffic_defect where status in ('open', 'in_progress') and overdue_alerted_at is null and deadline < $1 order by deadline limit 500`,
    [now.toISOString()],
  );
  let alerted = 0;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const alerts = overdueAlerts(
    rows.map((r) => ({ id: r.id, status: r.status, severity: r.severity, deadline: new Date(r.deadline), overdueAlertedAt: r.overdue_alerted_at })),
    now,
    s.incidentSeverity,
  );
  for (const a of alerts) {
    const d = byId.get(a.id);
    if (!d) continue;
    const deadline = new Date(d.deadline).toISOString();
    let incidentId: string | null = null;
    if (a.incident) {
      const raised = await raiseIncident(kernel, {
        source: 'traffic',
        category: 'road-defect',
        location: { lon: d.lon, lat: d.lat },
        address: d.address,
        description: t('ru', 'traffic.defect.incident_overdue', { type: t('ru', `traffic.defect.type.${d.type}`), severity: d.severity, deadline, org: d.responsible_org ?? '—' }),
        externalRef: `defect-overdue:${d.id}:${deadline}`,
      });
      incidentId = raised.incidentId;
    }
    const done = await kernel.commands.run({ actor: ACTOR }, async (uow) => {
      const [r] = await uow.tx.query<DefectRow>(
        `update traffic_defect set overdue_alerted_at = $2, incident_id = coalesce($3, incident_id)
         where id = $1 and overdue_alerted_at is null and deadline = $4 and status in ('open', 'in_progress') returning *`,
        [d.id, uow.now.toISOString(), incidentId, deadline],
      );
      if (!r) return false;
      const data: DefectOverdue = {
        defectId: r.id,
        type: r.type,
        severity: r.severity,
        status: r.status,
        location: { lon: r.lon, lat: r.lat },
        kato: r.kato,
        deadline,
        responsibleOrg: r.responsible_org,
        incidentId,
        at: uow.now.toISOString(),
      };
      await uow.emit({ subject: DEFECT_OVERDUE, key: r.id, jurisdiction: r.kato, permission: 'traffic:read', data });
      await uow.audit({ action: 'defect.overdue', entity: 'defect', entityId: r.id, jurisdiction: r.kato, data: { deadline, incidentId } });
      return true;
    });
    if (done) alerted++;
  }
  return alerted;
}

// ---- citizens' reports ------------------------------------------------------------------------------------------

export const DEFECT_INTAKE_GROUP = 'traffic.defect-intake';
const INTAKE_ACTOR = 'system:traffic.defect-intake';

/** A citizen's report as `reports` publishes it, with its Open311 attributes (road-defect's `defect_type`). */
const CitizenReport = ReportSubmitted;

/** The KATO of each point (district, else region; null outside Kazakhstan), as `katoOf` gives it, in one query. */
async function katosOf(q: Queryable, points: readonly { lon: number; lat: number }[]): Promise<(string | null)[]> {
  if (points.length === 0) return [];
  const rows = await q.query<{ n: number; kato: string; level: string }>(
    `select p.n, a.kato, a.level from unnest($1::float8[], $2::float8[]) with ordinality as p(lon, lat, n)
     join kernel_geo_area a on ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))`,
    [points.map((p) => p.lon), points.map((p) => p.lat)],
  );
  const region = new Map<number, string>();
  const district = new Map<number, string>();
  for (const r of rows) {
    const n = Number(r.n);
    if (r.level === 'district' && !district.has(n)) district.set(n, r.kato);
    if (r.level === 'region' && !region.has(n)) region.set(n, r.kato);
  }
  return points.map((_, i) => district.get(i + 1) ?? region.get(i + 1) ?? null);
}

/**
 * `reports.report.submitted` of category `road-defect` → a defect (source `citizen`), exactly once per event. The
 * type is the citizen's `defect_type` attribute (`other` when not given); the
 * severity follows the type where it implies one (an open manhole is critical), else the configured default. A
 * duplicate report joins the defect of the earlier report (stored already, or earlier in the same batch). The photo
 * is the report's first file, served to staff holding `reports:read` by the reports module.
 *
 * A batch is one command (one transaction): the inbox marks of its road-defect reports (reports of other
 * categories, and malformed events, leave no trace: handling them again does nothing either), then a few set-based
 * statements whatever the batch's size — the places of reports without a KATO, the reports already linked and the
 * defects of their originals, the new defects, their history, the report links — and the events and audit records,
 * each kind in one insert. Reports are decided in order, so the batch ends as handling them one by one would.
 */
export async function handleCitizenReports(events: BusEvent[], kernel: Kernel): Promise<void> {
  const relevant: { event: BusEvent; report: ReportSubmitted }[] = [];
  for (const event of events) {
    const parsed = CitizenReport.safeParse(event.data);
    if (!parsed.success) {
      kernel.log.error({ eventId: event.id, issues: parsed.error.issues }, 'traffic: malformed reports.report.submitted ignored');
      continue;
    }
    if (parsed.data.category === 'road-defect') relevant.push({ event, report: parsed.data });
  }
  if (relevant.length === 0) return;
  const s = roadSettings(kernel).defect;
  await kernel.commands.run({ actor: INTAKE_ACTOR }, async (uow) => {
    const reportOf = new Map(relevant.map((x) => [x.event, x.report]));
    const fresh = await markHandled(uow.tx, DEFECT_INTAKE_GROUP, relevant.map((x) => x.event));
    const reports = fresh.flatMap((e) => reportOf.get(e) ?? []);
    if (reports.length === 0) return;
    const unplaced = reports.filter((r) => r.kato === null);
    const placed = await katosOf(uow.tx, unplaced.map((r) => r.location));
    const katoByReport = new Map(unplaced.map((r, i) => [r, placed[i]]));
    const kato = (r: ReportSubmitted) => r.kato ?? katoByReport.get(r) ?? null;

    // The defect holding each report this batch may ask about (the reports themselves and their originals).
    const asked = [...new Set(reports.flatMap((r) => (r.duplicateOf ? [r.reportId, r.duplicateOf] : [r.reportId])))];
    const linked = await uow.tx.query<{ report_id: string; defect_id: string }>('select report_id, defect_id from traffic_defect_report where report_id = any($1::text[])', [asked]);
    const holderOf = new Map(linked.map((l) => [l.report_id, l.defect_id]));

    const created: (NewDefect & { id: string; deadline: Date })[] = [];
    /** In the order one by one would have written them. */
    const links: { reportId: string; defectId: string }[] = [];
    const history: { defectId: string; created: boolean; note: string | null }[] = [];
    const notes: ({ kind: 'created'; id: string } | { kind: 'attached'; defectId: string; reportId: string; kato: string | null })[] = [];
    for (const r of reports) {
      if (holderOf.has(r.reportId)) continue; // handled before (under another event id), or twice in this batch
      const holder = r.duplicateOf ? holderOf.get(r.duplicateOf) : undefined;
      if (holder) {
        holderOf.set(r.reportId, holder);
        links.push({ reportId: r.reportId, defectId: holder });
        history.push({ defectId: holder, created: false, note: `report ${r.reportId}` });
        notes.push({ kind: 'attached', defectId: holder, reportId: r.reportId, kato: kato(r) });
        continue;
      }
      const given = r.attributes?.defect_type;
      const type: DefectType = (typeof given === 'string' && CITIZEN_TYPE[given]) || 'other';
      const severity = CITIZEN_SEVERITY_BY_TYPE[type] ?? s.citizenSeverity;
      const id = newId();
      created.push({
        id,
        type,
        severity,
        location: r.location,
        kato: kato(r),
        address: r.address,
        road: null,
        description: r.description,
        photo: r.mediaCount > 0 ? { url: `/api/v1/reports/${r.reportId}/media/0` } : null,
        responsibleOrg: null,
        deadline: deadlineFor(severity, new Date(r.submittedAt), s.deadlineH),
        source: 'citizen',
        inspectionId: null,
        reportId: r.reportId,
      });
      holderOf.set(r.reportId, id);
      history.push({ defectId: id, created: true, note: null });
      links.push({ reportId: r.reportId, defectId: id });
      notes.push({ kind: 'created', id });
    }
    if (links.length === 0) return;

    const now = uow.now.toISOString();
    const rows =
      created.length === 0
        ? []
        : await uow.tx.query<DefectRow>(
            `insert into traffic_defect (id, type, severity, status, lon, lat, geom, kato, address, road_name, road_code, national_road, description,
               photo_url, photo_sha256, responsible_org, deadline, source, inspection_id, report_id, rules_version, created_by, created_at, updated_at)
             select d.id, d.type, d.severity, 'open', d.lon, d.lat, ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326)::geography, d.kato, d.address,
               null, null, null, d.description, d.photo_url, null, d.responsible_org, d.deadline, 'citizen', null, d.report_id, $12, $13, $14, $14
             from unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $15::text[])
               with ordinality as d(id, type, severity, lon, lat, kato, address, description, photo_url, responsible_org, deadline, report_id, n)
             order by d.n
             returning *`,
            [
              created.map((d) => d.id),
              created.map((d) => d.type),
              created.map((d) => d.severity),
              created.map((d) => d.location.lon),
              created.map((d) => d.location.lat),
              created.map((d) => d.kato),
              created.map((d) => d.address),
              created.map((d) => d.description),
              created.map((d) => d.photo?.url ?? null),
              // A citizen's defect has no road, so no national road organisation: unassigned until staff set one.
              created.map((d) => d.responsibleOrg),
              created.map((d) => d.deadline.toISOString()),
              ROADS_RULES_VERSION,
              INTAKE_ACTOR,
              now,
              created.map((d) => d.reportId),
            ],
          );
    // First entries (null → open) and attachments (status → status, noting the report), in order.
    await uow.tx.query(
      `insert into traffic_defect_history (defect_id, at, actor, from_status, to_status, note)
       select h.defect_id, $4, $5, case when h.created then null else d.status end, d.status, h.note
       from unnest($1::uuid[], $2::bool[], $3::text[]) with ordinality as h(defect_id, created, note, n)
       join traffic_defect d on d.id = h.defect_id
       order by h.n`,
      [history.map((h) => h.defectId), history.map((h) => h.created), history.map((h) => h.note), now, INTAKE_ACTOR],
    );
    await uow.tx.query(
      `insert into traffic_defect_report (report_id, defect_id, attached_at)
       select l.report_id, l.defect_id, $3 from unnest($1::text[], $2::uuid[]) with ordinality as l(report_id, defect_id, n) order by l.n`,
      [links.map((l) => l.reportId), links.map((l) => l.defectId), now],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const n of notes) {
      if (n.kind === 'attached') {
        await uow.audit({ action: 'defect.report_attached', entity: 'defect', entityId: n.defectId, jurisdiction: n.kato, data: { reportId: n.reportId } });
        continue;
      }
      const r = byId.get(n.id);
      if (!r) throw new Error(`defect ${n.id} was not stored`);
      await uow.emit({ subject: DEFECT_CREATED, key: r.id, jurisdiction: r.kato, permission: 'traffic:read', data: changed(r, uow.now) });
      await uow.audit({ action: 'defect.created', entity: 'defect', entityId: r.id, jurisdiction: r.kato, data: { type: r.type, severity: r.severity, source: r.source, reportId: r.report_id } });
    }
  });
}

export const citizenDefects: Subscriber = { subject: REPORT_SUBMITTED, group: DEFECT_INTAKE_GROUP, handleBatch: handleCitizenReports };
