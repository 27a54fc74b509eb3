import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { handleOnce } from '../../packages/kernel/src/outbox.ts';
import { REPORT_SUBMITTED, ReportSubmitted } from '../reports/events.ts';
import { attachReportIn, createIncidentIn, survivorOf } from './service.ts';

/**
 * `reports.report.submitted` → an incident (RECEIVED → TRIAGED with the report's priority). A duplicate report
 * (`duplicateOf`) joins the incident holding the earlier report (followed through merges) and that incident's
 * IncidentChanged — with the new report among `reportIds` — tells its reporter. Exactly one effect per event:
 * `handleOnce` records the event in the same transaction as the incident, its audit record and its events.
 */
export const REPORT_INTAKE_GROUP = 'dispatch.report-intake';
const ACTOR = 'system:dispatch.report-intake';

export async function handleReportSubmitted(event: BusEvent, kernel: Kernel): Promise<void> {
  const parsed = ReportSubmitted.safeParse(event.data);
  if (!parsed.success) {
    // A malformed event would fail forever; it is logged for people to look at and acknowledged.
    kernel.log.error({ eventId: event.id, issues: parsed.error.issues }, 'dispatch: malformed reports.report.submitted ignored');
    return;
  }
  const r = parsed.data;
  await kernel.commands.run({ actor: ACTOR }, async (uow) => {
    // handleOnce on the command's own transaction: inbox mark, incident, audit and outbox commit together.
    const inTx = { transaction: <T>(fn: (tx: typeof uow.tx) => Promise<T>) => fn(uow.tx) } as unknown as Db;
    await handleOnce(inTx, REPORT_INTAKE_GROUP, event, async () => {
      const already = await uow.tx.query('select 1 from dispatch_incident_report where report_id = $1', [r.reportId]);
      if (already.length > 0) return;
      if (r.duplicateOf) {
        const [holder] = await uow.tx.query<{ incident_id: string }>('select incident_id from dispatch_incident_report where report_id = $1', [r.duplicateOf]);
        if (holder) {
          const inc = await survivorOf(uow.tx, holder.incident_id);
          await attachReportIn(uow, ACTOR, inc, r.reportId);
          return;
        }
        // The earlier report has no incident here (yet): the duplicate still gets one rather than being lost.
        kernel.log.warn({ reportId: r.reportId, duplicateOf: r.duplicateOf }, 'dispatch: duplicate of a report without an incident; new incident');
      }
      await createIncidentIn(uow, ACTOR, {
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
    });
  });
}

export const reportIntake = { subject: REPORT_SUBMITTED, group: REPORT_INTAKE_GROUP, handle: handleReportSubmitted };
