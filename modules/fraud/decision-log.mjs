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
//   refs: outcome, one per reason, policyVersion, partner, channel, area, region
//   a call: text caller, text called, refs ingress, trunk, attestation, risk
//   a transaction: text transactionId, 32 bytes payer hash, 32 bytes payee hash, per typology (ref id, f64 score)
//   u8 number of indicators that matched, then each one's id (a UUID's text, 36 bytes)
//   ref currency
// (the order of the JSON, so that it is read front to back).
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
const room = (s) => (s === null || s === undefined ? 2 : 6 + 3 * s.length);

/** At most how many bytes `encodeCall` writes for `r`. */
export function callBound(r) {
  let n = FIXED + room(r.outcome) + room(r.policyVersion) + room(r.partner) + room(r.channel) + room(r.area) + room(r.region) + 2;
  for (const reason of r.reasons) n += room(reason);
  return n + room(r.caller) + room(r.called) + room(r.ingress) + room(r.trunk) + room(r.attestation) + room(r.risk) + indicatorsRoom(r);
}

/** The matched indicators' part of a record: a count and their ids. */
const indicatorsRoom = (r) => 1 + ID_BYTES * (r.indicators?.length ?? 0);

/** Writes the ids of the indicators that matched (at most 255; a decision matches a handful). */
function indicators(seg, at, ids) {
  const n = ids ? Math.min(ids.length, 255) : 0;
  seg.buf[at] = n;
  let p = at + 1;
  for (let k = 0; k < n; k++) {
    const id = ids[k];
    if (id.length !== ID_BYTES) throw new Error(`indicator id must be a UUID, got ${JSON.stringify(id)}`);
    for (let i = 0; i < ID_BYTES; i++) seg.buf[p + i] = id.charCodeAt(i);
    p += ID_BYTES;
  }
  return p;
}

/** At most how many bytes `encodeTransaction` writes for `r`. */
export function transactionBound(r) {
  let n = FIXED + room(r.outcome) + room(r.policyVersion) + room(r.partner) + room(r.channel) + room(r.area) + room(r.region) + room(r.currency);
  for (const reason of r.reasons) n += room(reason);
  for (const t of r.typologies) n += room(t.id) + 8;
  return n + room(r.transactionId) + 64 + indicatorsRoom(r);
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
  for (let i = 0; i < reasons.length; i++) p = ref(seg, p, table, reasons[i]);
  p = ref(seg, p, table, r.policyVersion);
  p = ref(seg, p, table, r.partner);
  p = ref(seg, p, table, r.channel);
  p = ref(seg, p, table, r.area);
  return ref(seg, p, table, r.region);
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
  p = ref(seg, p, table, r.risk ?? null);
  p = indicators(seg, p, r.indicators);
  p = ref(seg, p, table, null); // currency
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
  p = indicators(seg, p, r.indicators);
  p = ref(seg, p, table, r.currency);
  seg.view.setUint32(at, p - at, true);
  return p;
}

/** A number as JSON.stringify writes it (NaN, ±Infinity as null). */
const num = (x) => (Number.isFinite(x) ? String(x) : 'null');

