import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TRANSACTION_POLICY as P, type TransactionPolicy } from '../config/policy.ts';
import { type AccountKey, accountKey, accountKeyOfHex, PaymentStream, type Transfer } from './streams.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-24T10:00:00Z');

/**
 * The payment stream's rules written the plain way — an array of objects per account and direction, a map in
 * activity order — to check the flat stream against. Accounts are told apart by a serial given when each is first
 * held, as the stream does, so an account forgotten and seen again is a new one.
 */
class Reference {
  private readonly accounts = new Map<AccountKey, { serial: number; out: { at: number; amount: number; party: number }[]; in: { at: number; amount: number; party: number }[] }>();
  private next = 1;
  constructor(private readonly maxKeys: number) {}

  features(t: Transfer, policy: TransactionPolicy) {
    const payer = this.accounts.get(t.payer);
    const payee = this.accounts.get(t.payee);
    const isNew = (opened: number | null) => opened !== null && t.at - opened <= policy.newAccountDays * DAY;
    const muleFrom = t.at - policy.muleWindowMin * MIN;
    let muleInbound = 0;
    if (isNew(t.payeeOpenedAt)) {
      const payers = new Set((payee?.in ?? []).filter((x) => x.at >= muleFrom).map((x) => x.party));
      payers.add(payer?.serial ?? 0);
      muleInbound = payers.size;
    }
    let muleFastOut = 0;
    if (isNew(t.payerOpenedAt) && payer) {
      const received = payer.in.filter((x) => x.at >= muleFrom).reduce((s, x) => s + x.amount, 0);
      const paid = payer.out.filter((x) => x.at >= muleFrom).reduce((s, x) => s + x.amount, 0);
      if (received > 0) muleFastOut = (paid + t.amount) / received;
    }
    const out = payer?.out ?? [];
    const velocity = 1 + out.slice(-200).filter((x) => x.at >= t.at - policy.velocityWindowMin * MIN && x.at <= t.at).length;
    const amounts = out.slice(-50).map((x) => x.amount);
    const sorted = [...amounts].sort((a, b) => a - b);
    const m = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    const first = !payee || !out.some((x) => x.party === payee.serial);
    return {
      first_or_large: first || t.amount >= policy.largeAmount ? 1 : 0,
      mule_inbound: muleInbound,
      mule_fast_out: muleFastOut,
      velocity,
      amount_unusual: amounts.length >= policy.minHistory ? t.amount / Math.max(median, 1) : 0,
    };
  }

  commit(t: Transfer): void {
    const payer = this.hold(t.payer);
    const payee = this.hold(t.payee);
    payer.out.push({ at: t.at, amount: t.amount, party: payee.serial });
    payee.in.push({ at: t.at, amount: t.amount, party: payer.serial });
  }

  get size(): number {
    return this.accounts.size;
  }

  private hold(key: AccountKey) {
    const held = this.accounts.get(key) ?? { serial: this.next++, out: [], in: [] };
    this.accounts.delete(key);
    if (this.accounts.size >= this.maxKeys) this.accounts.delete(this.accounts.keys().next().value as string);
    this.accounts.set(key, held);
    return held;
  }
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Short windows, so that the random transfers fall both in and out of them. */
const POLICY: TransactionPolicy = { ...P, muleWindowMin: 90, velocityWindowMin: 30, newAccountDays: 1, minHistory: 3 };

function compare(maxKeys: number, accounts: number, transfers: number, seed: number): void {
  const next = random(seed);
  const stream = new PaymentStream(maxKeys);
  const reference = new Reference(maxKeys);
  let at = T0;
  for (let i = 0; i < transfers; i++) {
    at += Math.floor(next() * 3 * MIN);
    const t: Transfer = {
      payer: `KZ${Math.floor(next() * accounts)}`,
      payee: `KZ${Math.floor(next() * accounts)}`,
      // Out of order now and then, as transfers decided in other processes arrive.
      at: next() < 0.1 ? at - Math.floor(next() * 40 * MIN) : at,
      amount: Math.floor(next() * 200_000) + 100,
      payerOpenedAt: next() < 0.5 ? at - Math.floor(next() * 2 * DAY) : null,
      payeeOpenedAt: next() < 0.5 ? at - Math.floor(next() * 2 * DAY) : null,
    };
    if (t.payer === t.payee) continue;
    expect(stream.features(t, POLICY), `transfer ${i}`).toEqual(reference.features(t, POLICY));
    if (next() < 0.9) {
      stream.commit(t);
      reference.commit(t);
    }
    expect(stream.size).toBe(reference.size);
  }
}

describe('payment stream, held flat', () => {
  it('gives the same rule values as the plain model over random transfers', () => {
    compare(1_000_000, 40, 4_000, 1);
  });

  it('the same with accounts forgotten and their space reused, over and over', () => {
    compare(12, 60, 6_000, 2);
  });

  it('keeps each account’s newest 500 transfers each way: the median over the last 50, velocity over the last 200', () => {
    const s = new PaymentStream();
    const base = { payer: 'P', payee: 'Q', payerOpenedAt: null, payeeOpenedAt: null };
    s.commit({ ...base, payee: 'EARLY', amount: 5, at: T0 });
    for (let i = 1; i <= 700; i++) s.commit({ ...base, amount: i, at: T0 + i * 1000 });
    const f = s.features({ ...base, amount: 1_000, at: T0 + 701 * 1000 }, P);
    // The last 50 amounts are 651…700: median 675.5.
    expect(f.amount_unusual).toBeCloseTo(1_000 / 675.5);
    expect(f.velocity).toBe(201);
    expect(f.first_or_large).toBe(0);
    // The transfer to EARLY is 700 transfers back: no longer held, so paying it again is a first transfer.
    expect(s.features({ ...base, payee: 'EARLY', amount: 1_000, at: T0 + 701 * 1000 }, P).first_or_large).toBe(1);
    // Q received 700 transfers from one payer: counted once, with nothing older than the window.
    expect(s.features({ ...base, payer: 'R', amount: 1_000, at: T0 + 701 * 1000, payeeOpenedAt: T0 }, P).mule_inbound).toBe(2);
  });

  it('knows an account by the same key from its keyed hash as bytes (screening) and as hex (the decision log)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const digest = createHmac('sha256', 'key').update(`iban:KZ${i}`).digest();
      const key = accountKey(digest);
      expect(Number.isSafeInteger(key)).toBe(true);
      expect(accountKeyOfHex(digest.toString('hex'))).toBe(key);
      seen.add(key);
    }
    expect(seen.size).toBe(2_000);
    // All 53 bits are used: the highest byte's top bits are dropped, the rest kept.
    expect(accountKey(Buffer.from('ffffffffffffff', 'hex'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(accountKeyOfHex('ffffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(accountKeyOfHex('not a hash')).toBeNaN();
  });
});
