import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrorsFromZod, Problem, renderProblem } from './errors.ts';

describe('Problem', () => {
  it.each([
    ['validation_failed', 400],
    ['malformed_body', 400],
    ['unauthenticated', 401],
    ['invalid_credentials', 401],
    ['forbidden', 403],
    ['outside_jurisdiction', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['idempotency_conflict', 422],
    ['rate_limited', 429],
    ['internal', 500],
    ['unavailable', 503],
  ])('%s is HTTP %i', (code, status) => {
    expect(new Problem(code).status).toBe(status);
  });

  it('takes an explicit status, and defaults unknown codes to 400', () => {
    expect(new Problem('not_found', {}, [], 410).status).toBe(410);
    expect(new Problem('some_module_code').status).toBe(400);
  });
});

describe('renderProblem', () => {
  it('renders RFC 9457 problem details with a stable code and type', () => {
    const body = renderProblem(new Problem('invalid_credentials'), 'en', { instance: '/api/v1/auth/login', requestId: 'req-1' });
    expect(body).toEqual({
      type: 'https://tartip.kz/problems/invalid-credentials',
      title: 'Wrong username or password',
      status: 401,
      detail: 'The username or password is wrong.',
      code: 'invalid_credentials',
      instance: '/api/v1/auth/login',
      requestId: 'req-1',
    });
  });

  it('localises title and detail but never the code, status or type', () => {
    const p = Problem.forbidden('users:write');
    const [ru, kk, en] = (['ru', 'kk', 'en'] as const).map((l) => renderProblem(p, l));
    expect(new Set([ru.title, kk.title, en.title]).size).toBe(3);
    expect(new Set([ru.detail, kk.detail, en.detail]).size).toBe(3);
    expect(ru.title).toBe('Доступ запрещён');
    expect(kk.title).toBe('Рұқсат жоқ');
    expect(en.title).toBe('Not allowed');
    for (const b of [ru, kk, en]) {
      expect(b).toMatchObject({ code: 'forbidden', status: 403, type: 'https://tartip.kz/problems/forbidden' });
      expect(b.detail).toContain('users:write');
      expect(b.errors).toBeUndefined();
    }
  });

  it('puts the request id into the internal-error detail so support can find the log line', () => {
    const body = renderProblem(new Problem('internal'), 'kk', { requestId: '01a2-req' });
    expect(body.status).toBe(500);
    expect(body.detail).toContain('01a2-req');
  });

  it('lists field errors with localised messages and their parameters', () => {
    const p = Problem.validation([
      { path: 'body.password', code: 'too_small', params: { minimum: '8' } },
      { path: 'body.extra', code: 'unrecognized_key' },
    ]);
    const en = renderProblem(p, 'en');
    expect(en.status).toBe(400);
    expect(en.detail).toContain('2');
    expect(en.errors).toEqual([
      { path: 'body.password', code: 'too_small', message: 'Too short or too small (minimum 8).' },
      { path: 'body.extra', code: 'unrecognized_key', message: 'Unknown field.' },
    ]);
    const ru = renderProblem(p, 'ru');
    expect(ru.errors?.map((e) => e.code)).toEqual(['too_small', 'unrecognized_key']);
    expect(ru.errors?.[0].message).toContain('8');
    expect(ru.errors?.[1].message).toBe('Неизвестное поле.');
  });
});

describe('fieldErrorsFromZod', () => {
  const NewThing = z.strictObject({
    name: z.string().min(2).max(5),
    age: z.number().int().min(0).max(150),
    kind: z.enum(['a', 'b']),
    id: z.uuid().optional(),
    tags: z.array(z.string()).min(1).optional(),
    place: z.strictObject({ lat: z.number().min(-90).max(90) }).optional(),
  });
  // The server parses with `reportInput`, which lets a missing field be told from a wrong one.
  const errorsOf = (input: unknown, prefix = 'body') => {
    const r = NewThing.safeParse(input, { reportInput: true });
    expect(r.success).toBe(false);
    return fieldErrorsFromZod(r.error?.issues ?? [], prefix);
  };
  const valid = { name: 'abc', age: 30, kind: 'a' };

  it('accepts the valid example (sanity)', () => {
    expect(NewThing.safeParse(valid).success).toBe(true);
  });

  it('says `required` for missing fields, with the expected type', () => {
    expect(errorsOf({ kind: 'a' })).toEqual([
      { path: 'body.name', code: 'required', params: { expected: 'string' } },
      { path: 'body.age', code: 'required', params: { expected: 'number' } },
    ]);
  });

  it('says `invalid_type` for a present field of the wrong type', () => {
    expect(errorsOf({ ...valid, name: 42 })).toEqual([{ path: 'body.name', code: 'invalid_type', params: { expected: 'string' } }]);
    expect(errorsOf({ ...valid, age: null })).toEqual([{ path: 'body.age', code: 'invalid_type', params: { expected: 'number' } }]);
  });

  it('says `invalid_type` for a body that is not an object at all, and `required` for a missing one', () => {
    for (const body of [[], 'x', 42, null]) {
      expect(errorsOf(body)).toEqual([{ path: 'body', code: 'invalid_type', params: { expected: 'object' } }]);
    }
    expect(errorsOf(undefined)).toEqual([{ path: 'body', code: 'required', params: { expected: 'object' } }]);
  });

  it('names each unrecognized key with its own path, nested too', () => {
    expect(errorsOf({ ...valid, isAdmin: true, role: 'x' })).toEqual([
      { path: 'body.isAdmin', code: 'unrecognized_key' },
      { path: 'body.role', code: 'unrecognized_key' },
    ]);
    expect(errorsOf({ ...valid, place: { lat: 1, lon: 2 } })).toEqual([{ path: 'body.place.lon', code: 'unrecognized_key' }]);
    expect(fieldErrorsFromZod(z.strictObject({}).safeParse({ x: 1 }).error?.issues ?? [], '')).toEqual([
      { path: 'x', code: 'unrecognized_key' },
    ]);
  });

  it('maps sizes, formats and enums to stable codes with their limits', () => {
    expect(errorsOf({ ...valid, name: 'a' })).toEqual([{ path: 'body.name', code: 'too_small', params: { minimum: '2' } }]);
    expect(errorsOf({ ...valid, name: 'abcdefgh' })).toEqual([{ path: 'body.name', code: 'too_big', params: { maximum: '5' } }]);
    expect(errorsOf({ ...valid, age: 151 })).toEqual([{ path: 'body.age', code: 'too_big', params: { maximum: '150' } }]);
    expect(errorsOf({ ...valid, age: 1.5 })).toEqual([{ path: 'body.age', code: 'invalid_type', params: { expected: 'int' } }]);
    expect(errorsOf({ ...valid, kind: 'c' })).toEqual([{ path: 'body.kind', code: 'invalid_value' }]);
    expect(errorsOf({ ...valid, id: 'not-a-uuid' })).toEqual([{ path: 'body.id', code: 'invalid_format', params: { format: 'uuid' } }]);
    expect(errorsOf({ ...valid, tags: [] })).toEqual([{ path: 'body.tags', code: 'too_small', params: { minimum: '1' } }]);
    expect(errorsOf({ ...valid, tags: ['ok', 7] })).toEqual([{ path: 'body.tags.1', code: 'invalid_type', params: { expected: 'string' } }]);
    expect(errorsOf({ ...valid, place: { lat: 91 } })).toEqual([{ path: 'body.place.lat', code: 'too_big', params: { maximum: '90' } }]);
  });

  it('prefixes paths with where the value came from', () => {
    expect(errorsOf({ ...valid, age: -1 }, 'query')[0].path).toBe('query.age');
  });

  it('maps union failures to `invalid_value` and anything else to `invalid`', () => {
    const u = z.union([z.number(), z.boolean()]);
    expect(fieldErrorsFromZod(u.safeParse('x').error?.issues ?? [], 'body.j')).toEqual([{ path: 'body.j', code: 'invalid_value' }]);
    const custom = z.string().refine(() => false, 'nope');
    expect(fieldErrorsFromZod(custom.safeParse('x').error?.issues ?? [], 'body.c')).toEqual([{ path: 'body.c', code: 'invalid' }]);
  });

  it('gives every field error code a message in each language', () => {
    const all = errorsOf({ name: 'abcdefgh', age: 'x', kind: 'c', id: 'bad', extra: 1 });
    const codes = new Set(all.map((e) => e.code));
    expect(codes).toEqual(new Set(['too_big', 'invalid_type', 'invalid_value', 'invalid_format', 'unrecognized_key']));
    for (const locale of ['ru', 'kk', 'en'] as const) {
      for (const e of renderProblem(Problem.validation(all), locale).errors ?? []) {
        expect(e.message, `${locale} field.${e.code}`).not.toMatch(/^field\./);
        expect(e.message, `${locale} field.${e.code}`).not.toMatch(/\{\w+\}/);
      }
    }
  });
});
