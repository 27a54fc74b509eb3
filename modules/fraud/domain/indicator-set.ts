import { type IdentifierKind, KINDS } from './identifiers.ts';

export const SOURCES = ['police_case', 'bank', 'operator', 'citizen_report'] as const;
export type IndicatorSource = (typeof SOURCES)[number];
export const EFFECTS = ['block', 'warn'] as const;
export type Effect = (typeof EFFECTS)[number];

/** What the screening paths need of one indicator (the state carried by `fraud.indicator.changed`). */
export interface IndicatorState {
  id: string;
  kind: IdentifierKind;
  /** HMAC-SHA256 of `<kind>:<normal form>` under the shared key (see identifiers.ts). */
  hash: string;
  source: IndicatorSource;
  confidence: number;
  effect: Effect;
  overridable: boolean;
  validFrom: string;
  validUntil: string | null;
  revoked: boolean;
  /** Version: a later state replaces an earlier one, an earlier one arriving late is ignored. */
  updatedAt: string;
}

/** What a lookup found for one identifier: the strongest indicator in force, and all of them. */
export interface Match {
  effect: Effect;
  /** False when any block in force may not be overridden. */
  overridable: boolean;
  confidence: number;
  sources: IndicatorSource[];
  ids: string[];
}

// Each indicator is one 88-byte record in fixed-size chunks (no object per indicator), its fields side by side so
// that a lookup that finds it reads two adjacent cache lines: validity from/until and version (3 × f64), the next
// record with the same identifier (i32), confidence (f32), 32 bytes of identifier hash, 16 of id and one byte of
// kind/source/flags. The table by identifier keeps, beside each record reference, the identifier's 32-bit slot
// hash: a probe compares that first, so an identifier that is not listed — most of what is screened — costs one
// read of the table and touches no record. 10 million indicators take about 1 GiB.
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const HASH_BYTES = 32;
const ID_BYTES = 16;
const STRIDE = 88;
/** Field positions: in f64 units (from, until, version), i32/f32 units (next, confidence) and bytes. */
const F64 = STRIDE / 8;
const I32 = STRIDE / 4;
const FROM = 0;
const UNTIL = 1;
const VERSION = 2;
const NEXT = 6;
const CONFIDENCE = 7;
const HASH_AT = 32;
const ID_AT = 64;
const META_AT = 80;
/** meta byte: kind (bits 0–2), source (bits 3–4), block (5), overridable (6), live = in its identifier's chain (7). */
const BLOCK = 1 << 5;
const OVERRIDABLE = 1 << 6;
const LIVE = 1 << 7;
const MAX_LOAD = 0.7;

const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const SOURCE_CODE = new Map<string, number>(SOURCES.map((s, i) => [s, i]));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = /^[0-9a-f]{64}$/;

/** One chunk's records, seen through one view per field type. */
interface Chunk {
  u8: Uint8Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
}

