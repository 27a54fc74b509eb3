import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import { backendName, testKernel } from '../testing.ts';
import { authenticate, createApiKey, createUser, homeOf, type NewUser, principalOfApiKey, principalOfUser } from './identity.ts';

describe(`identity store on ${backendName}`, () => {
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = await testKernel({ env: { TARTIP_DEMO: 'false' } });
  });
  afterAll(async () => kernel?.close());

  const ctx = { actor: 'system:test' };
  const input = (username: string, jurisdictions: string[] = ['750000000'], roles: NewUser['roles'] = ['officer']): NewUser => ({
    username,
    displayName: `Тест ${username}`,
    password: 'Abai-Kunanbaiuly-1845',
    roles,
    jurisdictions,
  });
  const rows = async (table: string) => (await kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table}`))[0].n;

  it('signs in with the right password only, and never for a disabled account', async () => {
    const user = await kernel.commands.run(ctx, (uow) => createUser(uow, null, input('sign.in')));
    expect(await authenticate(kernel.db, 'sign.in', 'Abai-Kunanbaiuly-1845')).toMatchObject({ id: user.id, username: 'sign.in' });
    expect(await authenticate(kernel.db, 'sign.in', 'abai-kunanbaiuly-1845')).toBeNull();
    expect(await authenticate(kernel.db, 'no.such.user', 'Abai-Kunanbaiuly-1845')).toBeNull();
    await kernel.db.query('update kernel_user set disabled = true where id = $1', [user.id]);
    expect(await authenticate(kernel.db, 'sign.in', 'Abai-Kunanbaiuly-1845')).toBeNull();
  });

  it('a regional creator cannot grant jurisdictions outside their own, and nothing is written', async () => {
    const creator = principalOfUser({ id: 'c1', username: 'almaty.admin', roles: ['admin'], jurisdictions: ['750000000'] });
    const before = { users: await rows('kernel_user'), audit: await rows('kernel_audit'), outbox: await rows('kernel_outbox') };
    for (const jurisdictions of [['*'], ['710000000'], ['750000000', '711110000']]) {
      const attempt = kernel.commands.run(ctx, (uow) => createUser(uow, creator, input('outside.grant', jurisdictions)));
      await expect(attempt).rejects.toBeInstanceOf(Problem);
      await expect(attempt).rejects.toMatchObject({ code: 'outside_jurisdiction', status: 403 });
    }
    expect({ users: await rows('kernel_user'), audit: await rows('kernel_audit'), outbox: await rows('kernel_outbox') }).toEqual(before);
    const ok = await kernel.commands.run(ctx, (uow) => createUser(uow, creator, input('inside.grant', ['751110000'])));
    expect(ok.jurisdictions).toEqual(['751110000']);
    // Only a national creator (or the system) may make a national account.
    const national = principalOfUser({ id: 'c2', username: 'admin', roles: ['admin'], jurisdictions: ['*'] });
    expect((await kernel.commands.run(ctx, (uow) => createUser(uow, national, input('national.one', ['*'])))).jurisdictions).toEqual(['*']);
  });

  it('a taken username is a conflict', async () => {
    await expect(kernel.commands.run(ctx, (uow) => createUser(uow, null, input('inside.grant')))).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('places a person’s events in their first jurisdiction, national people nowhere', () => {
    expect(homeOf(['751110000', '750000000'])).toBe('751110000');
    expect(homeOf(['750000000', '*'])).toBeNull();
    expect(homeOf([])).toBeNull();
  });

  it('an API key identifies its partner; the key itself is not stored', async () => {
    const { id, key } = await kernel.commands.run(ctx, (uow) =>
      createApiKey(uow, { name: 'halyk-test', channel: 'bank', scopes: ['fraud:screen', 'partner:read'], jurisdictions: ['*'] }),
    );
    expect(key).toMatch(/^tk_bank_[A-Za-z0-9_-]{32}$/);
    const p = await principalOfApiKey(kernel.db, key);
    expect(p).toMatchObject({ kind: 'partner', id, name: 'halyk-test', channel: 'bank', jurisdictions: ['*'] });
    expect(p?.kind === 'partner' && [...p.scopes].sort()).toEqual(['fraud:screen', 'partner:read']);
    const stored = await kernel.db.query<Record<string, string>>('select * from kernel_api_key where id = $1', [id]);
    expect(JSON.stringify(stored)).not.toContain(key.slice(16));
    const [audit] = await kernel.db.query<{ data: Record<string, unknown> }>("select data from kernel_audit where action = 'apikey.created' and entity_id = $1", [id]);
    expect(JSON.stringify(audit.data)).not.toContain(key.slice(16));
  });

  it('refuses an altered, truncated, over-long or revoked key', async () => {
    const { id, key } = await kernel.commands.run(ctx, (uow) => createApiKey(uow, { name: 'beeline-test', channel: 'telecom', scopes: ['fraud:screen'], jurisdictions: ['*'] }));
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await principalOfApiKey(kernel.db, `${key.slice(0, -1)}${last}`)).toBeNull(); // same prefix, wrong secret
    expect(await principalOfApiKey(kernel.db, key.slice(0, 19))).toBeNull();
    expect(await principalOfApiKey(kernel.db, `${key}${'x'.repeat(200)}`)).toBeNull();
    expect(await principalOfApiKey(kernel.db, key)).not.toBeNull();
    await kernel.db.query('update kernel_api_key set revoked_at = now() where id = $1', [id]);
    expect(await principalOfApiKey(kernel.db, key)).toBeNull();
  });
});
