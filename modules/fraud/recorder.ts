import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import {
  type CallDecision,
  COPY_COLUMNS,
  callBound,
  type DecisionCommon,
  DecisionCopyDecoder,
  DecisionDecoder,
  encodeCall,
  encodeTransaction,
  type LogSegment,
  StringTable,
  type TransactionDecision,
  transactionBound,
} from './decision-log.mjs';

export type { CallDecision, TransactionDecision };

/** One screening decision as it is written to `fraud_decision` (the JSON the insert takes). */
export interface DecisionRecord extends Omit<DecisionCommon, 'reasons' | 'decidedAt'> {
  kind: 'call' | 'transaction';
  score: number | null;
  reasons: string[];
  subject: Record<string, unknown>;
  amount: number | null;
  currency: string | null;
  /** ISO 8601. */
  decidedAt: string;
}

/** One stretch of the pending log: records one after another, in a buffer outside the heap. */
interface Segment extends LogSegment {
  /** Sequence number of the segment's first record. */
  first: number;
  /** Where each record ends. */
  ends: number[];
}

/**
 * Decisions waiting to be written, as bytes (`decision-log.mjs`) in buffers outside the JavaScript heap: a record is
 * written there field by field when it is recorded, and nothing of it stays on the heap. Held as objects, every
 * record waiting for its insert was copied by the young-generation collector at least once, which under load made
 * each collection several milliseconds long and showed up in the decisions' own p99 latency; held as JSON text, making
 * the text cost the screening thread more than the rest of a call's decision. Records are numbered in order
 * (`head` … `tail`), so that what a finished insert releases is exact even when the oldest were dropped while it ran.
 */
export class PendingDecisions {
  private segments: Segment[] = [];
  /** Sequence number of the oldest record held, and of the next one recorded. */
  private head = 0;
  private tail = 0;

  constructor(private readonly segmentBytes = 1 << 20) {}

  get size(): number {
    return this.tail - this.head;
  }

  /** The segment to write the next record into, at its `used` offset, with at least `bound` bytes free. */
  room(bound: number): Segment {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.used + bound > seg.buf.length) {
      const buf = Buffer.allocUnsafeSlow(Math.max(this.segmentBytes, bound));
      seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0, first: this.tail, ends: [] };
      this.segments.push(seg);
    }
    return seg;
  }

  /** The record just written into `seg` (from its `used` offset) ends at `end`. */
  added(seg: Segment, end: number): void {
    seg.used = end;
    seg.ends.push(end);
    this.tail++;
  }

  /** Appends a record's bytes as they are. */
  push(record: Uint8Array): void {
    const seg = this.room(record.length);
    seg.buf.set(record, seg.used);
    this.added(seg, seg.used + record.length);
  }

  /** The oldest records, at most `max`, copied one after another; `first` and `count` say which, for `release`. */
  take(max: number): { first: number; count: number; bytes: Uint8Array } {
    const parts: Uint8Array[] = [];
    let size = 0;
    let s = this.head;
    let n = 0;
    for (const seg of this.segments) {
      if (n >= max) break;
      const after = seg.first + seg.ends.length;
      if (s >= after) continue;
      const i = s - seg.first;
      const k = Math.min(after - s, max - n);
      const part = seg.buf.subarray(i === 0 ? 0 : seg.ends[i - 1], seg.ends[i + k - 1]);
      parts.push(part);
      size += part.length;
      s += k;
      n += k;
    }
    // A buffer of its own (not a slice of Node's pool), so that it can be handed to the writer thread.
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return { first: this.head, count: n, bytes };
  }

  /** Forgets every record numbered below `seq` (written, or dropped). */
  release(seq: number): void {
    if (seq <= this.head) return;
    this.head = Math.min(seq, this.tail);
    while (this.segments.length > 0) {
      const seg = this.segments[0];
      if (seg.first + seg.ends.length > this.head) break;
      if (this.segments.length === 1) {
        // The one being written to: start it over instead of allocating another.
        seg.used = 0;
        seg.first = this.tail;
        seg.ends.length = 0;
        break;
      }
      this.segments.shift();
    }
  }

  /** Drops the `n` oldest records. */
  drop(n: number): void {
    this.release(this.head + n);
  }
}

/**
 * How a batch's rows are written: `json`, one insert of a JSON array (both backends); `copy`, COPY's text format
 * through `db.copyIn` (PostgreSQL: about half the database's CPU per row).
 */
export type RowFormat = 'json' | 'copy';

/** A batch's rows: JSON text, or COPY lines as UTF-8 bytes (sent as they are; no string of them on this thread). */
export type Rows = string | Uint8Array;

/** Turns a batch of records into its rows, in the recorder's `RowFormat`. */
interface Renderer {
  render(bytes: Uint8Array): Promise<Rows>;
  close(): Promise<void>;
  /** Time its thread has been busy, in ms (0 when it renders on this thread). */
  busyMs(): number;
}

