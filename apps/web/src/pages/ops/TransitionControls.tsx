import { useState } from 'react';
import { dispatchApi, type IncidentSummary, WAITING_STATUSES } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';

type Action = 'CLOSED' | 'CLEARED' | 'CANCELLED' | 'MERGED';

/** The operator's manual steps in each status (the server's lifecycle refuses anything else with a 409). */
export function actionsFor(status: string): Action[] {
  if (WAITING_STATUSES.includes(status)) return ['CANCELLED', 'MERGED'];
  if (status === 'DISPATCHED' || status === 'EN_ROUTE') return ['CANCELLED'];
  if (status === 'ON_SCENE') return ['CLEARED'];
  if (status === 'CLEARED') return ['CLOSED'];
  return [];
}

const LABEL = { CLOSED: 'ops.close', CLEARED: 'ops.clear', CANCELLED: 'ops.cancel', MERGED: 'ops.merge' } as const;

interface Props {
  incident: IncidentSummary;
  /** Other open incidents, candidates to merge this one into. */
  others: IncidentSummary[];
  onDone: () => void;
}

/** Close, clear, cancel, or merge into another incident, with an optional note. */
export function TransitionControls({ incident, others, onDone }: Props) {
  const { t } = useLang();
  const [note, setNote] = useState('');
  const [into, setInto] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const actions = actionsFor(incident.status);
  if (actions.length === 0) return null;

  async function go(to: Action) {
    setBusy(true);
    setError(null);
    try {
      if (to === 'MERGED') await dispatchApi.merge(incident.id, into, uuid());
      else await dispatchApi.transition(incident.id, to, note.trim() || undefined, uuid());
      setNote('');
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="transitions" open={incident.status === 'CLEARED'}>
      <summary>{t('ops.actions')}</summary>
      <label htmlFor="transition-note">{t('ops.note')}</label>
      <input id="transition-note" value={note} maxLength={4000} onChange={(e) => setNote(e.target.value)} />
      <div className="button-row">
        {actions
          .filter((a) => a !== 'MERGED')
          .map((a) => (
            <button
              key={a}
              type="button"
              className={a === 'CANCELLED' ? 'danger' : 'primary'}
              disabled={busy}
              onClick={() => void go(a)}
              data-action={a}
            >
              {t(LABEL[a])}
            </button>
          ))}
      </div>
      {actions.includes('MERGED') && (
        <div className="merge-row">
          <label htmlFor="merge-into">{t('ops.mergeInto')}</label>
          <select id="merge-into" value={into} onChange={(e) => setInto(e.target.value)}>
            <option value="">—</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.priority} · {o.category} · {o.id.slice(-6)}
              </option>
            ))}
          </select>
          <button type="button" disabled={busy || !into} onClick={() => void go('MERGED')} data-action="MERGED">
            {t('ops.merge')}
          </button>
        </div>
      )}
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
    </details>
  );
}
