import type { RuleId, TransactionPolicy } from '../config/policy.ts';

/**
 * Windowed state of the call and payment streams, in memory, keyed by phone number and account. No I/O; time is
 * passed in (ms since the epoch). Bounded: lists keep their last entries and `sweep` drops idle keys.
 */

export type CallRisk = 'flagged' | 'international' | 'unknown';
const RISK_VALUE: Record<CallRisk, number> = { unknown: 1, international: 2, flagged: 3 };

interface RiskyCall {
  at: number;
  caller: string;
  risk: CallRisk;
}

/** What is remembered of one called number: its recent callers (the latest call of each) and its risky calls. */
interface CalledNumber {
  /** Caller → time of its latest call, least recent first; at most MAX_CALLERS. */
  callers: Map<string, number>;
  /** The latest MAX_CALLERS risky calls, in arrival order. */
  risky: RiskyCall[];
  last: number;
}

const MAX_CALLERS = 32;

/** Moves `key` to the end of the map's order (most recent) and evicts the least recent keys beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    for (const k of map.keys()) {
      map.delete(k);
      if (map.size <= max) break;
    }
  }
}

/**
 * Recent calls per called number: who called (to tell a first-time caller, one map lookup whatever the number's
 * traffic) and which calls were risky (for the call-then-transfer typology).
 */
export class CallStream {
  private readonly byCalled = new Map<string, CalledNumber>();
  /** `maxKeys`: called numbers held at most; the least recently called are forgotten first. */
  constructor(
    private readonly memoryMs: number,
    private readonly maxKeys = 1_000_000,
  ) {}

  get size(): number {
    return this.byCalled.size;
  }

  /** A call from `caller` to `called` at `at`; calls may arrive late (from other processes), out of order. */
  record(called: string, caller: string, risk: CallRisk | null, at: number): void {
    let state = this.byCalled.get(called);
    if (!state) state = { callers: new Map(), risky: [], last: at };
    touch(this.byCalled, called, state, this.maxKeys);
    const before = state.callers.get(caller);
    touch(state.callers, caller, before === undefined || at > before ? at : before, MAX_CALLERS);
    if (risk) {
      state.risky.push({ at, caller, risk });
      if (state.risky.length > MAX_CALLERS) state.risky.splice(0, state.risky.length - MAX_CALLERS);
    }
    if (at > state.last) state.last = at;
  }

  /** The caller called this number before, within memory. */
  knows(called: string, caller: string, now: number): boolean {
    const at = this.byCalled.get(called)?.callers.get(caller);
    return at !== undefined && now - at <= this.memoryMs;
  }

  /** 0 when no risky call reached `phone` in the `windowMs` before `now`; else 1 unknown, 2 international, 3 flagged. */
  riskiest(phone: string, now: number, windowMs: number): { value: number; caller: string | null; at: number | null } {
    let best = { value: 0, caller: null as string | null, at: null as number | null };
    for (const c of this.byCalled.get(phone)?.risky ?? []) {
      if (c.at > now || now - c.at > windowMs) continue;
      const v = RISK_VALUE[c.risk];
      if (v > best.value) best = { value: v, caller: c.caller, at: c.at };
    }
    return best;
  }

  sweep(now: number): void {
    for (const [k, state] of this.byCalled) if (now - state.last > this.memoryMs) this.byCalled.delete(k);
  }
}

export interface Transfer {
  payer: string;
  payee: string;
  amount: number;
  at: number;
  payerOpenedAt: number | null;
  payeeOpenedAt: number | null;
}

interface PayerState {
  amounts: number[];
  times: number[];
  payees: string[];
  last: number;
}

interface AccountFlow {
  inbound: { at: number; payer: string; amount: number }[];
  outbound: { at: number; amount: number }[];
  last: number;
}

