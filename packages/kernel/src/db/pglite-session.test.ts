import { describe, expect, it } from 'vitest';
import { hasError, simpleQuery, WireSession } from './pglite-session.mjs';

/** A protocol message: type byte, length (itself included), body. */
const message = (type: string, body = '') => {
  const b = Buffer.from(body, 'utf8');
  const out = Buffer.alloc(5 + b.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
};
const READY = message('Z', 'I');
const textOf = (bytes: Uint8Array) => Buffer.from(bytes.subarray(5, bytes.length - 1)).toString('utf8');

/**
 * A stand-in for PGlite that records what runs, in order, and answers each statement with CommandComplete — or
 * with an ErrorResponse for the statements named in `failing`. Each statement takes a turn of the event loop, so
 * that callers can hand over more while one runs.
 */
function fakeDatabase(failing: string[] = []) {
  const ran: string[] = [];
  return {
    ran,
    async execProtocolRawStream(bytes: Uint8Array, { onRawData }: { onRawData: (chunk: Uint8Array) => void }) {
      const text = textOf(bytes);
      ran.push(text);
      await new Promise((resolve) => setImmediate(resolve));
      onRawData(Buffer.concat([failing.includes(text) ? message('E', 'SERROR\0C42000\0Mrefused\0\0') : message('C', 'OK\0'), READY]));
    },
  };
}

describe('WireSession: statements and transactions of one embedded database, in order', () => {
  it('a statement outside a transaction waits until the transaction open before it has ended', async () => {
    const db = fakeDatabase();
    const session = new WireSession(db);
    const begun = session.begin(1);
    const outside = session.run(simpleQuery('select outside'));
    const inside = session.inTransaction(1, simpleQuery('insert inside'));
    await begun;
    await inside;
    // The transaction is still open: the statement outside it has not run.
    expect(db.ran).toEqual(['begin', 'insert inside']);
    await session.end(1, true);
    await outside;
    expect(db.ran).toEqual(['begin', 'insert inside', 'commit', 'select outside']);
  });

  it("a transaction's statements handed over before it opens run inside it, after BEGIN, in the order given", async () => {
    const db = fakeDatabase();
    const session = new WireSession(db);
    const first = session.begin(1);
    const second = session.begin(2);
    const parts = [session.inTransaction(2, simpleQuery('two a')), session.inTransaction(2, simpleQuery('two b')), session.end(2, false)];
    const one = [session.inTransaction(1, simpleQuery('one a')), session.end(1, true)];
    await Promise.all([first, second, ...parts, ...one]);
    expect(db.ran).toEqual(['begin', 'one a', 'commit', 'begin', 'two a', 'two b', 'rollback']);
  });

  it('a refused BEGIN fails every statement of its transaction with its answer, and none of them runs', async () => {
    const db = fakeDatabase(['begin']);
    const session = new WireSession(db);
    const begun = session.begin(7);
    const statement = session.inTransaction(7, simpleQuery('insert meant for the transaction'));
    const ended = session.end(7, true);
    expect(hasError(await begun)).toBe(true);
    expect(hasError(await statement)).toBe(true);
    expect((await ended).length).toBe(0);
    expect(db.ran).toEqual(['begin']);
    // The session goes on with the next unit.
    expect(hasError(await session.run(simpleQuery('select after')))).toBe(false);
  });

  it('a statement of a transaction that is not open is refused', async () => {
    await expect(new WireSession(fakeDatabase()).inTransaction(3, simpleQuery('x'))).rejects.toThrow(/not open/);
  });
});

describe('protocol helpers', () => {
  it('simpleQuery is a Query message: Q, length, the text and a NUL', () => {
    const q = simpleQuery('select ж');
    expect(q[0]).toBe(0x51);
    expect(q.readInt32BE(1)).toBe(q.length - 1);
    expect(textOf(q)).toBe('select ж');
    expect(q[q.length - 1]).toBe(0);
  });

  it('hasError finds an ErrorResponse among the messages of an answer, and stops at bytes that are not messages', () => {
    expect(hasError(Buffer.concat([message('C', 'BEGIN\0'), READY]))).toBe(false);
    expect(hasError(Buffer.concat([message('C', 'INSERT 0 1\0'), message('E', 'SERROR\0\0'), READY]))).toBe(true);
    expect(hasError(new Uint8Array([0x43, 0, 0, 0, 0, 0x45]))).toBe(false);
  });
});
