/**
 * Runs `fn` at once, then at most once per `ms`: calls in between are folded into one trailing call, so a burst
 * of live events costs one refetch at the start and one at the end.
 */
export function throttle(fn: () => void, ms: number): { (): void; cancel: () => void } {
  let last = 0;
  let timer: number | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  const call = () => {
    if (timer !== undefined) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = window.setTimeout(run, wait);
  };
  call.cancel = () => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
