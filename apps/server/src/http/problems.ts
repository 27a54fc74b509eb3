import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { fieldErrorsFromZod, Problem, renderProblem } from '../../../../packages/kernel/src/errors.ts';
import { negotiateLocale } from '../../../../packages/kernel/src/i18n/index.ts';

/** Error thrown by the zod validator compiler; carries the issues and which part of the request failed. */
export class RequestValidationError extends Error {
  constructor(readonly issues: readonly z.core.$ZodIssue[]) {
    super('request validation failed');
  }
}

export function validatorCompiler({ schema }: { schema: z.ZodType }) {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(result.error.issues) };
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const locale = req.locale ?? negotiateLocale(req.headers['accept-language']);
  const body = renderProblem(problem, locale, { instance: req.url.split('?')[0], requestId: String(req.id) });
  return reply.code(problem.status).type('application/problem+json').header('content-language', locale).send(body);
}

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** Turns whatever was thrown into a problem response: a 4xx for the caller's mistakes, a logged 500 otherwise. */
export function toProblem(err: FastifyError & { validationContext?: string }): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof RequestValidationError) {
    return Problem.validation(fieldErrorsFromZod(err.issues, PART[err.validationContext ?? 'body'] ?? 'body'));
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('payload_too_large', { limit: 'limit' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new Problem('malformed_body');
  }
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
