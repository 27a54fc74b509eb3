import { useState } from 'react';
import { dispatchApi, type Recommendation } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDistance, formatEta } from '../../lib/format.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';
import { codeLabel } from './Badges.tsx';

interface Props {
  incidentId: string;
  /** Whether the incident can still take a unit. */
  open: boolean;
  onDispatched: (callSign: string) => void;
}

/** «Recommend» → ranked available units → «Dispatch» on a row: two clicks from a new incident to a unit sent. */
export function Recommendations({ incidentId, open, onDispatched }: Props) {
  const { t, lang } = useLang();
  const [items, setItems] = useState<Recommendation[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [sending, setSending] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function recommend() {
    setLoading(true);
    setError(null);
    try {
      setItems(await dispatchApi.recommendations(incidentId));
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }

  async function send(r: Recommendation) {
    setSending(r.unitId);
    setError(null);
    try {
      await dispatchApi.assign(incidentId, r.unitId, r.rank, uuid());
      setItems(null);
      onDispatched(r.callSign);
    } catch (e) {
      setError(e);
    } finally {
      setSending(null);
    }
  }

  return (
    <section className="recommendations" aria-labelledby="rec-title">
      <div className="section-head">
        <h3 id="rec-title">{t('ops.recommendations')}</h3>
        <button type="button" className="primary" onClick={recommend} disabled={loading || !open} data-testid="recommend">
          {loading ? t('page.loading') : t('ops.recommend')}
        </button>
      </div>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {items && items.length === 0 && <p className="muted">{t('ops.noRecommendations')}</p>}
      {items && items.length > 0 && (
        <ol className="rec-list" data-testid="recommendations" aria-label={t('ops.recommendations')}>
          {items.map((r) => (
            <li key={r.unitId} className="rec" data-unit={r.unitId} data-call-sign={r.callSign} data-rank={r.rank}>
              <span className="rec-rank" title={t('ops.rank')}>
                {r.rank}
              </span>
              <span className="rec-unit">
                <strong>{r.callSign}</strong>
                {r.type && <span className="muted small"> {codeLabel(t, 'utype', r.type)}</span>}
              </span>
              <span className="rec-eta" title={`${t('ops.eta')} · ${t('ops.distance')} · ${t('ops.method')}`}>
                <strong data-testid="eta">{formatEta(r.etaSeconds, lang)}</strong>
                <span className="muted small">
                  {formatDistance(r.distanceMeters, lang)} · {codeLabel(t, 'method', r.method)}
                </span>
              </span>
              <button
                type="button"
                className="primary"
                disabled={sending !== null}
                onClick={() => void send(r)}
                data-testid="dispatch-unit"
              >
                {sending === r.unitId ? t('ops.dispatching') : t('ops.dispatch')}
              </button>
              {r.reason && <span className="rec-reason muted small">{r.reason}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
