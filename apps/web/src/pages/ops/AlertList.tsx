import { useEffect, useRef } from 'react';
import { beep } from '../../lib/beep.ts';
import type { Alert, Unit } from '../../lib/dispatch.ts';
import { formatAgo } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { codeLabel } from './Badges.tsx';

interface Props {
  /** Open alerts other than panics (SLA and safety timers). */
  alerts: Alert[];
  units: Unit[];
  now: number;
  onOpen: (incidentId: string) => void;
  onAcknowledge: (alertId: string) => void;
}

/**
 * Timers that ran out: no unit sent in time, no acknowledgement, not on scene in time, a unit fell silent. A new one
 * sounds (two short beeps; softer than a panic), and again when it is escalated to the supervisors unanswered.
 */
export function AlertList({ alerts, units, now, onOpen, onAcknowledge }: Props) {
  const { t } = useLang();
  const heard = useRef(new Set<string>());
  useEffect(() => {
    let fresh = 0;
    let escalated = 0;
    for (const a of alerts) {
      const key = a.escalatedAt ? `${a.id}:escalated` : a.id;
      if (heard.current.has(key)) continue;
      heard.current.add(key);
      if (a.escalatedAt) escalated++;
      else fresh++;
    }
    if (escalated > 0) beep(3);
    else if (fresh > 0) beep(2);
  }, [alerts]);
  if (alerts.length === 0) return null;
  return (
    <section className="ops-alerts" aria-labelledby="ops-alerts-title">
      <h2 id="ops-alerts-title">{t('ops.alerts', { count: alerts.length })}</h2>
      <ul data-testid="alert-list">
        {alerts.map((a) => {
          const unit = a.callSign ?? units.find((u) => u.id === a.unitId)?.callSign ?? null;
          return (
            <li key={a.id} data-kind={a.kind} data-escalated={a.escalatedAt ? 'true' : undefined}>
              <span className="alert-kind">{codeLabel(t, 'alert', a.kind)}</span>
              {a.escalatedAt && <span className="badge flag"> {t('ops.escalated')}</span>}
              {unit && <span> · {unit}</span>}
              <span className="muted small"> · {formatAgo(a.raisedAt, now, t)}</span>
              <span className="alert-actions">
                {a.incidentId && (
                  <button type="button" className="link" onClick={() => onOpen(a.incidentId!)}>
                    {t('ops.openIncident')}
                  </button>
                )}
                <button type="button" className="link" onClick={() => onAcknowledge(a.id)}>
                  {t('ops.acknowledge')}
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
