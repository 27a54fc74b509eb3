import { useState } from 'react';
import { ApiError } from '../../lib/api.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { MessageKey } from '../../i18n.ts';
import { useLang } from '../../lib/lang.tsx';
import { analyticsApi, type Evaluation } from './api.ts';
import { GRID_TEXT, type GridKind, gridParams, H3_RESOLUTIONS } from './grid.ts';

/** The form's label for a field the server names in a refusal (`errors[].path`). */
const FIELD_LABELS: Record<string, MessageKey> = {
  'body.data': 'analytics.file',
  'body.mapping.time': 'analytics.timeCol',
  'body.mapping.x': 'analytics.xCol',
  'body.mapping.y': 'analytics.yCol',
  'body.crs': 'analytics.crs',
  'body.trainEnd': 'analytics.trainEnd',
  'body.horizon': 'analytics.horizon',
  'body.cell': 'analytics.cell',
  'body.coverage': 'analytics.coverage',
};

/**
 * The backtest an analyst runs on their own file (`POST /api/v1/analytics/forecast/evaluate`, the same as
 * `tartip forecast evaluate`): each method trained up to a date, its forecast for the horizon scored by PAI and PEI.
 */
export function BacktestTab() {
  const { t, lang } = useLang();
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [form, setForm] = useState({ time: 'date', x: 'X', y: 'Y', crs: 'EPSG:26971', trainEnd: '2016-09-30', horizon: '1m', grid: 'square' as GridKind, cell: 150, h3Res: 9, coverage: 0.01 });
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: typeof form[k] === 'number' ? Number(e.target.value) : e.target.value });

  const run = async () => {
    if (!file) return;
    setBusy(true);
    try {
      setResult(
        await analyticsApi.evaluate({
          format: file.name.toLowerCase().endsWith('json') ? 'geojson' : 'csv',
          data: file.text,
          mapping: { time: form.time, x: form.x, y: form.y },
          crs: form.crs,
          trainEnd: form.trainEnd,
          horizon: form.horizon,
          ...gridParams(form.grid, form.cell, form.h3Res),
          coverage: form.coverage,
        }),
      );
      setError(null);
    } catch (e) {
      // The table of an earlier run must not look like this run's answer.
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fmt = (v: number, d = 2) => v.toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU', { minimumFractionDigits: d, maximumFractionDigits: d });

  return (
    <div className="page traffic-page" data-testid="backtest-tab">
      <h2>{t('analytics.backtestTitle')}</h2>
      <p className="muted small">{t('analytics.backtestHint')}</p>
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          {t('analytics.file')}
          <input
            type="file"
            accept=".csv,.json,.geojson"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              setFile(f ? { name: f.name, text: await f.text() } : null);
            }}
          />
        </label>
        <label>
          {t('analytics.timeCol')}
          <input value={form.time} onChange={set('time')} />
        </label>
        <label>
          {t('analytics.xCol')}
          <input value={form.x} onChange={set('x')} />
        </label>
        <label>
          {t('analytics.yCol')}
          <input value={form.y} onChange={set('y')} />
        </label>
        <label>
          {t('analytics.crs')}
          <input value={form.crs} onChange={set('crs')} />
        </label>
        <label>
          {t('analytics.trainEnd')}
          <input type="date" value={form.trainEnd} onChange={set('trainEnd')} />
        </label>
        <label>
          {t('analytics.horizon')}
          <select value={form.horizon} onChange={set('horizon')}>
            {(['7d', '14d', '1m', '2m', '3m'] as const).map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
        <label>
          {GRID_TEXT[lang].grid}
          <select value={form.grid} onChange={set('grid')} data-testid="grid">
            <option value="square">{GRID_TEXT[lang].square}</option>
            <option value="h3">{GRID_TEXT[lang].h3}</option>
          </select>
        </label>
        {form.grid === 'square' ? (
          <label>
            {t('analytics.cell')}
            <input type="number" min={10} max={10000} value={form.cell} onChange={set('cell')} />
          </label>
        ) : (
          <label>
            {GRID_TEXT[lang].h3Res}
            <select value={form.h3Res} onChange={set('h3Res')} data-testid="h3-res">
              {H3_RESOLUTIONS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t('analytics.coverage')}
          <input type="number" min={0.001} max={1} step={0.001} value={form.coverage} onChange={set('coverage')} />
        </label>
        <button type="submit" disabled={!file || busy}>
          {busy ? t('page.loading') : t('analytics.run')}
        </button>
      </form>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
          {error instanceof ApiError && (error.problem?.errors?.length ?? 0) > 0 && (
            <ul>
              {error.problem?.errors?.slice(0, 10).map((x) => (
                <li key={`${x.path}:${x.code}`}>{`${FIELD_LABELS[x.path] ? t(FIELD_LABELS[x.path]) : x.path}: ${x.message}`}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {result && (
        <>
          <p className="muted small">{t('analytics.backtestWindow', { from: result.window.from.slice(0, 10), to: result.window.to.slice(0, 10), train: result.trainEvents, test: result.testEvents })}</p>
          {result.skipped.count > 0 && (
            <p className="muted small" data-testid="backtest-skipped">
              {t('analytics.backtestSkipped', {
                count: result.skipped.count,
                rows: result.rows,
                first: result.skipped.first.map((x) => t('analytics.skippedRow', { row: x.row, column: x.column })).join(', '),
              })}
            </p>
          )}
          <table data-testid="backtest-table">
            <thead>
              <tr>
                <th scope="col">{t('analytics.method')}</th>
                <th scope="col">PAI</th>
                <th scope="col">PEI</th>
                <th scope="col">{t('analytics.captured')}</th>
              </tr>
            </thead>
            <tbody>
              {result.methods.map((m) => (
                <tr key={m.method} data-method={m.method}>
                  <th scope="row">{t(`analytics.method.${m.method}`)}</th>
                  <td className="num">{fmt(m.pai)}</td>
                  <td className="num">{fmt(m.pei, 3)}</td>
                  <td className="num">{`${m.captured} / ${m.total}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.bestOverKde && <p>{t('analytics.bestOverKde', { method: t(`analytics.method.${result.bestOverKde.method}`), ratio: fmt(result.bestOverKde.ratio) })}</p>}
        </>
      )}
    </div>
  );
}
