import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from './kernel.ts';
import { RELAY_LOCK } from './outbox.ts';
import { backendName, testKernel } from './testing.ts';

/**
 * The outbox and the audit queue are written and emptied all day; until autovacuum runs, every row they had leaves a
 * dead index entry behind. The relay's read and the seal's read (kernel migration 0003) must step over those instead
 * of visiting each dead row again on every pass: counted here in pages (shared buffers) a read touches, which does
 * not depend on the machine's speed. Before 0003 both reads visited every dead row's page on every pass.
 */
describe(`queue reads on ${backendName}`, () => {
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = await testKernel();
  });
  afterAll(async () => kernel?.close());

  const DEAD = 3000;
  // Big enough rows that visiting them costs hundreds of pages, against a dozen for the index alone.
  const filler = 'x'.repeat(500);

  /** Shared buffers one statement touched, functions' own reads included. */
  const pagesRead = async (statement: string, params: unknown[] = []) =>
    kernel.db.transaction(async (tx) => {
      const [row] = await tx.query<{ 'QUERY PLAN': unknown }>(`explain (analyze, buffers, format json) ${statement}`, params);
      const raw = row['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[];
      return plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
    });

  it("the relay's read steps over events already published", async () => {
    // Written and marked published in one transaction: the relay never sees them, the pending index keeps their entries.
    await kernel.db.transaction(async (tx) => {
      await tx.query(
        `insert into kernel_outbox (id, subject, key, payload, occurred_at)
         select gen_random_uuid(), 'test.queue.dead', 'k' || n, jsonb_build_object('filler', $2::text, 'n', n), now()
         from generate_series(1, $1::int) n`,
        [DEAD, filler],
      );
      await tx.query("update kernel_outbox set published_at = now() where subject = 'test.queue.dead'");
    });
    const claim = `select * from kernel_outbox_claim(500, 0, ${RELAY_LOCK})`;
    await pagesRead(claim); // the first read finds the rows dead and marks their entries
    const pages = await pagesRead(claim);
    expect(pages).toBeLessThan(60);
    // And the read still finds what is pending among them.
    await kernel.db.query(`insert into kernel_outbox (id, subject, key, payload, occurred_at) values (gen_random_uuid(), 'test.queue.live', 'live', '{}', now())`);
    const rows = await kernel.db.transaction((tx) => tx.query<{ ok: boolean; subject: string | null }>(`select ok, subject from kernel_outbox_claim(500, 0, $1)`, [RELAY_LOCK]));
    // The test kernel's own relay may have published it already; then the read returns the lone `ok` row.
    expect(rows.every((r) => r.ok && (r.subject === null || r.subject === 'test.queue.live'))).toBe(true);
  });

  it("the seal's read steps over records other commits have sealed", async () => {
    // Queued and removed in one transaction: the seal at its commit finds nothing, the primary key keeps the entries.
    await kernel.db.transaction(async (tx) => {
      await tx.query(
        `insert into kernel_audit_pending (at, actor, action, entity, data, body)
         select now(), 'user:test', 'note.created', 'note', '{}', $2::text || n from generate_series(1, $1::int) n`,
        [DEAD, filler],
      );
      await tx.query('delete from kernel_audit_pending');
    });
    await pagesRead('select * from kernel_audit_queued()');
    const pages = await pagesRead('select * from kernel_audit_queued()');
    expect(pages).toBeLessThan(60);
    // Sealing still works after them.
    const [before] = await kernel.db.query<{ seq: number }>('select seq from kernel_audit_head where id = 1');
    await kernel.commands.run({ actor: 'user:test' }, (uow) => uow.audit({ action: 'note.created', entity: 'note', entityId: 'after-dead', data: {} }));
    const [after] = await kernel.db.query<{ seq: number }>('select seq from kernel_audit_head where id = 1');
    expect(Number(after.seq)).toBe(Number(before.seq) + 1);
  });
});
