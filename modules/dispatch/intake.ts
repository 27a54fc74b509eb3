import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { Subscriber } from '../../packages/kernel/src/module.ts';
import type { UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { REPORT_SUBMITTED, ReportSubmitted } from '../reports/events.ts';
import type { DispatchSettings } from './config/settings.ts';
import { haversineM } from './domain/eta.ts';
import { runtime } from './runtime.ts';
import { attachReportIn, createIncidentsIn, type NewIncident, survivorOf } from './service.ts';
import type { IncidentRow } from './store.ts';

/**
 * `reports.report.submitted` → an incident (RECEIVED → TRIAGED with the report's priority), in the same transaction
 * as the report itself: a report the citizen was told is stored always has its incident, and the console sees both
 * at once. A duplicate report (`duplicateOf`) joins the incident holding the earlier report (followed through
 * merges) and that incident's IncidentChanged — with the new report among `reportIds` — tells its reporter.
 * A reaction (see the kernel's outbox.ts), not a bus consumer: it runs once per emitted event by construction, so it
 * keeps no inbox; if it fails, the report is refused with it and nothing is stored.
 */
export const REPORT_INTAKE = 'dispatch.report-intake';

/**
 * The reports a command submitted, in the order it submitted them: new incidents (a few statements for all of
 * them), attachments of duplicates, audit records and events. A duplicate's original is either stored already or
 * earlier in the same command.
 */
export async function incidentsFromReports(uow: UnitOfWork, events: BusEvent[], kernel: Kernel): Promise<void> {
  const actor = `system:${REPORT_INTAKE}`;
  const reports: ReportSubmitted[] = [];
  for (const event of events) {
    const parsed = ReportSubmitted.safeParse(event.data);
    // An event that breaks the contract is a bug in the emitter: it fails the command rather than lose a report.
    if (!parsed.success) {
      kernel.log.error({ eventId: event.id, issues: parsed.error.issues }, 'dispatch: malformed reports.report.submitted');
      throw new Error(`dispatch: malformed reports.report.submitted ${event.id}`);
    }
    reports.push(parsed.data);
  }
  let pending: NewIncident[] = [];
  const flush = async () => {
    await createIncidentsIn(uow, actor, pending);
    pending = [];
  };
  const joining = await openIncidentsNear(uow, reports, runtime(kernel).settings);
  for (const r of reports) {
    const near = joining.get(r.reportId);
    if (near) {
      // Nobody had reported it yet, but an operator took the call, a camera saw it, or a crew pressed panic there.
      await attachReportIn(uow, actor, near, r.reportId);
      continue;
    }
    if (r.duplicateOf) {
      // Its original may be waiting in this command: create those first, so there is an incident to join.
      if (pending.some((p) => p.reportIds?.includes(r.duplicateOf as string))) await flush();
      const [holder] = await uow.tx.query<{ incident_id: string }>('select incident_id from dispatch_incident_report where report_id = $1', [r.duplicateOf]);
      if (holder) {
        const inc = await survivorOf(uow.tx, holder.incident_id);
        await attachReportIn(uow, actor, inc, r.reportId);
        continue;
      }
      // The earlier report has no incident (stored before dispatch existed): the duplicate still gets one.
      kernel.log.warn({ reportId: r.reportId, duplicateOf: r.duplicateOf }, 'dispatch: duplicate of a report without an incident; new incident');
    }
    pending.push({
      category: r.category,
      priority: r.priority,
      location: r.location,
      locationPrecision: r.locationPrecision,
      description: r.description,
      address: r.address,
      source: 'report',
      externalRef: r.reportId,
      kato: r.kato,
      reportIds: [r.reportId],
    });
  }
  await flush();
}

/**
 * For each report that joins no earlier report (no `duplicateOf`) and whose place is exact (a point or a house): the
 * first received open incident of its category within `joinRadiusM`, received within `joinWindowMin`, whose own place
 * is exact. Reports' duplicate rule covers reports; this covers incidents no report made — a 102 call, a camera, a
 * panic — and one an operator has placed since. One statement for the whole batch (open incidents by category and
 * latitude band, migration 0004); the distance is checked here.
 */
async function openIncidentsNear(uow: UnitOfWork, reports: readonly ReportSubmitted[], settings: DispatchSettings): Promise<Map<string, IncidentRow>> {
  const out = new Map<string, IncidentRow>();
  const seeking = reports.filter((r) => !r.duplicateOf && isExactPlace(r.locationPrecision));
  if (seeking.length === 0 || settings.joinRadiusM <= 0) return out;
  const dLat = settings.joinRadiusM / 111_000;
  const rows = await uow.tx.query<IncidentRow & { n: number }>(
    // Each report's lookup is its own parameterised scan of the partial index (`offset 0` keeps it so, whatever the
    // statistics say: a join planned over every open incident cost more than the rest of the report's statements).
    `select u.n, i.* from unnest($1::float8[], $2::float8[], $3::text[]) with ordinality as u(lon, lat, category, n)
     cross join lateral (
       select * from dispatch_incident
       where category = u.category and lat between u.lat - $4 and u.lat + $4
         and status in ('RECEIVED', 'TRIAGED', 'PENDING', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE') and location_precision in ('point', 'house')
         and received_at >= $5::timestamptz
       offset 0) i
     order by u.n, i.received_at, i.id`,
    [seeking.map((r) => r.location.lon), seeking.map((r) => r.location.lat), seeking.map((r) => r.category), dLat, new Date(uow.now.getTime() - settings.joinWindowMin * 60_000).toISOString()],
  );
  for (const row of rows) {
    const r = seeking[Number(row.n) - 1];
    if (out.has(r.reportId)) continue;
    if (haversineM(r.location, { lon: row.lon, lat: row.lat }) <= settings.joinRadiusM) out.set(r.reportId, row);
  }
  return out;
}

const isExactPlace = (p: ReportSubmitted['locationPrecision']) => p === 'point' || p === 'house';

export const reportIntake: Subscriber = { subject: REPORT_SUBMITTED, group: REPORT_INTAKE, react: incidentsFromReports };
