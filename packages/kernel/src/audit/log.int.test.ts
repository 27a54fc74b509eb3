import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel.ts';
import { backendName, TEST_DATABASE_URL, testKernel } from '../testing.ts';
import { publicKeyOf } from './chain.ts';
import { appendAudit, checkpointAudit, verifyAudit } from './log.ts';

describe(`audit log on ${backendName}`, () => {
  let kernel: Kernel;
  // A second key, as after a rotation: its checkpoints count only when it is trusted.
  const stranger = generateKeyPairSync('ed25519').privateKey;
  beforeAll(async () => {
    kernel = await testKernel();
  });
  afterAll(async () => kernel?.close());

  const head = async () => (await kernel.db.query<{ seq: number; hash: string }>('select seq, hash from kernel_audit_head where id = 1'))[0];
  const note = (i: number) =>
    kernel.commands.run({ actor: 'user:test', requestId: `r-${i}` }, (uow) =>
      uow.audit({ action: 'note.created', entity: 'note', entityId: `n-${i}`, jurisdiction: '750000000', data: { i, text: `Запись ${i}` } }),
    );

  it('numbers concurrent appends without gaps or forks', async () => {
    const start = (await head()).seq;
    await Promise.all(Array.from({ length: 25 }, (_, i) => note(i)));
    const rows = await kernel.db.query<{ seq: number; prev_hash: string; hash: string }>(
      'select seq, prev_hash, hash from kernel_audit where seq > $1 order by seq',
      [start],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 25 }, (_, i) => start + i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    expect((await head()).hash).toBe(rows[rows.length - 1].hash);
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true, records: start + 25 });
  });

  it('numbers and chains records as their transaction commits; a command that fails leaves no record and no gap', async () => {
    const before = await head();
    await expect(
      kernel.commands.run({ actor: 'user:test' }, async (uow) => {
        await uow.audit({ action: 'note.created', entity: 'note', entityId: 'doomed', data: {} });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await head()).toEqual(before);
    expect(await kernel.db.query("select 1 from kernel_audit where entity_id = 'doomed'")).toHaveLength(0);
    // Three records of one command keep their order and follow on without a gap.
    await kernel.commands.run({ actor: 'user:test' }, async (uow) => {
      for (const n of ['a', 'b', 'c']) await uow.audit({ action: 'note.created', entity: 'note', entityId: `ordered-${n}`, data: { n } });
    });
    const rows = await kernel.db.query<{ seq: number; entity_id: string; format: number }>(
      'select seq, entity_id, format from kernel_audit where seq > $1 order by seq',
      [before.seq],
    );
    expect(rows).toEqual([
      { seq: before.seq + 1, entity_id: 'ordered-a', format: 2 },
      { seq: before.seq + 2, entity_id: 'ordered-b', format: 2 },
      { seq: before.seq + 3, entity_id: 'ordered-c', format: 2 },
    ]);
    expect(await kernel.db.query('select 1 from kernel_audit_pending')).toHaveLength(0);
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true, records: before.seq + 3 });
  });

  it.runIf(!!TEST_DATABASE_URL)('an audited transaction still open does not hold up other audited commands (the head is taken only at commit)', async () => {
    const before = await head();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let staged: () => void = () => {};
    const isStaged = new Promise<void>((r) => {
      staged = r;
    });
    const slow = kernel.db.transaction(async (tx) => {
      await appendAudit(tx, { actor: 'user:slow', action: 'note.created', entity: 'note', entityId: 'slow', data: {} }, new Date());
      // Its record is written (queued); the transaction now waits, still open, until the others are done.
      staged();
      await held;
    });
    await isStaged;
    // Before, these waited for the slow command's commit (its first audit statement locked the head).
    await Promise.all([note(900), note(901)]);
    release();
    await slow;
    const rows = await kernel.db.query<{ seq: number; entity_id: string }>('select seq, entity_id from kernel_audit where seq > $1 order by seq', [before.seq]);
    expect(rows.map((r) => r.entity_id).sort()).toEqual(['n-900', 'n-901', 'slow']);
    expect(rows[2].entity_id).toBe('slow'); // numbered when it committed, after the two that committed first
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true });
  });

  it('reads the chain in pages', async () => {
    const { seq } = await head();
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys, 4)).toEqual({ ok: true, records: seq, checkpoints: 0 });
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys, 1)).toMatchObject({ ok: true, records: seq });
  });

  it('signs a checkpoint only once the head has moved `every` records past the last one', async () => {
    const first = await checkpointAudit(kernel.db, kernel.auditKey, new Date(), 0);
    expect(first?.seq).toBe((await head()).seq);
    expect(await checkpointAudit(kernel.db, kernel.auditKey, new Date(), 0)).toBeNull(); // nothing new
    for (let i = 100; i < 103; i++) await note(i);
    expect(await checkpointAudit(kernel.db, kernel.auditKey, new Date(), 5)).toBeNull(); // 3 < 5
    for (let i = 103; i < 105; i++) await note(i);
    const second = await checkpointAudit(kernel.db, kernel.auditKey, new Date(), 5);
    expect(second?.seq).toBe((first?.seq ?? 0) + 5);
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true, checkpoints: 2 });
  });

  it('trusts checkpoints only from known keys (and from old keys kept after a rotation)', async () => {
    expect(await verifyAudit(kernel.db, [publicKeyOf(stranger)])).toMatchObject({ ok: false, reason: expect.stringMatching(/bad signature/) });
    await note(200);
    await checkpointAudit(kernel.db, stranger, new Date(), 0);
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: false });
    expect(await verifyAudit(kernel.db, [...kernel.auditPublicKeys, publicKeyOf(stranger)])).toMatchObject({ ok: true, checkpoints: 3 });
  });

  it('refuses updates and deletes of records and checkpoints through the application’s connection', async () => {
    await expect(kernel.db.query("update kernel_audit set actor = 'x' where seq = 1")).rejects.toThrow(/append-only/);
    await expect(kernel.db.query('delete from kernel_audit_checkpoint')).rejects.toThrow(/append-only/);
  });

  it('catches an insider who deletes the newest records and winds the head back, thanks to the checkpoint', async () => {
    const trusted = [...kernel.auditPublicKeys, publicKeyOf(stranger)];
    expect(await verifyAudit(kernel.db, trusted)).toMatchObject({ ok: true });
    await note(300);
    const cp = await checkpointAudit(kernel.db, kernel.auditKey, new Date(), 0);
    const keep = (cp?.seq ?? 0) - 2;
    const [kept] = await kernel.db.query<{ hash: string }>('select hash from kernel_audit where seq = $1', [keep]);
    await kernel.db.transaction(async (tx) => {
      await tx.exec(
        `set local session_replication_role = replica;
         delete from kernel_audit where seq > ${keep};
         update kernel_audit_head set seq = ${keep}, hash = '${kept.hash}' where id = 1;`,
      );
    });
    const result = await verifyAudit(kernel.db, trusted);
    expect(result).toMatchObject({ ok: false, firstBadSeq: keep + 1 });
    expect(result.ok === false && result.reason).toMatch(/checkpoint at \d+ covers records that are missing/);
  });
});
