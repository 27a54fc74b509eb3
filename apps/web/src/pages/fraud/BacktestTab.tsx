import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { type BacktestResult, codeText, formatNumber, formatShare, fraudApi, type PolicyVersionInfo, policyDraft } from '../../lib/fraud.ts';
import { ApiError } from '../../lib/api.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { hasPermission } from '../../sections.ts';

/**
 * Backtest results (`#/fraud/backtest`): a labelled PaySim CSV is replayed through the typologies in force, a stored
 * version, or the draft the policy screen left here (`POST /api/v1/fraud/backtests`, `…/backtests/draft`) → precision
 * and recall of hold-or-block, ROC AUC of the score, the outcomes, and the alerts of each typology (all, and on rows
 * labelled fraud) as a table and a bar chart. Every run is kept: the list below compares them, and opens any of them.
 * Rows the server refuses are listed with their line and column.
 */
export function BacktestTab({ user }: { user: SessionUser }) {
  const { t, lang } = useLang();
  const canRun = hasPermission(user.permissions, 'fraud:write');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<BacktestResult | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const [versions, setVersions] = useState<PolicyVersionInfo[]>([]);
  const [current, setCurrent] = useState<number | null>(null);
  const [draft] = useState(policyDraft);
  /** `current`, `draft`, or a version number. */
  const [policyChoice, setPolicyChoice] = useState<string>(() => (draft ? 'draft' : 'current'));
  const [runs, setRuns] = useState<BacktestResult[]>([]);

  const loadRuns = useCallback(async (signal?: AbortSignal) => {
    try {
      setRuns(await fraudApi.backtests(signal));
    } catch (err) {
      if (!signal?.aborted) setProblem(err);
    }
  }, []);
  useEffect(() => {
    const c = new AbortController();
    void loadRuns(c.signal);
    fraudApi.policyVersions(c.signal).then(
      (v) => {
        setVersions(v.items);
        setCurrent(v.current);
      },
      () => {},
    );
    return () => c.abort();
  }, [loadRuns]);
  const policyLabel = (r: BacktestResult) => (r.draft ? t('fraud.backtest.draft') : t('fraud.backtest.version', { version: r.policyVersion ?? '—' }));

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setLocalError(null);
    if (!file) {
      setLocalError(t('fraud.backtest.pickFile'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const csv = await file.text();
      const r =
        policyChoice === 'draft' && draft
          ? await fraudApi.backtestDraft(csv, draft.policy, file.name)
          : await fraudApi.backtest(csv, { fileName: file.name, ...(policyChoice === 'current' ? {} : { version: Number(policyChoice) }) });
      setResult(r);
      setFileName(file.name);
      setRuns((rs) => [r, ...rs.filter((x) => x.id !== r.id)]);
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  const rowErrors = problem instanceof ApiError ? (problem.problem?.errors ?? []) : [];
  const maxAlerts = Math.max(1, ...(result?.typologies.map((x) => x.alerts) ?? []));

  return (
    <div className="page traffic-page fraud-backtest" data-testid="backtest-tab">
      <h2>{t('fraud.backtest.title')}</h2>
      <p className="muted small">{t('fraud.backtest.intro')}</p>
      {canRun ? (
        <form className="fraud-filters" onSubmit={run} noValidate data-testid="backtest-form">
          <label className="wide">
            <span>{t('fraud.backtest.file')}</span>
            <input
              id="backtest-file"
              ref={input}
              type="file"
              accept=".csv,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              {...(localError ? { 'aria-invalid': true as const, 'aria-describedby': 'backtest-file-error' } : {})}
            />
          </label>
          <label>
            <span>{t('fraud.backtest.policy')}</span>
            <select id="backtest-policy" value={policyChoice} onChange={(e) => setPolicyChoice(e.target.value)}>
              <option value="current">{t('fraud.backtest.inForce', { version: current ?? '…' })}</option>
              {draft && <option value="draft">{t('fraud.backtest.draftFrom', { version: draft.basedOn })}</option>}
              {versions
                .filter((v) => v.version !== current)
                .map((v) => (
                  <option key={v.version} value={String(v.version)}>
                    {t('fraud.backtest.version', { version: v.version })} — {v.comment}
                  </option>
                ))}
            </select>
          </label>
          <button type="submit" className="primary" data-action="run-backtest" disabled={busy}>
            {busy ? t('fraud.backtest.running') : t('fraud.backtest.run')}
          </button>
          {localError && (
            <p className="field-error" id="backtest-file-error" role="alert">
              {localError}
            </p>
          )}
        </form>
      ) : (
        <p className="muted">{t('fraud.backtest.noPermission')}</p>
      )}
      {problem != null && (
        <div role="alert" className="alert" data-testid="backtest-problem">
          {errorMessage(problem, t)}
          {rowErrors.length > 0 && (
            <ul className="small" data-testid="backtest-row-errors">
              {rowErrors.slice(0, 20).map((er) => {
                const [, line, column] = /^body\.(\d+)\.?(.*)$/.exec(er.path) ?? [];
                return (
                  <li key={er.path}>
                    {line !== undefined ? t('fraud.backtest.rowError', { line: Number(line) + 1, column: column || '—' }) : er.path}: {er.message}
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
      {result && (
        <section data-testid="backtest-result" aria-label={t('fraud.backtest.result')}>
          <p className="muted small" data-testid="bt-ran">
            {t('fraud.backtest.ran', { file: fileName ?? result.fileName ?? '—', version: policyLabel(result) })}
          </p>
          <div className="kpis">
            <div className="kpi">
              <span className="kpi-label">{t('fraud.backtest.rows')}</span>
              <strong className="kpi-value" data-testid="bt-rows">
                {formatNumber(result.rows, lang)}
              </strong>
              <span className="muted small">{t('fraud.backtest.frauds', { n: formatNumber(result.frauds, lang), flagged: formatNumber(result.flagged, lang) })}</span>
            </div>
            <div className="kpi">
              <span className="kpi-label">{t('fraud.precision')}</span>
              <strong className="kpi-value" data-testid="bt-precision">
                {formatShare(result.precision, lang)}
              </strong>
            </div>
            <div className="kpi">
              <span className="kpi-label">{t('fraud.recall')}</span>
              <strong className="kpi-value" data-testid="bt-recall">
                {formatShare(result.recall, lang)}
              </strong>
            </div>
            <div className="kpi">
              <span className="kpi-label">{t('fraud.backtest.auc')}</span>
              <strong className="kpi-value" data-testid="bt-auc">
                {result.auc === null ? '—' : formatNumber(result.auc, lang, 3)}
              </strong>
            </div>
          </div>
          <h3>{t('fraud.backtest.outcomes')}</h3>
          <table data-testid="bt-outcomes">
            <thead>
              <tr>
                {(['allow', 'hold', 'block'] as const).map((o) => (
                  <th scope="col" key={o}>
                    {codeText(t, 'foutcome', o)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                {(['allow', 'hold', 'block'] as const).map((o) => (
                  <td key={o} className="num" data-outcome={o}>
                    {formatNumber(result.outcomes[o], lang)}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
          <h3>{t('fraud.backtest.byTypology')}</h3>
          <table data-testid="bt-typologies">
            <thead>
              <tr>
                <th scope="col">{t('fraud.policy.typology')}</th>
                <th scope="col">{t('fraud.backtest.alerts')}</th>
                <th scope="col">{t('fraud.backtest.fraudAlerts')}</th>
                <th scope="col">{t('fraud.precision')}</th>
              </tr>
            </thead>
            <tbody>
              {result.typologies.map((x) => (
                <tr key={x.id} data-typology={x.id}>
                  <th scope="row">
                    {codeText(t, 'ftypology', x.id)} <span className="muted small ident">{x.id}</span>
                  </th>
                  <td className="num" data-col="alerts">
                    {formatNumber(x.alerts, lang)}
                  </td>
                  <td className="num" data-col="fraudAlerts">
                    {formatNumber(x.fraudAlerts, lang)}
                  </td>
                  <td className="num">{formatShare(x.alerts === 0 ? null : x.fraudAlerts / x.alerts, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <figure className="day-chart" data-testid="bt-chart">
            <figcaption>{t('fraud.backtest.chart')}</figcaption>
            <svg viewBox={`0 0 420 ${result.typologies.length * 34 + 10}`} role="img" aria-label={t('fraud.backtest.chart')}>
              {result.typologies.map((x, i) => {
                const w = (v: number) => (v / maxAlerts) * 250;
                const y = i * 34 + 5;
                return (
                  <g key={x.id} data-typology={x.id} data-alerts={x.alerts} data-fraud-alerts={x.fraudAlerts}>
                    <title>{`${x.id}: ${x.alerts} / ${x.fraudAlerts}`}</title>
                    <text x={0} y={y + 15}>
                      {x.id}
                    </text>
                    <rect className="bar" x={110} y={y} width={w(x.alerts)} height={12} />
                    <rect x={110} y={y + 14} width={w(x.fraudAlerts)} height={12} fill="#b91c1c" />
                    <text x={115 + w(x.alerts)} y={y + 10}>
                      {x.alerts}
                    </text>
                    <text x={115 + w(x.fraudAlerts)} y={y + 24}>
                      {x.fraudAlerts}
                    </text>
                  </g>
                );
              })}
            </svg>
            <p className="muted small">{t('fraud.backtest.legend')}</p>
          </figure>
        </section>
      )}
      <section data-testid="backtest-runs" aria-label={t('fraud.backtest.runs')}>
        <h3>{t('fraud.backtest.runs')}</h3>
        {runs.length === 0 ? (
          <p className="muted">{t('fraud.backtest.noRuns')}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('fraud.backtest.when')}</th>
                <th scope="col">{t('fraud.backtest.policy')}</th>
                <th scope="col">{t('fraud.backtest.file')}</th>
                <th scope="col">{t('fraud.backtest.rows')}</th>
                <th scope="col">{t('fraud.precision')}</th>
                <th scope="col">{t('fraud.recall')}</th>
                <th scope="col">{t('fraud.backtest.auc')}</th>
                <th scope="col">{t('fraud.backtest.who')}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-run={r.id} data-draft={r.draft} aria-current={result?.id === r.id ? 'true' : undefined}>
                  <td>
                    <button
                      type="button"
                      className="link"
                      data-action="open-backtest"
                      onClick={() => {
                        setResult(r);
                        setFileName(r.fileName);
                        setProblem(null);
                      }}
                    >
                      {formatDateTime(r.createdAt, lang)}
                    </button>
                  </td>
                  <td>{policyLabel(r)}</td>
                  <td className="ident">{r.fileName ?? '—'}</td>
                  <td className="num">{formatNumber(r.rows, lang)}</td>
                  <td className="num" data-col="precision">
                    {formatShare(r.precision, lang)}
                  </td>
                  <td className="num" data-col="recall">
                    {formatShare(r.recall, lang)}
                  </td>
                  <td className="num">{r.auc === null ? '—' : formatNumber(r.auc, lang, 3)}</td>
                  <td className="ident">{r.createdBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
