// Screening decisions as bytes. The screening thread writes each decision's fields straight into the pending log
// (`encodeCall`, `encodeTransaction`): a few stores, no object, no text — making the record's JSON there cost more
// than the rest of a call's decision put together. The decision log's writer thread (decision-writer.mjs) turns a
// batch of them into the JSON array the insert expects (`DecisionDecoder`), exactly the text `JSON.stringify` gives
// for the same record. Plain JavaScript: the writer thread runs without a TypeScript loader.
//
// A record, little-endian:
//   u32 length of the whole record
//   u8 kind (0 call, 1 transaction) · u8 degraded · u8 number of reasons · u8 number of typologies
//   36 bytes: the decision id (a UUID's text)
//   f64 score · f64 amount (NaN for none) · f64 decidedAt (epoch ms) · u32 latency (µs)
//   refs: outcome, policyVersion, partner, channel, area, region, currency; then one per reason
//   a call: text caller, text called, refs ingress, trunk, attestation
//   a transaction: text transactionId, 32 bytes payer hash, 32 bytes payee hash, per typology (ref id, f64 score)
// A ref is u16: 0 for null, the string's number in the `StringTable`, or 0xFFFF followed by the text itself (when
// the table is full). A text is u32 byte length + UTF-8.

export const CALL = 0;
export const TRANSACTION = 1;
const INLINE = 0xffff;
/** Strings given a number: reasons, outcomes, partners, channels, areas, trunks … — a few hundred in practice. */
export const MAX_INTERNED = 4096;
const ID_BYTES = 36;
/** Everything of a record but its strings, reasons and typologies. */
const FIXED = 4 + 4 + ID_BYTES + 8 + 8 + 8 + 4 + 7 * 2;

/**
 * Numbers for the strings that repeat across decisions, given out in order; the writer thread learns them from
 * `strings` (index = number, 0 is null).
 */
export class StringTable {
  constructor(max = MAX_INTERNED) {
    this.max = max;
    this.ids = new Map();
    this.strings = [null];
  }

  /** The string's number, giving it one while there is room; 0 for null; INLINE once the table is full. */
  ref(s) {
    if (s === null || s === undefined) return 0;
    let id = this.ids.get(s);
    if (id !== undefined) return id;
    if (this.strings.length > this.max) return INLINE;
    id = this.strings.length;
    this.strings.push(s);
    this.ids.set(s, id);
    return id;
  }
}

/** Room a string may need as a text or an inline ref (UTF-8 is at most 3 bytes per UTF-16 unit). */
const room = (s) => (s ? 6 + 3 * s.length : 2);

/** At most how many bytes `encodeCall` writes for `r`. */
export function callBound(r) {
  let n = FIXED + room(r.outcome) + room(r.policyVersion) + room(r.partner) + room(r.channel) + room(r.area) + room(r.region) + 2;
  for (const reason of r.reasons) n += room(reason);
  return n + room(r.caller) + room(r.called) + room(r.ingress) + room(r.trunk) + room(r.attestation);
}

/** At most how many bytes `encodeTransaction` writes for `r`. */
export function transactionBound(r) {
  let n = FIXED + room(r.outcome) + room(r.policyVersion) + room(r.partner) + room(r.channel) + room(r.area) + room(r.region) + room(r.currency);
  for (const reason of r.reasons) n += room(reason);
  for (const t of r.typologies) n += room(t.id) + 8;
  return n + room(r.transactionId) + 64;
}

/** Writes `s` as u32 byte length + UTF-8 at `at`; returns the end. ASCII byte by byte, anything else by Buffer. */
function text(seg, at, s) {
  const u8 = seg.buf;
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) break;
    u8[at + 4 + i] = c;
  }
  const len = i === n ? n : seg.buf.write(s, at + 4, 'utf8');
  seg.view.setUint32(at, len, true);
  return at + 4 + len;
}

