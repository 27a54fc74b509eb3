import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import { callBound, DecisionCopyDecoder, DecisionDecoder, encodeCall, encodeTransaction, StringTable, transactionBound } from './decision-log.mjs';
import { type CallDecision, type DecisionRecord, DecisionRecorder, PendingDecisions, RenderOnThread, type Rows, type TransactionDecision } from './recorder.ts';
import { randomDecisions } from './testing/decisions.ts';

/** A database that refuses while `down` is set, and remembers what each insert carried. */
function fakeDb() {
  const state = { down: false, batches: [] as string[][], records: [] as DecisionRecord[], gate: null as Promise<void> | null };
  const db = {
    kind: 'pglite',
    async query(_text: string, params: unknown[]) {
      if (state.gate) await state.gate;
      if (state.down) throw new Error('connection refused');
      const batch = JSON.parse(params[0] as string) as DecisionRecord[];
      state.batches.push(batch.map((r) => r.id));
      state.records.push(...batch);
      return [];
    },
  } as unknown as Db;
  return { db, state };
}

/** The row a decision was written as before records became bytes: the JSON of this object. */
const row = (r: CallDecision | TransactionDecision, kind: DecisionRecord['kind'], rest: Pick<DecisionRecord, 'score' | 'subject' | 'amount' | 'currency'>): DecisionRecord => ({
  id: r.id,
  kind,
  outcome: r.outcome,
  score: rest.score,
  reasons: [...r.reasons],
  latencyUs: r.latencyUs,
  degraded: r.degraded,
  policyVersion: r.policyVersion,
  partner: r.partner,
  channel: r.channel,
  area: r.area,
  region: r.region,
  subject: rest.subject,
  amount: rest.amount,
  currency: rest.currency,
  decidedAt: new Date(r.decidedAt).toISOString(),
});

const callRow = (r: CallDecision) =>
  row(r, 'call', {
    score: null,
    subject: { caller: r.caller, called: r.called, ingress: r.ingress, trunk: r.trunk, attestation: r.attestation, ...(r.risk != null ? { risk: r.risk } : {}), ...matched(r) },
    amount: null,
    currency: null,
  });

/** The indicators that matched, in the subject only when there were any. */
const matched = (r: CallDecision | TransactionDecision) => (r.indicators?.length ? { indicators: [...r.indicators] } : {});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const transactionRow = (r: TransactionDecision) =>
  row(r, 'transaction', {
    score: r.score,
    subject: {
      transactionId: r.transactionId,
      payerHash: hex(r.payerHash),
      payeeHash: hex(r.payeeHash),
      typologies: r.typologies.map((t) => ({ id: t.id, score: t.score })),
      ...matched(r),
    },
    amount: r.amount,
    currency: r.currency,
  });

const call = (id: string, over: Partial<CallDecision> = {}): CallDecision => ({
  id,
  outcome: 'allow',
  reasons: ['shaken_absent'],
  latencyUs: 1,
  degraded: false,
  policyVersion: '1',
  partner: 'partner:beeline',
  channel: 'telecom',
  area: null,
  region: null,
  decidedAt: Date.parse('2026-12-07T03:00:00.123Z'),
  caller: '+77011234567',
  called: '+77017654321',
  ingress: 'domestic',
  trunk: 't1',
  attestation: null,
  ...over,
});

const isCall = (d: CallDecision | TransactionDecision): d is CallDecision => 'caller' in d;
const rowOf = (d: CallDecision | TransactionDecision) => (isCall(d) ? callRow(d) : transactionRow(d as TransactionDecision));

/** A value in COPY's text format, written here independently of the module: backslash first. */
const copyText = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t');
const copyValue = (v: string | null) => (v === null ? '\\N' : copyText(v));
const copyNumber = (x: number | null) => (x === null ? '\\N' : JSON.stringify(x));
const arrayLiteral = (xs: readonly string[]) => `{${xs.map((x) => `"${x.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;

