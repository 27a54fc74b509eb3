import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { fieldErrorsFromZod, parseReporting, Problem, renderProblem } from '../../../../packages/kernel/src/errors.ts';
import { negotiateLocale } from '../../../../packages/kernel/src/i18n/index.ts';

/** Error thrown by the zod validator compiler; carries the issues and which part of the request failed. */
export class RequestValidationError extends Error {
  constructor(readonly issues: readonly z.core.$ZodIssue[]) {
    super('request validation failed');
  }
}

/** Characters PostgreSQL or the audit hash cannot take: NUL, and surrogates (a lone one is checked pairwise below). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** A string holding NUL or a lone UTF-16 surrogate. */
function badText(s: string): boolean {
  if (!SUSPECT.test(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * Path of the first string (value or key) that PostgreSQL or the audit hash cannot take: one holding NUL, or a
 * lone UTF-16 surrogate (`"\ud800"` in JSON). Left alone, either fails deep in a query or in hashing — a 500.
 * Walks every request body, so it allocates nothing unless it finds one (`path` is pushed and popped).
 */
function badTextAt(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (typeof value === 'string') return badText(value) ? [...path] : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const found = badTextAt(value[i], path, depth + 1);
      path.pop();
      if (found) return found;
    }
    return null;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    path.push(k);
    const found = badText(k) ? [...path] : badTextAt((value as Record<string, unknown>)[k], path, depth + 1);
    path.pop();
    if (found) return found;
  }
  return null;
}

export function validatorCompiler({ schema }: { schema: z.ZodType }) {
  return (data: unknown) => {
    const badText = badTextAt(data);
    if (badText) {
      const issue = { code: 'invalid_format', format: 'text', path: badText, message: 'not valid text' } as unknown as z.core.$ZodIssue;
      return { error: new RequestValidationError([issue]) };
    }
    const result = parseReporting(schema, data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(result.error.issues) };
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const locale = req.locale ?? negotiateLocale(req.headers['accept-language']);
  const body = renderProblem(problem, locale, { instance: req.url.split('?')[0], requestId: String(req.id) });
  // A lost database connection is worth retrying soon (with the same Idempotency-Key); say how soon.
  if (problem.code === 'database_unavailable') reply.header('retry-after', '2');
  return reply.code(problem.status).type('application/problem+json').header('content-language', locale).send(body);
}

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/**
 * PostgreSQL's connection exceptions (class 08), the server shutting down or restarting (57P01–57P03), the socket
 * failing, and node-postgres's own words for a connection that ended: not a defect of ours or the caller's, but a
 * moment to retry — a 503 the caller can act on, not a 500.
 */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const CONNECTION_MESSAGE = /^(Connection terminated|Client has encountered a connection error|Client was closed|Connection ended|Cannot use a pool after calling end on the pool)/;
function connectionLost(err: { code?: string; message?: string }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return code.startsWith('08') || CONNECTION_CODES.has(code) || CONNECTION_MESSAGE.test(err.message ?? '');
}

/** Turns whatever was thrown into a problem response: a 4xx for the caller's mistakes, a logged 500 otherwise. */
export function toProblem(err: FastifyError & { validationContext?: string }): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof RequestValidationError) {
    return Problem.validation(fieldErrorsFromZod(err.issues, PART[err.validationContext ?? 'body'] ?? 'body'));
  }
  switch (err.code) {
    case '23505': // unique_violation: a concurrent request took the same unique value between check and insert
      return Problem.conflict('a record with the same unique value exists');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('payload_too_large', { limit: 'limit' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem('unsupported_media_type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new Problem('malformed_body');
  }
  if (connectionLost(err)) return new Problem('database_unavailable');
  if (err instanceof SyntaxError || (err as { type?: string }).type === 'entity.parse.failed') return new Problem('malformed_body');
  if (err.statusCode === 429) return new Problem('rate_limited', { seconds: 60 });
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new Problem(err.statusCode === 404 ? 'not_found' : err.statusCode === 405 ? 'method_not_allowed' : 'malformed_body', {}, [], err.statusCode);
  }
  return new Problem('internal');
}

export function registerProblemHandlers(app: FastifyInstance, bodyLimit: number) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let problem = toProblem(err);
    if (problem.code === 'payload_too_large') problem = new Problem('payload_too_large', { limit: bodyLimit });
    if (problem.status >= 500) req.log.error({ err }, 'request failed');
    return sendProblem(req, reply, problem);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(req, reply, Problem.notFound()));
}
