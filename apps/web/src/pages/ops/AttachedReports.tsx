import { useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';

/** What the console shows of a citizen's report: what they said, from where, with a photo, and whether to trust it. */
interface AttachedReport {
  id: string;
  channel: string;
  description: string | null;
  mediaCount: number;
  flagged: boolean;
  flagReason: string | null;
  duplicateOf: string | null;
  submittedAt: string;
}

/**
 * The citizens' reports an incident gathered, as the dispatcher needs them: each one's words, channel, photos and —
 * prominently — a flag when its device or phone has sent false reports before (flagged, never dropped: the
 * dispatcher decides). Read from the reports module's API (no contact details; opening one in Reports is audited).
 */
export function AttachedReports({ ids }: { ids: string[] }) {
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
