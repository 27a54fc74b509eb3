import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import { analyticsApi, type GroupBy, presetPeriod, type StatLine, type Statistics } from './api.ts';

const PRESETS = ['ytd', 'year', 'quarter', 'month'] as const;
type Preset = (typeof PRESETS)[number];
const GROUPS: GroupBy[] = ['category', 'region', 'district', 'month'];

/**
 * The statistics dashboard (`GET /api/v1/analytics/statistics`): totals with the year-on-year change and clearance,
 * the release sentence in the interface's language, a bar chart of this period against the same period a year
 * earlier, the table, and the same as CSV.
 */
export function StatisticsTab() {
  const { t, lang } = useLang();
  const [preset, setPreset] = useState<Preset>('ytd');
  const [groupBy, setGroupBy] = useState<GroupBy>('category');
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState<unknown>(null);
  const period = presetPeriod(preset);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setStats(await analyticsApi.statistics({ ...presetPeriod(preset), groupBy }, signal));
        setError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError(e);
      }
    },
    [preset, groupBy],
  );
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  const download = async () => {
    try {
      const csv = await analyticsApi.statisticsCsv({ ...period, groupBy });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `statistics-${groupBy}-${period.from}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e);
    }
  };

  const n = (v: number) => v.toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU');
  const pct = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${v.toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU')} %`);
  const share = (v: number | null) => (v === null ? '—' : `${(v * 100).toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU', { maximumFractionDigits: 1 })} %`);

  return (
    <div className="page traffic-page analytics-stats" data-testid="statistics-tab">
      <div className="queue-head">
        <h2>{t('analytics.statsTitle')}</h2>
        <fieldset className="segmented" aria-label={t('analytics.period')}>
          {PRESETS.map((p) => (
            <button key={p} type="button" aria-pressed={preset === p} data-preset={p} onClick={() => setPreset(p)}>
              {t(`analytics.preset.${p}`)}
            </button>
          ))}
        </fieldset>
        <fieldset className="segmented" aria-label={t('analytics.groupBy')}>
          {GROUPS.map((g) => (
            <button key={g} type="button" aria-pressed={groupBy === g} data-group={g} onClick={() => setGroupBy(g)}>
              {t(`analytics.by.${g}`)}
            </button>
          ))}
        </fieldset>
        <button type="button" onClick={() => void download()} data-testid="csv">
          {t('analytics.csv')}
        </button>
      </div>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {!stats && error == null && <p className="muted">{t('page.loading')}</p>}
      {stats && (
        <>
          <p className="summary" data-testid="summary" lang={lang}>
            {stats.summary[lang]}
          </p>
          <div className="kpis">
            <Kpi label={t('analytics.registered')} value={n(stats.total.count)} note={t('analytics.yearEarlier', { n: n(stats.total.previous) })} testid="kpi-count" />
            <Kpi label={t('analytics.change')} value={pct(stats.total.changePercent)} note={`${stats.total.change > 0 ? '+' : ''}${n(stats.total.change)}`} testid="kpi-change" />
            <Kpi label={t('analytics.clearance')} value={share(stats.total.clearanceRate)} note={t('analytics.clearanceNote', { cleared: n(stats.total.cleared), known: n(stats.total.withOutcome) })} testid="kpi-clearance" />
            <Kpi label={t('analytics.rate')} value={stats.total.ratePer10k === null ? '—' : stats.total.ratePer10k.toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU')} note={t('analytics.rateNote')} testid="kpi-rate" />
          </div>
          <CompareChart rows={stats.rows.slice(0, 15)} label={t('analytics.chart')} />
          {stats.rows.length === 0 ? (
            <p className="muted">{t('page.empty')}</p>
          ) : (
            <table data-testid="statistics-table">
              <thead>
                <tr>
                  <th scope="col">{t(`analytics.by.${groupBy}`)}</th>
                  <th scope="col">{t('analytics.registered')}</th>
                  <th scope="col">{t('analytics.previous')}</th>
                  <th scope="col">{t('analytics.change')}</th>
                  <th scope="col">{t('analytics.clearance')}</th>
                  <th scope="col">{t('analytics.rate')}</th>
                </tr>
              </thead>
              <tbody>
                {stats.rows.map((r) => (
                  <tr key={r.key} data-key={r.key}>
                    <th scope="row">{r.name || t('analytics.unknown')}</th>
                    <td className="num">{n(r.count)}</td>
                    <td className="num">{n(r.previous)}</td>
                    <td className="num">{pct(r.changePercent)}</td>
                    <td className="num">{share(r.clearanceRate)}</td>
                    <td className="num">{r.ratePer10k === null ? '—' : r.ratePer10k}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small">{t('analytics.populationNote', { version: stats.population.version })}</p>
        </>
      )}
    </div>
  );
}

function Kpi({ label, value, note, testid }: { label: string; value: string; note: string; testid: string }) {
  return (
    <div className="kpi" data-testid={testid}>
      <span className="kpi-label">{label}</span>
      <strong className="kpi-value">{value}</strong>
      <span className="muted small">{note}</span>
    </div>
  );
}

/** Horizontal bars: this period (dark) against a year earlier (pale), per row. */
function CompareChart({ rows, label }: { rows: (StatLine & { key: string; name: string })[]; label: string }) {
  const { t } = useLang();
  if (rows.length === 0) return null;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.count, r.previous)));
  const rowH = 26;
  const labelW = 220;
  const barW = 420;
  return (
    <figure className="day-chart compare-chart" data-testid="compare-chart">
      <figcaption>
        {label} <span className="legend-now">■ {t('analytics.legendNow')}</span> <span className="legend-prev">■ {t('analytics.legendPrev')}</span>
      </figcaption>
      <svg viewBox={`0 0 ${labelW + barW + 60} ${rows.length * rowH + 4}`} role="img" aria-label={label}>
        {rows.map((r, i) => (
          <g key={r.key} data-key={r.key} transform={`translate(0, ${i * rowH})`}>
            <title>{`${r.name}: ${r.count} / ${r.previous}`}</title>
            <text x={labelW - 6} y={16} textAnchor="end" className="day">
              {(r.name || t('analytics.unknown')).slice(0, 32)}
            </text>
            <rect className="bar prev" x={labelW} y={3} width={(r.previous / max) * barW} height={9} />
            <rect className="bar" x={labelW} y={12} width={(r.count / max) * barW} height={10} />
            <text className="value" x={labelW + (Math.max(r.count, r.previous) / max) * barW + 4} y={20}>
              {r.count}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