function ref(seg, at, table, s) {
  const id = table.ref(s);
  seg.view.setUint16(at, id, true);
  return id === INLINE ? text(seg, at + 2, s) : at + 2;
}

/** The part every decision has; returns where its kind's part starts. */
function common(seg, at, table, kind, r, typologies) {
  const v = seg.view;
  const u8 = seg.buf;
  const reasons = r.reasons;
  u8[at + 4] = kind;
  u8[at + 5] = r.degraded ? 1 : 0;
  u8[at + 6] = reasons.length;
  u8[at + 7] = typologies;
  const id = r.id;
  if (id.length !== ID_BYTES) throw new Error(`decision id must be a UUID, got ${JSON.stringify(id)}`);
  for (let i = 0; i < ID_BYTES; i++) u8[at + 8 + i] = id.charCodeAt(i);
  let p = at + 8 + ID_BYTES;
  v.setFloat64(p, r.score ?? Number.NaN, true);
  v.setFloat64(p + 8, r.amount ?? Number.NaN, true);
  v.setFloat64(p + 16, r.decidedAt, true);
  v.setUint32(p + 24, Math.min(Math.max(r.latencyUs, 0), 0xffffffff), true);
  p += 28;
  p = ref(seg, p, table, r.outcome);
  p = ref(seg, p, table, r.policyVersion);
  p = ref(seg, p, table, r.partner);
  p = ref(seg, p, table, r.channel);
  p = ref(seg, p, table, r.area);
  p = ref(seg, p, table, r.region);
  p = ref(seg, p, table, r.currency ?? null);
  for (let i = 0; i < reasons.length; i++) p = ref(seg, p, table, reasons[i]);
  return p;
}

/** Writes a call's decision at `seg.used` (room checked by the caller with `callBound`); returns its end. */
export function encodeCall(seg, table, r) {
  if (r.reasons.length > 255) throw new Error('more than 255 reasons');
  const at = seg.used;
  let p = common(seg, at, table, CALL, r, 0);
  p = text(seg, p, r.caller);
  p = text(seg, p, r.called);
  p = ref(seg, p, table, r.ingress);
  p = ref(seg, p, table, r.trunk ?? null);
  p = ref(seg, p, table, r.attestation ?? null);
  seg.view.setUint32(at, p - at, true);
  return p;
}

/** Writes a transaction's decision at `seg.used` (room checked by the caller with `transactionBound`); returns its end. */
export function encodeTransaction(seg, table, r) {
  const typologies = r.typologies;
  if (r.reasons.length > 255 || typologies.length > 255) throw new Error('more than 255 reasons or typologies');
  const at = seg.used;
  let p = common(seg, at, table, TRANSACTION, r, typologies.length);
  p = text(seg, p, r.transactionId);
  seg.buf.set(r.payerHash.subarray(0, 32), p);
  seg.buf.set(r.payeeHash.subarray(0, 32), p + 32);
  p += 64;
  for (let i = 0; i < typologies.length; i++) {
    p = ref(seg, p, table, typologies[i].id);
    seg.view.setFloat64(p, typologies[i].score, true);
    p += 8;
  }
  seg.view.setUint32(at, p - at, true);
  return p;
}

/** A number as JSON.stringify writes it (NaN, ±Infinity as null). */
const num = (x) => (Number.isFinite(x) ? String(x) : 'null');

/** Reads records written by `encodeCall`/`encodeTransaction` back, as the JSON the decision log's insert takes. */
export class DecisionDecoder {
  constructor() {
    this.strings = [null];
    /** Each string's JSON text (quoted and escaped), made once. */
    this.quoted = ['null'];
    this.isoMs = Number.NaN;
    this.iso = '';
    /** The batch being read and where. */
    this.buf = Buffer.alloc(0);
    this.view = new DataView(this.buf.buffer);
    this.p = 0;
  }