const ascii = (s) => Buffer.from(s, 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const PIECES = {
  open: ascii('{"id":"'),
  kindCall: ascii('","kind":"call","outcome":'),
  kindTransaction: ascii('","kind":"transaction","outcome":'),
  score: ascii(',"score":'),
  reasons: ascii(',"reasons":['),
  latency: ascii('],"latencyUs":'),
  degradedTrue: ascii(',"degraded":true,"policyVersion":'),
  degradedFalse: ascii(',"degraded":false,"policyVersion":'),
  partner: ascii(',"partner":'),
  channel: ascii(',"channel":'),
  area: ascii(',"area":'),
  region: ascii(',"region":'),
  subject: ascii(',"subject":'),
  amount: ascii(',"amount":'),
  currency: ascii(',"currency":'),
  decidedAt: ascii(',"decidedAt":"'),
  close: ascii('"}'),
};

/** The subject's JSON, the same in both row formats (`DecisionDecoder.subject`). */
const SUBJECT = {
  caller: ascii('{"caller":'),
  called: ascii(',"called":'),
  ingress: ascii(',"ingress":'),
  trunk: ascii(',"trunk":'),
  attestation: ascii(',"attestation":'),
  risk: ascii(',"risk":'),
  transactionId: ascii('{"transactionId":'),
  payerHash: ascii(',"payerHash":"'),
  payeeHash: ascii('","payeeHash":"'),
  typologies: ascii('","typologies":['),
  typologyId: ascii('{"id":'),
  typologyScore: ascii(',"score":'),
  indicators: ascii(',"indicators":['),
};

/**
 * Reads records written by `encodeCall`/`encodeTransaction` back, as the JSON the decision log's insert takes. The
 * JSON is written as UTF-8 bytes into one growing buffer — built as a string of many small pieces it kept every
 * piece alive until the end and the collector spent most of the time copying them — and read out as one string.
 */
export class DecisionDecoder {
  constructor() {
    this.strings = [null];
    /** Each string's JSON text (quoted and escaped) as UTF-8, made once. */
    this.quoted = [ascii('null')];
    this.isoMs = Number.NaN;
    this.iso = ascii('');
    /** The batch being read and where. */
    this.in = Buffer.alloc(0);
    this.view = new DataView(this.in.buffer);
    this.p = 0;
    /** The JSON being written and its length. */
    this.out = Buffer.allocUnsafe(1 << 16);
    this.n = 0;
    /** The fixed part of the record being read (`head`). */
    this.fixed = { length: 0, kind: 0, degraded: false, reasonCount: 0, typologyCount: 0, score: 0, amount: 0, decidedAt: 0, latencyUs: 0 };
  }

  /** Learns numbered strings `first`, `first + 1`, … (again is harmless: a number never changes its string). */
  define(first, strings) {
    for (let i = 0; i < strings.length; i++) {
      this.strings[first + i] = strings[i];
      this.quoted[first + i] = Buffer.from(this.quote(strings[i]), 'utf8');
    }
  }

  /** A string as it is written inside the JSON: quoted and escaped. */
  quote(s) {
    return JSON.stringify(s);
  }

  /** The rows of the records in `bytes` as text. */
  decode(bytes) {
    this.write(bytes);
    return this.out.toString('utf8', 0, this.n);
  }

  /**
   * The same rows as UTF-8 bytes in a buffer of their own (transferable, outside the heap): what the COPY connection
   * sends as it is, with no string made of it on either thread.
   */
  decodeBytes(bytes) {
    this.write(bytes);
    const rows = new Uint8Array(this.n);
    rows.set(this.out.subarray(0, this.n));
    return rows;
  }

  /** Writes the records in `bytes`, one after another, as one JSON array of `DecisionRecord`s, into `out`. */
  write(bytes) {
    const buf = this.begin(bytes);
    this.byte(0x5b); // [
    let at = 0;
    while (at < buf.length) {
      const { kind, degraded, reasonCount, typologyCount, score, amount, decidedAt, latencyUs, length } = this.head(at);
      if (at > 0) this.byte(0x2c);
      this.put(PIECES.open);
      this.id(at);
      this.put(kind === CALL ? PIECES.kindCall : PIECES.kindTransaction);
      this.ref(); // outcome
      this.put(PIECES.score);
      this.ascii(num(score));
      this.put(PIECES.reasons);
      for (let i = 0; i < reasonCount; i++) {
        if (i > 0) this.byte(0x2c);
        this.ref();
      }
      this.put(PIECES.latency);
      this.ascii(String(latencyUs));
      this.field(degraded ? PIECES.degradedTrue : PIECES.degradedFalse);
      this.field(PIECES.partner);
      this.field(PIECES.channel);
      this.field(PIECES.area);
      this.field(PIECES.region);
      this.put(PIECES.subject);
      this.subject(kind, typologyCount);
      this.put(PIECES.amount);
      this.ascii(num(amount));
      this.field(PIECES.currency);
      this.ended(at, length);
      this.put(PIECES.decidedAt);
      this.stamp(decidedAt);
      this.put(PIECES.close);
      at += length;
    }
    this.byte(0x5d); // ]
  }

  /** Starts reading `bytes` (returned as a Buffer) and writing at the start of the output. */
  begin(bytes) {
    this.in = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.n = 0;
    return this.in;
  }

  /**
   * The record's subject at the cursor, as a JSON object: a call's numbers, ingress, trunk, attestation and risk, or a
   * transfer's id, account hashes and typologies. Strings go through `text` and `ref`, so a subclass that quotes them
   * differently (COPY) writes the same object.
   */
  subject(kind, typologyCount) {
    if (kind === CALL) {
      this.put(SUBJECT.caller);
      this.text();
      this.put(SUBJECT.called);
      this.text();
      this.field(SUBJECT.ingress);
      this.field(SUBJECT.trunk);
      this.field(SUBJECT.attestation);
      this.present(SUBJECT.risk);
      this.indicators();
    } else {
      this.put(SUBJECT.transactionId);
      this.text();
      this.put(SUBJECT.payerHash);
      this.hex(32);
      this.put(SUBJECT.payeeHash);
      this.hex(32);
      this.put(SUBJECT.typologies);
      for (let i = 0; i < typologyCount; i++) {
        if (i > 0) this.byte(0x2c);
        this.field(SUBJECT.typologyId);
        this.put(SUBJECT.typologyScore);
        this.ascii(num(this.view.getFloat64(this.p, true)));
        this.p += 8;
        this.byte(0x7d); // }
      }
      this.byte(0x5d); // ]
      this.indicators();
    }
    this.byte(0x7d); // }
  }

  /** The ids of the indicators that matched, as `,"indicators":[…]` — nothing when none did (most decisions). */
  indicators() {
    const n = this.in[this.p++];
    if (n === 0) return;
    this.put(SUBJECT.indicators);
    for (let k = 0; k < n; k++) {
      if (k > 0) this.byte(0x2c);
      this.byte(0x22);
      this.uuid(this.p);
      this.p += ID_BYTES;
      this.byte(0x22);
    }
    this.byte(0x5d); // ]
  }

  /**
   * The fixed part of the record at `at` (its kind checked), in one object reused for every record; the cursor is
   * left at its first ref.
   */
  head(at) {
    const v = this.view;
    const buf = this.in;
    const h = this.fixed;
    h.length = v.getUint32(at, true);
    h.kind = buf[at + 4];
    h.degraded = buf[at + 5] === 1;
    h.reasonCount = buf[at + 6];
    h.typologyCount = buf[at + 7];
    if (h.kind !== CALL && h.kind !== TRANSACTION) throw new Error(`decision log: unknown record kind ${h.kind}`);
    const f = at + 8 + ID_BYTES;
    h.score = v.getFloat64(f, true);
    h.amount = v.getFloat64(f + 8, true);
    h.decidedAt = v.getFloat64(f + 16, true);
    h.latencyUs = v.getUint32(f + 24, true);
    this.p = f + 28;
    return h;
  }

  /** The id of the record at `at`. */
  id(at) {
    this.uuid(at + 8);
  }

  /** A UUID's text at `from`, checked to be nothing else (so that it needs no escaping). */
  uuid(from) {
    const buf = this.in;
    this.room(ID_BYTES);
    for (let i = 0; i < ID_BYTES; i++) {
      const c = buf[from + i];
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x2d)) throw new Error('decision log: an id that is not a UUID');
      this.out[this.n++] = c;
    }
  }

  /** Checks that the record at `at` was read to its end, no further and no shorter. */
  ended(at, length) {
    if (this.p !== at + length) throw new Error(`decision log: a record of ${length} bytes read as ${this.p - at}`);
  }

  /** `decidedAt` (epoch ms) as ISO 8601; consecutive records of one millisecond share the text. */
  stamp(decidedAt) {
    if (decidedAt !== this.isoMs) {
      this.iso = ascii(new Date(decidedAt).toISOString());
      this.isoMs = decidedAt;
    }
    this.put(this.iso);
  }

  room(k) {
    if (this.n + k <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.n + k));
    this.out.copy(bigger, 0, 0, this.n);
    this.out = bigger;
  }

  byte(c) {
    this.room(1);
    this.out[this.n++] = c;
  }

  /** Short pieces: a loop costs less than a native copy's call. */
  put(bytes) {
    const k = bytes.length;
    this.room(k);
    const out = this.out;
    let n = this.n;
    for (let i = 0; i < k; i++) out[n++] = bytes[i];
    this.n = n;
  }

  /** A string of ASCII characters that need no escaping (numbers). */
  ascii(s) {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.out[this.n++] = s.charCodeAt(i);
  }

  /** `k` bytes at the cursor as lowercase hex. */
  hex(k) {
    this.room(2 * k);
    for (let i = 0; i < k; i++) {
      const b = this.in[this.p + i];
      this.out[this.n++] = HEX[b >>> 4];
      this.out[this.n++] = HEX[b & 15];
    }
    this.p += k;
  }

  /** A key (the JSON before a value) and the ref at the cursor as its value. */
  field(key) {
    this.put(key);
    this.ref();
  }

  /** A key and the ref at the cursor as its value, or nothing at all when the ref is null (a call that is not risky). */
  present(key) {
    if (this.view.getUint16(this.p, true) === 0) {
      this.p += 2;
      return;
    }
    this.field(key);
  }

  /** The ref at the cursor, as JSON. */
  ref() {
    const id = this.view.getUint16(this.p, true);
    if (id === INLINE) {
      this.p += 2;
      this.text();
      return;
    }
    const q = this.quoted[id];
    if (q === undefined) throw new Error(`decision log: string ${id} was never defined`);
    this.p += 2;
    this.put(q);
  }

  /** The text at the cursor, as a JSON string: copied as it is when it needs no escaping, else through `quote`. */
  text() {
    const len = this.view.getUint32(this.p, true);
    const from = this.p + 4;
    this.p = from + len;
    let plain = true;
    for (let i = from; i < from + len; i++) {
      const c = this.in[i];
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
        plain = false;
        break;
      }
    }
    if (!plain) {
      this.put(Buffer.from(this.quote(this.in.toString('utf8', from, from + len)), 'utf8'));
      return;
    }
    this.room(len + 2);
    const out = this.out;
    let n = this.n;
    out[n++] = 0x22;
    for (let i = from; i < from + len; i++) out[n++] = this.in[i];
    out[n++] = 0x22;
    this.n = n;
  }
}

