import type { FieldError } from '../../../packages/kernel/src/errors.ts';
import type { RuleId, TransactionPolicy } from '../config/policy.ts';
import { PaymentStream } from './streams.ts';
import { decideTransaction } from './typologies.ts';

/**
 * Backtest: replays a labelled CSV with PaySim's columns (`step,type,amount,nameOrig,…,nameDest,…,isFraud,…`) through
 * the transaction typologies, in order, as the live path would see it (blocked transfers stay out of the history), and
 * reports precision and recall of hold-or-block, and the ROC AUC of the score. Pure: no I/O, no clock.
 *
 * PaySim has no phones, no indicator lists and no account opening dates: call-then-transfer and the list rule give
 * 0, and an account counts as opened when the replay first sees it.
 */
export const PAYSIM_TYPES = ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'CASH_IN', 'DEBIT'] as const;
const REQUIRED = ['step', 'type', 'amount', 'nameOrig', 'nameDest', 'isFraud'] as const;

export interface PaySimRow {
  step: number;
  type: (typeof PAYSIM_TYPES)[number];
  amount: number;
  nameOrig: string;
  nameDest: string;
  isFraud: boolean;
}

export function parsePaySim(csv: string, maxRows: number): { ok: true; rows: PaySimRow[] } | { ok: false; errors: FieldError[] } {
  const lines = csv.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = Object.fromEntries(REQUIRED.map((c) => [c, header.indexOf(c)])) as Record<(typeof REQUIRED)[number], number>;
  const missing = REQUIRED.filter((c) => col[c] < 0);
  if (missing.length > 0) return { ok: false, errors: missing.map((c) => ({ path: `body.0.${c}`, code: 'required' })) };
  const rows: PaySimRow[] = [];
  const errors: FieldError[] = [];
  for (let i = 1; i < lines.length && errors.length < 100; i++) {
    if (lines[i].trim() === '') continue;
    if (rows.length >= maxRows) {
      errors.push({ path: `body.${i}`, code: 'fraud.too_many_lines', params: { maximum: maxRows } });
      break;
    }
    const f = lines[i].split(',').map((v) => v.trim());
    const step = Number(f[col.step]);
    const amount = Number(f[col.amount]);
    const type = f[col.type] as PaySimRow['type'];
    if (!/^\d{1,6}$/.test(f[col.step] ?? '')) errors.push({ path: `body.${i}.step`, code: 'invalid_value' });
    if (!PAYSIM_TYPES.includes(type)) errors.push({ path: `body.${i}.type`, code: 'invalid_value' });
    if (!/^\d+(\.\d+)?$/.test(f[col.amount] ?? '')) errors.push({ path: `body.${i}.amount`, code: 'invalid_value' });
    if (!f[col.nameOrig]) errors.push({ path: `body.${i}.nameOrig`, code: 'required' });
    if (!f[col.nameDest]) errors.push({ path: `body.${i}.nameDest`, code: 'required' });
    if (f[col.isFraud] !== '0' && f[col.isFraud] !== '1') errors.push({ path: `body.${i}.isFraud`, code: 'invalid_value' });
    rows.push({ step, type, amount, nameOrig: f[col.nameOrig], nameDest: f[col.nameDest], isFraud: f[col.isFraud] === '1' });
  }
  if (rows.length === 0 && errors.length === 0) errors.push({ path: 'body.1', code: 'required' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows };
}

/** ROC AUC by the Mann–Whitney statistic (ties count one half); null without both classes. */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number | null {
  const idx = scores.map((s, i) => ({ s, pos: labels[i] })).sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j].s === idx[i].s) j++;
    const rank = (i + 1 + j) / 2; // average of ranks i+1 … j
    for (let k = i; k < j; k++) if (idx[k].pos) {
      rankSumPos += rank;
      pos++;
    }
    i = j;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface BacktestResult {
  rows: number;
  frauds: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  auc: number | null;
  outcomes: { allow: number; hold: number; block: number };
  /** Per typology: rows at or over its alert threshold, and how many of them were fraud. */
  typologies: { id: string; alerts: number; fraudAlerts: number }[];
}

export function backtest(rows: readonly PaySimRow[], policy: TransactionPolicy): BacktestResult {
  const stream = new PaymentStream(Number.MAX_SAFE_INTEGER);
  const firstSeen = new Map<string, number>();
  const order = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.step - b.r.step || a.i - b.i);
  const scores: number[] = [];
  const labels: boolean[] = [];
  const outcomes = { allow: 0, hold: 0, block: 0 };
  const alerts = new Map(policy.typologies.map((t) => [t.id, { id: t.id, alerts: 0, fraudAlerts: 0 }]));
  let flagged = 0;
  let tp = 0;
  order.forEach(({ r }, n) => {
    const at = r.step * 3_600_000 + n; // hourly steps; the file's order within a step
    for (const name of [r.nameOrig, r.nameDest]) if (!firstSeen.has(name)) firstSeen.set(name, at);
    const transfer = { payer: r.nameOrig, payee: r.nameDest, amount: r.amount, at, payerOpenedAt: firstSeen.get(r.nameOrig) ?? null, payeeOpenedAt: firstSeen.get(r.nameDest) ?? null };
    const values: Record<RuleId, number> = { ...stream.features(transfer, policy), listed_payee: 0, call_then_transfer: 0 };
    const d = decideTransaction({ values, conditions: [], override: false, amount: r.amount, degradedHoldAmount: null, policy });
    if (d.outcome !== 'block') stream.commit(transfer);
    outcomes[d.outcome]++;
    scores.push(d.score);
    labels.push(r.isFraud);
    if (d.outcome !== 'allow') {
      flagged++;
      if (r.isFraud) tp++;
    }
    for (const t of d.typologies) {
      if (t.score < t.alert) continue;
      const a = alerts.get(t.id);
      if (a) {
        a.alerts++;
        if (r.isFraud) a.fraudAlerts++;
      }
    }
  });
  const frauds = labels.filter(Boolean).length;
  return {
    rows: rows.length,
    frauds,
    flagged,
    truePositives: tp,
    precision: flagged ? tp / flagged : null,
    recall: frauds ? tp / frauds : null,
    auc: rocAuc(scores, labels),
    outcomes,
    typologies: [...alerts.values()],
  };
}
