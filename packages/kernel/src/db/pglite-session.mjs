// One PGlite database driven through PostgreSQL's wire protocol, as bytes in and bytes out. Plain JavaScript: the
// database's worker thread (pglite-worker.mjs) imports it without a TypeScript loader, and the server's thread
// (pglite.ts, TARTIP_PGLITE_THREAD=main) uses it too, so both run statements the same way.
//
// The caller encodes each statement as node-postgres does (Parse, Bind, Describe, Execute, Sync; see pglite-wire.ts)
// and decodes the answer with node-postgres's own parser and type parsers. PGlite's `query()` would instead describe
// every statement first to learn its parameter types, then parse the answer into rows in this thread — work that,
// in the worker, took as long as a quarter of the SQL itself and sat on the one thread that runs SQL.
//
// Units run one at a time, in the order they were asked for: a statement outside a transaction is a unit, and so is
// a whole transaction, from BEGIN to its COMMIT or ROLLBACK. A transaction's statements may be handed over before
// it opens (the caller does not wait for BEGIN's answer); they wait in their unit. Statements outside it and other
// transactions wait behind it, as they do behind PGlite's own transaction lock.

const Q = 0x51;
const ERROR = 0x45;

/** A simple-protocol Query message ('Q', length, text, NUL). */
export function simpleQuery(text) {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = Q;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

/** The parts one after another, in a buffer of its own (not a slice of Node's shared pool), so it can be transferred. */
export function concatBytes(parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const BEGIN = simpleQuery('begin');
const COMMIT = simpleQuery('commit');
const ROLLBACK = simpleQuery('rollback');

/** Whether an answer holds an ErrorResponse. */
export function hasError(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 5 <= bytes.length; ) {
    if (bytes[i] === ERROR) return true;
    const length = view.getInt32(i + 1);
    if (length < 4) return false; // not a message: nothing more to read safely
    i += 1 + length;
  }
  return false;
}

export class WireSession {
  /**
   * `turnEveryMs`: on the server's thread, a statement that comes after this long without a turn of the event loop
   * first gives one (see pglite.ts); in the worker there is nothing else to run, and it is left out.
   */
  constructor(pg, turnEveryMs = 0) {
    this.pg = pg;
    this.turnEveryMs = turnEveryMs;
    this.lastTurn = performance.now();
    /** Units waiting or running, oldest first: { single, bytes, resolve, reject } or a transaction. */
    this.units = [];
    /** Open or waiting transactions by the caller's id. */
    this.transactions = new Map();
    this.pumping = false;
  }

  /** A statement or script outside any transaction; resolves with the answer's bytes. */
  run(bytes) {
    return new Promise((resolve, reject) => {
      this.units.push({ single: true, bytes, resolve, reject });
      this.pump();
    });
  }

  /** Queues a transaction; resolves with BEGIN's answer once it is open. */
  begin(tx) {
    return new Promise((resolve, reject) => {
      const unit = { single: false, tx, items: [], wake: null, opened: { resolve, reject } };
      this.transactions.set(tx, unit);
      this.units.push(unit);
      this.pump();
    });
  }

  /** A statement in transaction `tx` (run once it is open, in the order given). */
  inTransaction(tx, bytes) {
    return this.deliver(tx, { bytes });
  }

  /** Ends transaction `tx`: COMMIT or ROLLBACK; resolves with its answer's bytes. */
  end(tx, commit) {
    return this.deliver(tx, { end: true, commit });
  }

  deliver(tx, item) {
    const unit = this.transactions.get(tx);
    if (!unit) return Promise.reject(new Error(`transaction ${tx} is not open`));
    return new Promise((resolve, reject) => {
      item.resolve = resolve;
      item.reject = reject;
      if (unit.wake) {
        const wake = unit.wake;
        unit.wake = null;
        wake(item);
      } else unit.items.push(item);
    });
  }

  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.units.length > 0) {
        const unit = this.units[0];
        if (unit.single) await this.exec(unit.bytes, true).then(unit.resolve, unit.reject);
        else await this.transaction(unit);
        this.units.shift();
      }
    } finally {
      this.pumping = false;
    }
  }

  async transaction(unit) {
    const next = () => (unit.items.length > 0 ? Promise.resolve(unit.items.shift()) : new Promise((resolve) => (unit.wake = resolve)));
    let began;
    try {
      began = await this.exec(BEGIN, false);
    } catch (e) {
      began = e;
    }
    const refused = began instanceof Uint8Array ? hasError(began) : true;
    if (refused) {
      // Nothing may run outside the transaction it was meant for: every statement gets BEGIN's failure.
      if (began instanceof Uint8Array) unit.opened.resolve(began);
      else unit.opened.reject(began);
      for (;;) {
        const item = await next();
        if (item.end) {
          item.resolve(new Uint8Array(0));
          break;
        }
        if (began instanceof Uint8Array) item.resolve(began);
        else item.reject(began);
      }
    } else {
      unit.opened.resolve(began);
      for (;;) {
        const item = await next();
        if (item.end) {
          await this.exec(item.commit ? COMMIT : ROLLBACK, item.commit).then(item.resolve, item.reject);
          break;
        }
        await this.exec(item.bytes, false).then(item.resolve, item.reject);
      }
    }
    this.transactions.delete(unit.tx);
  }

  /** Runs protocol messages; the answer's bytes, copied out of the database's memory. */
  async exec(bytes, syncToFs) {
    if (this.turnEveryMs > 0 && performance.now() - this.lastTurn >= this.turnEveryMs) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastTurn = performance.now();
    }
    const chunks = [];
    await this.pg.execProtocolRawStream(bytes, { syncToFs, onRawData: (chunk) => chunks.push(chunk.slice()) });
    return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
  }
}
