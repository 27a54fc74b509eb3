import type { RuleId, TransactionPolicy } from '../config/policy.ts';

/**
 * Windowed state of the call and payment streams, in memory, keyed by phone number and account. No I/O; time is
 * passed in (ms since the epoch). Bounded: lists keep their last entries and `sweep` drops idle keys.
 */

/** A call's risk for call-then-transfer, least to most: a first call not attested A, a call from abroad, a listed caller. */
export const CALL_RISKS = ['unknown', 'international', 'flagged'] as const;
export type CallRisk = (typeof CALL_RISKS)[number];
const RISK_VALUE: Record<CallRisk, number> = { unknown: 1, international: 2, flagged: 3 };

/** A risk as the decision log or the bus gives it back: one of the three, nothing else. */
export const isCallRisk = (x: unknown): x is CallRisk => (CALL_RISKS as readonly unknown[]).includes(x);

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
 * Room for one pair of numbers, exactly (`push` would leave room for 16 more, which most numbers never use), and the
 * same array grown to twice its room. Made of doubles from the start (NaN, then copies), so that storing a time never
 * changes the array's kind.
 */
const pair = (): number[] => [Number.NaN, Number.NaN];
const doubled = (from: number[]): number[] => from.concat(from);

/**
 * What is remembered of one called number, in flat arrays of numbers (no object per call, no string): its last
 * MAX_CALLERS distinct callers with the time of each one's latest call, and its last MAX_CALLERS risky calls. The
 * arrays start at one entry and double, so a number called once — most of them — costs about 200 bytes with its map
 * entry, not the 800 that three pushed-to arrays took.
 */
class CalledNumber {
  /** Pairs: caller (phoneKey), the latest time it called; `callerCount` pairs are in use. */
  private callers: number[];
  private callerCount = 0;
  /** Risky calls as a ring of at most MAX_CALLERS pairs: time, risk value (1–3); `riskyNext` is the next pair to write. */
  private risky: number[] | null = null;
  private riskyCount = 0;
  private riskyNext = 0;
  last: number;

  constructor(at: number) {
    this.last = at;
    this.callers = pair();
  }

  /** When `caller` last called, or NaN if it is not among the callers held. */
  calledAt(caller: number): number {
    const c = this.callers;
    for (let i = 0, n = 2 * this.callerCount; i < n; i += 2) if (c[i] === caller) return c[i + 1];
    return Number.NaN;
  }

  call(caller: number, at: number): void {
    if (Number.isNaN(caller)) return; // not a number in normal form: never known
    const n = 2 * this.callerCount;
    let c = this.callers;
    for (let i = 0; i < n; i += 2) {
      if (c[i] === caller) {
        if (at > c[i + 1]) c[i + 1] = at;
        return;
      }
    }
    if (this.callerCount < MAX_CALLERS) {
      if (n === c.length) this.callers = c = doubled(c);
      c[n] = caller;
      c[n + 1] = at;
      this.callerCount++;
      return;
    }
    // Full: the caller whose latest call is the oldest makes room (a late copy of an older call refreshes nothing).
    let oldest = 0;
    for (let i = 2; i < n; i += 2) if (c[i + 1] < c[oldest + 1]) oldest = i;
    if (c[oldest + 1] > at) return;
    c[oldest] = caller;
    c[oldest + 1] = at;
  }

  riskyCall(value: number, at: number): void {
    let r = this.risky;
    if (r === null) this.risky = r = pair();
    const k = this.riskyNext;
    if (2 * k === r.length) this.risky = r = doubled(r);
    r[2 * k] = at;
    r[2 * k + 1] = value;
    if (this.riskyCount < MAX_CALLERS) this.riskyCount++;
    this.riskyNext = k + 1 === MAX_CALLERS ? 0 : k + 1;
  }

  /** The highest risk value among the risky calls within `windowMs` before `now` (0 for none), and the latest such call's time. */
  riskiest(now: number, windowMs: number): { value: number; at: number | null } {
    const r = this.risky;
    let value = 0;
    let latest: number | null = null;
    if (r === null) return { value, at: latest };
    for (let i = 0, n = 2 * this.riskyCount; i < n; i += 2) {
      const at = r[i];
      if (at > now || now - at > windowMs) continue;
      const v = r[i + 1];
      // Equal values: the later call (the ring's slots are not in time order).
      if (v > value || (v === value && latest !== null && at > latest)) {
        value = v;
        latest = at;
      }
    }
    return { value, at: latest };
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
    if (risk) state.riskyCall(RISK_VALUE[risk], at);
    if (at > state.last) state.last = at;
  }

