import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL } from '../testing.ts';
import { openPglite, type PgliteThread } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

// The embedded database, on its own worker thread (the default) or on the server's thread, keeps one contract:
// the same values and errors as PostgreSQL, transactions that commit or roll back whole and never interleave — and a
// long run of statements does not shut out the rest of the server. On the server's thread without a turn of the
// event loop between statements, a timer set during the run fired only after it, and a new HTTP connection was
// accepted only after it (seen under load as multi-second waits).
describe.each<PgliteThread>(['main', 'worker'])('PGlite on the %s thread', (thread) => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined, thread);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a timer set while hundreds of statements run back to back fires before they are all done', async () => {
    await db.query('select 1');
    let done = false;
    let firedWhileRunning: boolean | null = null;
    const run = (async () => {
      for (let i = 0; i < 400; i++) await db.query('select $1::int + 1 as n', [i]);
      done = true;
    })();
    setTimeout(() => {
      firedWhileRunning = !done;
    }, 0);
    await run;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(firedWhileRunning).toBe(true);
  });

  it('a new HTTP connection is answered while a long transaction runs, and the transaction still commits whole', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await db.exec('create table t (n int primary key)');
      let committed = false;
      let answeredWhileRunning: boolean | null = null;
      const tx = db
        .transaction(async (t) => {
          for (let i = 0; i < 400; i++) await t.query('insert into t (n) values ($1)', [i]);
        })
        .then(() => {
          committed = true;
        });
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      answeredWhileRunning = (await res.text()) === 'ok' && !committed;
      await tx;
      expect(answeredWhileRunning).toBe(true);
      expect(await db.query<{ n: number }>('select count(*)::int as n from t')).toEqual([{ n: 400 }]);
    } finally {
      server.close();
    }
  });

  it('returns the values PostgreSQL does: int8 as a number, timestamptz as a Date, bytea, jsonb, text[], null', async () => {
    const [row] = await db.query<Record<string, unknown>>(
      `select 9007199254740991::int8 as big, '2026-12-06T07:10:00Z'::timestamptz as at, '\\x00ff10'::bytea as bytes,
              '{"a": [1, "ж"]}'::jsonb as doc, array['x', 'y'] as tags, null::text as nothing, $1::text as param`,
      ['Қорғау'],
    );
    expect(row.big).toBe(9007199254740991);
    expect(row.at).toBeInstanceOf(Date);
    expect((row.at as Date).toISOString()).toBe('2026-12-06T07:10:00.000Z');
    expect([...(row.bytes as Uint8Array)]).toEqual([0, 255, 16]);
    expect(row.doc).toEqual({ a: [1, 'ж'] });
    expect(row.tags).toEqual(['x', 'y']);
    expect(row.nothing).toBeNull();
    expect(row.param).toBe('Қорғау');
  });

  it("errors carry PostgreSQL's code and constraint; a failed transaction leaves nothing behind", async () => {
    await db.exec('create table u (k text primary key, n int)');
    await db.query('insert into u values ($1, 1)', ['a']);
    const standalone = await db.query('insert into u values ($1, 2)', ['a']).catch((e: unknown) => e);
    expect(standalone).toBeInstanceOf(Error);
    expect(standalone).toMatchObject({ code: '23505', constraint: 'u_pkey' });
    const inTx = await db
      .transaction(async (tx) => {
        await tx.query('insert into u values ($1, 3)', ['b']);
        await tx.query('insert into u values ($1, 4)', ['a']);
      })
      .catch((e: unknown) => e);
    expect(inTx).toMatchObject({ code: '23505' });
    // The thrower's own error, not the database's, when the code gives up: also rolled back.
    const own = await db
      .transaction(async (tx) => {
        await tx.query('insert into u values ($1, 5)', ['c']);
        throw new Error('changed my mind');
      })
      .catch((e: unknown) => (e as Error).message);
    expect(own).toBe('changed my mind');
    expect(await db.query('select k, n from u order by k')).toEqual([{ k: 'a', n: 1 }]);
    // A commit refused by a deferred constraint rejects the transaction too.
    await db.exec(`create table v (id int primary key, parent int references v(id) deferrable initially deferred)`);
    const deferred = await db.transaction((tx) => tx.query('insert into v values (1, 99)')).catch((e: unknown) => e);
    expect(deferred).toMatchObject({ code: '23503' });
    expect(await db.query('select count(*)::int as n from v')).toEqual([{ n: 0 }]);
  });

  it('runs with a 32MB page cache unless told otherwise (TARTIP_PGLITE_SHARED_BUFFERS)', async () => {
    expect(await db.query('show shared_buffers')).toEqual([{ shared_buffers: '32MB' }]);
    const other = await openPglite(undefined, thread, { sharedBuffers: '16MB' });
    try {
      expect(await other.query('show shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
    } finally {
      await other.close();
    }
  });

  it('a parameter that is not a value (a function) is refused before it is sent, and the database goes on answering', async () => {
    // node-postgres would send the function's source text; refusing it is the one place embedded is stricter.
    await expect(db.query('select $1::text as x', [() => 'not a value'])).rejects.toThrow(/cannot be sent to the database/);
    await expect(db.transaction((tx) => tx.query('select $1::text as x', [Symbol('s')]))).rejects.toThrow(/cannot be sent to the database/);
    // Refused and not awaited, in a transaction: the transaction fails, and what it wrote before is not committed.
    await db.exec('create table refused_param (n int)');
    const unawaited = db.transaction(async (tx) => {
      await tx.query('insert into refused_param values (1)');
      void tx.query('select $1::text as x', [() => 'not a value']);
    });
    await expect(unawaited).rejects.toThrow(/cannot be sent to the database/);
    expect(await db.query('select count(*)::int as n from refused_param')).toEqual([{ n: 0 }]);
    expect(await db.query('select 1 as n')).toEqual([{ n: 1 }]);
  });

  it('commits a last write nobody awaited, and fails the transaction (committing nothing) when such a write fails or a failure was caught', async () => {
    await db.exec('create table lw (id int primary key)');
    await db.transaction(async (tx) => {
      await tx.query('insert into lw values (1)');
      void tx.query('insert into lw values (2)');
    });
    expect(await db.query('select id from lw order by id')).toEqual([{ id: 1 }, { id: 2 }]);
    const unawaited = db.transaction(async (tx) => {
      await tx.query('insert into lw values (3)');
      void tx.query('insert into lw values (1)');
    });
    await expect(unawaited).rejects.toMatchObject({ code: '23505' });
    const caught = db.transaction(async (tx) => {
      await tx.query('insert into lw values (4)');
      await tx.query('insert into lw values (1)').catch(() => null);
    });
    await expect(caught).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('select id from lw order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('transactions started together run one after the other, each seeing only committed work', async () => {
    await db.exec('create table w (n int)');
    const order: string[] = [];
    const run = (name: string) =>
      db.transaction(async (tx) => {
        const [{ c }] = await tx.query<{ c: number }>('select count(*)::int as c from w');
        order.push(`${name} read`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await tx.query('insert into w values ($1)', [c + 1]);
        order.push(`${name} end`);
      });
    await Promise.all([run('first'), run('second'), run('third')]);
    // Each one's read waits until the one before has committed (the worker thread sends its statements ahead, but
    // they run only once its transaction opens), in the order they were started.
    expect(order).toEqual(['first read', 'first end', 'second read', 'second end', 'third read', 'third end']);
    expect(await db.query('select n from w order by n')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe('PGlite in its worker thread', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined, 'worker');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('an idle database thread does not keep a finished script alive, also after a refused statement', async () => {
    // A command-line script that never closes the database must still exit when its work is done.
    const dir = mkdtempSync(join(tmpdir(), 'tartip-pglite-'));
    try {
      const script = join(dir, 'script.mts');
      const adapter = fileURLToPath(new URL('./pglite.ts', import.meta.url));
      writeFileSync(
        script,
        `import { openPglite } from ${JSON.stringify(adapter)};
         const db = await openPglite(undefined, 'worker');
         await db.query('select $1::text', [() => 1]).catch(() => {});
         console.log(JSON.stringify(await db.query('select 41 + 1 as n')));`,
      );
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 60_000, cwd: process.cwd() }, (_e, stdout) =>
          resolve({ code: child.exitCode, stdout }),
        );
      });
      expect(out).toEqual({ code: 0, stdout: '[{"n":42}]\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one long statement does not stop the server: timers and health checks run while it executes', async () => {
    let done = false;
    const ticks: boolean[] = [];
    const timer = setInterval(() => ticks.push(done), 5);
    const long = db.query('select count(*)::int as n from generate_series(1, 3000000)').then((rows) => {
      done = true;
      return rows;
    });
    // A readiness probe sent during the long statement is answered after it (one connection), but the thread that
    // answers HTTP keeps running meanwhile: the timer fires again and again before the statement ends. On the
    // server's thread it fires not once until then.
    const ping = db.ping();
    expect(await long).toEqual([{ n: 3_000_000 }]);
    await ping;
    clearInterval(timer);
    expect(ticks.filter((beforeEnd) => !beforeEnd).length).toBeGreaterThanOrEqual(3);
  });
});

/**
 * Both adapters encode statements and decode answers with node-postgres (the embedded one through
 * `pglite-wire.ts`), so a value reads the same in embedded mode as in production. Checked here on types whose text
 * form each parser used to read its own way: date, timestamp without time zone, numeric, interval, arrays, bytea,
 * json, and parameters that node-postgres converts (a Date, an array, an object, a boolean, a Buffer).
 */
describe.skipIf(!TEST_DATABASE_URL)('PGlite and PostgreSQL read every value the same way', () => {
  let embedded: Db;
  let server: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    embedded = await openPglite(undefined, 'worker');
    const scratch = await createTestDatabase();
    drop = scratch.drop;
    server = await openPostgres(scratch.url, 1);
  });
  afterAll(async () => {
    await embedded?.close();
    await server?.close();
    await drop?.();
  });

  it('the same rows for the same statement and parameters', async () => {
    const text = `select '2026-12-06'::date as day, '2026-12-06 07:10:00.123'::timestamp as local, 12.500::numeric as amount,
                         '1 day 02:03:04'::interval as span, array[1, 2, null]::int[] as ints, array['a', 'б']::text[] as texts,
                         '\\x00ff'::bytea as bytes, '{"k": [1, "ж"]}'::json as doc, 42::int2 as small, 1.5::float4 as real,
                         true as yes, gen_random_uuid() is not null as has_uuid, '11111111-2222-3333-4444-555555555555'::uuid as id,
                         $1::timestamptz as at, $2::int[] as given, $3::jsonb as obj, $4::boolean as flag, $5::bytea as raw, $6::text as none`;
    const params = [new Date('2026-12-06T07:10:00.000Z'), [3, 4], { a: 1, b: ['x'] }, false, Buffer.from([1, 2]), null];
    const [a] = await embedded.query(text, params);
    const [b] = await server.query(text, params);
    expect(a).toEqual(b);
    expect(a.amount).toBe('12.500');
    expect(a.ints).toEqual([1, 2, null]);
    expect((a.at as Date).toISOString()).toBe('2026-12-06T07:10:00.000Z');
    expect(a.obj).toEqual({ a: 1, b: ['x'] });
  });

  it('the same error fields for the same failure', async () => {
    const failing = (db: Db) => db.query('select 1 / $1::int as n', [0]).then(() => ({}) as Record<string, unknown>, (e: unknown) => e as Record<string, unknown>);
    const [a, b] = [await failing(embedded), await failing(server)];
    expect(a).toBeInstanceOf(Error);
    for (const k of ['message', 'code', 'severity', 'routine']) expect(a[k]).toEqual(b[k]);
  });
});
