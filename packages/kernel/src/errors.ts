import type { z } from 'zod';
import { type Locale, t } from './i18n/index.ts';

/** One field's problem inside a 4xx response. `path` is a JSON pointer-ish dotted path (`body.location.lat`). */
export interface FieldError {
  path: string;
  code: string;
  params?: Record<string, unknown>;
}

const STATUS: Record<string, number> = {
  validation_failed: 400,
  malformed_body: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  outside_jurisdiction: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  database_unavailable: 503,
};

/**
 * The one error type. Thrown anywhere, rendered once as RFC 9457 problem details
 * (`application/problem+json`) with a stable `code` and localised `title`/`detail`.
 */
export class Problem extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    readonly params: Record<string, unknown> = {},
    readonly errors: FieldError[] = [],
    status?: number,
  ) {
    super(code);
    this.name = 'Problem';
    this.status = status ?? STATUS[code] ?? 400;
  }

  static validation(errors: FieldError[]): Problem {
    return new Problem('validation_failed', { count: errors.length }, errors);
  }
  static notFound(): Problem {
    return new Problem('not_found');
  }
  static forbidden(permission: string): Problem {
    return new Problem('forbidden', { permission });
  }
  static conflict(reason: string): Problem {
    return new Problem('conflict', { reason });
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; code: string; message: string }[];
}

/** Renders a Problem in `locale`. */
export function renderProblem(p: Problem, locale: Locale, extra: { instance?: string; requestId?: string } = {}): ProblemBody {
  const body: ProblemBody = {
    type: `https://tartip.kz/problems/${p.code.replaceAll('_', '-')}`,
    title: t(locale, `${p.code}.title`, p.params),
    status: p.status,
    detail: t(locale, `${p.code}.detail`, { ...p.params, requestId: extra.requestId }),
    code: p.code,
    ...extra,
  };
  if (p.errors.length > 0) {
    body.errors = p.errors.map((e) => ({ path: e.path, code: e.code, message: t(locale, `field.${e.code}`, e.params) }));
  }
  return body;
}

/**
 * `schema.safeParse(value)` whose issues keep their input (`reportInput`), which is what tells a missing field
 * (`required`) from a wrong one in `fieldErrorsFromZod`. Asking for the inputs turns off zod's compiled fast path
 * (measured: 1.5 µs instead of 0.27 µs for a four-field call body), and nearly every input is valid: so it parses
 * once without them and, only when that fails, again with them to describe the failure. Same result either way.
 */
export function parseReporting<T extends z.ZodType>(schema: T, value: unknown): z.ZodSafeParseResult<z.output<T>> {
  const fast = schema.safeParse(value);
  return fast.success ? fast : schema.safeParse(value, { reportInput: true });
}

/** Maps zod issues to field errors with stable codes; `prefix` says where the value came from. */
export function fieldErrorsFromZod(issues: readonly z.core.$ZodIssue[], prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    switch (issue.code) {
      case 'invalid_type': {
        const missing = (issue as { input?: unknown }).input === undefined;
        out.push({ path: base, code: missing ? 'required' : 'invalid_type', params: { expected: issue.expected } });
        break;
      }
      case 'too_small':
        out.push({ path: base, code: 'too_small', params: { minimum: String(issue.minimum) } });
        break;
      case 'too_big':
        out.push({ path: base, code: 'too_big', params: { maximum: String(issue.maximum) } });
        break;
      case 'invalid_format':
        out.push({ path: base, code: 'invalid_format', params: { format: issue.format } });
        break;
      case 'invalid_value':
      case 'invalid_union':
        out.push({ path: base, code: 'invalid_value' });
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ path: [base, key].filter(Boolean).join('.'), code: 'unrecognized_key' });
        break;
      default:
        out.push({ path: base, code: 'invalid' });
    }
  }
  return out;
}