const MAX_AMOUNTS = 50;
const MAX_TIMES = 200;
const MAX_PAYEES = 100;
const MAX_FLOW = 500;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-payer history and per-account flows; gives the behavioural rules their values. */
export class PaymentStream {
  private readonly payers = new Map<string, PayerState>();
  private readonly accounts = new Map<string, AccountFlow>();
  /** `maxKeys`: payers, and accounts, held at most; the least recently active are forgotten first. */
  constructor(private readonly maxKeys = 1_000_000) {}

  get size(): number {
    return this.payers.size + this.accounts.size;
  }

  /** Values of the behavioural rules for `t` (call_then_transfer and listed_payee are filled in by the caller). */
  features(t: Transfer, policy: TransactionPolicy): Omit<Record<RuleId, number>, 'call_then_transfer' | 'listed_payee'> {
    const p = this.payers.get(t.payer);
    const isNew = (opened: number | null) => opened !== null && t.at - opened <= policy.newAccountDays * 86_400_000;
    const muleFrom = t.at - policy.muleWindowMin * 60_000;

    let muleInbound = 0;
    if (isNew(t.payeeOpenedAt)) {
      const payers = new Set((this.accounts.get(t.payee)?.inbound ?? []).filter((x) => x.at >= muleFrom).map((x) => x.payer));
      payers.add(t.payer);
      muleInbound = payers.size;
    }
    let muleFastOut = 0;
    if (isNew(t.payerOpenedAt)) {
      const flow = this.accounts.get(t.payer);
      const received = (flow?.inbound ?? []).filter((x) => x.at >= muleFrom).reduce((s, x) => s + x.amount, 0);
      const paid = (flow?.outbound ?? []).filter((x) => x.at >= muleFrom).reduce((s, x) => s + x.amount, 0);
      if (received > 0) muleFastOut = (paid + t.amount) / received;
    }
    const velocityFrom = t.at - policy.velocityWindowMin * 60_000;
    let velocity = 1;
    if (p) for (const x of p.times) if (x >= velocityFrom && x <= t.at) velocity++;
    const amountUnusual = p && p.amounts.length >= policy.minHistory ? t.amount / Math.max(median(p.amounts), 1) : 0;
    const first = !p?.payees.includes(t.payee);
    return {
      first_or_large: first || t.amount >= policy.largeAmount ? 1 : 0,
      mule_inbound: muleInbound,
      mule_fast_out: muleFastOut,
      velocity,
      amount_unusual: amountUnusual,
    };
  }

  /** Adds a transfer that went ahead (allowed or held) to the history. */
  commit(t: Transfer): void {
    const p = this.payers.get(t.payer) ?? { amounts: [], times: [], payees: [], last: t.at };
    touch(this.payers, t.payer, p, this.maxKeys);
    p.amounts.push(t.amount);
    if (p.amounts.length > MAX_AMOUNTS) p.amounts.shift();
    p.times.push(t.at);
    if (p.times.length > MAX_TIMES) p.times.shift();
    if (!p.payees.includes(t.payee)) {
      p.payees.push(t.payee);
      if (p.payees.length > MAX_PAYEES) p.payees.shift();
    }
    p.last = Math.max(p.last, t.at);
    this.flow(t.payee, t.at).inbound.push({ at: t.at, payer: t.payer, amount: t.amount });
    this.flow(t.payer, t.at).outbound.push({ at: t.at, amount: t.amount });
  }

  private flow(account: string, at: number): AccountFlow {
    const f = this.accounts.get(account) ?? { inbound: [], outbound: [], last: at };
    touch(this.accounts, account, f, this.maxKeys);
    f.last = Math.max(f.last, at);
    if (f.inbound.length > MAX_FLOW) f.inbound.splice(0, f.inbound.length - MAX_FLOW);
    if (f.outbound.length > MAX_FLOW) f.outbound.splice(0, f.outbound.length - MAX_FLOW);
    return f;
  }

  /** Drops payers and accounts idle for longer than `idleMs`. */
  sweep(now: number, idleMs: number): void {
    for (const [k, p] of this.payers) if (now - p.last > idleMs) this.payers.delete(k);
    for (const [k, f] of this.accounts) if (now - f.last > idleMs) this.accounts.delete(k);
  }
}
