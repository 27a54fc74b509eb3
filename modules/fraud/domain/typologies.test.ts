import { describe, expect, it } from 'vitest';
import { type RuleId, TRANSACTION_POLICY as P } from '../config/policy.ts';
import { CallStream, PaymentStream, phoneKey, type Transfer } from './streams.ts';
import { bandOf, decideTransaction } from './typologies.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');
const none: Record<RuleId, number> = { listed_payee: 0, call_then_transfer: 0, first_or_large: 0, mule_inbound: 0, mule_fast_out: 0, velocity: 1, amount_unusual: 0 };
const decide = (values: Partial<Record<RuleId, number>>, o: Partial<Parameters<typeof decideTransaction>[0]> = {}) =>
  decideTransaction({ values: { ...none, ...values }, conditions: [], override: false, amount: 1000, degradedHoldAmount: null, policy: P, ...o });

describe('bands', () => {
  it('lower limit inclusive, upper exclusive; below every band is the first', () => {
    const bands = P.rules.mule_inbound.bands;
    expect(bandOf(bands, 2.99)).toBe('.00');
    expect(bandOf(bands, 3)).toBe('.01');
    expect(bandOf(bands, 9.99)).toBe('.02');
    expect(bandOf(bands, 10)).toBe('.03');
    expect(bandOf(bands, 1e9)).toBe('.03');
    expect(bandOf(bands, -1)).toBe('.00');
  });
});

describe('typologies → decision', () => {
  it('allows when nothing fires, with every rule explained', () => {
    const d = decide({});
    expect(d.outcome).toBe('allow');
    expect(d.score).toBe(0);
    expect(d.rules.map((r) => r.rule).sort()).toEqual(Object.keys(P.rules).sort());
  });

  it('call-then-transfer: the weights only reach the thresholds together', () => {
    expect(decide({ call_then_transfer: 3 }).outcome).toBe('hold'); // flagged caller alone: 450 ≥ alert 400
    expect(decide({ call_then_transfer: 2 }).outcome).toBe('allow'); // international alone: 300
    expect(decide({ first_or_large: 1 }).outcome).toBe('allow'); // a first transfer alone: 200
    const d = decide({ call_then_transfer: 2, first_or_large: 1 });
    expect(d).toMatchObject({ outcome: 'hold', score: 500, reasons: ['typology_T-CALL_alert'] });
    expect(d.typologies.find((t) => t.id === 'T-CALL')?.contributions).toEqual([
      { rule: 'call_then_transfer', ref: '.02', value: 2, weight: 300 },
      { rule: 'first_or_large', ref: '.01', value: 1, weight: 200 },
    ]);
    expect(decide({ call_then_transfer: 3, first_or_large: 1 })).toMatchObject({ outcome: 'block', score: 650, reasons: ['typology_T-CALL_interdiction'] });
  });

  it('a payee on a warning list scores by confidence', () => {
    expect(decide({ listed_payee: 0.3 }).outcome).toBe('allow');
    expect(decide({ listed_payee: 0.6 }).outcome).toBe('hold');
    expect(decide({ listed_payee: 0.95 }).outcome).toBe('block');
  });

  it('conditions: a non-overridable block is final, an overridable one becomes a hold with the bank’s override', () => {
    expect(decide({}, { conditions: [{ party: 'payee', overridable: false }], override: true })).toMatchObject({ outcome: 'block', reasons: ['payee_listed_block'] });
    expect(decide({}, { conditions: [{ party: 'payee', overridable: true }] })).toMatchObject({ outcome: 'block', reasons: ['payee_listed_block'] });
    expect(decide({}, { conditions: [{ party: 'payer', overridable: true }], override: true })).toMatchObject({ outcome: 'hold', reasons: ['payer_listed_block_overridden'] });
  });

  it('degraded: holds a transfer at or above the amount that would be allowed, never lifts a block', () => {
    expect(decide({}, { amount: 100_000, degradedHoldAmount: 100_000 })).toMatchObject({ outcome: 'hold', reasons: ['degraded_default'] });
    expect(decide({}, { amount: 99_999, degradedHoldAmount: 100_000 }).outcome).toBe('allow');
    expect(decide({ listed_payee: 0.95 }, { amount: 100_000, degradedHoldAmount: 100_000 }).outcome).toBe('block');
  });
});