/** On this thread (`TARTIP_FRAUD_RECORD_THREAD=false`). */
class RenderHere implements Renderer {
  private readonly decoder: DecisionDecoder;
  private known = 1;

  constructor(
    private readonly table: StringTable,
    private readonly format: RowFormat,
  ) {
    this.decoder = format === 'copy' ? new DecisionCopyDecoder() : new DecisionDecoder();
  }

  async render(bytes: Uint8Array): Promise<Rows> {
    this.decoder.define(this.known, this.table.strings.slice(this.known));
    this.known = this.table.strings.length;
    return this.format === 'copy' ? this.decoder.decodeBytes(bytes) : this.decoder.decode(bytes);
  }

  async close(): Promise<void> {}

  busyMs(): number {
    return 0;
  }
}

/**
 * On the decision log's own thread (decision-writer.mjs), started at the first batch and again after it fails. Each
 * batch carries the strings numbered since the last one the thread was sent; a new thread is sent them all.
 */
export class RenderOnThread implements Renderer {
  private worker: Worker | null = null;
  private sent = 1;
  private seq = 0;
  /** Busy time of the threads that are gone. */
  private pastBusyMs = 0;
  private readonly waiting = new Map<number, { resolve: (rows: Rows) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly table: StringTable,
    private readonly format: RowFormat = 'json',
  ) {}

  render(bytes: Uint8Array): Promise<Rows> {
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    const first = this.sent;
    const strings = this.table.strings.slice(first);
    this.sent = this.table.strings.length;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      // Held open only while a batch is out, so an idle writer thread never keeps the process alive.
      worker.ref();
      worker.postMessage({ seq, first, strings, bytes }, [bytes.buffer as ArrayBuffer]);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./decision-writer.mjs', import.meta.url), { workerData: { format: this.format } });
    worker.unref();
    worker.on('message', (m: { seq: number; rows?: Rows; error?: string }) => {
      const w = this.waiting.get(m.seq);
      if (!w) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) worker.unref();
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.rows as Rows);
    });
    const gone = (e: Error) => {
      if (this.worker !== worker) return;
      this.retire(worker);
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`decision log writer thread exited (${code})`)));
    this.worker = worker;
    this.sent = 1;
    return worker;
  }

  private retire(worker: Worker): void {
    this.pastBusyMs += worker.performance.eventLoopUtilization().active;
    this.worker = null;
  }

  busyMs(): number {
    return this.pastBusyMs + (this.worker ? this.worker.performance.eventLoopUtilization().active : 0);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.retire(worker);
    await worker.terminate();
  }
}

/**
 * Writes decisions in batches, behind the decisions: `recordCall`/`recordTransaction` only write the record's fields
 * into the pending log (`PendingDecisions`) and return, so recording never slows a decision. One writer drains the
 * log, up to `batch` records at a time (ten times that while more than ten batches wait, so that it catches up
 * after a burst); the batch's rows — COPY lines where the database can load them (`format`, PostgreSQL), else the
 * JSON of one multi-row insert — are made on the log's own thread (`thread`, the default) or on this one.
 *
 * Unlike the kernel's GroupCommit (whose callers wait for their commit, and whose failed batch is retried item by
 * item to isolate a bad item), nobody waits here and a failed batch is almost always an unreachable database: the
 * batch stays at the head of the log and is retried after `retryMs`, and `onHealth(false)` tells the runtime to
 * switch to its degraded defaults. While the database is down at most `buffer` records are held; beyond that the
 * oldest are dropped and counted (`dropped`, logged). A batch whose rows could not be made (the writer thread died)
 * is retried the same way, on a new thread, without calling the database unhealthy.
 */
