/**
 * Average-speed (section) control as pure, in-memory code: no I/O, no clock, no allocation per read on the
 * common path. The service feeds it reads in arrival order and the time (the watermark); it answers with
 * outcomes (violations, and pairs it refused to make violations of) and counters.
 *
 * How a pair is made:
 * - A section has one entry camera and one exit camera, a surveyed length, a limit per vehicle class, an
 *   active period and a maximum travel time. Reads are keyed by (section, plate).
 * - Out-of-order arrival: an exit read waits until the watermark passes its time — by then every read
 *   taken before it has arrived, if it was not later than the allowed lateness — and is then paired with
 *   the **latest** entry read of the same plate before it, within the maximum travel time. (The latest,
 *   because a vehicle seen at the entry twice started its trip at the second passage.)
 * - The watermark is the newest time of any read from an in-sync camera minus the allowed lateness, or
 *   later when the caller advances it by its own clock (quiet roads at night). Reads older than the
 *   watermark when they arrive are **late**: counted, never paired (deterministic: what the engine pairs
 *   does not depend on how late the stragglers were).
 * - Duplicates: reads of the same plate by the same camera of a section within `dedupeMs` are one passage; the
 *   first sighting (earliest time) stands, whichever arrived first, so the result does not depend on arrival order.
 * - Entry reads that find no exit within the maximum travel time expire (unmatched; the reads may be purged).
 * - A pair faster than `maxPlausibleKmh` is **implausible** (a misread or a cloned plate): never a violation;
 *   the entry stays available for the vehicle's real exit.
 * - speed = length ÷ Δt; the limit is that of the vehicle's class (a section's new limits apply to the pairs settled
 *   after the change; its active period is judged at the entry); with no class, or two
 *   cameras that disagree, the most lenient limit applies. A violation only when speed > limit + tolerance,
 *   tolerance = max(kmh, percent × speed) of that class.
 * - A pair with a read from a camera whose clock was not in sync, or whose certificate was not valid, at the
 *   time of the read **never** becomes a violation: it is counted and reported (`suppressed-unsynced`,
 *   `suppressed-uncertified`).
 *
 * In-flight state per vehicle: one slot in struct-of-arrays typed arrays (time, chain link, flags, section,
 * wheel bucket, plate as a number), one entry in an open-addressing index of (section, plate) → first slot of the
 * plate's chain (plates of up to 10 characters are base-37 numbers, so no string is kept), and one entry in a
 * timing wheel of one-second buckets (exits wait there to be settled, entries to expire).
 */

/** Read flags. */
export const CLOCK_OK = 1;
export const CERT_OK = 2;
/** Class index for "unknown". Known classes are 0..5 in `VEHICLE_CLASSES` order. */
export const CLASS_UNKNOWN = 7;
export const CLASS_COUNT = 6;

export interface SectionSpec {
  entryCamera: number;
  exitCamera: number;
  lengthM: number;
  /** km/h per class, `VEHICLE_CLASSES` order (car, truck, bus, motorcycle, moped, other). */
  limitsKmh: readonly number[];
  maxTravelMs: number;
  /** Active period, ms since the epoch (inclusive from, exclusive to); reads entering outside it are not paired. */
  activeFromMs: number;
  activeToMs: number;
}

export interface Tolerance {
  /** km/h per class. */
  kmh: readonly number[];
  /** Percent of the measured speed per class; the larger of the two applies. */
  percent: readonly number[];
}

export interface EngineOptions {
  latenessMs: number;
  dedupeMs: number;
  maxPlausibleKmh: number;
  tolerance: Tolerance;
}

export type OutcomeKind = 'violation' | 'suppressed-unsynced' | 'suppressed-uncertified' | 'implausible';

export interface Outcome {
  kind: OutcomeKind;
  section: number;
  plate: string;
  entryAtMs: number;
  exitAtMs: number;
  speedKmh: number;
  limitKmh: number;
  toleranceKmh: number;
  /** Class index whose limit applied (CLASS_UNKNOWN: no class known, the most lenient limit). */
  vehicleClass: number;
  entryFlags: number;
  exitFlags: number;
}

export interface SectionCounters {
  entries: number;
  exits: number;
  pairs: number;
  compliant: number;
  violations: number;
  suppressedUnsynced: number;
  suppressedUncertified: number;
  implausible: number;
  unmatchedEntries: number;
  unmatchedExits: number;
  duplicates: number;
  /** Reads that arrived behind the watermark (not paired). */
  late: number;
  inactive: number;
  /** Sum of the speeds of all pairs (for the average). */
  speedSumKmh: number;
}

