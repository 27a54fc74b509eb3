import { useCallback, useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { type Breakdown, type DayTotal, type FraudStats, formatMoney, formatNumber, formatShare, fraudApi, codeText, outcomeCounts, preventedIn, totalsByDay, totalsByPartner } from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';
import { useInterval } from '../../lib/useInterval.ts';

const PERIODS = [7, 30, 90, 0] as const;
type Period = (typeof PERIODS)[number];
const CALL_OUTCOMES = ['allow', 'label', 'block'];
const TX_OUTCOMES = ['allow', 'hold', 'block'];

/** Midnight UTC `days` − 1 days ago (so 7 days = today and the six before), as the server's days are UTC days. */
function fromDays(days: Period): string | undefined {
  if (days === 0) return undefined;
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - (days - 1));
  return d.toISOString();
}

/**
 * The prevented-loss dashboard (`GET /api/v1/fraud/stats`): held and blocked sums later confirmed as fraud and calls
 * blocked — in total, by UTC day (small bar charts) and by partner (the bank's or operator's key, i.e. the channel);
 * decisions by kind and outcome; precision and recall from the banks' verdicts; the live state of the engine.
 * Refreshed on live events and every 15 s.
 */
export function StatsTab({ version }: { version: number }) {
  const { t, lang } = useLang();
  const [period, setPeriod] = useState<Period>(30);
  const [stats, setStats] = useState<FraudStats | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setStats(await fraudApi.stats({ from: fromDays(period) }, signal));
        setError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError(e);
      }
    },
    [period],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load, version]);
  useInterval(() => void load(), 15_000);

  const days = useMemo(() => (stats ? totalsByDay(stats.byDay) : []), [stats]);
  const partners = useMemo(() => (stats ? totalsByPartner(stats.byDay) : []), [stats]);
  const callsBlocked = days.reduce((s, d) => s + d.callsBlocked, 0);
  const kzt = stats?.preventedLoss.find((p) => p.currency === 'KZT')?.amount ?? 0;
  const otherCurrencies = stats?.preventedLoss.filter((p) => p.currency !== 'KZT') ?? [];

  return (
    <div className="page traffic-page fraud-stats" data-testid="stats-tab">
      <div className="queue-head">
        <h2>{t('fraud.statsTitle')}</h2>
        <fieldset className="segmented" aria-label={t('fraud.period')}>
          {PERIODS.map((p) => (
            <button key={p} type="button" aria-pressed={period === p} data-period={p} onClick={() => setPeriod(p)}>
              {p === 0 ? t('fraud.periodAll') : t('fraud.periodDays', { n: p })}
            </button>
          ))}
        </fieldset>
      </div>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {!stats && error == null && <p className="muted">{t('page.loading')}</p>}
      {stats && (
        <>
          <div className="kpis">
            <div className="kpi" data-testid="kpi-prevented">
              <span className="kpi-label">{t('fraud.prevented')}</span>
              <strong className="kpi-value" data-testid="prevented-kzt">
                {formatMoney(kzt, 'KZT', lang)}
              </strong>
              {otherCurrencies.map((c) => (
                <span key={c.currency} className="small">
                  {formatMoney(c.amount, c.currency, lang)}
                </span>
              ))}
              <span className="muted small">{t('fraud.preventedHint')}</span>
            </div>
            <div className="kpi" data-testid="kpi-calls">
              <span className="kpi-label">{t('fraud.callsBlocked')}</span>
              <strong className="kpi-value" data-testid="calls-blocked">
                {formatNumber(callsBlocked, lang)}
              </strong>
            </div>
            {(['transaction', 'call'] as const).map((kind) => {
              const f = stats.feedback.find((x) => x.kind === kind);
              return (
                <div className="kpi" key={kind} data-testid={`kpi-quality-${kind}`}>
                  <span className="kpi-label">{t(kind === 'call' ? 'fraud.qualityCalls' : 'fraud.qualityTransactions')}</span>
                  <span>
                    {t('fraud.precision')}: <strong data-testid={`precision-${kind}`}>{formatShare(f?.precision ?? null, lang)}</strong>
                  </span>
                  <span>
                    {t('fraud.recall')}: <strong data-testid={`recall-${kind}`}>{formatShare(f?.recall ?? null, lang)}</strong>
                  </span>
                  <span className="muted small">
                    {f
                      ? t('fraud.confusion', { tp: f.truePositives, fp: f.falsePositives, fn: f.falseNegatives, tn: f.trueNegatives })
                      : t('fraud.noFeedback')}
                  </span>
                </div>
              );
            })}
          </div>

          <div className="chart-pair">
            <DayChart days={days} value={(d) => d.prevented} label={t('fraud.preventedByDay')} format={(v) => formatMoney(v, 'KZT', lang)} testid="chart-prevented" />
            <DayChart days={days} value={(d) => d.callsBlocked} label={t('fraud.callsByDay')} format={(v) => formatNumber(v, lang)} testid="chart-calls" />
          </div>

          <h3>{t('fraud.byPartner')}</h3>
          {partners.length === 0 ? (
            <p className="muted">{t('fraud.nothingPrevented')}</p>
          ) : (
            <table data-testid="by-partner">
              <thead>
                <tr>
                  <th scope="col">{t('fraud.partner')}</th>
                  <th scope="col">{t('fraud.prevented')}</th>
                  <th scope="col">{t('fraud.callsBlocked')}</th>
                </tr>
              </thead>
              <tbody>
                {partners.map((p) => (
                  <tr key={p.partner} data-partner={p.partner}>
                    <td>{p.partner}</td>
                    <td className="num">{formatMoney(p.prevented, 'KZT', lang)}</td>
                    <td className="num">{formatNumber(p.callsBlocked, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h3>{t('fraud.byRegion')}</h3>
          <BreakdownTable
            testid="by-region"
            head={t('fraud.region')}
            rows={stats.byRegion.map((r) => ({ key: r.region ?? '', label: r.name ? r.name[lang] : r.region ? r.region : t('fraud.regionUnknown'), b: r }))}
          />
          <h3>{t('fraud.byChannel')}</h3>
          <BreakdownTable
            testid="by-channel"
            head={t('fraud.channel')}
            rows={stats.byChannel.map((c) => ({ key: c.channel ?? '', label: c.channel ? codeText(t, 'fdchannel', c.channel) : t('fraud.channelUnknown'), b: c }))}
          />

          <h3>{t('fraud.decisionsByOutcome')}</h3>
          <table data-testid="by-outcome">
            <thead>
              <tr>
                <th scope="col">{t('fraud.kind')}</th>
                {['allow', 'label', 'hold', 'block'].map((o) => (
                  <th scope="col" key={o}>
                    {codeText(t, 'foutcome', o)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(['call', 'transaction'] as const).map((kind) => {
                const c = outcomeCounts(stats, kind);
                const allowed = kind === 'call' ? CALL_OUTCOMES : TX_OUTCOMES;
                return (
                  <tr key={kind} data-kind={kind}>
                    <th scope="row">{t(kind === 'call' ? 'fraud.calls' : 'fraud.transactions')}</th>
                    {['allow', 'label', 'hold', 'block'].map((o) => (
                      <td key={o} className="num" data-outcome={o}>
                        {allowed.includes(o) ? formatNumber(c[o] ?? 0, lang) : '—'}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>

          <p className="muted small" data-testid="live-state">
            {t('fraud.live', {
              indicators: formatNumber(stats.live.indicators, lang),
              pending: formatNumber(stats.live.recorderPending, lang),
              dropped: formatNumber(stats.live.recorderDropped, lang),
              policy: stats.policyVersion,
            })}
            {stats.live.degraded && <span className="badge flag"> {t('fraud.degraded')}</span>}
          </p>
        </>
      )}
    </div>
  );
}

/**
 * Prevented loss by region or channel: the confirmed-fraud sum held or blocked (₸, with a bar relative to the largest),
 * transfers held and blocked, calls blocked.
 */
function BreakdownTable({ rows, head, testid }: { rows: { key: string; label: string; b: Breakdown }[]; head: string; testid: string }) {
  const { t, lang } = useLang();
  if (rows.length === 0) return <p className="muted">{t('fraud.nothingPrevented')}</p>;
  const max = Math.max(1, ...rows.map((r) => preventedIn(r.b)));
  return (
    <div className="table-scroll">
      <table data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            <th scope="col">{t('fraud.prevented')}</th>
            <th scope="col">{t('fraud.heldCount')}</th>
            <th scope="col">{t('fraud.blockedCount')}</th>
            <th scope="col">{t('fraud.callsBlocked')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const v = preventedIn(r.b);
            return (
              <tr key={r.key} data-key={r.key}>
                <th scope="row">{r.label}</th>
                <td className="num" data-col="prevented" data-value={v}>
                  <svg width="80" height="10" aria-hidden="true" style={{ marginRight: '0.4rem', verticalAlign: 'middle' }}>
                    <rect width={(v / max) * 80} height="10" fill="#2563eb" />
                  </svg>
                  {formatMoney(v, 'KZT', lang)}
                </td>
                <td className="num" data-col="held">
                  {formatNumber(r.b.held, lang)}
                </td>
                <td className="num" data-col="blocked">
                  {formatNumber(r.b.blocked, lang)}
                </td>
                <td className="num" data-col="calls">
                  {formatNumber(r.b.callsBlocked, lang)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A small SVG bar chart: one bar per UTC day, the value above it, the day (dd.mm) under it. */
function DayChart({ days, value, label, format, testid }: { days: DayTotal[]; value: (d: DayTotal) => number; label: string; format: (v: number) => string; testid: string }) {
  const { t } = useLang();
  const shown = days.slice(-31);
  const max = Math.max(1, ...shown.map(value));
  const w = 34;
  const h = 90;
  const top = 16;
  return (
    <figure className="day-chart" data-testid={testid}>
      <figcaption>{label}</figcaption>
      {shown.length === 0 ? (
        <p className="muted small">{t('fraud.noDays')}</p>
      ) : (
        <svg viewBox={`0 0 ${Math.max(shown.length, 14) * w} ${h + top + 18}`} role="img" aria-label={label}>
          {shown.map((d, i) => {
            const v = value(d);
            const bh = (v / max) * h;
            return (
              <g key={d.day} data-day={d.day} data-value={v}>
                <title>{`${d.day}: ${format(v)}`}</title>
                <rect className="bar" x={i * w + 5} y={top + h - bh} width={w - 10} height={Math.max(bh, v > 0 ? 1 : 0)} />
                <text className="value" x={i * w + w / 2} y={top + h - bh - 3} textAnchor="middle">
                  {v > 0 ? compact(v) : ''}
                </text>
                <text className="day" x={i * w + w / 2} y={top + h + 13} textAnchor="middle">
                  {`${d.day.slice(8, 10)}.${d.day.slice(5, 7)}`}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}

/** 1 250 000 → «1.3M», 12 500 → «13k»: a bar's label must fit its width. */
function compact(v: number): string {
  if (v >= 1e9) return `${Math.round(v / 1e8) / 10}G`;
  if (v >= 1e6) return `${Math.round(v / 1e5) / 10}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  return String(Math.round(v));
}
