import { describe, expect, it } from 'vitest';
import { TRANSACTION_POLICY } from '../config/policy.ts';
import { HEADER, paysimSample as sample, row } from '../testing/paysim.ts';
import { backtest, parsePaySim, rocAuc } from './backtest.ts';

describe('ROC AUC', () => {
  it('is the probability that a fraud scores above a non-fraud, ties counting one half', () => {
    expect(rocAuc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [false, false, true, true])).toBe(0);
    expect(rocAuc([1, 1, 1, 1], [false, true, false, true])).toBe(0.5);
    expect(rocAuc([1, 2, 2, 3], [false, true, false, true])).toBe(0.875);
    expect(rocAuc([1, 2], [false, false])).toBeNull();
  });
});

describe('PaySim backtest', () => {
  it('reads the columns by name and refuses bad rows with the line and column', () => {
    const p = parsePaySim(sample(), 1000);
    expect(p.ok && p.rows.length).toBe(33);
    expect(parsePaySim('step,type,amount\n1,PAYMENT,5', 10)).toEqual({
      ok: false,
      errors: ['nameOrig', 'nameDest', 'isFraud'].map((c) => ({ path: `body.0.${c}`, code: 'required' })),
    });
    const bad = parsePaySim(`${HEADER}\n${row(1, 'PAYMENT', 5, 'A', 'B', 0)}\nx,WIRE,-1,A,0,0,,0,0,2,0`, 10);
    expect(bad.ok === false && bad.errors.map((e) => e.path)).toEqual(['body.2.step', 'body.2.type', 'body.2.amount', 'body.2.nameDest', 'body.2.isFraud']);
    expect(parsePaySim(`${HEADER}\n${row(1, 'PAYMENT', 5, 'A', 'B', 0)}\n${row(1, 'PAYMENT', 5, 'A', 'B', 0)}`, 1)).toMatchObject({ ok: false, errors: [{ path: 'body.2', code: 'fraud.too_many_lines' }] });
  });

  it('replays through the typologies: the mule is caught from its fifth payer on, and when it cashes out', () => {
    const p = parsePaySim(sample(), 1000);
    if (!p.ok) throw new Error('sample');
    const r = backtest(p.rows, TRANSACTION_POLICY);
    // Victims 5–9 are held (5–9 distinct payers into a new account), 10–12 blocked, the cash-out held; 1–4 missed.
    expect(r).toMatchObject({ rows: 33, frauds: 13, flagged: 9, truePositives: 9, precision: 1, outcomes: { allow: 24, hold: 6, block: 3 } });
    expect(r.recall).toBeCloseTo(9 / 13);
    // Frauds 5–13 score above every ordinary payment (200), victims 1–4 tie with them: (9·20 + 4·20/2) / (13·20).
    expect(r.auc).toBeCloseTo(220 / 260);
    expect(r.typologies.find((t) => t.id === 'T-MULE')).toEqual({ id: 'T-MULE', alerts: 9, fraudAlerts: 9 });
  });
});
