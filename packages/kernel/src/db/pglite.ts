import { mkdirSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Db, Tx } from './types.ts';

const parsers = { [types.INT8]: (v: string) => Number(v) };

/**
 * On the server's thread (`TARTIP_PGLITE_THREAD=main`): PGlite executes each statement synchronously, in WebAssembly
 * on this thread, and its promises settle as microtasks, so a transaction of many statements, or batches queued back
 * to back, never let the event loop reach its I/O phase. Under load new connections then waited seconds to be
 * accepted — one got in per batch (p99 7.6 s, client timeouts) — while requests on open connections were served. So a
 * statement that comes after this long without a turn of the loop first gives one: connections are accepted and
 * requests read between statements, and they join the next batch instead of waiting behind the whole queue.
 */
const TURN_EVERY_MS = 1;

/** Where PGlite runs: its own worker thread (the default) or the server's thread. */
export type PgliteThread = 'worker' | 'main';

/** Embedded PostgreSQL (PGlite, WASM) with PostGIS. `dataDir` undefined = in memory. */
export async function openPglite(dataDir?: string, thread: PgliteThread = 'worker'): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  return thread === 'worker' ? openPgliteWorker(dataDir) : openPgliteHere(dataDir);
}

/** An error from the database thread, with PostgreSQL's fields (`code`, `constraint`…) as callers expect them. */
function errorOf(e: { name?: string; message: string } & Record<string, unknown>): Error {
  return Object.assign(new Error(e.message), e);
}

/**
 * PGlite in a worker thread (`pglite-worker.mjs`): each statement is a message to it and its rows a message back.
 * SQL then runs on its own core while this thread serves HTTP and runs the modules — embedded, PGlite is most of
 * the work. The worker holds the event loop open only while statements are pending.
 */
async function openPgliteWorker(dataDir?: string): Promise<Db> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir } });
  await new Promise<void>((resolve, reject) => {
    const opened = (m: { ready?: boolean; error?: { message: string } }) => {
      if (m.ready === undefined) return;
      worker.off('message', opened).off('error', reject).off('exit', exited);
      if (m.ready) resolve();
      else reject(errorOf(m.error ?? { message: 'the database did not open' }));
    };
    const exited = (code: number) => reject(new Error(`the database thread exited while opening (code ${code})`));
    worker.on('message', opened).once('error', reject).once('exit', exited);
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let nextTx = 1;
  let stopped: Error | null = null;
  let closed = false;
  const failAll = (e: Error) => {
    stopped = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: { message: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(errorOf(m.error ?? { message: 'database error' }));
  });
  worker.on('error', (e: unknown) => failAll(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => failAll(new Error(`the database thread stopped (exit code ${code})`)));
  worker.unref();
  const call = <T>(message: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = nextId++;
      try {
        // A parameter that cannot be cloned (a function, say) throws here, before anything is pending.
        worker.postMessage({ ...message, id });
      } catch (e) {
        return reject(e instanceof Error ? e : new Error(String(e)));
      }
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  const bound = (tx?: number): Tx => ({
    exec: async (script) => {
      await call({ op: 'exec', sql: script, tx });
    },
    query: <T>(text: string, params?: readonly unknown[]) => call<T[]>({ op: 'query', sql: text, params, tx }),
  });
  return {
    kind: 'pglite',
    ...bound(),
    async transaction(fn) {
      // Statements go out at once, before BEGIN is answered: they queue in the worker behind it (see there).
      const tx = nextTx++;
      const opened = call<number>({ op: 'begin', open: tx });
      opened.catch(() => {}); // awaited below; a BEGIN that fails also fails the statements sent for it
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(bound(tx));
        await opened;
      } catch (e) {
        await call({ op: 'end', tx, commit: false }).catch(() => {});
        throw await opened.then(
          () => e,
          (beginError: unknown) => beginError,
        );
      }
      await call({ op: 'end', tx, commit: true });
      return result;
    },
    ping: async () => {
      if (closed) throw new Error('database is closed');
      await call({ op: 'query', sql: 'select 1' });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await call({ op: 'close' });
      } finally {
        await worker.terminate();
      }
    },
  };
}

/** PGlite on this thread (`TARTIP_PGLITE_THREAD=main`). */
async function openPgliteHere(dataDir?: string): Promise<Db> {
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
