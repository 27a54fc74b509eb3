// The embedded database's own thread: PGlite + PostGIS in a worker_threads Worker, so SQL runs on one core while
// HTTP, the bus and the modules' code run on the other. Plain JavaScript (no TypeScript loader in this thread).
// Protocol (see pglite.ts): the main thread sends { id, op, ... } and gets { id, ok, value } or { id, ok: false,
// error } back. A transaction is PGlite's own `transaction()`, fed statement by statement until the main thread
// ends it — so transactions exclude each other and statements outside one behave exactly as on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs only as a worker thread');

const ROLLBACK = Symbol('rollback');
/** Open transactions: id → statements waiting to run in it, and the waiter for the next one. */
const open = new Map();
let pg;

/** A database error as plain data: message and PostgreSQL's fields (code, detail, constraint…), which callers test. */
function plainError(e) {
  const out = { name: e?.name ?? 'Error', message: e?.message ?? String(e) };
  for (const k of ['code', 'detail', 'hint', 'position', 'schema', 'table', 'column', 'dataType', 'constraint', 'severity', 'where', 'routine']) {
    if (e && e[k] !== undefined) out[k] = e[k];
  }
  return out;
}

const reply = (id, value) => port.postMessage({ id, ok: true, value });
const fail = (id, e) => port.postMessage({ id, ok: false, error: plainError(e) });

async function run(q, m) {
  if (m.op === 'query') return (await q.query(m.sql, m.params)).rows;
  await q.exec(m.sql);
  return null;
}

function begin(id, txId) {
  const state = { queue: [], wake: null, end: null };
  open.set(txId, state);
  const next = () => (state.queue.length > 0 ? Promise.resolve(state.queue.shift()) : new Promise((resolve) => (state.wake = resolve)));
  pg.transaction(async (tx) => {
    reply(id, txId);
    for (;;) {
      const m = await next();
      if (m.op === 'end') {
        state.end = m;
        if (!m.commit) throw ROLLBACK;
        return;
      }
      try {
        reply(m.id, await run(tx, m));
      } catch (e) {
        fail(m.id, e);
      }
    }
  })
    .then(
      () => reply(state.end.id, null),
      (e) => {
        if (e === ROLLBACK) reply(state.end.id, null);
        else if (state.end) fail(state.end.id, e);
        else {
          // BEGIN itself failed: its caller and every statement already sent for this transaction get the error.
          fail(id, e);
          for (const m of state.queue) fail(m.id, e);
        }
      },
    )
    .finally(() => open.delete(txId));
}

function deliver(txId, m) {
  const state = open.get(txId);
  if (!state) return fail(m.id, new Error(`transaction ${txId} is not open`));
  if (state.wake) {
    const wake = state.wake;
    state.wake = null;
    wake(m);
  } else state.queue.push(m);
}

port.on('message', (m) => {
  if (m.tx) return deliver(m.tx, m);
  switch (m.op) {
    case 'begin':
      return begin(m.id, m.open);
    case 'query':
    case 'exec':
      return run(pg, m).then(
        (v) => reply(m.id, v),
        (e) => fail(m.id, e),
      );
    case 'close':
      return pg.close().then(
        () => reply(m.id, null),
        (e) => fail(m.id, e),
      );
  }
});

try {
  pg = await PGlite.create({ dataDir: workerData.dataDir, extensions: { postgis }, parsers: { [types.INT8]: (v) => Number(v) } });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: plainError(e) });
}
