import type { Lang } from '../i18n.ts';
import { api, ApiError, isTransient } from './api.ts';

/** A text in the three interface languages, as the reports API sends names and descriptions. */
export type LocalText = { readonly [L in Lang]: string };

export interface CategoryAttribute {
  code: string;
  datatype: string;
  required: boolean;
  description: LocalText | string;
  values?: { key: string; name: LocalText | string }[];
}

/** An offence or road-defect category (the Open311 service). */
export interface Category {
  code: string;
  name: LocalText;
  description: LocalText;
  group: string;
  priority: string;
  attributes: CategoryAttribute[];
}

export interface NewReport {
  category: string;
  /** The place as a point; without it, `address` is placed by the server's gazetteer. */
  location?: { type: 'Point'; coordinates: [number, number] };
  address?: string;
  description?: string;
  media?: { contentType: string; data: string }[];
  anonymous: boolean;
  contact?: { phone?: string };
  deviceId: string;
}

export interface ReportCreated {
  id: string;
  trackingToken: string;
  status: string;
  duplicateOf: string | null;
  notice: string | LocalText | null;
}

export const REPORT_STATUSES = ['received', 'accepted', 'dispatched', 'on_scene', 'closed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export function isReportStatus(s: string): s is ReportStatus {
  return (REPORT_STATUSES as readonly string[]).includes(s);
}

export interface Tracking {
  id: string;
  category: string | { code: string; name: LocalText };
  status: ReportStatus | string;
  statusNote: string | null;
  submittedAt: string;
  updatedAt: string;
  history: { status: string; at: string; note: string | null }[];
  duplicateOf: string | null;
}

/** A text the server may send either localised per language or already in the request's language. */
export function localText(t: LocalText | string | null | undefined, lang: Lang): string {
  if (t == null) return '';
  return typeof t === 'string' ? t : (t[lang] ?? t.ru ?? '');
}

export async function fetchCategories(signal?: AbortSignal): Promise<Category[]> {
  const res = await api<{ items: Category[] }>('/api/v1/reports/categories', { anonymous: true, signal });
  return res.items;
}

export function fetchTracking(token: string, signal?: AbortSignal): Promise<Tracking> {
  return api<Tracking>(`/api/v1/reports/track/${encodeURIComponent(token)}`, { anonymous: true, signal });
}

export interface RetryOptions {
  /** Called before each new attempt (2, 3, …) after a network failure. */
  onRetry?: (attempt: number) => void;
  signal?: AbortSignal;
  /** Delays between attempts, ms. */
  delays?: number[];
}

const DEFAULT_DELAYS = [1000, 2000, 4000, 8000, 15000];

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = window.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      window.clearTimeout(id);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}

/**
 * Files a report. The same `idempotencyKey` goes with every attempt, so when the phone loses the answer and
 * tries again the server returns the first report instead of making a second one. Only a failure to reach the
 * server (or a gateway timeout) is retried; a refusal (4xx) is returned at once.
 */
export async function submitReport(body: NewReport, idempotencyKey: string, opts: RetryOptions = {}): Promise<ReportCreated> {
  const delays = opts.delays ?? DEFAULT_DELAYS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await api<ReportCreated>('/api/v1/reports', {
        method: 'POST',
        body,
        anonymous: true,
        headers: { 'Idempotency-Key': idempotencyKey },
        signal: opts.signal,
      });
    } catch (e) {
      if (!isTransient(e) || attempt > delays.length) throw e;
      await sleep(delays[attempt - 1], opts.signal);
      opts.onRetry?.(attempt + 1);
    }
  }
}

/**
 * A phone written the way people write it (`8 701 234-56-78`, `+7 (701) 234 56 78`) in E.164 (`+77012345678`), as
 * the API takes it; anything else is returned as typed, for the server to refuse under the field.
 */
export function normalizePhone(raw: string): string {
  const digits = raw.trim().replace(/[\s()\-.]/g, '');
  if (/^\+7\d{10}$/.test(digits)) return digits;
  if (/^[87]\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
  return raw.trim();
}

/** Field errors of a refused report, keyed by the first segment after `body.` (`category`, `location`, …). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const err of e.problem?.errors ?? []) {
    const path = err.path.replace(/^body[./]?/, '').replace(/^\//, '');
    const field = path.split(/[./[]/)[0] || '_';
    out[field] ??= err.message;
  }
  return out;
}