/** `s` as a value in COPY's text format: backslash, newline, carriage return and tab escaped. */
function copyEscape(s) {
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** `s` as an element of a text[] literal: quoted, backslash and quote escaped. */
const arrayElement = (s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const COPY_NULL = ascii('\\N');
const COPY = {
  call: ascii('\tcall\t'),
  transaction: ascii('\ttransaction\t'),
};

/** The columns of `fraud_decision` that `DecisionCopyDecoder` writes, in its order. */
export const COPY_COLUMNS = 'id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, channel, area, region, subject, amount, currency, decided_at';

/**
 * Reads the same records as `DecisionDecoder`, as rows in COPY's text format for `COPY fraud_decision (COPY_COLUMNS)
 * FROM STDIN` — PostgreSQL loads those for about half the CPU of the insert that parses the JSON. Every column holds
 * what the JSON insert stores: the same texts, the reasons as text[], the subject as the same JSON text (made into
 * jsonb by PostgreSQL either way), numbers as JSON writes them, none as NULL.
 */
export class DecisionCopyDecoder extends DecisionDecoder {
  constructor() {
    super();
    /** Each string as a text column and as an element of the reasons' array (inside the subject: `quote`). */
    this.asText = [COPY_NULL];
    this.asElement = [COPY_NULL];
  }

  define(first, strings) {
    super.define(first, strings);
    for (let i = 0; i < strings.length; i++) {
      this.asText[first + i] = Buffer.from(copyEscape(strings[i]), 'utf8');
      this.asElement[first + i] = Buffer.from(copyEscape(arrayElement(strings[i])), 'utf8');
    }
  }

  /** Inside the subject a string is JSON, COPY-escaped as the whole column is. */
  quote(s) {
    return copyEscape(JSON.stringify(s));
  }

  /** Writes the records in `bytes` as COPY text lines into `out`. */
  write(bytes) {
    const buf = this.begin(bytes);
    let at = 0;
    while (at < buf.length) {
      const { kind, degraded, reasonCount, typologyCount, score, amount, decidedAt, latencyUs, length } = this.head(at);
      this.id(at);
      this.put(kind === CALL ? COPY.call : COPY.transaction);
      this.column(this.asText); // outcome
      this.tab();
      this.number(score);
      this.tab();
      this.byte(0x7b); // {
      for (let i = 0; i < reasonCount; i++) {
        if (i > 0) this.byte(0x2c);
        this.column(this.asElement);
      }
      this.byte(0x7d); // }
      this.tab();
      this.ascii(String(latencyUs));
      this.tab();
      this.byte(degraded ? 0x74 : 0x66); // t | f
      for (let i = 0; i < 5; i++) {
        this.tab();
        this.column(this.asText); // policy_version, partner, channel, area, region
      }
      this.tab();
      this.subject(kind, typologyCount);
      this.tab();
      this.number(amount);
      this.tab();
      this.column(this.asText); // currency
      this.ended(at, length);
      this.tab();
      this.stamp(decidedAt);
      this.byte(0x0a); // \n
      at += length;
    }
  }

  tab() {
    this.byte(0x09);
  }

  /** A number column: as JSON writes it, NULL where JSON writes null. */
  number(x) {
    if (Number.isFinite(x)) this.ascii(String(x));
    else this.put(COPY_NULL);
  }

  /** The ref at the cursor as a column (`asText`) or a reasons' element (`asElement`); an inline one is made here. */
  column(forms) {
    const id = this.view.getUint16(this.p, true);
    this.p += 2;
    if (id === INLINE) {
      const s = this.readText();
      const form = forms === this.asText ? copyEscape(s) : copyEscape(arrayElement(s));
      this.put(Buffer.from(form, 'utf8'));
      return;
    }
    const bytes = forms[id];
    if (bytes === undefined) throw new Error(`decision log: string ${id} was never defined`);
    this.put(bytes);
  }

  /** The text at the cursor, as a string. */
  readText() {
    const len = this.view.getUint32(this.p, true);
    const from = this.p + 4;
    this.p = from + len;
    return this.in.toString('utf8', from, from + len);
  }
}
