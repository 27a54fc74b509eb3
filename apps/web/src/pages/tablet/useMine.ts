import { useCallback, useEffect, useRef, useState } from 'react';
import { DISPATCH_SUBJECTS, dispatchApi, type Mine } from '../../lib/dispatch.ts';
import { throttle } from '../../lib/throttle.ts';
import { type StreamState, useEventStream } from '../../lib/useEventStream.ts';
import { useInterval } from '../../lib/useInterval.ts';

const POLL_MS = 5000;

/** The officer's unit and current task: polled every 5 s, and refetched at once on a live event. */
export function useMine(): { mine: Mine | null; error: unknown; stream: StreamState; reload: () => Promise<void> } {
  const [mine, setMine] = useState<Mine | null>(null);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    try {
      setMine(await dispatchApi.mine());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);
  useInterval(() => void reload(), POLL_MS);

  const throttled = useRef<ReturnType<typeof throttle> | null>(null);
  throttled.current ??= throttle(() => void reload(), 300);
  useEffect(() => () => throttled.current?.cancel(), []);
  const stream = useEventStream('dispatch.>', DISPATCH_SUBJECTS, () => throttled.current?.());

  return { mine, error, stream, reload };
}
