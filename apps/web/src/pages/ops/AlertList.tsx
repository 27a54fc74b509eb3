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

/** Timers that ran out: no unit sent in time, no acknowledgement, not on scene in time, a unit fell silent. */
export function AlertList({ alerts, units, now, onOpen, onAcknowledge }: Props) {
  const { t } = useLang();
  if (alerts.length === 0) return null;
  return (
    <section className="ops-alerts" aria-labelledby="ops-alerts-title">
      <h2 id="ops-alerts-title">{t('ops.alerts', { count: alerts.length })}</h2>
      <ul data-testid="alert-list">
        {alerts.map((a) => {
          const unit = a.callSign ?? units.find((u) => u.id === a.unitId)?.callSign ?? null;
          return (
            <li key={a.id} data-kind={a.kind}>
              <span className="alert-kind">{codeLabel(t, 'alert', a.kind)}</span>
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