const transfer = (o: Partial<Transfer>): Transfer => ({ payer: 'P', payee: 'Q', amount: 10_000, at: T0, payerOpenedAt: null, payeeOpenedAt: null, ...o });

describe('payment stream features', () => {
  it('mule inbound: distinct payers into a new account within the window', () => {
    const s = new PaymentStream();
    for (let i = 0; i < 9; i++) s.commit(transfer({ payer: `V${i}`, payee: 'MULE', at: T0 + i * MIN, payeeOpenedAt: T0 - 3 * DAY }));
    s.commit(transfer({ payer: 'V0', payee: 'MULE', at: T0 + 10 * MIN })); // the same payer again does not count twice
    const t = transfer({ payer: 'V9', payee: 'MULE', at: T0 + 20 * MIN, payeeOpenedAt: T0 - 3 * DAY });
    expect(s.features(t, P).mule_inbound).toBe(10);
    expect(decide(s.features(t, P)).outcome).toBe('block');
    // An account opened long ago is not a mule candidate; payers outside the window do not count.
    expect(s.features({ ...t, payeeOpenedAt: T0 - 400 * DAY }, P).mule_inbound).toBe(0);
    expect(s.features({ ...t, at: T0 + 2 * DAY }, P).mule_inbound).toBe(1);
  });

  it('mule fast out: a new account paying out what it just received', () => {
    const s = new PaymentStream();
    s.commit(transfer({ payer: 'V1', payee: 'MULE', amount: 60_000, at: T0 }));
    s.commit(transfer({ payer: 'V2', payee: 'MULE', amount: 40_000, at: T0 + MIN }));
    const out = transfer({ payer: 'MULE', payee: 'CASH', amount: 90_000, at: T0 + 30 * MIN, payerOpenedAt: T0 - DAY });
    expect(s.features(out, P).mule_fast_out).toBeCloseTo(0.9);
    expect(decide(s.features(out, P)).outcome).toBe('hold');
    expect(s.features({ ...out, payerOpenedAt: null }, P).mule_fast_out).toBe(0);
  });

  it('velocity and unusual amounts from the payer’s own history', () => {
    const s = new PaymentStream();
    expect(s.features(transfer({ amount: 1_000_000 }), P).amount_unusual).toBe(0); // no history: never unusual
    for (const [i, amount] of [10_000, 12_000, 11_000].entries()) s.commit(transfer({ amount, at: T0 + i * MIN }));
    const f = s.features(transfer({ amount: 150_000, at: T0 + 5 * MIN }), P);
    expect(f.amount_unusual).toBeCloseTo(150_000 / 11_000);
    expect(f.velocity).toBe(4);
    expect(f.first_or_large).toBe(0);
    expect(s.features(transfer({ payee: 'NEW', at: T0 + 5 * MIN }), P).first_or_large).toBe(1);
    expect(s.features(transfer({ amount: P.largeAmount, at: T0 + 5 * MIN }), P).first_or_large).toBe(1);
    for (let i = 0; i < 20; i++) s.commit(transfer({ at: T0 + 10 * MIN + i * 1000 }));
    expect(decide(s.features(transfer({ amount: 10_000, at: T0 + 15 * MIN }), P)).outcome).toBe('hold'); // 24 in an hour: 400
    expect(decide(s.features(transfer({ amount: 150_000, at: T0 + 15 * MIN }), P))).toMatchObject({ outcome: 'block', score: 850 }); // and 15× the median
    expect(s.features(transfer({ at: T0 + 3 * 60 * MIN }), P).velocity).toBe(1);
  });

  it('holds at most maxKeys accounts, forgetting the least recently active first', () => {
    const s = new PaymentStream(4);
    s.commit(transfer({ payer: 'A', payee: 'B' }));
    s.commit(transfer({ payer: 'C', payee: 'D' }));
    expect(s.features(transfer({ payer: 'A', payee: 'B' }), P).first_or_large).toBe(0);
    s.commit(transfer({ payer: 'E', payee: 'F' }));
    expect(s.size).toBe(4);
    expect(s.features(transfer({ payer: 'A', payee: 'B' }), P).first_or_large).toBe(1); // A and B were forgotten
    expect(s.features(transfer({ payer: 'C', payee: 'D' }), P).first_or_large).toBe(0);
  });

  it('sweep forgets idle accounts', () => {
    const s = new PaymentStream();
    s.commit(transfer({}));
    expect(s.size).toBe(2);
    s.sweep(T0 + 3 * DAY, DAY);
    expect(s.size).toBe(0);
  });
});

