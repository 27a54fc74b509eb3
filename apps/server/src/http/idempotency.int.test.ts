import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../../../../packages/kernel/src/testing.ts';
import { type TestServer, testServer } from '../testing.ts';

describe(`Idempotency-Key on ${backendName}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => server?.close());

  const newUser = (username: string) => ({
    username,
    displayName: 'Ерлан Сапаров',
    password: 'long enough password',
    roles: ['officer'],
    jurisdictions: ['750000000'],
  });
  const users = async () => (await server.kernel.db.query<{ n: number }>('select count(*)::int8 as n from kernel_user'))[0].n;

  it('replays the first response to a retried write and does the work once', async () => {
    const before = await users();
    const send = () =>
      server.as('admin', {
        method: 'POST',
        url: '/api/v1/users',
        headers: { 'idempotency-key': 'tablet-7f3a-0001' },
        payload: newUser('retry.once'),
      });
    const first = await send();
    expect(first.statusCode).toBe(201);
    const second = await send();
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    expect(await users()).toBe(before + 1);
  });

  it('refuses the same key for a different request, changing nothing', async () => {
    const before = await users();
    const res = await server.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'idempotency-key': 'tablet-7f3a-0001', 'accept-language': 'en' },
      payload: newUser('retry.other'),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'idempotency_conflict', title: 'Idempotency key reused' });
    expect(await users()).toBe(before);
  });

  it('keeps keys apart per caller and rejects malformed keys', async () => {
    const bad = await server.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'idempotency-key': 'short' },
      payload: newUser('retry.bad'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('header.idempotency-key');
    // A failed request is not remembered: fixing it and retrying with the same key works.
    const failed = await server.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'idempotency-key': 'retry-after-409' },
      payload: newUser('admin'),
    });
    expect(failed.statusCode).toBe(409);
    const fixed = await server.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'idempotency-key': 'retry-after-409' },
      payload: newUser('retry.fixed'),
    });
    expect(fixed.statusCode).toBe(201);
  });
});
