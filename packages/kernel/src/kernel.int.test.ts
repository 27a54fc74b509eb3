import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from './bus/types.ts';
import { ManualClock } from './clock.ts';
import { checksum, migrate, MigrationError, readMigrations } from './db/migrate.ts';
import { openPglite } from './db/pglite.ts';
import { openPostgres } from './db/postgres.ts';
import type { Db } from './db/types.ts';
import { verifyAudit } from './audit/log.ts';
import type { Kernel } from './kernel.ts';
import { KERNEL_MIGRATIONS_DIR } from './kernel.ts';
import pg from 'pg';
import { handleOnce, RELAY_LOCK } from './outbox.ts';
import { backendName, createTestDatabase, TEST_DATABASE_URL, testKernel } from './testing.ts';

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe(`kernel on ${backendName}`, () => {
  let kernel: Kernel;
  const clock = new ManualClock(new Date('2026-11-24T10:00:00Z'));

  beforeAll(async () => {
    kernel = await testKernel({ clock });
    await kernel.db.exec('create table test_note (id text primary key, body text not null)');
  });
  afterAll(async () => kernel?.close());

  it('commits state, audit record and event together', async () => {
    const before = await verifyAudit(kernel.db, kernel.auditPublicKeys);
    const eventId = await kernel.commands.run({ actor: 'user:test', requestId: 'req-1' }, async (uow) => {
      await uow.tx.query('insert into test_note values ($1, $2)', ['n1', 'hello']);
      await uow.audit({ action: 'note.created', entity: 'note', entityId: 'n1', jurisdiction: '750000000', data: { body: 'hello' } });
      return uow.emit({ subject: 'test.note.created', key: 'n1', jurisdiction: '750000000', data: { id: 'n1' } });
    });
    const [audit] = await kernel.db.query<{ actor: string; request_id: string; at: Date }>(
      `select actor, request_id, at from kernel_audit where action = 'note.created'`,
    );
    expect(audit).toMatchObject({ actor: 'user:test', request_id: 'req-1' });
    expect(new Date(audit.at).toISOString()).toBe('2026-11-24T10:00:00.000Z');
    const [outbox] = await kernel.db.query<{ subject: string; jurisdiction: string }>('select subject, jurisdiction from kernel_outbox where id = $1', [eventId]);
    expect(outbox).toEqual({ subject: 'test.note.created', jurisdiction: '750000000' });
    const after = await verifyAudit(kernel.db, kernel.auditPublicKeys);
    expect(after).toMatchObject({ ok: true, records: (before.ok ? before.records : 0) + 1 });
  });

  it('writes nothing when the command fails half-way', async () => {
    const count = async () => {
      const [r] = await kernel.db.query<{ a: number; o: number; n: number }>(
        'select (select count(*) from kernel_audit)::int8 as a, (select count(*) from kernel_outbox)::int8 as o, (select count(*) from test_note)::int8 as n',
      );
      return r;
    };
    const before = await count();
    await expect(
      kernel.commands.run({ actor: 'user:test' }, async (uow) => {
        await uow.tx.query('insert into test_note values ($1, $2)', ['n2', 'lost']);
        await uow.audit({ action: 'note.created', entity: 'note', entityId: 'n2' });
        await uow.emit({ subject: 'test.note.created', data: { id: 'n2' } });
        await uow.tx.query('insert into test_note values ($1, $2)', ['n1', 'duplicate key']);
      }),
    ).rejects.toThrow();
    expect(await count()).toEqual(before);
    // The audit head did not move either: the next record still links to the last committed one.
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true });
  });

  it('runs reactions inside the command: their writes, audit records and events commit with it, or nothing does', async () => {
    const calls: BusEvent[][] = [];
    kernel.commands.addReaction({
      subject: 'test.reaction.note',
      name: 'test.note-copier',
      react: async (uow, events) => {
        calls.push(events);
        for (const e of events) {
          const { id, body } = e.data as { id: string; body: string };
          if (body === 'poison') throw new Error('the reaction refuses poison');
          await uow.tx.query('insert into test_note values ($1, $2)', [`${id}-copy`, body.toUpperCase()]);
          await uow.audit({ action: 'note.copied', entity: 'note', entityId: `${id}-copy` });
          await uow.emit({ subject: 'test.reaction.copied', key: id, data: { id: `${id}-copy` } });
        }
        (events[0].data as { body: string }).body = 'changed by the reaction';
      },
    });
    const copied: string[] = [];
    kernel.commands.addReaction({
      subject: 'test.reaction.copied',
      name: 'test.copy-watcher',
      react: async (_uow, events) => {
        for (const e of events) copied.push((e.data as { id: string }).id);
      },
    });
    expect(() => kernel.commands.addReaction({ subject: 'test.>', name: 'test.copy-watcher', react: async () => {} })).toThrow(/registered already/);

    const ids = await kernel.commands.run({ actor: 'user:test', requestId: 'req-r' }, async (uow) => {
      await uow.tx.query('insert into test_note values ($1, $2)', ['r1', 'first']);
      return [
        await uow.emit({ subject: 'test.reaction.note', key: 'r1', data: { id: 'r1', body: 'first' } }),
        await uow.emit({ subject: 'test.reaction.note', key: 'r2', data: { id: 'r2', body: 'second' } }),
        await uow.emit({ subject: 'test.other', key: 'r3', data: {} }),
      ];
    });
    // One call with both matching events, in order, as the bus would carry them (ids, subject, time).
    expect(calls).toHaveLength(1);
    expect(calls[0].map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(calls[0][1]).toMatchObject({ subject: 'test.reaction.note', key: 'r2', occurredAt: '2026-11-24T10:00:00.000Z' });
    // Events the reaction emitted were reacted to in a second round, in the same command.
    expect(copied).toEqual(['r1-copy', 'r2-copy']);
    const notes = await kernel.db.query<{ id: string; body: string }>(`select id, body from test_note where id like 'r%' order by id`);
    expect(notes).toEqual([
      { id: 'r1', body: 'first' },
      { id: 'r1-copy', body: 'FIRST' },
      { id: 'r2-copy', body: 'SECOND' },
    ]);
    const outbox = await kernel.db.query<{ id: string; subject: string; payload: { body?: string } }>(
      `select id, subject, payload from kernel_outbox where key in ('r1', 'r2', 'r3') order by seq`,
    );
    expect(outbox.map((o) => o.subject)).toEqual(['test.reaction.note', 'test.reaction.note', 'test.other', 'test.reaction.copied', 'test.reaction.copied']);
    // The reaction got a copy: what it changed is not what the command emitted.
    expect(outbox[0].payload.body).toBe('first');
    const audit = await kernel.db.query<{ actor: string; request_id: string }>(`select actor, request_id from kernel_audit where action = 'note.copied'`);
    expect(audit).toEqual([
      { actor: 'system:test.note-copier', request_id: 'req-r' },
      { actor: 'system:test.note-copier', request_id: 'req-r' },
    ]);

    // A reaction that fails fails the command: neither the command's writes nor any reaction's are kept.
    const count = async () =>
      (
        await kernel.db.query<{ n: number; o: number; a: number }>(
          `select (select count(*) from test_note)::int8 as n, (select count(*) from kernel_outbox)::int8 as o, (select count(*) from kernel_audit)::int8 as a`,
        )
      )[0];
    const before = await count();
    await expect(
      kernel.commands.run({ actor: 'user:test' }, async (uow) => {
        await uow.tx.query('insert into test_note values ($1, $2)', ['r4', 'kept?']);
        await uow.emit({ subject: 'test.reaction.note', key: 'r4', data: { id: 'r4', body: 'fine' } });
        await uow.emit({ subject: 'test.reaction.note', key: 'r5', data: { id: 'r5', body: 'poison' } });
      }),
    ).rejects.toThrow('the reaction refuses poison');
    expect(await count()).toEqual(before);

    // A reaction that keeps answering its own events is a loop: the command fails instead of running forever.
    kernel.commands.addReaction({
      subject: 'test.echo',
      name: 'test.echo',
      react: async (uow, events) => {
        for (const e of events) await uow.emit({ subject: 'test.echo', data: e.data });
      },
    });
    await expect(kernel.commands.run({ actor: 'user:test' }, (uow) => uow.emit({ subject: 'test.echo', data: {} }))).rejects.toThrow(/did not settle after 8 rounds/);
    expect(await count()).toEqual(before);
    expect(await verifyAudit(kernel.db, kernel.auditPublicKeys)).toMatchObject({ ok: true });
  });

  it('relays committed events to the bus, and a consumer handles each once even when redelivered', async () => {
    const seen: BusEvent[] = [];
    await kernel.db.exec('create table test_projection (event_id uuid primary key)');
    const sub = await kernel.bus.subscribe({ subject: 'test.>', group: 'test-projection' }, async (event) => {
      seen.push(event);
      await handleOnce(kernel.db, 'test-projection', event, async (tx) => {
        await tx.query('insert into test_projection values ($1)', [event.id]);
      });
    });
    kernel.relay.start();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await kernel.commands.run({ actor: 'user:test' }, (uow) => uow.emit({ subject: 'test.tick', data: { i } })));
    }
    await until(() => ids.every((id) => seen.some((e) => e.id === id)) || undefined);
    // Deliver one event again, as a bus would after a lost ack: the effect is not repeated.
    const again = seen.find((e) => e.id === ids[0]);
    expect(again).toBeDefined();
    expect(await handleOnce(kernel.db, 'test-projection', again as BusEvent, async () => {})).toBe(false);
    // An event is in `seen` as its handling starts: wait for the last one's transaction too.
    const projected = await until(async () => {
      const rows = await kernel.db.query<{ event_id: string }>('select event_id from test_projection');
      return ids.every((id) => rows.some((r) => r.event_id === id)) ? rows : undefined;
    });
    expect(projected.map((r) => r.event_id)).toEqual(expect.arrayContaining(ids));
    const pending = await until(async () => ((await kernel.relay.pending()) === 0 ? 0 : undefined));
    expect(pending).toBe(0);
    const tick = seen.find((e) => e.id === ids[5]);
    expect(tick).toMatchObject({ subject: 'test.tick', data: { i: 5 }, occurredAt: '2026-11-24T10:00:00.000Z' });
    await sub.unsubscribe();
  });

  // Another process holding the relay lock needs a second connection: PostgreSQL only (PGlite is one process).
  it.runIf(Boolean(TEST_DATABASE_URL))('a relay pass leaves the batch to the process that holds the relay lock, and takes it once the lock is free', async () => {
    const published = async (id: string) =>
      (await kernel.db.query<{ published_at: Date | null }>('select published_at from kernel_outbox where id = $1', [id]))[0]?.published_at ?? null;
    const holder = new pg.Client({ connectionString: kernel.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1)', [RELAY_LOCK]);
      const id = await kernel.commands.run({ actor: 'user:test' }, (uow) => uow.emit({ subject: 'test.locked', key: 'held', data: {} }));
      expect(await kernel.relay.relayOnce()).toBe(0);
      expect(await published(id)).toBeNull();
      await holder.query('commit');
      await until(async () => (await kernel.relay.relayOnce()) > 0 || (await published(id)) !== null || undefined);
      expect(await until(() => published(id).then((at) => at ?? undefined))).toBeInstanceOf(Date);
    } finally {
      await holder.end();
    }
  });

  it('places points in regions and districts of Kazakhstan', async () => {
    const { locate } = await import('./geo/geo.ts');
    const almaty = await locate(kernel.db, 76.9286, 43.2567);
    expect(almaty.region?.kato).toBe('750000000');
    expect(almaty.district?.parentKato).toBe('750000000');
    const shymkent = await locate(kernel.db, 69.5901, 42.3417);
    expect(shymkent.region?.kato).toBe('790000000');
    expect((await locate(kernel.db, 116.4, 39.9)).region).toBeNull();
  });
});

