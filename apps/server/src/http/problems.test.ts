import type { FastifyError } from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NewUser } from '../../../../packages/kernel/src/auth/identity.ts';
import { RequestValidationError, toProblem, validatorCompiler } from './problems.ts';

/** What the server answers for `data` against `schema`: the parsed value, or the field errors of the 400. */
function validate(schema: z.ZodType, data: unknown, part = 'body') {
  const result = validatorCompiler({ schema })(data);
  if ('value' in result) return { value: result.value };
  const err = Object.assign(result.error, { validationContext: part }) as unknown as FastifyError;
  const problem = toProblem(err);
  return { status: problem.status, code: problem.code, errors: problem.errors };
}

const user = { username: 'almaly.officer', displayName: 'Патрульный', password: 'long-enough-1', roles: ['officer'], jurisdictions: ['751110000'] };

describe('validatorCompiler', () => {
  it('passes valid input through, with zod defaults and coercions applied', () => {
    expect(validate(NewUser, user)).toEqual({ value: user });
    const q = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
    expect(validate(q, {}, 'querystring')).toEqual({ value: { limit: 50 } });
    expect(validate(q, { limit: '7' }, 'querystring')).toEqual({ value: { limit: 7 } });
  });

  it('tells a missing field (`required`) from one of the wrong type (`invalid_type`)', () => {
    const { password: _, ...noPassword } = user;
    expect(validate(NewUser, noPassword)).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ path: 'body.password', code: 'required' }] });
    expect(validate(NewUser, { ...user, password: 12345678 })).toMatchObject({ errors: [{ path: 'body.password', code: 'invalid_type' }] });
    expect(validate(NewUser, { ...user, roles: 'officer' })).toMatchObject({ errors: [{ path: 'body.roles', code: 'invalid_type' }] });
    expect(validate(NewUser, [])).toMatchObject({ errors: [{ path: 'body', code: 'invalid_type' }] });
    expect(validate(NewUser, undefined)).toMatchObject({ errors: [{ path: 'body', code: 'required' }] });
  });

  it('names unknown fields, so a client cannot slip in `disabled` or `permissions`', () => {
    expect(validate(NewUser, { ...user, disabled: false, permissions: ['users:write'] })).toMatchObject({
      errors: [
        { path: 'body.disabled', code: 'unrecognized_key' },
        { path: 'body.permissions', code: 'unrecognized_key' },
      ],
    });
  });

  it('labels errors with the part of the request they came from', () => {
    const params = z.strictObject({ id: z.uuid() });
    expect(validate(params, { id: 'x' }, 'params')).toMatchObject({ errors: [{ path: 'path.id', code: 'invalid_format' }] });
    expect(validate(params, { id: 'x' }, 'querystring')).toMatchObject({ errors: [{ path: 'query.id', code: 'invalid_format' }] });
  });

  it('refuses NUL characters and lone surrogates anywhere (they would fail in PostgreSQL or the audit hash: a 500)', () => {
    const loose = z.looseObject({ name: z.string(), tags: z.array(z.string()).optional() });
    for (const [data, path] of [
      [{ name: 'a\u0000b' }, 'body.name'],
      [{ name: 'ok', tags: ['fine', '\ud800'] }, 'body.tags.1'],
      [{ name: 'ok', 'ke\u0000y': 1 }, 'body.ke\u0000y'],
      [{ name: '\udc00 trailing low surrogate' }, 'body.name'],
    ] as const) {
      expect(validate(loose, data), JSON.stringify(data)).toMatchObject({ status: 400, errors: [{ path, code: 'invalid_format', params: { format: 'text' } }] });
    }
    // Well-formed text outside the BMP (a surrogate pair) is fine.
    expect(validate(loose, { name: 'Қазақстан 🇰🇿' })).toEqual({ value: { name: 'Қазақстан 🇰🇿' } });
  });

  it('returns its own error type, so the error handler can render field errors', () => {
    const r = validatorCompiler({ schema: NewUser })({});
    expect('error' in r && r.error).toBeInstanceOf(RequestValidationError);
  });
});

describe('toProblem', () => {
  const fastifyError = (code: string, statusCode?: number) => Object.assign(new Error(code), { code, statusCode }) as FastifyError;

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload_too_large', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type', 415],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'malformed_body', 400],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'malformed_body', 400],
    ['FST_ERR_NOT_FOUND', 404, 'not_found', 404],
    ['SOMETHING_ELSE', 429, 'rate_limited', 429],
  ])('%s → %s', (code, statusCode, problem, status) => {
    expect(toProblem(fastifyError(code, statusCode))).toMatchObject({ code: problem, status });
  });

  it('turns a unique violation from a concurrent insert into 409 conflict, not a 500', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "kernel_user_username_key"'), { code: '23505' });
    expect(toProblem(pgError as unknown as FastifyError)).toMatchObject({ code: 'conflict', status: 409 });
  });

  it('keeps unknown failures a 500 `internal` without leaking the message', () => {
    const p = toProblem(new Error('connection terminated: password authentication failed for user tartip') as FastifyError);
    expect(p).toMatchObject({ code: 'internal', status: 500 });
    expect(JSON.stringify(p.params)).not.toContain('password');
  });

  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    [undefined, 'Connection terminated unexpectedly'],
    [undefined, 'Client has encountered a connection error and is not queryable'],
  ])('turns a lost database connection (%s: %s) into 503 database_unavailable, not a 500', (code, message) => {
    const err = Object.assign(new Error(message), code ? { code } : {});
    expect(toProblem(err as unknown as FastifyError)).toMatchObject({ code: 'database_unavailable', status: 503 });
  });

  it('maps malformed JSON thrown as SyntaxError to malformed_body', () => {
    expect(toProblem(new SyntaxError('Unexpected token') as unknown as FastifyError)).toMatchObject({ code: 'malformed_body', status: 400 });
  });
});
