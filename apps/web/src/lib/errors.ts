import { ApiError } from './api.ts';
import type { Translate } from './lang.tsx';

/** The text to show for a failed call: the server's localised `detail` when there is one. */
export function errorMessage(e: unknown, t: Translate): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network');
    if (e.problem?.detail) return e.problem.detail;
    if (e.problem?.title) return e.problem.title;
    if (e.status === 403) return t('error.forbidden');
    return t('error.generic', { status: e.status });
  }
  return e instanceof Error ? e.message : String(e);
}
