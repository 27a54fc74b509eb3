import { describe, expect, test } from 'vitest';
import { format, type MessageKey } from '../i18n.ts';
import { ApiError } from './api.ts';
import {
  normalizeBacktest,
  normalizeDecision,
  normalizeHistoryEntry,
  normalizeIdentifier,
  normalizeStats,
  outcomeCounts,
  parseNumberInput,
  preventedIn,
  problemFieldErrors,
  reasonText,
  subjectText,
  totalsByDay,
  totalsByPartner,
} from './fraud.ts';

const t = (key: MessageKey, params?: Record<string, string | number>) => format('ru', key, params);

/** GET /api/v1/fraud/stats as the server sends it (shape from modules/fraud/routes.ts). */
const stats = normalizeStats({
  policyVersion: 'tx-2026.1',
  from: null,
  to: null,
  decisions: [
    { kind: 'call', outcome: 'allow', count: 5, degraded: 0, meanLatencyUs: 12 },
    { kind: 'call', outcome: 'block', count: 2, degraded: 0, meanLatencyUs: 15 },
    { kind: 'transaction', outcome: 'hold', count: 1, degraded: 0, meanLatencyUs: 40 },
  ],
  feedback: [{ kind: 'transaction', truePositives: 1, falsePositives: 0, falseNegatives: 1, trueNegatives: 0, precision: 1, recall: 0.5 }],
  preventedLoss: [{ currency: 'KZT', amount: 350000 }],
  byDay: [
    { day: '2026-11-25', partner: 'partner:demo-bank', currency: 'KZT', preventedAmount: 250000, callsBlocked: 0 },
    { day: '2026-11-24', partner: 'partner:demo-bank', currency: 'KZT', preventedAmount: 100000, callsBlocked: 0 },
    { day: '2026-11-25', partner: 'partner:demo-telecom', currency: null, preventedAmount: 0, callsBlocked: 2 },
    { day: '2026-11-25', partner: 'partner:demo-bank', currency: 'USD', preventedAmount: 900, callsBlocked: 0 },
  ],
  live: { indicators: 3, degraded: false, recorderPending: 0, recorderDropped: 0 },
});

describe('fraud dashboard figures', () => {
  test('by day, oldest first, tenge only, calls of every partner added', () => {
    expect(totalsByDay(stats.byDay)).toEqual([
      { day: '2026-11-24', prevented: 100000, callsBlocked: 0 },
      { day: '2026-11-25', prevented: 250000, callsBlocked: 2 },
    ]);
  });
  test('by partner, most prevented first', () => {
    expect(totalsByPartner(stats.byDay).map((p) => [p.partner, p.prevented, p.callsBlocked])).toEqual([
      ['partner:demo-bank', 350000, 0],
      ['partner:demo-telecom', 0, 2],
    ]);
  });
  test('outcomes of a kind', () => {
    expect(outcomeCounts(stats, 'call')).toEqual({ allow: 5, block: 2 });
    expect(stats.feedback[0].recall).toBe(0.5);
  });
});

describe('reasons in words', () => {
  test('plain, typology and STIR/SHAKEN codes; an unknown code as itself', () => {
    expect(reasonText(t, 'caller_listed_block')).toBe(format('ru', 'freason.caller_listed_block'));
    expect(reasonText(t, 'typology_T-CALL_interdiction')).toBe(format('ru', 'freason.typologyInterdiction', { typology: format('ru', 'ftypology.T-CALL') }));
    expect(reasonText(t, 'typology_T-NEW_alert')).toBe(format('ru', 'freason.typologyAlert', { typology: 'T-NEW' }));
    expect(reasonText(t, 'shaken_invalid_stale_iat')).toBe(format('ru', 'freason.shakenInvalid', { reason: format('ru', 'fshaken.stale_iat') }));
    expect(reasonText(t, 'shaken_invalid_stale_iat')).not.toContain('stale_iat');
    expect(reasonText(t, 'shaken_invalid_brand_new')).toBe(format('ru', 'freason.shakenInvalid', { reason: 'brand_new' }));
    expect(reasonText(t, 'something_new')).toBe('something_new');
  });
});

