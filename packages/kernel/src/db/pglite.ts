import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { InFlight, issue } from './in-flight.ts';
import { WireSession } from './pglite-session.mjs';
import { slimPostgis } from './postgis-bundle.mjs';
import { decodeRows, encodeQuery, encodeScript } from './pglite-wire.ts';
import type { Db, Tx } from './types.ts';

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

export interface PgliteOptions {
  /** PostgreSQL's shared_buffers (e.g. `32MB`): its page cache, all of which stays resident once touched. */
  sharedBuffers?: string;
}

/** The server's settings for the embedded PostgreSQL, on top of PGlite's own start parameters. */
export function startParamsOf(options: PgliteOptions): string[] {
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffers ?? '32MB'}`];
}

/** Embedded PostgreSQL (PGlite, WASM) with PostGIS. `dataDir` undefined = in memory. */
export async function openPglite(dataDir?: string, thread: PgliteThread = 'worker', options: PgliteOptions = {}): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const startParams = startParamsOf(options);
  return thread === 'worker' ? openPgliteWorker(dataDir, startParams) : openPgliteHere(dataDir, startParams);
}

/** An error of the database thread itself (the database's own errors travel inside its answers). */
function errorOf(e: { name?: string; message: string }): Error {
  return Object.assign(new Error(e.message), e);
}

/**
 * The database can no longer be reached (closed, or its thread stopped), with the SQLSTATE a lost PostgreSQL
 * connection gives (08006, connection_failure): callers treat both alike (the HTTP layer answers 503 and asks for a
 * retry, as for a PostgreSQL server that went away).
 */
function unreachable(message: string): Error {
  return Object.assign(new Error(message), { code: '08006' });
}

/**
 * A `Tx` over a way to run a statement's protocol bytes (in the worker, or on this thread): statements encoded by
 * node-postgres's code and answers decoded the same way. In a transaction each is tracked (`in-flight.ts`); one whose
 * parameters cannot be encoded is refused before anything is sent, and fails its transaction.
 */
function statements(send: (bytes: Uint8Array<ArrayBuffer>, tx?: number) => Promise<Uint8Array>) {
  return (tx?: number, sent?: InFlight): Tx => ({
    exec: (script) =>
      issue(sent, () => {
        const bytes = encodeScript(script);
        return send(bytes, tx).then((b) => {
          decodeRows(b);
        });
      }),
    query: <T>(text: string, params?: readonly unknown[]) =>
      issue(sent, () => {
        const bytes = encodeQuery(text, params);
        return send(bytes, tx).then((b) => decodeRows<T>(b));
      }),
  });
}

/**
 * PGlite in a worker thread (`pglite-worker.mjs`): each statement goes to it as protocol bytes and its answer comes
 * back as bytes (handed over, not copied), decoded here (`pglite-wire.ts`). SQL then runs on its own core while this
 * thread serves HTTP, runs the modules and encodes and decodes — embedded, PGlite is most of the work, and that
 * thread does nothing else. The worker holds the event loop open only while statements are pending.
 */
async function openPgliteWorker(dataDir: string | undefined, startParams: string[]): Promise<Db> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir, startParams } });
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
  const pending = new Map<number, { resolve: (v: Uint8Array) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let nextTx = 1;
  let stopped: Error | null = null;
  let closed = false;
  const failAll = (e: Error) => {
    stopped = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: { id: number; ok: boolean; value?: Uint8Array; error?: { message: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.value ?? new Uint8Array(0));
    else p.reject(errorOf(m.error ?? { message: 'database error' }));
  });
  worker.on('error', (e: unknown) => failAll(unreachable(`the database thread failed: ${e instanceof Error ? e.message : String(e)}`)));
  worker.on('exit', (code) => failAll(unreachable(`the database thread stopped (exit code ${code})`)));
  worker.unref();
  // The statement's buffer is handed over (transferred), not copied: it is not used here again.
  const call = (message: Record<string, unknown>, bytes?: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
    new Promise<Uint8Array>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = nextId++;
      worker.postMessage({ ...message, id, bytes }, bytes ? [bytes.buffer] : []);
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
    });
  const bound = statements((bytes, tx) => call({ op: 'query', tx }, bytes));
  return {
    kind: 'pglite',
    ...bound(),
    async transaction(fn) {
      // Statements go out at once, before BEGIN is answered: they wait in the worker until it opens (see there).
      const tx = nextTx++;
      const opened = call({ op: 'begin', tx }).then(decodeRows);
      opened.catch(() => {}); // awaited below; a BEGIN that fails also fails the statements sent for it
      const sent = new InFlight();
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(bound(tx, sent));
        await opened;
        if (sent.refused) throw sent.refused.error;
      } catch (e) {
        await call({ op: 'end', tx, commit: false }).catch(() => {});
        throw await opened.then(
          () => e,
          (beginError: unknown) => beginError,
        );
      }
      // COMMIT goes out at once, behind any statement still unanswered (the command's last write, say); if one of
      // them failed, the COMMIT ran as a ROLLBACK and that statement's error is thrown.
      decodeRows(await sent.commitBehind(call({ op: 'end', tx, commit: true })));
      return result;
    },
    ping: async () => {
      if (closed) throw unreachable('database is closed');
      decodeRows(await call({ op: 'query' }, encodeQuery('select 1')));
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

/** PGlite on this thread (`TARTIP_PGLITE_THREAD=main`), through the same session and codec as the worker. */
async function openPgliteHere(dataDir: string | undefined, startParams: string[]): Promise<Db> {
  const pg = await PGlite.create({ dataDir, extensions: { postgis: slimPostgis }, startParams });
  // The session gives the event loop its turns (TURN_EVERY_MS), so statements are handed to it in the order issued.
  const session = new WireSession(pg, TURN_EVERY_MS);
  let closed = false;
  let nextTx = 1;
  const bound = statements((bytes, tx) => (closed ? Promise.reject(unreachable('database is closed')) : tx ? session.inTransaction(tx, bytes) : session.run(bytes)));
  return {
    kind: 'pglite',
    ...bound(),
    async transaction(fn) {
      const tx = nextTx++;
      const began = await session.begin(tx);
      try {
        decodeRows(began);
      } catch (e) {
        await session.end(tx, false);
        throw e;
      }
      const sent = new InFlight();
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(bound(tx, sent));
        if (sent.refused) throw sent.refused.error;
      } catch (e) {
        await session.end(tx, false).catch(() => {});
        throw e;
      }
      decodeRows(await sent.commitBehind(session.end(tx, true)));
      return result;
    },
    ping: async () => {
      if (closed) throw unreachable('database is closed');
      decodeRows(await session.run(encodeQuery('select 1')));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
