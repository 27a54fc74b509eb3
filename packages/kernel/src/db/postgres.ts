import pg from 'pg';
import type { Db, Tx } from './types.ts';

// int8 (bigserial sequences, counts) as numbers, like the PGlite adapter.
pg.types.setTypeParser(20, (v) => Number(v));

/** PostgreSQL (+PostGIS) through a node-postgres pool. */
export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'tartip' });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  const wrap = (q: pg.Pool | pg.PoolClient): Tx => ({
    async exec(script: string) {
      await q.query(script);
    },
    async query<T>(text: string, params?: readonly unknown[]) {
      const res = await q.query(text, params as unknown[] | undefined);
      return res.rows as T[];
    },
  });
  await pool.query('select 1');
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await pool.end();
    },
  };
}
