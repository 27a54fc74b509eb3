import type { Kernel } from '../../../packages/kernel/src/kernel.ts';

/** Repeats `fn` every `ms` on a timer that never overlaps itself; returns the stopper. */
export function every(kernel: Kernel, ms: number, what: string, fn: () => Promise<unknown>): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    if (stopped) return;
    running = fn()
      .catch((e) => kernel.log.warn({ err: e }, `traffic: ${what} failed; will retry`))
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
