import type { Logger } from 'pino';

/**
 * Runs `fn` every `ms` on a timer that never overlaps itself (the next run is scheduled when one ends); a failed
 * run is logged and retried at the next tick. `fn` is told whether a stop was asked for, to end a long run early.
 * Returns the stopper, which waits for a running call. For modules' periodic checks (SLA timers, prunes,
 * refreshes); table-draining queues use `BatchWorker`.
 */
export function every(log: Logger, ms: number, what: string, fn: (stopped: () => boolean) => Promise<unknown>): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    if (stopped) return;
    running = fn(() => stopped)
      .catch((e) => log.warn({ err: e }, `${what} failed; will retry`))
      .finally(() => {
        running = null;
        if (!stopped) {
          timer = setTimeout(tick, ms);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, ms);
  timer.unref();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (running) await running;
  };
}
