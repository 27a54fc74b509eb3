import { writeFileSync } from 'node:fs';
import type { Db, Tx } from './types.ts';

interface Tally {
  calls: number;
  totalMs: number;
  inTransaction: number;
}

/**
 * A diagnostic for benchmarks (`TARTIP_DB_STATEMENT_PROFILE=<file>`): counts every statement the process sends,
 * by its text, with the wall time from call to answer (on PGlite that includes waiting for the one connection),
 * and writes the table as JSON to the file when the database is closed. Off unless asked for.
 */
export function profileStatements(db: Db, file: string): Db {
  const tallies = new Map<string, Tally>();
  let transactions = 0;
  const started = performance.now();
  const note = (text: string, ms: number, inTx: boolean) => {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 160);
    const t = tallies.get(key) ?? { calls: 0, totalMs: 0, inTransaction: 0 };
    t.calls++;
    t.totalMs += ms;
    if (inTx) t.inTransaction++;
    tallies.set(key, t);
  };
  const wrap = (q: Tx, inTx: boolean): Tx => ({
    async exec(script) {
      const t = performance.now();
      try {
        await q.exec(script);
      } finally {
        note(script, performance.now() - t, inTx);
      }
    },
    async query(text, params) {
      const t = performance.now();
      try {
        return await q.query(text, params);
      } finally {
        note(text, performance.now() - t, inTx);
      }
    },
  });
  return {
    kind: db.kind,
    ...wrap(db, false),
    transaction: (fn) => {
      transactions++;
      return db.transaction((tx) => fn(wrap(tx, true)));
    },
    // Passed through when the database has it, so that profiling does not change how a module writes.
    copyIn: db.copyIn
      ? async (load) => {
          const t = performance.now();
          try {
            await db.copyIn?.(load);
          } finally {
            note(load.copy, performance.now() - t, true);
          }
        }
      : undefined,
    ping: () => db.ping(),
    async close() {
      const statements = [...tallies]
        .map(([sql, t]) => ({ sql, calls: t.calls, totalMs: Math.round(t.totalMs), inTransaction: t.inTransaction }))
        .sort((a, b) => b.totalMs - a.totalMs);
      writeFileSync(file, JSON.stringify({ seconds: (performance.now() - started) / 1000, transactions, statements }, null, 1));
      await db.close();
    },
  };
}
