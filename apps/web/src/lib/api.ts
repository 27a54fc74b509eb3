import type { Lang } from '../i18n.ts';
import { getToken } from './session.ts';

/** RFC 9457 problem details, as every API error is sent. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { path: string; code: string; message: string }[];
}

/** A failed API call: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

let language: Lang = 'ru';
let onUnauthorized: (() => void) | null = null;

/** Called by the language provider: every request carries this in `Accept-Language`. */
export function setApiLanguage(lang: Lang): void {
  language = lang;
}

/** Called once by the app: what to do when a call answers 401 (the session is over). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Send no token and don't treat 401 as the end of the session (the login call, the citizen's pages). */
  anonymous?: boolean;
  /** Extra request headers, e.g. `Idempotency-Key`. */
  headers?: Record<string, string>;
  /** Send `body` (a string) as it is with this content type instead of as JSON (NDJSON telemetry). */
  contentType?: string;
  /** `text`: return the answer's body as a string (a printable HTML page) instead of parsing JSON. */
  responseType?: 'json' | 'text';
}

/** Whether a failed call is worth repeating as it was: no answer at all, or a gateway that gave up. */
export function isTransient(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504);
}

/** Calls the Tártip API and returns the parsed JSON, or throws ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const text = options.responseType === 'text';
  const headers: Record<string, string> = { Accept: text ? 'text/html, text/plain, */*' : 'application/json', 'Accept-Language': language, ...options.headers };
  const raw = options.contentType !== undefined && typeof options.body === 'string';
  if (options.body !== undefined) headers['Content-Type'] = raw ? (options.contentType as string) : 'application/json';
  const token = options.anonymous ? null : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;

  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : raw ? (options.body as string) : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, null);
  }

  if (res.status === 401 && !options.anonymous) onUnauthorized?.();
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  if (res.status === 204) return undefined as T;
  if (text) return (await res.text()) as T;
  return (await res.json()) as T;
}

async function readProblem(res: Response): Promise<Problem | null> {
  try {
    const body: unknown = await res.json();
    return body && typeof body === 'object' ? (body as Problem) : null;
  } catch {
    return null;
  }
}
