import type { Logger } from 'pino';
import type { Db } from '../../packages/kernel/src/db/types.ts';

/** One screening decision as it is written to `fraud_decision`. */
export interface DecisionRecord {
  id: string;
  kind: 'call' | 'transaction';
  outcome: string;
  score: number | null;
  reasons: string[];
  latencyUs: number;
  degraded: boolean;
  policyVersion: string;
  partner: string;
  /** The partner's API key channel (bank, telecom, …). */
  channel: string | null;
  /** The KATO code given with the request, and its region. */
  area: string | null;
  region: string | null;
  subject: Record<string, unknown>;
  amount: number | null;
  currency: string | null;
  decidedAt: string;
}

/** One stretch of the pending log: records as JSON text, each followed by a comma, in a buffer outside the heap. */
interface Segment {
  buf: Buffer;
  used: number;
  /** Sequence number of the segment's first record. */
  first: number;
  /** Where each record's text (with its comma) ends. */
  ends: number[];
}

/**
 * Decisions waiting to be written, as JSON text in buffers outside the JavaScript heap. A record is made into text
 * when it is recorded and its object dies young; held as objects, every record waiting for its insert was copied by
 * the young-generation collector at least once, which under load made each collection several milliseconds long
 * and showed up in the decisions' own p99 latency. Records are numbered in order (`head` … `tail`), so that what a
 * finished insert releases is exact even when the oldest were dropped while it ran.
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

  push(json: string): void {
    let seg = this.segments[this.segments.length - 1];
    // At most 3 bytes of UTF-8 per UTF-16 unit, and the comma.
    const room = json.length * 3 + 1;
    if (!seg || seg.used + room > seg.buf.length) {
      seg = { buf: Buffer.allocUnsafeSlow(Math.max(this.segmentBytes, room)), used: 0, first: this.tail, ends: [] };
      this.segments.push(seg);
    }
    seg.used += seg.buf.write(json, seg.used, 'utf8');
    seg.buf[seg.used++] = 0x2c;
    seg.ends.push(seg.used);
    this.tail++;
  }

  /** The oldest records, at most `max`, as one JSON array; `first` and `count` say which, for `release`. */
  take(max: number): { first: number; count: number; json: string } {
    let parts = '';
    let s = this.head;
    let n = 0;
    for (const seg of this.segments) {
      if (n >= max) break;
      const after = seg.first + seg.ends.length;
      if (s >= after) continue;
      const i = s - seg.first;
      const k = Math.min(after - s, max - n);
      const start = i === 0 ? 0 : seg.ends[i - 1];
      parts += seg.buf.toString('utf8', start, seg.ends[i + k - 1]);
      s += k;
      n += k;
    }
    return { first: this.head, count: n, json: `[${parts.slice(0, -1)}]` };
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
 * Writes decisions in batches, behind the decisions: `record` only appends the record's JSON to the pending log
 * (`PendingDecisions`) and returns, so recording never slows a decision. One writer drains the log, up to `batch`
 * records per multi-row insert (ten times that while more than ten batches wait, so that it catches up after a
 * burst).
 *
 * Unlike the kernel's GroupCommit (whose callers wait for their commit, and whose failed batch is retried item by
 * item to isolate a bad item), nobody waits here and a failed batch is almost always an unreachable database: the
 * batch stays at the head of the log and is retried after `retryMs`, and `onHealth(false)` tells the runtime to
 * switch to its degraded defaults. While the database is down at most `buffer` records are held; beyond that the
 * oldest are dropped and counted (`dropped`, logged).
 */
export class DecisionRecorder {
  private readonly pendingLog: PendingDecisions;
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
    private readonly options: { batch: number; buffer: number; retryMs: number; segmentBytes?: number },
    private readonly onHealth: (ok: boolean) => void,
  ) {
    this.pendingLog = new PendingDecisions(options.segmentBytes);
  }

  get pending(): number {
    return this.pendingLog.size;
  }

  record(r: DecisionRecord): void {
    this.pendingLog.push(JSON.stringify(r));
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

  private async drain(): Promise<void> {
    try {
      while (this.pendingLog.size > 0) {
        // Behind a burst, larger statements: up to ten batches' worth at once, so the writer catches up.
        const size = this.pendingLog.size > 10 * this.options.batch ? 10 * this.options.batch : this.options.batch;
        const batch = this.pendingLog.take(size);
        try {
          await insertDecisions(this.db, batch.json);
        } catch (e) {
          this.failures++;
          if (this.failures === 1 || this.failures % 100 === 0) this.log.warn({ err: e, pending: this.pendingLog.size }, 'fraud decision records not written; retrying');
          this.onHealth(false);
          if (!this.stopped) this.timer = setTimeout(() => {
            this.timer = null;
            this.kick();
          }, this.options.retryMs);
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
        await insertDecisions(this.db, batch.json);
        this.pendingLog.release(batch.first + batch.count);
        this.written += batch.count;
      }
    } catch (e) {
      this.log.error({ err: e, lost: this.pendingLog.size }, 'fraud decision records not written at shutdown');
    }
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * One statement for the whole batch (its JSON array, `DecisionRecord`s, expanded in SQL): the same text on PGlite
 * and PostgreSQL.
 */
export async function insertDecisions(db: Db, json: string): Promise<void> {
  await db.query(
    `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, channel, area, region, subject, amount, currency, decided_at)
     select x.id, x.kind, x.outcome, x.score, array(select jsonb_array_elements_text(x.reasons)), x."latencyUs", x.degraded, x."policyVersion",
            x.partner, x.channel, x.area, x.region, x.subject, x.amount, x.currency, x."decidedAt"
     from jsonb_to_recordset($1::jsonb) as x(id uuid, kind text, outcome text, score float8, reasons jsonb, "latencyUs" int, degraded boolean,
          "policyVersion" text, partner text, channel text, area text, region text, subject jsonb, amount numeric, currency text, "decidedAt" timestamptz)
     on conflict (id) do nothing`,
    [json],
  );
}