/** The line COPY loads for a row: the same values the JSON insert stores, in `COPY_COLUMNS` order. */
const copyLine = (r: DecisionRecord) =>
  `${[
    r.id,
    r.kind,
    copyValue(r.outcome),
    copyNumber(r.score),
    copyText(arrayLiteral(r.reasons)),
    String(r.latencyUs),
    r.degraded ? 't' : 'f',
    copyValue(r.policyVersion),
    copyValue(r.partner),
    copyValue(r.channel),
    copyValue(r.area),
    copyValue(r.region),
    copyText(JSON.stringify(r.subject)),
    copyNumber(r.amount),
    copyValue(r.currency),
    r.decidedAt,
  ].join('\t')}\n`;

describe('decision records as bytes (decision-log.mjs)', () => {
  for (const max of [4096, 3]) {
    it(`read back as exactly the COPY lines of the rows they stand for${max === 3 ? ', with the string table full (strings written in line)' : ''}`, () => {
      const table = new StringTable(max);
      const decisions = randomDecisions(2000, max + 1);
      const buf = Buffer.alloc(64 << 20);
      const seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0 };
      for (const d of decisions) seg.used = isCall(d) ? encodeCall(seg, table, d) : encodeTransaction(seg, table, d as TransactionDecision);
      const decoder = new DecisionCopyDecoder();
      decoder.define(1, table.strings.slice(1));
      const expected = decisions.map(rowOf).map(copyLine).join('');
      expect(decoder.decode(buf.subarray(0, seg.used))).toBe(expected);
      // As bytes (what the COPY connection sends): the same text's UTF-8, in a buffer of its own that the next
      // batch does not overwrite.
      const rows = decoder.decodeBytes(buf.subarray(0, seg.used));
      expect(Buffer.from(rows).equals(Buffer.from(expected, 'utf8'))).toBe(true);
      const other = Buffer.alloc(1 << 16);
      const next = encodeCall({ buf: other, view: new DataView(other.buffer, other.byteOffset, other.length), used: 0 }, table, call(newId()));
      decoder.define(1, table.strings.slice(1));
      expect(decoder.decodeBytes(other.subarray(0, next)).length).toBeGreaterThan(0);
      expect(Buffer.from(rows).toString('utf8')).toBe(expected);
    });
  }

  for (const max of [4096, 3]) {
    it(`read back as exactly the JSON text of the row they stand for — any string, nulls, numbers${max === 3 ? ', with the string table full (strings written in line)' : ''}`, () => {
      const table = new StringTable(max);
      const decoder = new DecisionDecoder();
      const decisions = randomDecisions(2000, max);
      const buf = Buffer.alloc(64 << 20);
      const seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0 };
      for (const d of decisions) {
        const bound = isCall(d) ? callBound(d) : transactionBound(d as TransactionDecision);
        const end = isCall(d) ? encodeCall(seg, table, d) : encodeTransaction(seg, table, d as TransactionDecision);
        expect(end - seg.used).toBeLessThanOrEqual(bound);
        seg.used = end;
      }
      decoder.define(1, table.strings.slice(1));
      expect(table.strings.length).toBeLessThanOrEqual(max + 1);
      expect(decoder.decode(buf.subarray(0, seg.used))).toBe(JSON.stringify(decisions.map(rowOf)));
    });
  }

  it('never writes past the room it asked for: empty strings written in line, with the string table full', () => {
    const table = new StringTable(0);
    const buf = Buffer.alloc(4096);
    const seg = { buf, view: new DataView(buf.buffer), used: 0 };
    const empty = call(newId(), { outcome: '', policyVersion: '', partner: '', reasons: ['', ''], caller: '', called: '', ingress: '', trunk: '', attestation: '' });
    const end = encodeCall(seg, table, empty);
    expect(end).toBeLessThanOrEqual(callBound(empty));
    const decoder = new DecisionDecoder();
    expect(JSON.parse(decoder.decode(buf.subarray(0, end)))).toEqual([callRow(empty)]);
  });

  it('refuses a record it cannot read rather than write a wrong row', () => {
    const table = new StringTable();
    const buf = Buffer.alloc(4096);
    const seg = { buf, view: new DataView(buf.buffer), used: 0 };
    const end = encodeCall(seg, table, call(newId()));
    // The writer never learnt the strings.
    expect(() => new DecisionDecoder().decode(buf.subarray(0, end))).toThrow(/never defined/);
    const decoder = new DecisionDecoder();
    decoder.define(1, table.strings.slice(1));
    buf[4] = 7; // unknown kind
    expect(() => decoder.decode(buf.subarray(0, end))).toThrow(/unknown record kind/);
    expect(() => encodeCall(seg, table, call('not-a-uuid'))).toThrow(/UUID/);
    // The COPY rows' decoder refuses the same.
    encodeCall(seg, table, call(newId()));
    expect(() => new DecisionCopyDecoder().decode(buf.subarray(0, end))).toThrow(/never defined/);
    const copy = new DecisionCopyDecoder();
    copy.define(1, table.strings.slice(1));
    buf[4] = 7;
    expect(() => copy.decode(buf.subarray(0, end))).toThrow(/unknown record kind/);
  });
});

