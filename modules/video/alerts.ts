import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { raiseIncident } from '../dispatch/index.ts';
import { ALERT_DECIDED } from './events.ts';

/**
 * Alerts: the operator confirms or rejects. A confirmed face match, abandoned object or Frigate review alert becomes
 * a dispatch incident at the camera (dispatch's `raiseIncident`, idempotent per `video-alert:<id>`, so a retried
 * confirmation never makes a second incident). A confirmed camera_silent alert is an acknowledgement: no incident.
 */

export interface AlertRow {
  id: string;
  kind: 'camera_silent' | 'face_match' | 'abandoned_object' | 'review';
  camera_id: string;
  event_id: string | null;
  entry_id: string | null;
  score: number | null;
  snapshot: string | null;
  details: Record<string, unknown>;
  kato: string | null;
  condition: string;
  status: 'open' | 'confirmed' | 'rejected';
  raised_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  incident_id: string | null;
}

export type AlertView = AlertRow & { camera_code: string; camera_name: string; lon: number; lat: number };

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export function presentAlert(a: AlertView) {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    camera: { id: a.camera_id, code: a.camera_code, name: a.camera_name, location: { lon: a.lon, lat: a.lat } },
    kato: a.kato,
    eventId: a.event_id,
    score: a.score,
    snapshot: a.snapshot,
    details: a.details,
    raisedAt: iso(a.raised_at) as string,
    decidedBy: a.decided_by,
    decidedAt: iso(a.decided_at),
    decisionNote: a.decision_note,
    incidentId: a.incident_id,
  };
}

export const ALERT_SELECT = `select a.*, c.code as camera_code, c.name as camera_name, c.lon, c.lat from video_alert a join video_camera c on c.id = a.camera_id`;

export async function getAlert(kernel: Kernel, id: string): Promise<AlertView | null> {
  const [a] = await kernel.db.query<AlertView>(`${ALERT_SELECT} where a.id = $1`, [id]);
  return a ?? null;
}

const INCIDENT_OF: Record<Exclude<AlertRow['kind'], 'camera_silent'>, { category: string; priority: 'P1' | 'P2' }> = {
  face_match: { category: 'camera-alert', priority: 'P2' },
  abandoned_object: { category: 'suspicious-object', priority: 'P1' },
  review: { category: 'camera-alert', priority: 'P2' },
};

const DESCRIPTION: Record<AlertRow['kind'], string> = {
  camera_silent: 'Camera silent',
  face_match: 'Face matched a watchlist entry (confirmed by the operator)',
  abandoned_object: 'Abandoned object',
  review: 'Camera analytics alert',
};

/**
 * Confirms or rejects an open alert. `jurisdictions` null = the system (a zone rule's automatic incident).
 * Confirming raises the incident first (idempotent), then records the decision with its id.
 */
export async function decideAlert(kernel: Kernel, ctx: CommandContext, jurisdictions: string[] | null, id: string, decision: 'confirm' | 'reject', note?: string | null) {
  const a = await getAlert(kernel, id);
  if (!a) throw Problem.notFound();
  if (jurisdictions && !covers(jurisdictions, a.kato)) throw new Problem('outside_jurisdiction');
  if (a.status !== 'open') throw new Problem('video.already_decided', { status: a.status, by: a.decided_by ?? '' }, [], 409);
  let incidentId: string | null = null;
  if (decision === 'confirm' && a.kind !== 'camera_silent') {
    const how = INCIDENT_OF[a.kind];
    const raised = await raiseIncident(
      kernel,
      {
        source: 'camera',
        category: how.category,
        priority: how.priority,
        location: { lon: a.lon, lat: a.lat },
        description: `${DESCRIPTION[a.kind]} — ${a.camera_name} (${a.camera_code})${note ? `: ${note}` : ''}`,
        externalRef: `video-alert:${a.id}`,
      },
      ctx,
    );
    incidentId = raised.incidentId;
  }
  return kernel.commands.run(ctx, async (uow) => {
    const [row] = await uow.tx.query<AlertRow>(
      `update video_alert set status = $2, decided_by = $3, decided_at = $4, decision_note = $5, incident_id = $6 where id = $1 and status = 'open' returning *`,
      [a.id, decision === 'confirm' ? 'confirmed' : 'rejected', ctx.actor, uow.now.toISOString(), note ?? null, incidentId],
    );
    if (!row) {
      const [now] = await uow.tx.query<AlertRow>('select * from video_alert where id = $1', [a.id]);
      throw new Problem('video.already_decided', { status: now.status, by: now.decided_by ?? '' }, [], 409);
    }
    await uow.audit({ action: `alert.${row.status}`, entity: 'video_alert', entityId: a.id, jurisdiction: a.kato, data: { kind: a.kind, incidentId, note: note ?? null } });
    await uow.emit({
      subject: ALERT_DECIDED,
      key: a.camera_id,
      permission: 'video:read',
      jurisdiction: a.kato,
      data: { alertId: a.id, kind: a.kind, status: row.status, incidentId, by: ctx.actor, at: uow.now.toISOString() },
    });
    return { ...a, ...row };
  });
}
