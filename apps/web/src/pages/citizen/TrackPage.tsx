import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../lib/api.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { fetchTracking, isReportStatus, localText, type Tracking } from '../../lib/reports.ts';
import { categoryName, useCategories } from '../../lib/useCategories.ts';
import { useInterval } from '../../lib/useInterval.ts';
import { PublicLayout } from './PublicLayout.tsx';
import { StatusStepper } from './StatusStepper.tsx';

const REFRESH_MS = 5000;

/** The reporter's view of their report, by its tracking token; refreshed every 5 s until closed. */
export function TrackPage({ token }: { token: string }) {
  const { t, lang } = useLang();
  const [data, setData] = useState<Tracking | null>(null);
  const [error, setError] = useState<unknown>(null);
  const categories = useCategories();

  const load = useCallback(
    (signal?: AbortSignal) =>
      fetchTracking(token, signal)
        .then((d) => {
          setData(d);
          setError(null);
        })
        .catch((e: unknown) => {
          if ((e as Error).name !== 'AbortError') setError(e);
        }),
    [token],
  );

  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  const closed = data?.status === 'closed';
  const notFound = error instanceof ApiError && error.status === 404;
  useInterval(() => void load(), closed || notFound ? null : REFRESH_MS);

  const category = data ? (typeof data.category === 'string' ? categoryName(categories, data.category, lang) : localText(data.category.name, lang)) : '';
  return (
    <PublicLayout page="track">
      <h1>{t('track.title')}</h1>
      {error != null && (
        <div role="alert" className="alert">
          {notFound ? t('track.notFound') : errorMessage(error, t)}
        </div>
      )}
      {!data && error == null && <p className="muted">{t('page.loading')}</p>}
      {data && (
        <section className="track" data-testid="track" data-status={data.status}>
          <p className="track-category">{category}</p>
          <StatusStepper status={data.status} />
          {data.statusNote && (
            <div className="status-note" data-testid="status-note">
              <strong>{t('track.note')}:</strong> {data.statusNote}
            </div>
          )}
          {data.duplicateOf && <p className="notice">{t('report.duplicate')}</p>}
          <dl className="facts">
            <dt>{t('track.number')}</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
            <dt>{t('track.submitted')}</dt>
            <dd>{formatDateTime(data.submittedAt, lang)}</dd>
            <dt>{t('track.updated')}</dt>
            <dd>{formatDateTime(data.updatedAt, lang)}</dd>
          </dl>
          {data.history.length > 0 && (
            <>
              <h2>{t('track.history')}</h2>
              <ul className="history" data-testid="track-history">
                {[...data.history].reverse().map((h) => (
                  <li key={`${h.at}-${h.status}`}>
                    <time dateTime={h.at}>{formatDateTime(h.at, lang)}</time> — {isReportStatus(h.status) ? t(`rstatus.${h.status}`) : h.status}
                    {h.note && <div className="muted">{h.note}</div>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {!closed && <p className="muted small">{t('track.autoRefresh')}</p>}
        </section>
      )}
    </PublicLayout>
  );
}