describe('decisions', () => {
  test('a transfer with the bank’s verdict; accounts shown shortened when they are hashes', () => {
    const hash = 'a'.repeat(64);
    const d = normalizeDecision({
      id: 'd1',
      kind: 'transaction',
      outcome: 'block',
      score: 650,
      reasons: ['payee_listed_block', 7],
      subject: { transactionId: 'tx-1', payer: hash, payee: 'KZ75125KZT2069100100' },
      amount: '250000',
      currency: 'KZT',
      decidedAt: '2026-11-25T00:10:00.000Z',
      confirmedFraud: true,
    });
    expect(d).toMatchObject({ outcome: 'block', score: 650, reasons: ['payee_listed_block'], amount: 250000, confirmedFraud: true });
    expect(subjectText(d)).toBe(`tx-1 · ${'a'.repeat(10)}… → KZ75125KZT2069100100`);
    // As the decision log records transfers: the accounts' hashes.
    expect(subjectText(normalizeDecision({ kind: 'transaction', subject: { transactionId: 'tx-2', payerHash: hash, payeeHash: 'b'.repeat(64) } }))).toBe(
      `tx-2 · ${'a'.repeat(10)}… → ${'b'.repeat(10)}…`,
    );
    expect(subjectText(normalizeDecision({ kind: 'call', subject: { caller: '+77059876543', called: '+77011234567' } }))).toBe('+77059876543 → +77011234567');
    expect(normalizeDecision({ id: 'd2' }).confirmedFraud).toBeNull();
  });
  test('phone numbers typed the Kazakhstan way', () => {
    expect(normalizeIdentifier('phone', '8 (705) 987-65-43')).toBe('+77059876543');
    expect(normalizeIdentifier('phone', '12')).toBe('12');
    expect(normalizeIdentifier('iban', ' KZ75 ')).toBe('KZ75');
  });
});

describe('back-office additions', () => {
  test('prevented loss by region and channel: names per language, a missing region, the tenge sum', () => {
    const s = normalizeStats({
      byRegion: [
        { region: '750000000', name: { ru: 'Алматы', kk: 'Алматы (қала)', en: 'Almaty (city)' }, prevented: [{ currency: 'KZT', amount: 180000 }, { currency: 'USD', amount: 5 }], held: 1, blocked: 3, callsBlocked: 0 },
        { region: null, name: null, prevented: [], held: 2, blocked: 0, callsBlocked: 4 },
      ],
      byChannel: [{ channel: 'bank', prevented: [{ currency: 'KZT', amount: '180000' }], held: 1, blocked: 3, callsBlocked: 0 }],
    });
    expect(s.byRegion[0]).toMatchObject({ region: '750000000', name: { kk: 'Алматы (қала)' }, held: 1, blocked: 3 });
    expect(preventedIn(s.byRegion[0])).toBe(180000);
    expect(preventedIn(s.byRegion[0], 'USD')).toBe(5);
    expect(s.byRegion[1]).toEqual({ region: null, name: null, prevented: [], held: 2, blocked: 0, callsBlocked: 4 });
    expect(preventedIn(s.byChannel[0])).toBe(180000);
    // An older server without the breakdowns: empty, not a crash.
    expect(normalizeStats({}).byRegion).toEqual([]);
  });

  test('numbers typed the Russian way', () => {
    expect(parseNumberInput('0,5')).toBe(0.5);
    expect(parseNumberInput('1 000')).toBe(1000);
    expect(parseNumberInput('')).toBeNull();
    expect(parseNumberInput('много')).toBeNull();
  });

  test('a refused policy’s field errors keyed by the path after body.', () => {
    const e = new ApiError(400, {
      code: 'validation_failed',
      errors: [
        { path: 'body.policy.transactions.typologies.0.interdiction', code: 'fraud.thresholds_order', message: 'Порог…' },
        { path: 'body.comment', code: 'required', message: 'Обязательное поле.' },
      ],
    });
    expect(problemFieldErrors(e)).toEqual({ 'policy.transactions.typologies.0.interdiction': 'Порог…', comment: 'Обязательное поле.' });
    expect(problemFieldErrors(new Error('x'))).toEqual({});
  });

  test('backtest results and history entries normalised', () => {
    expect(normalizeBacktest({ rows: 33, precision: 1, auc: null, outcomes: { allow: 24, hold: 6 }, typologies: [{ id: 'T-MULE', alerts: 9, fraudAlerts: 9 }] })).toMatchObject({
      rows: 33,
      precision: 1,
      recall: null,
      auc: null,
      outcomes: { allow: 24, hold: 6, block: 0 },
      typologies: [{ id: 'T-MULE', alerts: 9, fraudAlerts: 9 }],
    });
    expect(normalizeHistoryEntry({ change: 'edited', actor: 'user:fraud', at: '2026-11-25T00:00:00Z', changes: [{ field: 'effect', from: 'warn', to: 'block' }] })).toEqual({
      change: 'edited',
      actor: 'user:fraud',
      at: '2026-11-25T00:00:00Z',
      comment: null,
      changes: [{ field: 'effect', from: 'warn', to: 'block' }],
    });
  });
});
