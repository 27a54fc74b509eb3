import { useEffect, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import { type Kpis, kpiApi } from './api.ts';

/** The KPI board (`GET /api/v1/analytics/kpi`, last 30 days): response times by priority, violations, frauds prevented. */
export function KpiTab() {
  const { t, lang } = useLang();
  const [data, setData] = useState<Kpis | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    kpiApi
      .kpis({}, ctl.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      });
    return () => ctl.abort();
  }, []);
  const locale = lang === 'en' ? 'en-GB' : 'ru-RU';
  const secs = (v: number | null) => (v === null ? '—' : v < 120 ? t('analytics.seconds', { n: Math.round(v) }) : t('analytics.minutes', { n: (v / 60).toLocaleString(locale, { maximumFractionDigits: 1 }) }));
  const share = (v: number | null) => (v === null ? '—' : `${(v * 100).toLocaleString(locale, { maximumFractionDigits: 1 })} %`);
  return (
    <div className="page traffic-page" data-testid="kpi-tab">
      <h2>{t('analytics.kpiTitle')}</h2>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {!data && error == null && <p className="muted">{t('page.loading')}</p>}
      {data && (
        <>
          <div className="kpis">
            <div className="kpi" data-testid="kpi-violations">
              <span className="kpi-label">{t('analytics.violationsProcessed')}</span>
              <strong className="kpi-value">{(data.violations.confirmed + data.violations.rejected).toLocaleString(locale)}</strong>
              <span className="muted small">{t('analytics.violationsNote', { confirmed: data.violations.confirmed, rejected: data.violations.rejected })}</span>
            </div>
            <div className="kpi" data-testid="kpi-fraud">
              <span className="kpi-label">{t('analytics.fraudPrevented')}</span>
              <strong className="kpi-value">{(data.fraudPrevented.calls + data.fraudPrevented.transactions).toLocaleString(locale)}</strong>
              <span className="muted small">{t('analytics.fraudNote', { calls: data.fraudPrevented.calls, transactions: data.fraudPrevented.transactions })}</span>
            </div>
          </div>
          <h3>{t('analytics.responseTitle')}</h3>
          {data.response.length === 0 ? (
            <p className="muted">{t('page.empty')}</p>
          ) : (
            <table data-testid="response-table">
              <thead>
                <tr>
                  <th scope="col">{t('analytics.priority')}</th>
                  <th scope="col">{t('analytics.incidents')}</th>
                  <th scope="col">{t('analytics.dispatchMedian')}</th>
                  <th scope="col">{t('analytics.dispatchSla')}</th>
                  <th scope="col">{t('analytics.onSceneMedian')}</th>
                  <th scope="col">{t('analytics.onSceneSla')}</th>
                </tr>
              </thead>
              <tbody>
                {data.response.map((r) => (
                  <tr key={r.priority} data-priority={r.priority}>
                    <th scope="row">{r.priority}</th>
                    <td className="num">{r.incidents}</td>
                    <td className="num">{`${secs(r.dispatchMedianS)} / ${secs(r.dispatchP90S)}`}</td>
                    <td className="num">{`${share(r.dispatchWithinTarget)}${r.targets ? ` (≤ ${secs(r.targets.dispatchS)})` : ''}`}</td>
                    <td className="num">{`${secs(r.onSceneMedianS)} / ${secs(r.onSceneP90S)}`}</td>
                    <td className="num">{`${share(r.onSceneWithinTarget)}${r.targets ? ` (≤ ${secs(r.targets.onSceneS)})` : ''}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small">{t('analytics.kpiNote')}</p>
        </>
      )}
    </div>
  );
}
