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

/**
 * Writes decisions in batches, behind the decisions: `record` only appends to a queue and returns, so recording
 * never slows a decision. One writer drains the queue, up to `batch` records per multi-row insert (ten times
 * that while more than ten batches wait, so that it catches up after a burst).
 *
 * Unlike the kernel's GroupCommit (whose callers wait for their commit, and whose failed batch is retried item by
 * item to isolate a bad item), nobody waits here and a failed batch is almost always an unreachable database: the
 * batch stays at the head of the queue and is retried after `retryMs`, and `onHealth(false)` tells the runtime to
 * switch to its degraded defaults. While the database is down at most `buffer` records are held; beyond that the
 * oldest are dropped and counted (`dropped`, logged).
 */
export class DecisionRecorder {
  private queue: DecisionRecord[] = [];
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
    private readonly options: { batch: number; buffer: number; retryMs: number },
    private readonly onHealth: (ok: boolean) => void,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  record(r: DecisionRecord): void {
    this.queue.push(r);
    if (this.queue.length > this.options.buffer) {
      const over = this.queue.length - this.options.buffer;
      this.queue.splice(0, over);
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
      while (this.queue.length > 0) {
        // Behind a burst, larger statements: up to ten batches' worth at once, so the writer catches up.
        const size = this.queue.length > 10 * this.options.batch ? 10 * this.options.batch : this.options.batch;
        const batch = this.queue.slice(0, size);
        try {
          await insertDecisions(this.db, batch);
        } catch (e) {
          this.failures++;
          if (this.failures === 1 || this.failures % 100 === 0) this.log.warn({ err: e, pending: this.queue.length }, 'fraud decision records not written; retrying');
          this.onHealth(false);
          if (!this.stopped) this.timer = setTimeout(() => {
            this.timer = null;
            this.kick();
          }, this.options.retryMs);
          return;
        }
        // The batch may have moved if records were dropped meanwhile: remove exactly what was written.
        const i = this.queue.indexOf(batch[0]);
        if (i >= 0) this.queue.splice(i, batch.length);
        this.written += batch.length;
        this.failures = 0;
        this.onHealth(true);
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    } finally {
      this.running = false;
      if (this.queue.length > 0 && !this.timer) this.kick();
    }
  }

  /** Resolves once everything recorded so far is written (waits while the database is down). */
  flush(): Promise<void> {
    if (this.queue.length === 0 && !this.running) return Promise.resolve();
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
    if (this.queue.length > 0) {
      try {
        while (this.queue.length > 0) await insertDecisions(this.db, this.queue.splice(0, this.options.batch));
      } catch (e) {
        this.log.error({ err: e, lost: this.queue.length }, 'fraud decision records not written at shutdown');
      }
    }
    for (const w of this.waiters.splice(0)) w();
  }
}

/** One statement for the whole batch (a JSON array expanded in SQL): the same text on PGlite and PostgreSQL. */
export async function insertDecisions(db: Db, batch: readonly DecisionRecord[]): Promise<void> {
  await db.query(
    `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, channel, area, region, subject, amount, currency, decided_at)
     select x.id, x.kind, x.outcome, x.score, array(select jsonb_array_elements_text(x.reasons)), x."latencyUs", x.degraded, x."policyVersion",
            x.partner, x.channel, x.area, x.region, x.subject, x.amount, x.currency, x."decidedAt"
     from jsonb_to_recordset($1::jsonb) as x(id uuid, kind text, outcome text, score float8, reasons jsonb, "latencyUs" int, degraded boolean,
          "policyVersion" text, partner text, channel text, area text, region text, subject jsonb, amount numeric, currency text, "decidedAt" timestamptz)
     on conflict (id) do nothing`,
    [JSON.stringify(batch)],
  );
}
