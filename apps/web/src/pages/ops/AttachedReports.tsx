import { useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';

/** What the console shows of a citizen's report: what they said, from where, with a photo, and whether to trust it. */
interface AttachedReport {
  id: string;
  channel: string;
  description: string | null;
  mediaCount: number;
  flagged: boolean;
  flagReason: string | null;
  /** Marked false by the police: closed, and counted towards its device's and phone's flag. */
  falseReport: boolean;
  duplicateOf: string | null;
  submittedAt: string;
}

/**
 * The citizens' reports an incident gathered, as the dispatcher needs them: each one's words, channel, photos and —
 * prominently — a flag when its device or phone has sent false reports before (flagged, never dropped: the
 * dispatcher decides). Read from the reports module's API (no contact details; opening one in Reports is audited).
 */
export function AttachedReports({ ids, canMarkFalse = false }: { ids: string[]; canMarkFalse?: boolean }) {
  const { t, lang } = useLang();
  const [items, setItems] = useState<AttachedReport[] | null>(null);
  const key = ids.join(',');
  useEffect(() => {
    if (!key) return setItems([]);
    const ctl = new AbortController();
    api<{ items: AttachedReport[] }>(`/api/v1/reports?limit=100&ids=${encodeURIComponent(key)}`, { signal: ctl.signal })
      .then((r) => setItems(r.items))
      .catch(() => setItems(null));
    return () => ctl.abort();
  }, [key]);

  return (
    <ul className="attached-reports" data-testid="attached-reports">
      {ids.map((id) => {
        const r = items?.find((x) => x.id === id);
        return (
          <li key={id} data-report={id} data-flagged={r?.flagged ? 'true' : undefined}>
            {r ? (
              <>
                {r.flagged && (
                  <span className="badge flag" data-testid="report-flagged">
                    {t('ops.reportFlagged')}
                  </span>
                )}{' '}
                <span className="muted small">
                  {formatDateTime(r.submittedAt, lang)} · {r.channel}
                  {r.mediaCount > 0 && ` · ${t('ops.reportPhotos', { n: r.mediaCount })}`}
                </span>
                <div>{r.description ?? '—'}</div>
                {r.falseReport ? (
                  <span className="badge flag" data-testid="report-false">
                    {t('ops.reportMarkedFalse')}
                  </span>
                ) : (
                  canMarkFalse && <MarkFalse reportId={r.id} onMarked={() => setItems((xs) => xs?.map((x) => (x.id === r.id ? { ...x, falseReport: true } : x)) ?? xs)} />
                )}
              </>
            ) : (
              <code>{id}</code>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A prank or a deliberately false report, marked so with a reason (staff with reports:write): it is closed, its
 * reporter sees the neutral note, and its device's and phone's next reports carry the flag after the third. Asked
 * twice — a button, then the reason and a confirmation — because it counts against a citizen.
 */
function MarkFalse({ reportId, onMarked }: { reportId: string; onMarked: () => void }) {
  const { t } = useLang();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!open) {
    return (
      <button type="button" data-action="mark-false" onClick={() => setOpen(true)}>
        {t('ops.markFalse')}
      </button>
    );
  }
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/reports/${encodeURIComponent(reportId)}/false`, { method: 'POST', body: { reason: reason.trim() }, headers: { 'Idempotency-Key': uuid() } });
      onMarked();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="mark-false"
      data-testid="mark-false"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        {t('ops.markFalseReason')}
        <textarea value={reason} minLength={3} maxLength={1000} required rows={2} onChange={(e) => setReason(e.target.value)} data-testid="mark-false-reason" />
      </label>
      {error != null && (
        <p className="field-error" role="alert">
          {errorMessage(error, t)}
        </p>
      )}
      <button type="submit" disabled={busy || reason.trim().length < 3} data-action="mark-false-confirm">
        {t('ops.markFalseConfirm')}
      </button>{' '}
      <button type="button" onClick={() => setOpen(false)} disabled={busy}>
        {t('ops.callCancel')}
      </button>
    </form>
  );
}
