import type { RuleId, TransactionPolicy } from '../config/policy.ts';

/**
 * Windowed state of the call and payment streams, in memory, keyed by phone number and account. No I/O; time is
 * passed in (ms since the epoch). Bounded: lists keep their last entries and `sweep` drops idle keys.
 */

export type CallRisk = 'flagged' | 'international' | 'unknown';
const RISK_VALUE: Record<CallRisk, number> = { unknown: 1, international: 2, flagged: 3 };

const MAX_CALLERS = 32;

/**
 * A phone number in normal form (`+` and 8–15 digits, see identifiers.ts) as a number: exact, since 15 digits are
 * below 2^53, and compared without touching the string again. Anything else gives NaN, which equals nothing.
 */
export function phoneKey(e164: string): number {
  const n = e164.length;
  if (n < 2 || n > 16 || e164.charCodeAt(0) !== 43) return Number.NaN;
  let v = 0;
  for (let i = 1; i < n; i++) {
    const d = e164.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * What is remembered of one called number, in flat arrays of numbers (no object per call): its last MAX_CALLERS
 * distinct callers with the time of each one's latest call, and its last MAX_CALLERS risky calls.
 */
class CalledNumber {
  /** Callers (phoneKey), the latest time each called, and when each was last recorded (to forget the least recent). */
  readonly callers: number[] = [];
  readonly times: number[] = [];
  readonly touched: number[] = [];
  private tick = 0;
  /** Risky calls as a ring of MAX_CALLERS: time, risk value (1–3) and caller; `riskyNext` is the next slot to write. */
  readonly riskyAt: number[] = [];
  readonly riskyValue: number[] = [];
  readonly riskyCaller: string[] = [];
  private riskyNext = 0;
  last: number;

  constructor(at: number) {
    this.last = at;
  }

  indexOf(caller: number): number {
    const callers = this.callers;
    for (let i = 0; i < callers.length; i++) if (callers[i] === caller) return i;
    return -1;
  }

  call(caller: number, at: number): void {
    if (Number.isNaN(caller)) return; // not a number in normal form: never known
    const tick = ++this.tick;
    const i = this.indexOf(caller);
    if (i >= 0) {
      if (at > this.times[i]) this.times[i] = at;
      this.touched[i] = tick;
      return;
    }
    if (this.callers.length < MAX_CALLERS) {
      this.callers.push(caller);
      this.times.push(at);
      this.touched.push(tick);
      return;
    }
    let oldest = 0;
    for (let k = 1; k < MAX_CALLERS; k++) if (this.touched[k] < this.touched[oldest]) oldest = k;
    this.callers[oldest] = caller;
    this.times[oldest] = at;
    this.touched[oldest] = tick;
  }

  risky(caller: string, value: number, at: number): void {
    const k = this.riskyNext;
    this.riskyNext = k + 1 === MAX_CALLERS ? 0 : k + 1;
    this.riskyAt[k] = at;
    this.riskyValue[k] = value;
    this.riskyCaller[k] = caller;
  }
}

/**
 * Recent calls per called number: who called (to tell a first-time caller, one map lookup and a scan of at most
 * MAX_CALLERS numbers, whatever the number's traffic) and which calls were risky (for the call-then-transfer
 * typology). Called numbers are held in two generations: a number recorded goes to the current one (moving from the
 * previous if it was there), and when the current one is full the previous is forgotten and the current becomes the
 * previous — the least recently called numbers go first, without reordering a map on every call.
 */
export class CallStream {
  private current = new Map<string, CalledNumber>();
  private previous = new Map<string, CalledNumber>();
  private readonly generation: number;
  /** `maxKeys`: called numbers held at most. */
  constructor(
    private readonly memoryMs: number,
    maxKeys = 1_000_000,
  ) {
    this.generation = Math.max(1, Math.floor(maxKeys / 2));
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private find(called: string): CalledNumber | undefined {
    return this.current.get(called) ?? this.previous.get(called);
  }

  /** A call from `caller` to `called` at `at`; calls may arrive late (from other processes), out of order. */
  record(called: string, caller: string, risk: CallRisk | null, at: number): void {
    let state = this.current.get(called);
    if (!state) {
      state = this.previous.get(called);
      if (state) this.previous.delete(called);
      else state = new CalledNumber(at);
      if (this.current.size >= this.generation) {
        this.previous = this.current;
        this.current = new Map();
      }
      this.current.set(called, state);
    }
    state.call(phoneKey(caller), at);
    if (risk) state.risky(caller, RISK_VALUE[risk], at);
    if (at > state.last) state.last = at;
  }

  /** The caller called this number before, within memory. */
  knows(called: string, caller: string, now: number): boolean {
    const state = this.find(called);
    if (!state) return false;
    const i = state.indexOf(phoneKey(caller));
    return i >= 0 && now - state.times[i] <= this.memoryMs;
  }

  /** 0 when no risky call reached `phone` in the `windowMs` before `now`; else 1 unknown, 2 international, 3 flagged. */
  riskiest(phone: string, now: number, windowMs: number): { value: number; caller: string | null; at: number | null } {
    let best = { value: 0, caller: null as string | null, at: null as number | null };
    const state = this.find(phone);
    if (!state) return best;
    for (let i = 0; i < state.riskyAt.length; i++) {
      const at = state.riskyAt[i];
      if (at > now || now - at > windowMs) continue;
      const v = state.riskyValue[i];
      // Equal values: the later call (the ring's slots are not in time order).
      if (v > best.value || (v === best.value && best.at !== null && at > best.at)) best = { value: v, caller: state.riskyCaller[i], at };
    }
    return best;
  }

  sweep(now: number): void {
    for (const map of [this.current, this.previous]) for (const [k, state] of map) if (now - state.last > this.memoryMs) map.delete(k);
  }
}

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