for (const thread of [true, false]) {
  describe(`DecisionRecorder (rows made ${thread ? 'on the log’s own thread' : 'on this thread'})`, () => {
    const recorder = (db: Db, options: { batch: number; buffer: number; segmentBytes?: number }, onHealth: (ok: boolean) => void = () => {}) =>
      new DecisionRecorder(db, pino({ level: 'silent' }), { retryMs: 10, thread, ...options }, onHealth);

    it('never makes the caller wait, and writes in batches of at most `batch`', async () => {
      const { db, state } = fakeDb();
      const r = recorder(db, { batch: 3, buffer: 100 });
      const ids = Array.from({ length: 7 }, () => newId());
      for (const id of ids) r.recordCall(call(id));
      expect(state.batches).toEqual([]); // nothing written synchronously
      await r.flush();
      expect(state.batches).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
      expect(r.written).toBe(7);
      await r.stop();
    });

    it('while the database is down: reports unhealthy, keeps the records in order, drops the oldest beyond the buffer; writes them when it is back', async () => {
      const { db, state } = fakeDb();
      const health: boolean[] = [];
      const r = recorder(db, { batch: 100, buffer: 5 }, (ok) => health.push(ok));
      state.down = true;
      const ids = Array.from({ length: 8 }, () => newId());
      for (const id of ids) r.recordCall(call(id));
      await new Promise((res) => setTimeout(res, 200));
      expect(health).toContain(false);
      expect(r.pending).toBe(5);
      expect(r.dropped).toBe(3);
      state.down = false;
      await r.flush();
      expect(state.batches).toEqual([ids.slice(3)]);
      expect(health[health.length - 1]).toBe(true);
      expect(r.pending).toBe(0);
      await r.stop();
    });

    it('writes each record exactly as recorded — any text, across the buffers it spans — and releases exactly what was written when the oldest were dropped meanwhile', async () => {
      const { db, state } = fakeDb();
      // 256-byte buffers: a record with a long string gets a buffer of its own, smaller ones share.
      const r = recorder(db, { batch: 4, buffer: 6, segmentBytes: 256 });
      const odd = (note: string) => call(newId(), { reasons: [note], trunk: note });
      const sent = [odd('звонок «банка» — ҚАЗАҚША 🚨'), odd('x'.repeat(400)), odd('"quoted" \\ back\nslash'), odd('')];
      let release = () => {};
      state.gate = new Promise((res) => {
        release = res;
      });
      for (const d of sent) r.recordCall(d);
      await new Promise((res) => setTimeout(res, 100));
      // The insert of a0–a3 is in flight; five more arrive, nine are held and the buffer (6) drops the oldest three —
      // a0–a2, which the insert in flight then writes after all. Releasing it frees a3 as well, and nothing after it.
      const later = Array.from({ length: 5 }, (_, i) => odd(`b${i}`));
      for (const d of later) r.recordCall(d);
      expect(r.dropped).toBe(3);
      expect(r.pending).toBe(6);
      state.gate = null;
      release();
      await r.flush();
      expect(state.records.slice(0, 4)).toEqual(sent.map(callRow));
      expect(state.batches).toEqual([sent.map((d) => d.id), later.slice(0, 4).map((d) => d.id), [later[4].id]]);
      expect(r.pending).toBe(0);
      expect(r.written).toBe(9);
      await r.stop();
    });

    it('a transfer’s decision is written with its score, amount, hashes and typologies', async () => {
      const { db, state } = fakeDb();
      const r = recorder(db, { batch: 10, buffer: 100 });
      const d: TransactionDecision = {
        ...call(newId()),
        outcome: 'hold',
        score: 412.5,
        reasons: ['typology_alert'],
        amount: 250_000,
        currency: 'KZT',
        transactionId: 'bank-ref-42',
        payerHash: new Uint8Array(32).fill(0xab),
        payeeHash: new Uint8Array(32).fill(0x01),
        typologies: [{ id: 'call_then_transfer', score: 412.5 }],
      };
      r.recordTransaction(d);
      await r.flush();
      expect(state.records).toEqual([transactionRow(d)]);
      await r.stop();
    });
  });
}