  /** The caller called this number before, within memory. */
  knows(called: string, caller: string, now: number): boolean {
    const at = this.find(called)?.calledAt(phoneKey(caller)) ?? Number.NaN;
    return now - at <= this.memoryMs;
  }

  /**
   * 0 when no risky call reached `phone` in the `windowMs` before `now`; else 1 unknown, 2 international, 3 flagged,
   * with the time of that call (the latest of equally risky ones).
   */
  riskiest(phone: string, now: number, windowMs: number): { value: number; at: number | null } {
    return this.find(phone)?.riskiest(now, windowMs) ?? { value: 0, at: null };
  }

  sweep(now: number): void {
    for (const map of [this.current, this.previous]) for (const [k, state] of map) if (now - state.last > this.memoryMs) map.delete(k);
  }
}

/**
 * How the payment stream knows an account: on the screening path the account key of its keyed hash (a number, see
 * `accountKey`); in a backtest the file's own account name.
 */
export type AccountKey = number | string;

/**
 * An account as the screening path holds it: the first 53 bits of its keyed hash (HMAC-SHA256 under the shared key),
 * a number — exact as a double, hashed by a Map at once and sent on the bus as it is. The decision log and the other
 * processes know the account by the same hash, so the stream can be rebuilt from either. Two accounts share a key with
 * probability about n / 2^53 per new account among n held (10^-10 for a million): their histories would merge.
 */
export function accountKey(digest: Uint8Array): number {
  return (digest[0] & 0x1f) * 2 ** 48 + digest[1] * 2 ** 40 + digest[2] * 2 ** 32 + digest[3] * 2 ** 24 + digest[4] * 65_536 + digest[5] * 256 + digest[6];
}

/** `accountKey` of a hash written in hex, as the decision log keeps it. NaN for text that is not one. */
export function accountKeyOfHex(hex: string): number {
  if (!/^[0-9a-f]{14}/i.test(hex)) return Number.NaN;
  return (Number.parseInt(hex.slice(0, 2), 16) & 0x1f) * 2 ** 48 + Number.parseInt(hex.slice(2, 14), 16);
}

export interface Transfer {
  payer: AccountKey;
  payee: AccountKey;
  amount: number;
  at: number;
  payerOpenedAt: number | null;
  payeeOpenedAt: number | null;
}

/** Transfers kept per account and direction: the newest MAX_EVENTS (up to CHUNK − 1 more until the oldest chunk is dropped). */
const MAX_EVENTS = 500;
/** The payer's median is taken over its last MAX_AMOUNTS transfers; velocity counts among its last MAX_TIMES. */
const MAX_AMOUNTS = 50;
const MAX_TIMES = 200;
const CHUNK = 4;
const NONE = -1;
const OUT = 0;
const IN = 1;

function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number, fillWith = 0): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  if (fillWith !== 0) b.fill(fillWith, a.length);
  return b;
}

/**
 * The transfers of every account in one pool of chunks of CHUNK entries; an entry is three numbers — time, amount
 * and the other account's serial — in typed arrays. One account's transfers one way are a chain of chunks, newest
 * first. Freed chunks are chained through `older` for reuse.
 */
class TransferPool {
  at = new Float64Array(CHUNK * 1024);
  amount = new Float64Array(CHUNK * 1024);
  party = new Float64Array(CHUNK * 1024);
  /** Per chunk: the next older and the next newer chunk of its chain, and the entries it holds. */
  older = new Int32Array(1024);
  newer = new Int32Array(1024);
  fill = new Uint8Array(1024);
  private free = NONE;
  private used = 0;

  alloc(): number {
    let c = this.free;
    if (c !== NONE) this.free = this.older[c];
    else {
      if (this.used === this.fill.length) this.grow();
      c = this.used++;
    }
    this.older[c] = NONE;
    this.newer[c] = NONE;
    this.fill[c] = 0;
    return c;
  }

  release(c: number): void {
    this.older[c] = this.free;
    this.free = c;
  }

  private grow(): void {
    const n = this.fill.length * 2;
    this.at = grown(this.at, n * CHUNK);
    this.amount = grown(this.amount, n * CHUNK);
    this.party = grown(this.party, n * CHUNK);
    this.older = grown(this.older, n);
    this.newer = grown(this.newer, n);
    this.fill = grown(this.fill, n);
  }
}