  /** Learns numbered strings `first`, `first + 1`, … (again is harmless: a number never changes its string). */
  define(first, strings) {
    for (let i = 0; i < strings.length; i++) {
      this.strings[first + i] = strings[i];
      this.quoted[first + i] = JSON.stringify(strings[i]);
    }
  }

  /** The records in `bytes`, one after another, as one JSON array of `DecisionRecord`s. */
  decode(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buf = buf;
    this.view = v;
    let out = '[';
    let at = 0;
    while (at < buf.length) {
      const length = v.getUint32(at, true);
      const kind = buf[at + 4];
      const degraded = buf[at + 5] === 1;
      const reasonCount = buf[at + 6];
      const typologyCount = buf[at + 7];
      const id = JSON.stringify(buf.toString('latin1', at + 8, at + 8 + ID_BYTES));
      const f = at + 8 + ID_BYTES;
      const score = v.getFloat64(f, true);
      const amount = v.getFloat64(f + 8, true);
      const decidedAt = v.getFloat64(f + 16, true);
      const latencyUs = v.getUint32(f + 24, true);
      this.p = f + 28;
      const outcome = this.ref();
      const policyVersion = this.ref();
      const partner = this.ref();
      const channel = this.ref();
      const area = this.ref();
      const region = this.ref();
      const currency = this.ref();
      let reasons = '[';
      for (let i = 0; i < reasonCount; i++) reasons += i === 0 ? this.ref() : `,${this.ref()}`;
      reasons += ']';
      let subject;
      if (kind === CALL) {
        const caller = this.text();
        const called = this.text();
        const ingress = this.ref();
        const trunk = this.ref();
        const attestation = this.ref();
        subject = `{"caller":${caller},"called":${called},"ingress":${ingress},"trunk":${trunk},"attestation":${attestation}}`;
      } else if (kind === TRANSACTION) {
        const transactionId = this.text();
        const payerHash = buf.toString('hex', this.p, this.p + 32);
        const payeeHash = buf.toString('hex', this.p + 32, this.p + 64);
        this.p += 64;
        let typologies = '[';
        for (let i = 0; i < typologyCount; i++) {
          const tid = this.ref();
          typologies += `${i === 0 ? '' : ','}{"id":${tid},"score":${num(v.getFloat64(this.p, true))}}`;
          this.p += 8;
        }
        typologies += ']';
        subject = `{"transactionId":${transactionId},"payerHash":"${payerHash}","payeeHash":"${payeeHash}","typologies":${typologies}}`;
      } else {
        throw new Error(`decision log: unknown record kind ${kind}`);
      }
      if (this.p !== at + length) throw new Error(`decision log: a record of ${length} bytes read as ${this.p - at}`);
      if (decidedAt !== this.isoMs) {
        this.iso = new Date(decidedAt).toISOString();
        this.isoMs = decidedAt;
      }
      out +=
        `${at === 0 ? '' : ','}{"id":${id},"kind":"${kind === CALL ? 'call' : 'transaction'}","outcome":${outcome},"score":${num(score)},` +
        `"reasons":${reasons},"latencyUs":${latencyUs},"degraded":${degraded},"policyVersion":${policyVersion},"partner":${partner},` +
        `"channel":${channel},"area":${area},"region":${region},"subject":${subject},"amount":${num(amount)},"currency":${currency},` +
        `"decidedAt":"${this.iso}"}`;
      at += length;
    }
    return `${out}]`;
  }

  /** The ref at the cursor, as JSON text. */
  ref() {
    const id = this.view.getUint16(this.p, true);
    if (id === INLINE) {
      this.p += 2;
      return this.text();
    }
    const q = this.quoted[id];
    if (q === undefined) throw new Error(`decision log: string ${id} was never defined`);
    this.p += 2;
    return q;
  }

  /** The text at the cursor, as JSON text. */
  text() {
    const len = this.view.getUint32(this.p, true);
    const s = this.buf.toString('utf8', this.p + 4, this.p + 4 + len);
    this.p += 4 + len;
    return JSON.stringify(s);
  }
}
