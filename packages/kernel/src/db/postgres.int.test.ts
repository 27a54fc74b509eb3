import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL } from '../testing.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

/**
 * The PostgreSQL adapter pipelines (node-postgres `pipeline: true`): what it sends and what it gets back is logged at
 * the protocol level, so the tests see the order of the wire, not timings. PostgreSQL only: PGlite has no wire.
 */
describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL adapter, pipelined', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const wire: string[] = [];
  const proto = pg.Connection.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = { query: proto.query, parse: proto.parse, emit: proto.emit };

  beforeAll(async () => {
    const scratch = await createTestDatabase();
    drop = scratch.drop;
    db = await openPostgres(scratch.url, 2);
    await db.exec('create table pipelined (id int primary key, note text not null)');
    proto.query = function (this: unknown, text: unknown) {
      wire.push(`send ${String(text)}`);
      return originals.query.call(this, text);
    };
    proto.parse = function (this: unknown, q: unknown) {
      wire.push(`send ${(q as { text: string }).text}`);
      return originals.parse.call(this, q);
    };
    proto.emit = function (this: unknown, event: unknown, ...rest: unknown[]) {
      if (event === 'readyForQuery') wire.push('answer');
      return originals.emit.call(this, event, ...rest);
    };
  });
  afterAll(async () => {
    Object.assign(proto, originals);
    await db?.close();
    await drop?.();
  });

  it("sends a transaction's BEGIN and its first statement before either is answered", async () => {
    wire.length = 0;
    await db.transaction((tx) => tx.query('insert into pipelined (id, note) values ($1, $2)', [1, 'first']));
    expect(wire).toEqual(['send begin', 'send insert into pipelined (id, note) values ($1, $2)', 'answer', 'answer', 'send commit', 'answer']);
  });

  it('sends statements issued together in one go, and answers each with its own rows', async () => {
    wire.length = 0;
    const [a, b, c] = await db.transaction((tx) =>
      Promise.all([tx.query<{ n: number }>('select $1::int as n', [1]), tx.query<{ n: number }>('select $1::int as n', [2]), tx.query<{ n: number }>('select $1::int as n', [3])]),
    );
    expect([a[0].n, b[0].n, c[0].n]).toEqual([1, 2, 3]);
    expect(wire.slice(0, 5)).toEqual(['send begin', 'send select $1::int as n', 'send select $1::int as n', 'send select $1::int as n', 'answer']);
  });

  it('sends what a transaction issues in one turn in one write: BEGIN with the first statements, COMMIT behind the last write', async () => {
    const socket = net.Socket.prototype as unknown as { _writeGeneric: (...args: unknown[]) => unknown };
    const write = socket._writeGeneric;
    let writes = 0;
    socket._writeGeneric = function (this: unknown, ...args: unknown[]) {
      writes++;
      return write.apply(this, args);
    };
    wire.length = 0;
    try {
      await db.transaction(async (tx) => {
        await Promise.all([tx.query('select $1::int as n', [1]), tx.query('select $1::int as n', [2]), tx.query('select $1::int as n', [3])]);
        void tx.query('insert into pipelined (id, note) values ($1, $2)', [30, 'last write']);
      });
    } finally {
      socket._writeGeneric = write;
    }
    // BEGIN and three statements; then the insert and COMMIT. Written one by one, they were six writes.
    expect(writes).toBe(2);
    expect(wire.filter((w) => w.startsWith('send'))).toEqual([
      'send begin',
      'send select $1::int as n',
      'send select $1::int as n',
      'send select $1::int as n',
      'send insert into pipelined (id, note) values ($1, $2)',
      'send commit',
    ]);
    expect(await db.query('select note from pipelined where id = 30')).toEqual([{ note: 'last write' }]);
    await db.query('delete from pipelined where id = 30');
  });

  it('rolls back the whole transaction when a pipelined statement fails, and the connection stays usable', async () => {
    const attempt = db.transaction((tx) =>
      Promise.all([
        tx.query('insert into pipelined (id, note) values ($1, $2)', [2, 'second']),
        tx.query('insert into pipelined (id, note) values ($1, $2)', [1, 'duplicate of the first']),
        tx.query('insert into pipelined (id, note) values ($1, $2)', [3, 'third']),
      ]),
    );
    await expect(attempt).rejects.toMatchObject({ code: '23505', constraint: 'pipelined_pkey' });
    expect(await db.query('select id, note from pipelined order by id')).toEqual([{ id: 1, note: 'first' }]);
    // Both pooled connections still work, in and out of transactions.
    await Promise.all([db.transaction((tx) => tx.query('insert into pipelined (id, note) values ($1, $2)', [4, 'fourth'])), db.query('select 1')]);
    expect(await db.query('select id from pipelined order by id')).toEqual([{ id: 1 }, { id: 4 }]);
  });

  it('fails every statement in flight when the connection dies mid-transaction, commits none, and the pool recovers', async () => {
    const attempt = db.transaction(async (tx) => {
      const [{ pid }] = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
      await tx.query('insert into pipelined (id, note) values ($1, $2)', [6, 'sixth']);
      // Another session ends this one's backend; the statements already sent behind it must fail, not hang.
      await db.query('select pg_terminate_backend($1)', [pid]);
      await Promise.all([tx.query('select pg_sleep(0.05)'), tx.query('insert into pipelined (id, note) values ($1, $2)', [7, 'seventh'])]);
    });
    await expect(attempt).rejects.toThrow();
    expect(await db.query('select id from pipelined where id in (6, 7)')).toEqual([]);
    await db.transaction((tx) => tx.query('insert into pipelined (id, note) values ($1, $2)', [8, 'eighth']));
    expect(await db.query('select id from pipelined where id = 8')).toEqual([{ id: 8 }]);
  });

  it('sends COMMIT behind a last write nobody awaited, in the same round trip, and commits it', async () => {
    wire.length = 0;
    await db.transaction(async (tx) => {
      await tx.query('select 1');
      void tx.query('insert into pipelined (id, note) values ($1, $2)', [20, 'sent, not awaited']);
    });
    expect(wire.slice(-4)).toEqual(['send insert into pipelined (id, note) values ($1, $2)', 'send commit', 'answer', 'answer']);
    expect(await db.query('select note from pipelined where id = 20')).toEqual([{ note: 'sent, not awaited' }]);
  });

  it('fails the transaction, committing nothing, when a write nobody awaited fails — or one whose failure was caught', async () => {
    const unawaited = db.transaction(async (tx) => {
      await tx.query('insert into pipelined (id, note) values ($1, $2)', [21, 'before']);
      void tx.query('insert into pipelined (id, note) values ($1, $2)', [1, 'duplicate, sent last']);
    });
    await expect(unawaited).rejects.toMatchObject({ code: '23505' });
    // PostgreSQL answers the COMMIT of a failed transaction with ROLLBACK, not an error: a caught failure must not
    // pass for a commit either.
    const caught = db.transaction(async (tx) => {
      await tx.query('insert into pipelined (id, note) values ($1, $2)', [22, 'before']);
      await tx.query('insert into pipelined (id, note) values ($1, $2)', [1, 'duplicate']).catch(() => null);
    });
    await expect(caught).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('select id from pipelined where id in (21, 22)')).toEqual([]);
  });

  it('rolls back when the code of the transaction throws after its statements were sent', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into pipelined (id, note) values ($1, $2)', [5, 'fifth']);
        throw new Error('refused by the caller');
      }),
    ).rejects.toThrow('refused by the caller');
    expect(await db.query('select id from pipelined where id = 5')).toEqual([]);
  });

  it('copyIn: loads rows in COPY text format between its statements, in one transaction; a bad row stores nothing', async () => {
    await db.exec('create table copied (id int primary key, note text)');
    await db.copyIn?.({
      before: ["insert into copied values (0, 'before')"],
      copy: 'copy copied (id, note) from stdin',
      data: '1\tone\n2\t\\N\n3\ttab\\there\n',
      after: ["update copied set note = note || '!' where id = 0"],
    });
    expect(await db.query('select id, note from copied order by id')).toEqual([
      { id: 0, note: 'before!' },
      { id: 1, note: 'one' },
      { id: 2, note: null },
      { id: 3, note: 'tab\there' },
    ]);
    // A duplicate key in the data: the statement before it and the good rows are gone with it.
    await expect(db.copyIn?.({ before: ["insert into copied values (10, 'before')"], copy: 'copy copied (id, note) from stdin', data: '11\tx\n1\tagain\n' })).rejects.toMatchObject({ code: '23505' });
    expect(await db.query<{ n: number }>('select count(*)::int8 as n from copied')).toEqual([{ n: 4 }]);
    // The connection COPY used is still good.
    await db.copyIn?.({ copy: 'copy copied (id, note) from stdin', data: '12\ttwelve\n' });
    expect(await db.query<{ n: number }>('select count(*)::int8 as n from copied')).toEqual([{ n: 5 }]);
  });
});