/**
 * Every account's recent transfers, out (as payer) and in (as payee), for the behavioural rules. Held flat: an
 * account is a slot in typed arrays (found by one map lookup from its IBAN), its transfers are entries in a shared
 * pool, and the other side of a transfer is recorded by its account's serial, a number never reused. There is no
 * object per account or per transfer, so however many accounts are held, the garbage collector has nothing of the
 * stream to trace but the map's keys, and a decision allocates nothing that outlives it.
 *
 * At most `maxKeys` accounts are held; the least recently active is forgotten first (a doubly linked list of slots
 * in order of activity). An account forgotten and seen again starts afresh, with a new serial: transfers recorded
 * against its old serial no longer count as its own.
 */
export class PaymentStream {
  private readonly slotOf = new Map<AccountKey, number>();
  private keys: (AccountKey | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private capacity = 1024;
  private slots = 0;
  private serial = new Float64Array(1024);
  private last = new Float64Array(1024);
  /** Activity order: `newer`/`older` neighbours per slot, and the two ends. */
  private lruNewer = new Int32Array(1024);
  private lruOlder = new Int32Array(1024);
  private newest = NONE;
  private oldest = NONE;
  /** Per list (slot × 2 + OUT or IN): newest chunk, oldest chunk, entries. */
  private head = new Int32Array(2048);
  private tail = new Int32Array(2048);
  private count = new Int32Array(2048);
  private readonly pool = new TransferPool();
  private nextSerial = 1;
  /** Scratch for the median and for counting distinct payers: no array per decision. */
  private readonly amounts = new Float64Array(MAX_AMOUNTS);
  private readonly parties = new Float64Array(MAX_EVENTS + CHUNK + 1);
  private readonly maxKeys: number;

  /** `maxKeys`: accounts held at most (at least 2: a transfer's two sides). */
  constructor(maxKeys = 1_000_000) {
    this.maxKeys = Math.max(2, maxKeys);
  }

  /** Accounts held. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Values of the behavioural rules for `t` (call_then_transfer and listed_payee are filled in by the caller). */
  features(t: Transfer, policy: TransactionPolicy): Omit<Record<RuleId, number>, 'call_then_transfer' | 'listed_payee'> {
    const payer = this.slotOf.get(t.payer) ?? NONE;
    const payee = this.slotOf.get(t.payee) ?? NONE;
    const newFrom = t.at - policy.newAccountDays * 86_400_000;
    const muleFrom = t.at - policy.muleWindowMin * 60_000;
    const pool = this.pool;

    let muleInbound = 0;
    if (t.payeeOpenedAt !== null && t.payeeOpenedAt >= newFrom) {
      // Distinct payers into the payee within the window, this one included.
      const parties = this.parties;
      let n = 0;
      parties[n++] = payer === NONE ? 0 : this.serial[payer];
      if (payee !== NONE)
        for (let c = this.head[payee * 2 + IN]; c !== NONE; c = pool.older[c])
          for (let k = c * CHUNK + pool.fill[c] - 1; k >= c * CHUNK; k--) if (pool.at[k] >= muleFrom) parties[n++] = pool.party[k];
      const sorted = parties.subarray(0, n).sort();
      muleInbound = 1;
      for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) muleInbound++;
    }
    let muleFastOut = 0;
    if (t.payerOpenedAt !== null && t.payerOpenedAt >= newFrom && payer !== NONE) {
      const received = this.sumSince(payer * 2 + IN, muleFrom);
      const paid = this.sumSince(payer * 2 + OUT, muleFrom);
      if (received > 0) muleFastOut = (paid + t.amount) / received;
    }
    const velocityFrom = t.at - policy.velocityWindowMin * 60_000;
    let velocity = 1;
    let amountUnusual = 0;
    let first = true;
    if (payer !== NONE) {
      const payeeSerial = payee === NONE ? -1 : this.serial[payee];
      const amounts = this.amounts;
      let seen = 0;
      for (let c = this.head[payer * 2 + OUT]; c !== NONE; c = pool.older[c])
        for (let k = c * CHUNK + pool.fill[c] - 1; k >= c * CHUNK; k--, seen++) {
          if (seen < MAX_AMOUNTS) amounts[seen] = pool.amount[k];
          const at = pool.at[k];
          if (seen < MAX_TIMES && at >= velocityFrom && at <= t.at) velocity++;
          if (pool.party[k] === payeeSerial) first = false;
        }
      const n = Math.min(seen, MAX_AMOUNTS);
      if (n >= policy.minHistory) amountUnusual = t.amount / Math.max(median(amounts.subarray(0, n).sort()), 1);
    }
    return {
      first_or_large: first || t.amount >= policy.largeAmount ? 1 : 0,
      mule_inbound: muleInbound,
      mule_fast_out: muleFastOut,
      velocity,
      amount_unusual: amountUnusual,
    };
  }

