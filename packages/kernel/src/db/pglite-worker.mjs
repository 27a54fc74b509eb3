// The embedded database's own thread: PGlite + PostGIS in a worker_threads Worker, so SQL runs on one core while
// HTTP, the bus and the modules' code run on the other. Plain JavaScript (no TypeScript loader in this thread).
// It only moves bytes: the main thread sends PostgreSQL protocol messages it encoded ({ id, op, bytes, tx }) and
// gets the database's answer back as bytes ({ id, ok, value }), which it decodes itself (pglite-wire.ts); the
// order of statements and transactions is kept by the session (pglite-session.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { WireSession } from './pglite-session.mjs';
import { slimPostgis } from './postgis-bundle.mjs';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs only as a worker thread');

/** An error of this thread (not one of the database's, which travel inside the answer) as plain data. */
function plainError(e) {
  return { name: e?.name ?? 'Error', message: e?.message ?? String(e) };
}

/** The answer's buffer is handed over, not copied. */
const reply = (id, value) => port.postMessage({ id, ok: true, value }, value ? [value.buffer] : []);
const fail = (id, e) => port.postMessage({ id, ok: false, error: plainError(e) });
const answer = (id, p) =>
  p.then(
    (v) => reply(id, v),
    (e) => fail(id, e),
  );

let pg;
let session;

port.on('message', (m) => {
  switch (m.op) {
    case 'query':
      return answer(m.id, m.tx ? session.inTransaction(m.tx, m.bytes) : session.run(m.bytes));
    case 'begin':
      return answer(m.id, session.begin(m.tx));
    case 'end':
      return answer(m.id, session.end(m.tx, m.commit));
    case 'close':
      return pg.close().then(
        () => reply(m.id, null),
        (e) => fail(m.id, e),
      );
  }
});

try {
  pg = await PGlite.create({ dataDir: workerData.dataDir, extensions: { postgis: slimPostgis }, startParams: workerData.startParams });
  session = new WireSession(pg);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: plainError(e) });
}
