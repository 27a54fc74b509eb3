import { useEffect, useRef } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { beep } from '../../lib/beep.ts';
import type { Alert, Unit } from '../../lib/dispatch.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { useInterval } from '../../lib/useInterval.ts';

/** While a panic is unanswered the console sounds again this often. */
export const PANIC_REPEAT_MS = 10_000;

interface Props {
  /** Open panic alerts. */
  panics: Alert[];
  units: Unit[];
  onOpen: (incidentId: string) => void;
  onAcknowledge: (alertId: string) => void;
}

/**
 * A red banner per panic alarm until an operator acknowledges it (the acknowledgement is recorded). It sounds when a
 * panic first shows — however it reached the console: the live stream, a poll, a reload — and again every
 * `PANIC_REPEAT_MS` while any is unanswered: an operator who stepped away at 3 a.m. hears it when they come back.
 */
export function PanicBanner({ panics, units, onOpen, onAcknowledge }: Props) {
  const { t, lang } = useLang();
  const heard = useRef(new Set<string>());
  useEffect(() => {
    const fresh = panics.filter((p) => !heard.current.has(p.id));
    for (const p of fresh) heard.current.add(p.id);
    if (fresh.length > 0) beep(6);
  }, [panics]);
  useInterval(() => {
    if (panics.length > 0) beep(3);
  }, panics.length > 0 ? PANIC_REPEAT_MS : null);
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
            {p.escalatedAt && (
              <span className="small" data-testid="panic-escalated">
                {t('ops.escalated')}
              </span>
            )}
            {p.positionUnknown && (
              <span className="small" data-testid="panic-no-position">
                {t('ops.panicNoPosition')}
              </span>
            )}
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
