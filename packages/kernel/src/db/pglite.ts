import { mkdirSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PGlite, types } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Db, Tx } from './types.ts';

const parsers = { [types.INT8]: (v: string) => Number(v) };

/**
 * PGlite executes each statement synchronously, in WebAssembly on this thread, and its promises settle as
 * microtasks: a transaction of many statements, or batches queued back to back, never let the event loop reach its
 * I/O phase. Under load new connections then waited seconds to be accepted — one got in per batch (p99 7.6 s,
 * client timeouts) — while requests on open connections were served. So a statement that comes after this long
 * without a turn of the loop first gives one: connections are accepted and requests read between statements, and
 * they join the next batch instead of waiting behind the whole queue.
 */
const TURN_EVERY_MS = 1;

/** Embedded PostgreSQL (PGlite, WASM) with PostGIS. `dataDir` undefined = in memory. */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ dataDir, extensions: { postgis }, parsers });
  let closed = false;
  let lastTurn = performance.now();
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Tx => ({
    async exec(script: string) {
      await q.exec(script);
    },
    async query<T>(text: string, params?: readonly unknown[]) {
      if (performance.now() - lastTurn >= TURN_EVERY_MS) {
        await nextTurn();
        lastTurn = performance.now();
      }
      const res = await q.query<T>(text, params as unknown[] | undefined);
      return res.rows;
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    ping: async () => {
      if (closed) throw new Error('database is closed');
      await pg.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