describe('call stream', () => {
  it('the riskiest call to a phone within the window', () => {
    const c = new CallStream(6 * 60 * MIN);
    c.record('+77011234567', '+77770001122', 'unknown', T0);
    c.record('+77011234567', '+442079460958', 'international', T0 + 5 * MIN);
    expect(c.riskiest('+77011234567', T0 + 10 * MIN, 30 * MIN)).toEqual({ value: 2, at: T0 + 5 * MIN });
    expect(c.riskiest('+77011234567', T0 + 34 * MIN, 30 * MIN).value).toBe(2);
    expect(c.riskiest('+77011234567', T0 + 36 * MIN, 30 * MIN).value).toBe(0);
    expect(c.riskiest('+77019999999', T0, 30 * MIN).value).toBe(0);
    expect(c.knows('+77011234567', '+77770001122', T0 + MIN)).toBe(true);
    expect(c.knows('+77011234567', '+77770009999', T0 + MIN)).toBe(false);
    c.sweep(T0 + 7 * 60 * MIN);
    expect(c.size).toBe(0);
  });

  it('knows the last 32 distinct callers of a number, however often each called; a late copy of an older call changes nothing', () => {
    const c = new CallStream(6 * 60 * MIN);
    const called = '+77011234567';
    const caller = (i: number) => `+7777000${String(i).padStart(4, '0')}`;
    c.record(called, caller(0), null, T0 + 10 * MIN);
    // The same caller many times, then a late copy of an earlier call of it: still known, from its latest call.
    for (let k = 0; k < 50; k++) c.record(called, caller(1), null, T0 + k);
    c.record(called, caller(0), null, T0);
    expect(c.knows(called, caller(0), T0 + 10 * MIN + 6 * 60 * MIN)).toBe(true);
    expect(c.knows(called, caller(0), T0 + 10 * MIN + 6 * 60 * MIN + 1)).toBe(false);
    expect(c.knows(called, caller(1), T0 + MIN)).toBe(true);
    // 31 more distinct callers: 33 in all, so the least recent (caller 1; caller 0 was refreshed by its late copy) is forgotten.
    for (let i = 2; i <= 32; i++) c.record(called, caller(i), null, T0 + 20 * MIN + i);
    expect(c.knows(called, caller(1), T0 + 30 * MIN)).toBe(false);
    expect(c.knows(called, caller(0), T0 + 30 * MIN)).toBe(true);
    expect(c.knows(called, caller(32), T0 + 30 * MIN)).toBe(true);
    // Full, a late copy of a call older than every caller held pushes none of them out.
    c.record(called, caller(99), null, T0 + 1);
    expect(c.knows(called, caller(99), T0 + 30 * MIN)).toBe(false);
    for (const i of [0, ...Array.from({ length: 31 }, (_, k) => k + 2)]) expect(c.knows(called, caller(i), T0 + 30 * MIN)).toBe(true);
    // Calls without risk never count as risky ones.
    expect(c.riskiest(called, T0 + 30 * MIN, 60 * MIN).value).toBe(0);
  });

  it('keeps the last 32 risky calls of a number, and of equally risky ones gives the latest one’s time', () => {
    const c = new CallStream(6 * 60 * MIN);
    const called = '+77011234567';
    // 40 calls from abroad, one a minute: the first 8 (minutes 0–7) are no longer held, minute 8's is the oldest still there.
    for (let i = 0; i < 40; i++) c.record(called, `+44207946${String(i).padStart(4, '0')}`, 'international', T0 + i * MIN);
    expect(c.riskiest(called, T0 + 39 * MIN, 60 * MIN)).toEqual({ value: 2, at: T0 + 39 * MIN });
    expect(c.riskiest(called, T0 + 7 * MIN, 0).value).toBe(0);
    expect(c.riskiest(called, T0 + 8 * MIN, 0)).toEqual({ value: 2, at: T0 + 8 * MIN });
    // A flagged call outranks later international ones.
    c.record(called, '+77009998877', 'flagged', T0 + 40 * MIN);
    c.record(called, '+442079461000', 'international', T0 + 41 * MIN);
    expect(c.riskiest(called, T0 + 41 * MIN, 60 * MIN)).toEqual({ value: 3, at: T0 + 40 * MIN });
  });

  it('compares callers as numbers: exact to 15 digits; a number not in normal form is never known, its risk still counts', () => {
    expect(phoneKey('+77011234567')).toBe(77011234567);
    expect(phoneKey('+999999999999999')).toBe(999999999999999);
    expect(phoneKey('+999999999999998')).not.toBe(phoneKey('+999999999999999'));
    for (const bad of ['77011234567', '+7701123456x', '+', '', '+7701123456789012']) expect(phoneKey(bad)).toBeNaN();
    const c = new CallStream(6 * 60 * MIN);
    c.record('+77011234567', '+999999999999999', null, T0);
    expect(c.knows('+77011234567', '+999999999999999', T0 + MIN)).toBe(true);
    expect(c.knows('+77011234567', '+999999999999998', T0 + MIN)).toBe(false);
    c.record('+77011234567', 'anonymous', 'unknown', T0);
    expect(c.knows('+77011234567', 'anonymous', T0 + MIN)).toBe(false);
    expect(c.riskiest('+77011234567', T0 + MIN, 30 * MIN)).toEqual({ value: 1, at: T0 });
  });

  it('at scale: never more than maxKeys numbers, and a number called again outlives those called once before it', () => {
    const c = new CallStream(6 * 60 * MIN, 1000);
    const number = (i: number) => `+7701${String(i).padStart(7, '0')}`;
    for (let i = 0; i < 5000; i++) {
      c.record(number(i), '+77770000000', 'unknown', T0 + i);
      // Number 0 is called again every 100 calls: however many others come, it stays.
      if (i % 100 === 0) c.record(number(0), '+77770000001', 'unknown', T0 + i);
      expect(c.size).toBeLessThanOrEqual(1000);
    }
    expect(c.riskiest(number(0), T0 + 5000, 30 * MIN).value).toBe(1);
    // The 500 most recently called are all held; the first thousand (but number 0) are forgotten.
    for (let i = 4500; i < 5000; i++) expect(c.riskiest(number(i), T0 + 5000, 30 * MIN).value).toBe(1);
    for (let i = 1; i < 1000; i++) expect(c.riskiest(number(i), T0 + 5000, 30 * MIN).value).toBe(0);
  });

  it('holds at most maxKeys numbers, forgetting the least recently called', () => {
    const c = new CallStream(6 * 60 * MIN, 2);
    c.record('+77010000001', '+77770000000', 'unknown', T0);
    c.record('+77010000002', '+77770000000', 'unknown', T0 + 1);
    c.record('+77010000001', '+77770000000', 'unknown', T0 + 2); // 1 is now the most recent
    c.record('+77010000003', '+77770000000', 'unknown', T0 + 3);
    expect(c.size).toBe(2);
    expect(c.riskiest('+77010000002', T0 + 5, 30 * MIN).value).toBe(0);
    expect(c.riskiest('+77010000001', T0 + 5, 30 * MIN).value).toBe(1);
  });
});
