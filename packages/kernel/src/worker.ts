import type { Logger } from 'pino';

export interface BatchWorkerOptions {
  /** A full batch means there may be more: the worker runs the next pass at once. */
  batch: number;
  /** How often to run a pass when nobody pokes. */
  intervalMs: number;
  log: Logger;
  /** Said in the log when a pass fails. */
  name: string;
}

/**
 * Runs a table-draining pass (`pass()` returns how many rows it handled) on a timer and on demand. Pokes while a
 * pass runs are coalesced into one more pass; a failed pass is logged and retried on the next tick. Used by the
 * outbox relay and by modules' delivery queues.
 */
export class BatchWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly options: BatchWorkerOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.poke();
      this.timer = setTimeout(tick, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Runs a pass now, or right after the one running. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while (!this.stopped && (await this.pass()) === this.options.batch) {}
        } while (this.again && !this.stopped);
      } catch (e) {
        this.options.log.warn({ err: e }, `${this.options.name} failed; will retry`);
      } finally {
        this.running = null;
      }
    })();
  }

  /** Asks for one more pass after the current one (work became due during it). */
  requestAnotherPass(): void {
    this.again = true;
  }

  /** Stops the timer and waits for the running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running;
  }
}