describe(`migrations on ${backendName}`, () => {
  let db: Db;
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (TEST_DATABASE_URL) {
      ({ url, drop } = await createTestDatabase());
      db = await openPostgres(url);
    } else {
      db = await openPglite();
    }
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const sample = [
    { module: 'sample', name: '0001_a.sql', sql: 'create table sample_a (id int primary key);' },
    { module: 'sample', name: '0002_b.sql', sql: 'create table sample_b (id int primary key); insert into sample_b values (1);' },
  ];

  it('applies each migration once, even when two processes start at the same time', async () => {
    // With PostgreSQL the second pool is a second process's view: both race for the advisory lock.
    const other = url ? await openPostgres(url) : db;
    try {
      const [a, b] = await Promise.all([migrate(db, sample), migrate(other, sample)]);
      expect([...a.applied, ...b.applied].sort()).toEqual(['sample/0001_a.sql', 'sample/0002_b.sql']);
    } finally {
      if (other !== db) await other.close();
    }
    const rows = await db.query<{ name: string; checksum: string }>("select name, checksum from kernel_migration where module = 'sample' order by name");
    expect(rows).toEqual(sample.map((m) => ({ name: m.name, checksum: checksum(m.sql) })));
    expect(await migrate(db, sample)).toEqual({ applied: [] });
  });

  it('refuses to start when an applied migration was edited', async () => {
    const edited = [sample[0], { ...sample[1], sql: `${sample[1].sql} insert into sample_b values (2);` }];
    await expect(migrate(db, edited)).rejects.toThrow(MigrationError);
    await expect(migrate(db, edited)).rejects.toThrow(/sample\/0002_b.sql was changed/);
  });

  it('rolls back a failing migration entirely', async () => {
    const broken = [...sample, { module: 'sample', name: '0003_c.sql', sql: 'create table sample_c (id int); select * from no_such_table;' }];
    await expect(migrate(db, broken)).rejects.toThrow(/0003_c.sql failed/);
    const [r] = await db.query<{ t: string | null }>("select to_regclass('sample_c')::text as t");
    expect(r.t).toBeNull();
  });

  it('runs the kernel schema with PostGIS', async () => {
    await migrate(db, readMigrations('kernel', KERNEL_MIGRATIONS_DIR));
    const [r] = await db.query<{ v: string }>('select postgis_lib_version() as v');
    expect(r.v).toMatch(/^3\./);
    // The audit log refuses updates and deletes.
    await db.query(
      `insert into kernel_audit (seq, at, actor, action, entity, data, prev_hash, hash) values (1, now(), 'a', 'b', 'c', '{}', '', '')`,
    );
    await expect(db.query('delete from kernel_audit')).rejects.toThrow(/append-only/);
    await expect(db.query("update kernel_audit set actor = 'someone else'")).rejects.toThrow(/append-only/);
  });
});
