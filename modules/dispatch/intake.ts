import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { markHandled } from '../../packages/kernel/src/outbox.ts';
import { REPORT_SUBMITTED, ReportSubmitted } from '../reports/events.ts';
import { attachReportIn, createIncidentsIn, type NewIncident, survivorOf } from './service.ts';

/**
 * `reports.report.submitted` → an incident (RECEIVED → TRIAGED with the report's priority). A duplicate report
 * (`duplicateOf`) joins the incident holding the earlier report (followed through merges) and that incident's
 * IncidentChanged — with the new report among `reportIds` — tells its reporter. Exactly one effect per event:
 * `handleOnce` records the event in the same transaction as the incident, its audit record and its events.
 */
export const REPORT_INTAKE_GROUP = 'dispatch.report-intake';
const ACTOR = 'system:dispatch.report-intake';

/**
 * A batch of `reports.report.submitted` in one transaction: inbox marks, incidents (a few statements for all of
 * them), attachments of duplicates, audit records and events. Reports arrive in order, so a duplicate's
 * original is either stored already or earlier in the same batch.
 */
export async function handleReportsSubmitted(events: BusEvent[], kernel: Kernel): Promise<void> {
  await kernel.commands.run({ actor: ACTOR }, async (uow) => {
    const fresh = await markHandled(uow.tx, REPORT_INTAKE_GROUP, events);
    const reports: ReportSubmitted[] = [];
    for (const event of fresh) {
      const parsed = ReportSubmitted.safeParse(event.data);
      // A malformed event would fail forever; it is logged for people to look at and acknowledged.
      if (parsed.success) reports.push(parsed.data);
      else kernel.log.error({ eventId: event.id, issues: parsed.error.issues }, 'dispatch: malformed reports.report.submitted ignored');
    }
    if (reports.length === 0) return;
    const known = await uow.tx.query<{ report_id: string }>('select report_id from dispatch_incident_report where report_id = any($1::text[])', [
      reports.map((r) => r.reportId),
    ]);
    const seen = new Set(known.map((k) => k.report_id));
    let pending: NewIncident[] = [];
    const flush = async () => {
      await createIncidentsIn(uow, ACTOR, pending);
      pending = [];
    };
    for (const r of reports) {
      if (seen.has(r.reportId)) continue;
      seen.add(r.reportId);
      if (r.duplicateOf) {
        // Its original may be waiting in this batch: create those first, so there is an incident to join.
        if (pending.some((p) => p.reportIds?.includes(r.duplicateOf as string))) await flush();
        const [holder] = await uow.tx.query<{ incident_id: string }>('select incident_id from dispatch_incident_report where report_id = $1', [r.duplicateOf]);
        if (holder) {
          const inc = await survivorOf(uow.tx, holder.incident_id);
          await attachReportIn(uow, ACTOR, inc, r.reportId);
          continue;
        }
        // The earlier report has no incident here (yet): the duplicate still gets one rather than being lost.
        kernel.log.warn({ reportId: r.reportId, duplicateOf: r.duplicateOf }, 'dispatch: duplicate of a report without an incident; new incident');
      }
      pending.push({
        category: r.category,
        priority: r.priority,
        location: r.location,
        description: r.description,
        address: r.address,
        source: 'report',
        externalRef: r.reportId,
        kato: r.kato,
        reportIds: [r.reportId],
      });
    }
    await flush();
  });
}

export const reportIntake = { subject: REPORT_SUBMITTED, group: REPORT_INTAKE_GROUP, handleBatch: handleReportsSubmitted };
