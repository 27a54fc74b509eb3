import { Icon } from '../../components/Icon.tsx';
import type { Alert, Unit } from '../../lib/dispatch.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';

interface Props {
  /** Open panic alerts. */
  panics: Alert[];
  units: Unit[];
  onOpen: (incidentId: string) => void;
  onAcknowledge: (alertId: string) => void;
}

/** A red banner per panic alarm until an operator acknowledges it (the acknowledgement is recorded). */
export function PanicBanner({ panics, units, onOpen, onAcknowledge }: Props) {
  const { t, lang } = useLang();
  if (panics.length === 0) return null;
  return (
    <div className="panic-banner" role="alert" data-testid="panic-banner">
      {panics.map((p) => {
        const unit = p.callSign ?? units.find((u) => u.id === p.unitId)?.callSign ?? p.unitId ?? '?';
        return (
          <div key={p.id} className="panic-row" data-alert={p.id}>
            <strong>
              <Icon name="alarm" /> {t('ops.panic', { unit })}
            </strong>
            {p.raisedAt && <span className="small">{formatDateTime(p.raisedAt, lang)}</span>}
            {p.incidentId && (
              <button type="button" onClick={() => onOpen(p.incidentId!)}>
                {t('ops.openIncident')}
              </button>
            )}
            <button type="button" onClick={() => onAcknowledge(p.id)}>
              {t('ops.acknowledge')}
            </button>
          </div>
        );
      })}
    </div>
  );
}
