import { useCallback, useEffect, useState } from 'react';
import { api } from './api.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface PagedState<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
  loadMore: () => void;
}

/** Loads a cursor-paginated list (`{ items, nextCursor }`); `loadMore` appends the next page. */
export function usePaged<T>(path: string): PagedState<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const fetchPage = useCallback(
    async (cursor: string | null, signal?: AbortSignal) => {
      setLoading(true);
      setError(null);
      const sep = path.includes('?') ? '&' : '?';
      const url = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
      try {
        const page = await api<Page<T>>(url, { signal });
        setItems((prev) => (cursor ? [...prev, ...page.items] : page.items));
        setNextCursor(page.nextCursor);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError(e);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [path],
  );

  useEffect(() => {
    const ctl = new AbortController();
    void fetchPage(null, ctl.signal);
    return () => ctl.abort();
  }, [fetchPage]);

  const loadMore = useCallback(() => {
    if (nextCursor) void fetchPage(nextCursor);
  }, [fetchPage, nextCursor]);

  return { items, nextCursor, loading, error, loadMore };
}