  /** Adds a transfer that went ahead (allowed or held) to both accounts' histories. */
  commit(t: Transfer): void {
    const payer = this.ensure(t.payer, t.at);
    const payee = this.ensure(t.payee, t.at);
    this.push(payer * 2 + OUT, t.at, t.amount, this.serial[payee]);
    this.push(payee * 2 + IN, t.at, t.amount, this.serial[payer]);
  }

  /** Forgets accounts idle for longer than `idleMs`. */
  sweep(now: number, idleMs: number): void {
    for (const slot of this.slotOf.values()) if (now - this.last[slot] > idleMs) this.remove(slot);
  }

  private sumSince(list: number, from: number): number {
    const pool = this.pool;
    let sum = 0;
    for (let c = this.head[list]; c !== NONE; c = pool.older[c]) for (let k = c * CHUNK + pool.fill[c] - 1; k >= c * CHUNK; k--) if (pool.at[k] >= from) sum += pool.amount[k];
    return sum;
  }

  /** The account's slot, made if new (forgetting the least recently active beyond `maxKeys`), now the most recent. */
  private ensure(key: AccountKey, at: number): number {
    let slot = this.slotOf.get(key);
    if (slot === undefined) {
      if (this.slotOf.size >= this.maxKeys) this.remove(this.oldest);
      slot = this.freeSlots.pop() ?? this.newSlot();
      this.keys[slot] = key;
      this.serial[slot] = this.nextSerial++;
      this.last[slot] = at;
      // A slot is cleared when it is freed (`remove`); a new one was never used.
      this.head[slot * 2 + OUT] = NONE;
      this.head[slot * 2 + IN] = NONE;
      this.tail[slot * 2 + OUT] = NONE;
      this.tail[slot * 2 + IN] = NONE;
      this.count[slot * 2 + OUT] = 0;
      this.count[slot * 2 + IN] = 0;
      this.slotOf.set(key, slot);
    } else {
      if (slot === this.newest) {
        if (at > this.last[slot]) this.last[slot] = at;
        return slot;
      }
      this.unlink(slot);
      if (at > this.last[slot]) this.last[slot] = at;
    }
    this.lruOlder[slot] = this.newest;
    this.lruNewer[slot] = NONE;
    if (this.newest !== NONE) this.lruNewer[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
    return slot;
  }

  private newSlot(): number {
    if (this.slots === this.capacity) {
      const n = this.capacity * 2;
      this.serial = grown(this.serial, n);
      this.last = grown(this.last, n);
      this.lruNewer = grown(this.lruNewer, n);
      this.lruOlder = grown(this.lruOlder, n);
      this.head = grown(this.head, n * 2);
      this.tail = grown(this.tail, n * 2);
      this.count = grown(this.count, n * 2);
      this.capacity = n;
    }
    return this.slots++;
  }

  private unlink(slot: number): void {
    const older = this.lruOlder[slot];
    const newer = this.lruNewer[slot];
    if (older !== NONE) this.lruNewer[older] = newer;
    else this.oldest = newer;
    if (newer !== NONE) this.lruOlder[newer] = older;
    else this.newest = older;
  }

  private remove(slot: number): void {
    this.unlink(slot);
    for (const list of [slot * 2 + OUT, slot * 2 + IN]) {
      for (let c = this.head[list]; c !== NONE; ) {
        const next = this.pool.older[c];
        this.pool.release(c);
        c = next;
      }
      this.head[list] = NONE;
      this.tail[list] = NONE;
      this.count[list] = 0;
    }
    this.slotOf.delete(this.keys[slot] as AccountKey);
    this.keys[slot] = undefined;
    this.freeSlots.push(slot);
  }

  /** Appends an entry to a list, dropping its oldest chunks beyond MAX_EVENTS entries. */
  private push(list: number, at: number, amount: number, party: number): void {
    const pool = this.pool;
    let c = this.head[list];
    if (c === NONE || pool.fill[c] === CHUNK) {
      const fresh = pool.alloc();
      pool.older[fresh] = c;
      if (c !== NONE) pool.newer[c] = fresh;
      else this.tail[list] = fresh;
      this.head[list] = fresh;
      c = fresh;
    }
    const k = c * CHUNK + pool.fill[c]++;
    pool.at[k] = at;
    pool.amount[k] = amount;
    pool.party[k] = party;
    this.count[list]++;
    for (let t = this.tail[list]; this.count[list] - pool.fill[t] >= MAX_EVENTS; t = this.tail[list]) {
      this.count[list] -= pool.fill[t];
      const newer = pool.newer[t];
      this.tail[list] = newer;
      pool.older[newer] = NONE;
      pool.release(t);
    }
  }
}

/** The median of numbers sorted ascending. */
function median(sorted: Float64Array): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}