describe('the decision log’s writer thread', () => {
  it('a new thread, after the old one is gone, is sent every string again; a batch out when its thread dies fails instead of hanging', async () => {
    const table = new StringTable();
    const renderer = new RenderOnThread(table);
    const buf = Buffer.alloc(1 << 16);
    const seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0 };
    const batch = (d: CallDecision) => {
      seg.used = 0;
      const end = encodeCall(seg, table, d);
      return Uint8Array.from(buf.subarray(0, end));
    };
    const text = async (rows: Promise<Rows>) => {
      const r = await rows;
      if (typeof r !== 'string') throw new Error('JSON rows come as text');
      return r;
    };
    const first = call(newId(), { partner: 'partner:first', trunk: 'north' });
    expect(JSON.parse(await text(renderer.render(batch(first))))).toEqual([callRow(first)]);
    await renderer.close();
    // Uses the strings the first thread learnt, and one new one.
    const second = call(newId(), { partner: 'partner:first', trunk: 'south' });
    expect(JSON.parse(await text(renderer.render(batch(second))))).toEqual([callRow(second)]);
    // The thread dies with a batch out: the batch fails (the recorder retries it), it does not hang.
    const out = renderer.render(batch(call(newId())));
    await (renderer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(out).rejects.toThrow(/exited/);
    const third = call(newId(), { trunk: 'north' });
    expect(JSON.parse(await text(renderer.render(batch(third))))).toEqual([callRow(third)]);
    await renderer.close();
  });

  it('in COPY format, sends back the lines as UTF-8 bytes (transferred, no string made of them)', async () => {
    const table = new StringTable();
    const renderer = new RenderOnThread(table, 'copy');
    const buf = Buffer.alloc(1 << 16);
    const seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0 };
    const d = call(newId(), { partner: 'partner:ерлан', trunk: 'қала\tсолтүстік' });
    const end = encodeCall(seg, table, d);
    const rows = await renderer.render(Uint8Array.from(buf.subarray(0, end)));
    expect(rows).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(rows as Uint8Array).toString('utf8')).toBe(copyLine(rowOf(d)));
    await renderer.close();
  });
});

describe('PendingDecisions', () => {
  it('takes the oldest records, in order, from as many buffers as they span', () => {
    const log = new PendingDecisions(64);
    const records = Array.from({ length: 50 }, (_, i) => Uint8Array.from({ length: 1 + (i % 40) }, (_, k) => (i + k) & 0xff));
    const joined = (xs: Uint8Array[]) => Buffer.concat(xs);
    for (const x of records) log.push(x);
    const first = log.take(17);
    expect(Buffer.from(first.bytes)).toEqual(joined(records.slice(0, 17)));
    log.release(first.first + first.count);
    log.drop(3);
    const rest = log.take(100);
    expect(rest.count).toBe(30);
    expect(Buffer.from(rest.bytes)).toEqual(joined(records.slice(20)));
    log.release(rest.first + rest.count);
    expect(log.size).toBe(0);
    expect(log.take(10).count).toBe(0);
    log.push(Uint8Array.of(1, 2, 3));
    expect(Array.from(log.take(10).bytes)).toEqual([1, 2, 3]);
  });
});