function newChunk(): Chunk {
  const buffer = new ArrayBuffer(CHUNK * STRIDE);
  return { u8: new Uint8Array(buffer), i32: new Int32Array(buffer), f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Writes `bytes` bytes from the hex digits of `s` (dashes skipped) into `out` at `at`; false on a non-hex digit. */
function parseHex(s: string, out: Uint8Array, at: number, bytes: number): boolean {
  let j = 0;
  for (let i = 0; i < bytes; i++) {
    if (s.charCodeAt(j) === 45) j++;
    const hi = hexValue(s.charCodeAt(j));
    const lo = hexValue(s.charCodeAt(j + 1));
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
    j += 2;
  }
  return true;
}

const HEX_DIGITS = '0123456789abcdef';
function formatUuid(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < ID_BYTES; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    const v = b[at + i];
    s += HEX_DIGITS[v >> 4] + HEX_DIGITS[v & 15];
  }
  return s;
}

/** A 32-bit slot hash of 4 bytes of an already uniformly random value, mixed with a small tag. */
function slotHash(b: Uint8Array, at: number, tag: number): number {
  return ((b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) ^ Math.imul(tag + 1, 0x9e3779b1)) >>> 0;
}

/**
 * The indicators in force, in memory: the screening hot paths look identifiers up here and never in the
 * database. Kept current by `apply` (at start from the table, then from the module's events). One identifier may
 * carry several indicators (different contributors); the lookup merges those in force. Records live in packed
 * typed arrays so that ten million fit in about a gigabyte and a lookup touches a few cache lines.
 */
export class IndicatorSet {
  private readonly chunks: Chunk[] = [];
  /** Records ever allocated (live, or remembered after revocation). */
  private used = 0;
  private live = 0;
  /**
   * Open addressing by identifier (kind + hash): two int32 per slot, the first record of the identifier's chain + 1
   * (0: empty) and the identifier's slot hash.
   */
  private byKey: Int32Array = new Int32Array(2 * 1024);
  private keys = 0;
  /** Open addressing by id → record + 1. */
  private byId: Int32Array = new Int32Array(1024);
  private ids = 0;
  /** Ids that are not UUIDs (tests, imports with their own ids): id → record, record → id. */
  private readonly otherIds = new Map<string, number>();
  private readonly otherIdOf = new Map<number, string>();
  private readonly scratch = new Uint8Array(HASH_BYTES + ID_BYTES);

  /** Indicators in force or pending (valid later), not revoked. */
  get size(): number {
    return this.live;
  }

  /** Bytes held by the typed arrays (records and both tables). */
  get bytes(): number {
    return this.chunks.length * CHUNK * STRIDE + this.byKey.byteLength + this.byId.byteLength;
  }

  /** Applies a state; returns false when it is older than what is held (a late or repeated event). */
  apply(s: IndicatorState): boolean {
    const version = Date.parse(s.updatedAt);
    const kind = KIND_CODE.get(s.kind);
    const source = SOURCE_CODE.get(s.source);
    if (kind === undefined || source === undefined || !HEX.test(s.hash)) throw new Error(`indicator ${s.id}: unknown kind or source, or a hash that is not 64 hex digits`);
    let r = this.findId(s.id);
    if (r >= 0) {
      const c = this.chunks[r >>> CHUNK_BITS];
      const o = r & MASK;
      if (c.f64[o * F64 + VERSION] > version) return false;
      if (c.u8[o * STRIDE + META_AT] & LIVE) {
        this.unchain(r);
        this.live--;
      }
    } else {
      r = this.allocate();
      this.setId(r, s.id);
    }
    const c = this.chunks[r >>> CHUNK_BITS];
    const o = r & MASK;
    c.f64[o * F64 + VERSION] = version;
    if (s.revoked) {
      c.u8[o * STRIDE + META_AT] = kind; // remembered with its version, so that a late older state is ignored
      return true;
    }
    parseHex(s.hash, c.u8, o * STRIDE + HASH_AT, HASH_BYTES);
    c.u8[o * STRIDE + META_AT] = kind | (source << 3) | (s.effect === 'block' ? BLOCK : 0) | (s.overridable ? OVERRIDABLE : 0) | LIVE;
    c.f32[o * I32 + CONFIDENCE] = s.confidence;
    c.f64[o * F64 + FROM] = Date.parse(s.validFrom);
    c.f64[o * F64 + UNTIL] = s.validUntil ? Date.parse(s.validUntil) : Number.POSITIVE_INFINITY;
    this.chain(r);
    this.live++;
    return true;
  }

  /** Indicators in force for the identifier (its hash in hex) at `at` (ms since the epoch), merged; null when none. */
  lookup(kind: IdentifierKind, hash: string, at: number): Match | null {
    if (!parseHex(hash, this.scratch, 0, HASH_BYTES)) return null;
    return this.lookupDigest(kind, this.scratch, at);
  }

  /** The same for the 32-byte digest itself (as `createHmac(...).digest()` gives it): no hex on the hot path. */
  lookupDigest(kind: IdentifierKind, digest: Uint8Array, at: number): Match | null {
    const k = KIND_CODE.get(kind);
    if (k === undefined) return null;
    let r = this.byKey[this.keySlot(k, digest, 0, slotHash(digest, 0, k) | 0)] - 1;
    if (r < 0) return null;
    let match: Match | null = null;
    while (r >= 0) {
      const c = this.chunks[r >>> CHUNK_BITS];
      const o = r & MASK;
      if (at >= c.f64[o * F64 + FROM] && at < c.f64[o * F64 + UNTIL]) {
        const meta = c.u8[o * STRIDE + META_AT];
        if (!match) match = { effect: 'warn', overridable: true, confidence: 0, sources: [], ids: [] };
        if (meta & BLOCK) {
          match.effect = 'block';
          if (!(meta & OVERRIDABLE)) match.overridable = false;
        }
        match.confidence = Math.max(match.confidence, Math.round(c.f32[o * I32 + CONFIDENCE] * 1e6) / 1e6);
        const source = SOURCES[(meta >> 3) & 3];
        if (!match.sources.includes(source)) match.sources.push(source);
        match.ids.push(this.idOf(r));
      }
      r = c.i32[o * I32 + NEXT] - 1;
    }
    return match;
  }

  // --- records -------------------------------------------------------------------------------------------------

  private allocate(): number {
    if (this.used === this.chunks.length * CHUNK) this.chunks.push(newChunk());
    return this.used++;
  }

  private idOf(r: number): string {
    const other = this.otherIdOf.get(r);
    return other ?? formatUuid(this.chunks[r >>> CHUNK_BITS].u8, (r & MASK) * STRIDE + ID_AT);
  }

  private next(r: number): number {
    return this.chunks[r >>> CHUNK_BITS].i32[(r & MASK) * I32 + NEXT];
  }

  private setNext(r: number, next: number): void {
    this.chunks[r >>> CHUNK_BITS].i32[(r & MASK) * I32 + NEXT] = next;
  }

  // --- the table by identifier: chains of records with the same kind and hash ----------------------------------

  /** The slot (an even index of `byKey`) that holds the identifier's chain, or the empty slot where it would go. */
  private keySlot(kind: number, b: Uint8Array, at: number, hash: number): number {
    const table = this.byKey;
    const mask = table.length - 2;
    let i = (hash << 1) & mask;
    for (;;) {
      const head = table[i];
      if (head === 0) return i;
      if (table[i + 1] === hash) {
        const r = head - 1;
        const c = this.chunks[r >>> CHUNK_BITS];
        const o = (r & MASK) * STRIDE;
        if ((c.u8[o + META_AT] & 7) === kind && sameBytes(c.u8, o + HASH_AT, b, at, HASH_BYTES)) return i;
      }
      i = (i + 2) & mask;
    }
  }

  /** The identifier's slot hash (int32) and its slot, from a record that carries it. */
  private slotOf(r: number): { hash: number; slot: number } {
    const c = this.chunks[r >>> CHUNK_BITS];
    const o = (r & MASK) * STRIDE;
    const kind = c.u8[o + META_AT] & 7;
    const hash = slotHash(c.u8, o + HASH_AT, kind) | 0;
    return { hash, slot: this.keySlot(kind, c.u8, o + HASH_AT, hash) };
  }

  private chain(r: number): void {
    const { hash, slot } = this.slotOf(r);
    this.setNext(r, 0);
    let x = this.byKey[slot] - 1;
    if (x < 0) {
      this.byKey[slot] = r + 1;
      this.byKey[slot + 1] = hash;
      if (++this.keys > (this.byKey.length / 2) * MAX_LOAD) this.byKey = rehashKeys(this.byKey);
      return;
    }
    // At the end of the chain: contributors are listed in the order they arrived.
    for (;;) {
      const next = this.next(x);
      if (next === 0) {
        this.setNext(x, r + 1);
        return;
      }
      x = next - 1;
    }
  }

  private unchain(r: number): void {
    const { slot } = this.slotOf(r);
    let prev = -1;
    let x = this.byKey[slot] - 1;
    while (x >= 0 && x !== r) {
      prev = x;
      x = this.next(x) - 1;
    }
    if (x < 0) return;
    const after = this.next(r);
    this.setNext(r, 0);
    this.chunks[r >>> CHUNK_BITS].u8[(r & MASK) * STRIDE + META_AT] &= ~LIVE;
    if (prev >= 0) this.setNext(prev, after);
    else if (after !== 0) this.byKey[slot] = after;
    else {
      deleteKeySlot(this.byKey, slot);
      this.keys--;
    }
  }

  // --- the table by id ----------------------------------------------------------------------------------------

  /** Only UUID ids are in `byId`. */
  private idHashOf(r: number): number {
    // The last bytes of a UUIDv7 are random; the first are a timestamp.
    return slotHash(this.chunks[r >>> CHUNK_BITS].u8, (r & MASK) * STRIDE + ID_AT + 12, 0);
  }

  private findId(id: string): number {
    if (!UUID.test(id)) return this.otherIds.get(id) ?? -1;
    parseHex(id, this.scratch, HASH_BYTES, ID_BYTES);
    const mask = this.byId.length - 1;
    let i = slotHash(this.scratch, HASH_BYTES + 12, 0) & mask;
    for (;;) {
      const v = this.byId[i];
      if (v === 0) return -1;
      const r = v - 1;
      if (sameBytes(this.chunks[r >>> CHUNK_BITS].u8, (r & MASK) * STRIDE + ID_AT, this.scratch, HASH_BYTES, ID_BYTES)) return r;
      i = (i + 1) & mask;
    }
  }

  private setId(r: number, id: string): void {
    if (!UUID.test(id)) {
      this.otherIds.set(id, r);
      this.otherIdOf.set(r, id);
      return;
    }
    parseHex(id, this.chunks[r >>> CHUNK_BITS].u8, (r & MASK) * STRIDE + ID_AT, ID_BYTES);
    const mask = this.byId.length - 1;
    let i = this.idHashOf(r) & mask;
    while (this.byId[i] !== 0) i = (i + 1) & mask;
    this.byId[i] = r + 1;
    if (++this.ids > this.byId.length * MAX_LOAD) this.byId = this.rehashIds(this.byId);
  }

  private rehashIds(table: Int32Array): Int32Array {
    const next = new Int32Array(table.length * 2);
    const mask = next.length - 1;
    for (const v of table) {
      if (v === 0) continue;
      let i = this.idHashOf(v - 1) & mask;
      while (next[i] !== 0) i = (i + 1) & mask;
      next[i] = v;
    }
    return next;
  }
}

function sameBytes(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/** The table by identifier at twice the size; each entry's home comes from the slot hash it carries. */
function rehashKeys(table: Int32Array): Int32Array {
  const next = new Int32Array(table.length * 2);
  const mask = next.length - 2;
  for (let j = 0; j < table.length; j += 2) {
    if (table[j] === 0) continue;
    let i = (table[j + 1] << 1) & mask;
    while (next[i] !== 0) i = (i + 2) & mask;
    next[i] = table[j];
    next[i + 1] = table[j + 1];
  }
  return next;
}

/** Removes a slot from the table by identifier, moving later entries of the run back so lookups never stop early. */
function deleteKeySlot(table: Int32Array, slot: number): void {
  const mask = table.length - 2;
  let hole = slot;
  let i = slot;
  for (;;) {
    i = (i + 2) & mask;
    if (table[i] === 0) break;
    const home = (table[i + 1] << 1) & mask;
    // Move the entry into the hole when its home is not cyclically within (hole, i].
    if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
      table[hole] = table[i];
      table[hole + 1] = table[i + 1];
      hole = i;
    }
  }
  table[hole] = 0;
  table[hole + 1] = 0;
}
