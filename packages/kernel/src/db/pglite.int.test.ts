import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.ts';
import type { Db } from './types.ts';

// The embedded database runs on the server's own thread. These tests prove that a long run of statements does not
// shut out everything else: without a turn of the event loop between statements, a timer set during the run fired
// only after it, and a new HTTP connection was accepted only after it (seen under load as multi-second waits).
describe('PGlite on the server thread', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite();
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
});
