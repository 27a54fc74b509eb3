import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { InFlight, issue } from './in-flight.ts';
import type { CopyLoad, Db, Tx } from './types.ts';
// int8 as numbers: the type parsers both backends share.
import './values.ts';

/**
 * PostgreSQL (+PostGIS) through a node-postgres pool whose connections pipeline: a statement goes out at once, not
 * after the answer to the one before it. A transaction's BEGIN therefore travels with its first statement, and
 * statements a caller issues together (`Promise.all`) share one round trip; each still gets its own answer or error,
 * in order, and inside a transaction an error fails the statements behind it as PostgreSQL always does.
 */
/**
 * What a transaction sends in one turn of the event loop leaves in one write to the socket: its BEGIN with its first
 * statement, statements issued together, its last write with the COMMIT behind it. node-postgres writes each
 * statement on its own (one system call each, and on this machine each wakes the database's backend, which then
 * competes for the CPU with the process still writing); the connection's socket is corked at the first statement of
 * a turn and uncorked once the turn's code has run (`process.nextTick` comes after the promise callbacks already
 * queued), which sends them together. Nothing waits longer: the write happens before the process next waits for I/O.
 */
function gatherWrites(client: pg.PoolClient): () => void {
  type Corkable = { cork(): void; uncork(): void };
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return () => {};
  const socket = stream as Corkable;
  let corked = false;
  const release = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(release);
  };
}

export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'tartip', pipeline: true });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  // Every client, checked out or not, listens for errors for good. Without it, a connection ended between two
  // statements (a PostgreSQL restart, a terminated backend) is an unhandled 'error' event that ends the process:
  // for instance when the pool hands a client to the next caller and the end of the connection was already in the
  // same read from the socket, before that caller could listen. The next statement on that client fails instead,
  // and the pool drops a client whose connection failed when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const wrap = (q: pg.Pool | pg.PoolClient, sent?: InFlight, gather?: () => void): Tx => {
    const send = <T>(statement: () => Promise<T>): Promise<T> =>
      issue(sent, () => {
        gather?.();
        return statement();
      });
    return {
      exec: (script: string) => send(() => q.query(script).then(() => undefined)),
      query: <T>(text: string, params?: readonly unknown[]) => send(() => q.query(text, params as unknown[] | undefined).then((res) => res.rows as T[])),
    };
  };
  await pool.query('select 1');
  // COPY cannot share a pipelined connection (node-postgres refuses it there): one connection of its own, made when
  // first needed, not pipelined. Loads through it take turns.
  let copies: pg.Pool | null = null;
  const copyIn = async (load: CopyLoad): Promise<void> => {
    if (!copies) {
      copies = new pg.Pool({ connectionString: url, max: 1, application_name: 'tartip-copy' });
      copies.on('error', () => {});
      copies.on('connect', (client) => client.on('error', () => {}));
    }
    const client = await copies.connect();
    let failed: unknown = null;
    try {
      await client.query('begin');
      for (const sql of load.before ?? []) await client.query(sql);
      await pipeline(Readable.from([load.data]), client.query(copyFrom(load.copy)));
      for (const sql of load.after ?? []) await client.query(sql);
      await client.query('commit');
    } catch (e) {
      failed = e;
      await client.query('rollback').catch(() => {});
      throw e;
    } finally {
      // Only an error the server reported (a duplicate key, a bad value) leaves the connection in step after the
      // rollback; after any other (a lost connection, a failed stream) it is not reused.
      client.release(failed === null || failed instanceof pg.DatabaseError ? undefined : (failed as Error));
    }
  };
  return {
    kind: 'postgres',
    copyIn,
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      const sent = new InFlight();
      const gather = gatherWrites(client);
      // Not awaited: it is on the wire ahead of the first statement, and its answer comes first. A failed BEGIN fails
      // the statements behind it too, and its failure is what is thrown.
      gather();
      sent.add(client.query('begin'));
      try {
        const result = await fn(wrap(client, sent, gather));
        if (sent.refused) throw sent.refused.error;
        // COMMIT goes out at once, behind any statement still unanswered (the command's last write, say).
        gather();
        await sent.commitBehind(client.query('commit'));
        return result;
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      } finally {
        // A client whose connection was lost is no longer queryable, and the pool drops it rather than reuse it.
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await copies?.end();
      await pool.end();
    },
  };
}
