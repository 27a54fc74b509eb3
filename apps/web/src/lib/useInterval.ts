import { useEffect, useRef, useState } from 'react';

/** Calls `fn` every `ms` milliseconds while mounted (and `ms` is not null); the latest `fn` is always used. */
export function useInterval(fn: () => void, ms: number | null): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (ms === null) return;
    const id = window.setInterval(() => ref.current(), ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

/** The current time in epoch milliseconds, refreshed every `ms` (for countdowns and "5 min ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), ms);
  return now;
}