export class DecisionRecorder {
  private readonly pendingLog: PendingDecisions;
  private readonly strings = new StringTable();
  private readonly renderer: Renderer;
  private readonly format: RowFormat;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  written = 0;
  dropped = 0;
  failures = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly options: { batch: number; buffer: number; retryMs: number; segmentBytes?: number; thread?: boolean; format?: RowFormat },
    private readonly onHealth: (ok: boolean) => void,
  ) {
    this.pendingLog = new PendingDecisions(options.segmentBytes);
    this.format = options.format ?? (db.copyIn ? 'copy' : 'json');
    this.renderer = options.thread === false ? new RenderHere(this.strings, this.format) : new RenderOnThread(this.strings, this.format);
  }

  get pending(): number {
    return this.pendingLog.size;
  }

  /** How long the log's own thread has spent making rows, in ms (0 with `thread: false`). */
  get writerThreadMs(): number {
    return this.renderer.busyMs();
  }

  recordCall(r: CallDecision): void {
    const seg = this.pendingLog.room(callBound(r));
    this.pendingLog.added(seg, encodeCall(seg, this.strings, r));
    this.recorded();
  }

  recordTransaction(r: TransactionDecision): void {
    const seg = this.pendingLog.room(transactionBound(r));
    this.pendingLog.added(seg, encodeTransaction(seg, this.strings, r));
    this.recorded();
  }

  private recorded(): void {
    if (this.pendingLog.size > this.options.buffer) {
      const over = this.pendingLog.size - this.options.buffer;
      this.pendingLog.drop(over);
      this.dropped += over;
      if (this.dropped % 10_000 < over) this.log.error({ dropped: this.dropped }, 'fraud decision records dropped: the database has been unreachable too long');
    }
    this.kick();
  }

  private kick(): void {
    if (this.running || this.timer || this.stopped) return;
    this.running = true;
    setImmediate(() => void this.drain());
  }

  private retryLater(): void {
    if (!this.stopped) this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.options.retryMs);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pendingLog.size > 0) {
        // Behind a burst, larger statements: up to ten batches' worth at once, so the writer catches up.
        const size = this.pendingLog.size > 10 * this.options.batch ? 10 * this.options.batch : this.options.batch;
        const batch = this.pendingLog.take(size);
        let rows: Rows;
        try {
          rows = await this.renderer.render(batch.bytes);
        } catch (e) {
          this.log.error({ err: e, pending: this.pendingLog.size }, 'fraud decision records not made into rows; retrying');
          this.retryLater();
          return;
        }
        try {
          await writeDecisions(this.db, rows, this.format);
        } catch (e) {
          this.failures++;
          if (this.failures === 1 || this.failures % 100 === 0) this.log.warn({ err: e, pending: this.pendingLog.size }, 'fraud decision records not written; retrying');
          this.onHealth(false);
          this.retryLater();
          return;
        }
        // Records may have been dropped meanwhile: release exactly up to the end of what was written.
        this.pendingLog.release(batch.first + batch.count);
        this.written += batch.count;
        this.failures = 0;
        this.onHealth(true);
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    } finally {
      this.running = false;
      if (this.pendingLog.size > 0 && !this.timer) this.kick();
    }
  }

  /** Resolves once everything recorded so far is written (waits while the database is down). */
  flush(): Promise<void> {
    if (this.pendingLog.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.kick();
    });
  }

  /** Writes what is queued (one attempt), then stops. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    this.stopped = true;
    try {
      while (this.pendingLog.size > 0) {
        const batch = this.pendingLog.take(this.options.batch);
        await writeDecisions(this.db, await this.renderer.render(batch.bytes), this.format);
        this.pendingLog.release(batch.first + batch.count);
        this.written += batch.count;
      }
    } catch (e) {
      this.log.error({ err: e, lost: this.pendingLog.size }, 'fraud decision records not written at shutdown');
    }
    await this.renderer.close();
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Writes a batch's rows made in `format`. */
export async function writeDecisions(db: Db, rows: Rows, format: RowFormat): Promise<void> {
  if (format === 'json') return insertDecisions(db, typeof rows === 'string' ? rows : Buffer.from(rows).toString('utf8'));
  if (!db.copyIn) throw new Error('this database cannot load rows with COPY');
  try {
    await db.copyIn({ copy: `copy fraud_decision (${COPY_COLUMNS}) from stdin`, data: rows });
  } catch (e) {
    // A batch sent again after its COPY committed without our hearing it (the connection lost before the answer):
    // its ids are in the table. Loaded beside it instead, and only what is missing is added.
    if ((e as { code?: string }).code !== '23505') throw e;
    await db.copyIn({
      before: ['create temp table fraud_decision_in (like fraud_decision) on commit drop'],
      copy: `copy fraud_decision_in (${COPY_COLUMNS}) from stdin`,
      data: rows,
      after: [`insert into fraud_decision (${COPY_COLUMNS}) select ${COPY_COLUMNS} from fraud_decision_in on conflict (id) do nothing`],
    });
  }
}

/**
 * One statement for the whole batch (its JSON array, `DecisionRecord`s, expanded in SQL): the same text on PGlite
 * and PostgreSQL. `json`, not `jsonb`: each record is read once, so building the whole array as jsonb first is work
 * for nothing, and the reasons (a JSON array) go straight into the text[] column (measured on PostgreSQL: ~8 % less
 * CPU per row than jsonb with the reasons expanded by a subquery).
 */
export async function insertDecisions(db: Db, json: string): Promise<void> {
  await db.query(
    `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, channel, area, region, subject, amount, currency, decided_at)
     select x.id, x.kind, x.outcome, x.score, x.reasons, x."latencyUs", x.degraded, x."policyVersion",
            x.partner, x.channel, x.area, x.region, x.subject, x.amount, x.currency, x."decidedAt"
     from json_to_recordset($1::json) as x(id uuid, kind text, outcome text, score float8, reasons text[], "latencyUs" int, degraded boolean,
          "policyVersion" text, partner text, channel text, area text, region text, subject jsonb, amount numeric, currency text, "decidedAt" timestamptz)
     on conflict (id) do nothing`,
    [json],
  );
}
