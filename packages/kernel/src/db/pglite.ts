import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Db, Tx } from './types.ts';

const parsers = { [types.INT8]: (v: string) => Number(v) };

/** Embedded PostgreSQL (PGlite, WASM) with PostGIS. `dataDir` undefined = in memory. */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ dataDir, extensions: { postgis }, parsers });
  let closed = false;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Tx => ({
    async exec(script: string) {
      await q.exec(script);
    },
    async query<T>(text: string, params?: readonly unknown[]) {
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
