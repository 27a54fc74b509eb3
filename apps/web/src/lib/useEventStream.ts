import { useEffect, useRef, useState } from 'react';
import { getToken } from './session.ts';

/** One event of the live stream (`GET /api/v1/stream`): the bus event as the server sends it. */
export interface StreamEvent<D = Record<string, unknown>> {
  id: string;
  subject: string;
  occurredAt: string;
  jurisdiction: string | null;
  data: D;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting';

/**
 * Follows the server's Server-Sent Events for `topics`, calling `onEvent` for every event whose name is in
 * `subjects` (SSE delivers a named event only to listeners of that exact name). EventSource cannot send headers,
 * so the token goes in the query string. When the server closes the stream for good (a refused token), it is
 * opened again after a pause with the current token.
 */
export function useEventStream(topics: string, subjects: readonly string[], onEvent: (e: StreamEvent) => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = subjects.join(',');

  useEffect(() => {
    let es: EventSource | null = null;
    let retry: number | undefined;
    let stopped = false;
    const listener = (m: MessageEvent) => {
      try {
        handler.current(JSON.parse(String(m.data)) as StreamEvent);
      } catch (e) {
        console.error('bad stream event', e);
      }
    };
    const open = () => {
      const token = getToken();
      if (!token || stopped) return;
      es = new EventSource(`/api/v1/stream?topics=${encodeURIComponent(topics)}&access_token=${encodeURIComponent(token)}`);
      for (const s of key.split(',')) es.addEventListener(s, listener as EventListener);
      es.onopen = () => setState('open');
      es.onerror = () => {
        if (!es || stopped) return;
        setState('reconnecting');
        if (es.readyState === EventSource.CLOSED) {
          es = null;
          retry = window.setTimeout(open, 5000);
        }
      };
    };
    open();
    return () => {
      stopped = true;
      window.clearTimeout(retry);
      es?.close();
    };
  }, [topics, key]);

  return state;
}
