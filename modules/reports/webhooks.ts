import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { BatchWorker } from '../../packages/kernel/src/worker.ts';
import type { ReportsSettings } from './config/settings.ts';
import { backoffMs, signBody, signTimestamped } from './domain/webhook.ts';

interface Claimed {
  id: string;
  seq: number;
  body: string;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Delivers partners' webhooks from the table-backed queue (`reports_webhook_delivery`), off the request path.
 *
 * - Rows are written in the transaction of the status change, so a committed change is always announced.
 * - A process claims due rows with a short lease (`for update skip locked`), so several processes share the work
 *   and a crashed one's claims are taken over when the lease ends.
 * - Per (partner, report) only the oldest undelivered change is attempted: a partner never sees a newer status
 *   before an older one.
 * - A failed attempt (no answer, or not 2xx) is retried with exponential backoff; after `webhookMaxAttempts` the
 *   row is marked failed and kept for inspection.
 * - The body is sent byte-for-byte as stored, signed `X-Tartip-Signature: sha256=<hex HMAC>` and, with the time of
 *   the attempt, `X-Tartip-Signature-256: t=…,v1=…` (a replayed delivery can be refused), with a stable
 *   `X-Tartip-Event-Id` the partner deduplicates by.
 */
export class WebhookWorker {
  private readonly worker: BatchWorker;
  private lastPrune = 0;
  delivered = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly settings: ReportsSettings,
    private readonly batch = 20,
  ) {
    this.worker = new BatchWorker(() => this.runOnce(), {
      batch,
      intervalMs: settings.webhookPollMs,
      log: kernel.log,
      name: 'webhook delivery pass',
    });
  }

  start(): void {
    this.worker.start();
  }

  /** Runs a pass now (coalescing concurrent calls). */
  poke(): void {
    this.worker.poke();
  }

  /** Claims and attempts one batch of due deliveries; returns how many it attempted. */
  async runOnce(): Promise<number> {
    const now = this.kernel.clock.now();
    if (now.getTime() - this.lastPrune > 3_600_000) {
      // Delivered rows are kept a week, given-up ones a month (for the partner's questions), then deleted.
      this.lastPrune = now.getTime();
      await this.kernel.db.query(
        `delete from reports_webhook_delivery
         where delivered_at < $1::timestamptz - interval '7 days' or failed_at < $1::timestamptz - interval '30 days'`,
        [now.toISOString()],
      );
    }
    const leaseUntil = new Date(now.getTime() + this.settings.webhookTimeoutMs + 30_000);
    const claimed = await this.kernel.db.transaction((tx) =>
      tx.query<Claimed>(
        `with due as (
           select d.seq from reports_webhook_delivery d
           where d.delivered_at is null and d.failed_at is null and d.next_attempt_at <= $1
             and (d.lease_until is null or d.lease_until <= $1)
             and not exists (
               select 1 from reports_webhook_delivery e
               where e.partner_key_id = d.partner_key_id and e.report_id = d.report_id and e.seq < d.seq
                 and e.delivered_at is null and e.failed_at is null)
           order by d.seq limit $3 for update skip locked)
         update reports_webhook_delivery d set lease_until = $2, attempts = d.attempts + 1
         from due, reports_webhook w
         where d.seq = due.seq and w.partner_key_id = d.partner_key_id
         returning d.id, d.seq, d.body, d.attempts, w.url, w.secret`,
        [now.toISOString(), leaseUntil.toISOString(), this.batch],
      ),
    );
    await Promise.all(claimed.map((c) => this.attempt(c)));
    return claimed.length;
  }

  private async attempt(c: Claimed): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(c.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tartip-Webhooks/1',
          'x-tartip-event': 'report.status_changed',
          'x-tartip-event-id': c.id,
          'x-tartip-signature': signBody(c.secret, c.body),
          'x-tartip-signature-256': signTimestamped(c.secret, c.body, Math.floor(this.kernel.clock.now().getTime() / 1000)),
        },
        body: c.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.webhookTimeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 500) : 'delivery failed';
    }
    const now = this.kernel.clock.now();
    if (error === null) {
      await this.kernel.db.query(
        'update reports_webhook_delivery set delivered_at = $2, last_status = $3, last_error = null, lease_until = null where id = $1',
        [c.id, now.toISOString(), status],
      );
      this.delivered++;
      // The next change of the same report may now go.
      this.worker.requestAnotherPass();
      return;
    }
    const failed = c.attempts >= this.settings.webhookMaxAttempts;
    const next = new Date(now.getTime() + backoffMs(c.attempts, this.settings.webhookBackoffMs));
    await this.kernel.db.query(
      `update reports_webhook_delivery set last_status = $2, last_error = $3, lease_until = null, next_attempt_at = $4,
         failed_at = case when $5::boolean then $6::timestamptz else null end
       where id = $1`,
      [c.id, status, error, next.toISOString(), failed, now.toISOString()],
    );
    if (failed) this.kernel.log.warn({ delivery: c.id, attempts: c.attempts, error }, 'webhook delivery given up');
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }
}