export interface EngineCounters {
  reads: number;
  /** Reads from cameras whose clock was not in sync at the time of the read. */
  unsyncedReads: number;
  uncertifiedReads: number;
  late: number;
  duplicates: number;
  pairs: number;
  compliant: number;
  violations: number;
  suppressedUnsynced: number;
  suppressedUncertified: number;
  implausible: number;
  unmatchedEntries: number;
  unmatchedExits: number;
}

const COUNTER_FIELDS = [
  'entries',
  'exits',
  'pairs',
  'compliant',
  'violations',
  'suppressedUnsynced',
  'suppressedUncertified',
  'implausible',
  'unmatchedEntries',
  'unmatchedExits',
  'duplicates',
  'late',
  'inactive',
  'speedSumKmh',
] as const;
const C = Object.fromEntries(COUNTER_FIELDS.map((f, i) => [f, i])) as Record<(typeof COUNTER_FIELDS)[number], number>;
const NC = COUNTER_FIELDS.length;

/** meta byte: bit 0 exit (else entry), bits 1–2 flags, bits 3–5 class, bit 6 alive. */
const EXIT = 1;
/** meta bit 6: the slot holds a read in flight. */
const ALIVE = 64;
const NONE = -1;

/** Plate characters as base-37 digits (1–36; 0 never occurs, so every plate of up to 10 characters is its own number). */
const DIGIT = new Int8Array(128).fill(-1);
const ALPHABET = ' 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
for (let i = 1; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** A normalised plate of up to 10 characters as a number (37¹⁰ < 2⁵³), or −1. */
export function plateCode(plate: string): number {
  if (plate.length > 10) return -1;
  let c = 0;
  for (let i = 0; i < plate.length; i++) {
    const ch = plate.charCodeAt(i);
    const d = ch < 128 ? DIGIT[ch] : -1;
    if (d < 0) return -1;
    c = c * 37 + d;
  }
  return c;
}

/** The plate a code stands for. */
export function plateText(code: number): string {
  let s = '';
  for (let c = code; c > 0; ) {
    const d = c % 37;
    s = ALPHABET[d] + s;
    c = (c - d) / 37;
  }
  return s;
}

export class SectionEngine {
  private readonly opts: EngineOptions;
  // sections
  private specs: SectionSpec[] = [];
  /** Plates too long to be numbers (rare foreign ones): their chains by plate, per section. */
  private longMaps: Map<string, number>[] = [];
  /** Plates with reads in flight, per section. */
  private plates: number[] = [];
  private minTravelMs: number[] = [];
  private counters = new Float64Array(0);
  /** Per camera: sections it is the entry of / the exit of. */
  private entryOf: number[][] = [];
  private exitOf: number[][] = [];
  // slots (one per in-flight read)
  private cap = 0;
  private atMs = new Float64Array(0);
  private next = new Int32Array(0);
  private meta = new Uint8Array(0);
  private sec = new Uint32Array(0);
  /** The plate of each slot as a number (base 37, see plateCode), or −1 with the text in `longPlate`. */
  private codeOf = new Float64Array(0);
  private longPlate = new Map<number, string>();
  // The plate index: (section, plate code) → the first slot of the plate's chain, open addressing with linear
  // probing (tSec −1 = empty), at most half full.
  private tCode = new Float64Array(0);
  private tSec = new Int32Array(0);
  private tVal = new Int32Array(0);
  private tMask = 0;
  private tSize = 0;
  /** The wheel bucket (second) each live slot waits in. */
  private bucketOf = new Float64Array(0);
  private free = NONE;
  private live = 0;
  // Timing wheels, one bucket per second of key: exits wait to be settled, entries to expire.
  private exitWheel = new Map<number, number[]>();
  private entryWheel = new Map<number, number[]>();
  /** Every bucket up to `done` has been processed; `nextBucket` is the lowest that may hold anything, `lastBucket` the highest. */
  private done = Number.NEGATIVE_INFINITY;
  private nextBucket = Number.POSITIVE_INFINITY;
  private lastBucket = Number.NEGATIVE_INFINITY;

  private wm = Number.NEGATIVE_INFINITY;
  private out: Outcome[] = [];
  readonly total: EngineCounters = {
    reads: 0,
    unsyncedReads: 0,
    uncertifiedReads: 0,
    late: 0,
    duplicates: 0,
    pairs: 0,
    compliant: 0,
    violations: 0,
    suppressedUnsynced: 0,
    suppressedUncertified: 0,
    implausible: 0,
    unmatchedEntries: 0,
    unmatchedExits: 0,
  };

  constructor(options: EngineOptions, sections: readonly SectionSpec[] = []) {
    this.opts = options;
    for (const s of sections) this.setSection(this.specs.length, s);
    this.grow(1024);
    this.tableGrow(1024);
  }

  /** Adds section `index` (the next one) or replaces its limits, length, period and travel time (cameras are fixed). */
  setSection(index: number, spec: SectionSpec): void {
    if (index > this.specs.length) throw new Error(`sections are added in order: expected ${this.specs.length}, got ${index}`);
    if (spec.limitsKmh.length !== CLASS_COUNT) throw new Error('limitsKmh needs one limit per class');
    const minTravelMs = (spec.lengthM / (this.opts.maxPlausibleKmh / 3.6)) * 1000;
    if (index < this.specs.length) {
      const old = this.specs[index];
      if (old.entryCamera !== spec.entryCamera || old.exitCamera !== spec.exitCamera) throw new Error('a section’s cameras do not change');
      this.specs[index] = { ...spec };
      this.minTravelMs[index] = minTravelMs;
      return;
    }
    this.specs.push({ ...spec });
    this.longMaps.push(new Map());
    this.plates.push(0);
    this.minTravelMs.push(minTravelMs);
    const counters = new Float64Array((index + 1) * NC);
    counters.set(this.counters);
    this.counters = counters;
    this.cameraList(this.entryOf, spec.entryCamera).push(index);
    this.cameraList(this.exitOf, spec.exitCamera).push(index);
  }

  get sectionCount(): number {
    return this.specs.length;
  }

  private cameraList(lists: number[][], camera: number): number[] {
    while (lists.length <= camera) lists.push([]);
    return lists[camera];
  }

  /** The watermark: reads older than this are late. */
  get watermark(): number {
    return this.wm;
  }

  /** Vehicles (reads) held in flight. */
  get inFlight(): number {
    return this.live;
  }

  /**
   * One read. `camera` is the caller's camera index, `atMs` whole milliseconds, `flags` CLOCK_OK | CERT_OK,
   * `vehicleClass` 0..5 or CLASS_UNKNOWN. Outcomes collect until `drain()`.
   */
  ingest(camera: number, plate: string, atMs: number, flags: number, vehicleClass: number): void {
    const t = this.total;
    t.reads++;
    if ((flags & CLOCK_OK) === 0) t.unsyncedReads++;
    if ((flags & CERT_OK) === 0) t.uncertifiedReads++;
    const entries = this.entryOf[camera];
    const exits = this.exitOf[camera];
    if (atMs < this.wm) {
      t.late++;
      if (entries !== undefined) for (let i = 0; i < entries.length; i++) this.counters[entries[i] * NC + C.late]++;
      if (exits !== undefined) for (let i = 0; i < exits.length; i++) this.counters[exits[i] * NC + C.late]++;
      return;
    }
    const meta = (flags & 3) << 1 | (vehicleClass & 7) << 3;
    if (entries !== undefined) for (let i = 0; i < entries.length; i++) this.add(entries[i], plate, atMs, meta);
    if (exits !== undefined) for (let i = 0; i < exits.length; i++) this.add(exits[i], plate, atMs, meta | EXIT);
    // Only clocks known to be right move time forward.
    if ((flags & CLOCK_OK) !== 0) {
      const w = atMs - this.opts.latenessMs;
      if (w > this.wm) this.advance(w);
    }
  }

  private add(s: number, plate: string, atMs: number, meta: number): void {
    const spec = this.specs[s];
    const base = s * NC;
    const isExit = (meta & EXIT) !== 0;
    // The active period is judged at the entry: an exit is kept while its entry may have been in the period.
    if (isExit ? atMs - spec.maxTravelMs >= spec.activeToMs || atMs < spec.activeFromMs : atMs < spec.activeFromMs || atMs >= spec.activeToMs) {
      this.counters[base + C.inactive]++;
      return;
    }
    const code = plateCode(plate);
    const first = this.headOf(s, code, plate);
    let head = first;
    const dedupe = this.opts.dedupeMs;
    let tail = NONE;
    for (let i = head; i !== NONE; i = this.next[i]) {
      if ((this.meta[i] & EXIT) === (meta & EXIT) && Math.abs(this.atMs[i] - atMs) <= dedupe) {
        this.counters[base + C.duplicates]++;
        this.total.duplicates++;
        // One passage read twice: the first sighting stands, whichever arrived first.
        if (atMs >= this.atMs[i]) return;
        head = this.unlink(head, i);
        this.release(i);
        this.counters[base + (isExit ? C.exits : C.entries)]--;
        tail = NONE;
        for (let j = head; j !== NONE; j = this.next[j]) tail = j;
        break;
      }
      tail = i;
    }
    this.counters[base + (isExit ? C.exits : C.entries)]++;
    const slot = this.alloc();
    this.atMs[slot] = atMs;
    this.meta[slot] = meta | ALIVE;
    this.sec[slot] = s;
    this.codeOf[slot] = code;
    if (code < 0) this.longPlate.set(slot, plate);
    this.next[slot] = NONE;
    // Appended, so the index changes only for a plate new to the section (or a replaced first slot).
    if (head === NONE) head = slot;
    else this.next[tail] = slot;
    this.setHead(s, code, plate, first, head);
    // Exits are settled when the watermark reaches them; entries expire after the maximum travel time.
    this.schedule(slot, isExit ? atMs : atMs + spec.maxTravelMs + 1, isExit ? this.exitWheel : this.entryWheel);
  }

  private schedule(slot: number, keyMs: number, wheel: Map<number, number[]>): void {
    let b = Math.floor(keyMs / 1000);
    // A second already passed is processed at the next advance, with the first second not yet passed.
    if (b <= this.done) b = this.done + 1;
    if (b < this.nextBucket) this.nextBucket = b;
    if (b > this.lastBucket) this.lastBucket = b;
    this.bucketOf[slot] = b;
    const list = wheel.get(b);
    if (list === undefined) wheel.set(b, [slot]);
    else list.push(slot);
  }

  /** Moves the watermark forward (never back) and settles what it passes. */
  advance(toMs: number): void {
    if (toMs > this.wm) this.wm = toMs;
    // The last second the watermark has wholly passed.
    const passed = Math.floor((this.wm + 1) / 1000) - 1;
    // A bucket is processed once the watermark has passed all of it: its exits first, then its expiring entries
    // (an exit may still use an entry that expires in the same second; one in a later second cannot).
    while (this.nextBucket <= passed && this.nextBucket <= this.lastBucket) {
      const b = this.nextBucket;
      const exits = this.exitWheel.get(b);
      if (exits !== undefined) {
        this.exitWheel.delete(b);
        for (const slot of exits) if ((this.meta[slot] & (ALIVE | EXIT)) === (ALIVE | EXIT) && this.bucketOf[slot] === b) this.settleExit(slot);
      }
      const entries = this.entryWheel.get(b);
      if (entries !== undefined) {
        this.entryWheel.delete(b);
        for (const slot of entries) {
          if ((this.meta[slot] & (ALIVE | EXIT)) !== ALIVE || this.bucketOf[slot] !== b) continue;
          this.counters[this.sec[slot] * NC + C.unmatchedEntries]++;
          this.total.unmatchedEntries++;
          this.remove(slot);
        }
      }
      this.nextBucket = b + 1;
    }
    if (this.nextBucket > this.lastBucket) this.nextBucket = Number.POSITIVE_INFINITY;
    if (passed > this.done) this.done = passed;
  }

  private settleExit(x: number): void {
    const s = this.sec[x];
    const spec = this.specs[s];
    const code = this.codeOf[x];
    const plate = code < 0 ? (this.longPlate.get(x) as string) : '';
    const xAt = this.atMs[x];
    const minTravel = this.minTravelMs[s];
    let best = NONE;
    let tooFast = NONE;
    const head = this.headOf(s, code, plate);
    for (let i = head; i !== NONE; i = this.next[i]) {
      if ((this.meta[i] & EXIT) !== 0) continue;
      const dt = xAt - this.atMs[i];
      if (dt <= 0 || dt > spec.maxTravelMs) continue;
      if (dt < minTravel) {
        if (tooFast === NONE || this.atMs[i] > this.atMs[tooFast]) tooFast = i;
      } else if (best === NONE || this.atMs[i] > this.atMs[best]) best = i;
    }
    const base = s * NC;
    if (best === NONE) {
      if (tooFast !== NONE) {
        this.counters[base + C.implausible]++;
        this.total.implausible++;
        this.out.push(this.outcome('implausible', s, plate, tooFast, x, 0, 0, CLASS_UNKNOWN));
      } else {
        this.counters[base + C.unmatchedExits]++;
        this.total.unmatchedExits++;
      }
      this.setHead(s, code, plate, head, this.unlink(head, x));
      this.release(x);
      return;
    }
    const dtS = (xAt - this.atMs[best]) / 1000;
    const speed = (spec.lengthM / dtS) * 3.6;
    // The class whose limit applies: the camera's, or the most lenient one when unknown or disputed.
    const ce = (this.meta[best] >> 3) & 7;
    const cx = (this.meta[x] >> 3) & 7;
    let cls = CLASS_UNKNOWN;
    if (ce !== CLASS_UNKNOWN && cx !== CLASS_UNKNOWN) cls = spec.limitsKmh[ce] >= spec.limitsKmh[cx] ? ce : cx;
    else if (ce !== CLASS_UNKNOWN) cls = ce;
    else if (cx !== CLASS_UNKNOWN) cls = cx;
    let limit: number;
    let tol: number;
    const t = this.opts.tolerance;
    if (cls === CLASS_UNKNOWN) {
      limit = 0;
      tol = 0;
      for (let k = 0; k < CLASS_COUNT; k++) {
        if (spec.limitsKmh[k] > limit) limit = spec.limitsKmh[k];
        const tk = Math.max(t.kmh[k], (speed * t.percent[k]) / 100);
        if (tk > tol) tol = tk;
      }
    } else {
      limit = spec.limitsKmh[cls];
      tol = Math.max(t.kmh[cls], (speed * t.percent[cls]) / 100);
    }
    this.counters[base + C.pairs]++;
    this.counters[base + C.speedSumKmh] += speed;
    this.total.pairs++;
    const flags = (this.meta[best] >> 1) & (this.meta[x] >> 1) & 3;
    // Floating point must not tip a speed exactly at the threshold against the driver.
    if (speed <= limit + tol + 1e-9) {
      this.counters[base + C.compliant]++;
      this.total.compliant++;
    } else if ((flags & CLOCK_OK) === 0) {
      this.counters[base + C.suppressedUnsynced]++;
      this.total.suppressedUnsynced++;
      this.out.push(this.outcome('suppressed-unsynced', s, plate, best, x, speed, limit, cls, tol));
    } else if ((flags & CERT_OK) === 0) {
      this.counters[base + C.suppressedUncertified]++;
      this.total.suppressedUncertified++;
      this.out.push(this.outcome('suppressed-uncertified', s, plate, best, x, speed, limit, cls, tol));
    } else {
      this.counters[base + C.violations]++;
      this.total.violations++;
      this.out.push(this.outcome('violation', s, plate, best, x, speed, limit, cls, tol));
    }
    this.setHead(s, code, plate, head, this.unlink(this.unlink(head, best), x));
    this.release(best);
    this.release(x);
  }

  private outcome(kind: OutcomeKind, s: number, _plate: string, e: number, x: number, speed: number, limit: number, cls: number, tol = 0): Outcome {
    const code = this.codeOf[x];
    return {
      kind,
      section: s,
      plate: code < 0 ? (this.longPlate.get(x) as string) : plateText(code),
      entryAtMs: this.atMs[e],
      exitAtMs: this.atMs[x],
      speedKmh: speed,
      limitKmh: limit,
      toleranceKmh: tol,
      vehicleClass: cls,
      entryFlags: (this.meta[e] >> 1) & 3,
      exitFlags: (this.meta[x] >> 1) & 3,
    };
  }

  /** The outcomes collected since the last call. */
  drain(): Outcome[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  sectionCounters(s: number): SectionCounters {
    const base = s * NC;
    return Object.fromEntries(COUNTER_FIELDS.map((f, i) => [f, this.counters[base + i]])) as unknown as SectionCounters;
  }

  /** In-flight reads of one section. */
  sectionInFlight(s: number): number {
    return this.plates[s] ?? 0;
  }

  // ---- slots ----------------------------------------------------------------------------------------------

  private alloc(): number {
    if (this.free === NONE) this.grow(this.cap * 2);
    const slot = this.free;
    this.free = this.next[slot];
    this.live++;
    return slot;
  }

  /** Takes `slot` out of the chain starting at `head`; returns the chain's head. */
  private unlink(head: number, slot: number): number {
    if (head === slot) return this.next[slot];
    let i = head;
    while (this.next[i] !== slot) i = this.next[i];
    this.next[i] = this.next[slot];
    return head;
  }

  /** The first slot of a plate's chain in a section, or NONE. */
  private headOf(s: number, code: number, plate: string): number {
    return code < 0 ? (this.longMaps[s].get(plate) ?? NONE) : this.tableGet(code, s);
  }

  /** Records a chain's new first slot (NONE: the plate has nothing in flight in the section any more). */
  private setHead(s: number, code: number, plate: string, before: number, after: number): void {
    if (after === before) return;
    if (before === NONE) this.plates[s]++;
    else if (after === NONE) this.plates[s]--;
    if (code < 0) {
      if (after === NONE) this.longMaps[s].delete(plate);
      else this.longMaps[s].set(plate, after);
    } else if (after === NONE) this.tableDelete(code, s);
    else this.tableSet(code, s, after);
  }

  /** Returns an unlinked slot to the free list. */
  private release(slot: number): void {
    this.meta[slot] = 0;
    if (this.codeOf[slot] < 0) this.longPlate.delete(slot);
    this.next[slot] = this.free;
    this.free = slot;
    this.live--;
  }

  /** Unlinks a slot from its plate's chain and frees it. */
  private remove(slot: number): void {
    const s = this.sec[slot];
    const code = this.codeOf[slot];
    const plate = code < 0 ? (this.longPlate.get(slot) as string) : '';
    const head = this.headOf(s, code, plate);
    this.setHead(s, code, plate, head, this.unlink(head, slot));
    this.release(slot);
  }

  // ---- the plate index ----------------------------------------------------------------------------------------

  private tableSlot(code: number, s: number): number {
    const lo = code % 4294967296 | 0;
    const hi = (code / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(s + 1, 0x85ebca77), 0xc2b2ae3d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x27d4eb2f);
    h ^= h >>> 13;
    return h & this.tMask;
  }

  private tableGet(code: number, s: number): number {
    for (let i = this.tableSlot(code, s); this.tSec[i] !== -1; i = (i + 1) & this.tMask) {
      if (this.tCode[i] === code && this.tSec[i] === s) return this.tVal[i];
    }
    return NONE;
  }

  private tableSet(code: number, s: number, value: number): void {
    if ((this.tSize + 1) * 2 > this.tMask + 1) this.tableGrow((this.tMask + 1) * 2);
    let i = this.tableSlot(code, s);
    for (; this.tSec[i] !== -1; i = (i + 1) & this.tMask) {
      if (this.tCode[i] === code && this.tSec[i] === s) {
        this.tVal[i] = value;
        return;
      }
    }
    this.tCode[i] = code;
    this.tSec[i] = s;
    this.tVal[i] = value;
    this.tSize++;
  }

  /** Deletes by shifting later entries of the probe run back (no tombstones). */
  private tableDelete(code: number, s: number): void {
    const mask = this.tMask;
    let i = this.tableSlot(code, s);
    while (this.tSec[i] !== -1 && !(this.tCode[i] === code && this.tSec[i] === s)) i = (i + 1) & mask;
    if (this.tSec[i] === -1) return;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.tSec[j] === -1) break;
      const k = this.tableSlot(this.tCode[j], this.tSec[j]);
      // Move j back to i unless its home k lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.tCode[i] = this.tCode[j];
      this.tSec[i] = this.tSec[j];
      this.tVal[i] = this.tVal[j];
      i = j;
    }
    this.tSec[i] = -1;
    this.tSize--;
  }

  private tableGrow(cap: number): void {
    const [codes, secs, vals, oldCap] = [this.tCode, this.tSec, this.tVal, this.tMask + 1];
    this.tCode = new Float64Array(cap);
    this.tSec = new Int32Array(cap).fill(-1);
    this.tVal = new Int32Array(cap);
    this.tMask = cap - 1;
    this.tSize = 0;
    if (codes.length === 0) return;
    for (let i = 0; i < oldCap; i++) if (secs[i] !== -1) this.tableSet(codes[i], secs[i], vals[i]);
  }

  private grow(cap: number): void {
    const old = this.cap;
    const copy = <T extends Float64Array | Int32Array | Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.atMs = copy(this.atMs, (n) => new Float64Array(n));
    this.next = copy(this.next, (n) => new Int32Array(n));
    this.meta = copy(this.meta, (n) => new Uint8Array(n));
    this.sec = copy(this.sec, (n) => new Uint32Array(n));
    this.bucketOf = copy(this.bucketOf, (n) => new Float64Array(n));
    this.codeOf = copy(this.codeOf, (n) => new Float64Array(n));
    // New slots join the free list.
    for (let i = cap - 1; i >= old; i--) {
      this.next[i] = this.free;
      this.free = i;
    }
    this.cap = cap;
  }
}
