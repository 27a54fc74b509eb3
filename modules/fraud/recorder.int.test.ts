/**
 * The decision log's rows in the real database. On PostgreSQL the recorder loads them with COPY: 2,000 random
 * decisions loaded that way read back exactly as the same decisions inserted from JSON (the way PGlite writes them,
 * and the way they were written before); a batch sent again after it was stored adds nothing, and one stored in
 * part adds only the rest. On PGlite (no COPY here) the recorder keeps the JSON insert.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { migrationsOf } from '../../packages/kernel/src/module.ts';
import { TEST_DATABASE_URL, testKernel } from '../../packages/kernel/src/testing.ts';
import { DecisionCopyDecoder, DecisionDecoder, encodeCall, encodeTransaction, StringTable } from './decision-log.mjs';
import fraud from './index.ts';
import { type CallDecision, DecisionRecorder, insertDecisions, type TransactionDecision, writeDecisions } from './recorder.ts';
import { randomDecisions } from './testing/decisions.ts';

/** Random decisions the table's checks accept: an outcome it knows (any text goes everywhere else). */
const decisionsFor = (n: number, seed: number) => randomDecisions(n, seed).map((d, i) => ({ ...d, outcome: ['allow', 'label', 'block', 'hold'][i % 4] }));

/** The decisions as the writer thread's input, and their rows made both ways. */
function rowsOf(decisions: (CallDecision | TransactionDecision)[]) {
  const table = new StringTable();
  const buf = Buffer.alloc(32 << 20);
  const seg = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.length), used: 0 };
  for (const d of decisions) seg.used = 'caller' in d ? encodeCall(seg, table, d) : encodeTransaction(seg, table, d as TransactionDecision);
  const bytes = buf.subarray(0, seg.used);
  const json = new DecisionDecoder();
  const copy = new DecisionCopyDecoder();
  json.define(1, table.strings.slice(1));
  copy.define(1, table.strings.slice(1));
  return { json: json.decode(bytes), copy: copy.decode(bytes) };
}

describe('decision rows in the database', () => {
  let kernel: Kernel;
  const stored = () => kernel.db.query<Record<string, unknown>>('select * from fraud_decision order by id');

  beforeAll(async () => {
    kernel = await testKernel({ migrations: migrationsOf([fraud]) });
  });
  afterAll(async () => {
    await kernel?.close();
  });

  it.runIf(!TEST_DATABASE_URL)('PGlite: no COPY, so the recorder writes its rows through the JSON insert', async () => {
    expect(kernel.db.copyIn).toBeUndefined();
    const recorder = new DecisionRecorder(kernel.db, pino({ level: 'silent' }), { batch: 100, buffer: 1000, retryMs: 10 }, () => {});
    const [d] = decisionsFor(1, 7);
    recorder.recordCall({ ...(d as CallDecision), caller: '+77011234567', called: '+77017654321', ingress: 'domestic', trunk: null, attestation: null });
    await recorder.flush();
    await recorder.stop();
    expect(await stored()).toHaveLength(1);
    await kernel.db.query('delete from fraud_decision');
  });

  describe.runIf(TEST_DATABASE_URL)('PostgreSQL: COPY', () => {
    it('stores every column exactly as the JSON insert does — any text, nulls, numbers, arrays, the subject', async () => {
      const { json, copy } = rowsOf(decisionsFor(2000, 11));
      await insertDecisions(kernel.db, json);
      const byInsert = await stored();
      await kernel.db.query('delete from fraud_decision');
      await writeDecisions(kernel.db, copy, 'copy');
      const byCopy = await stored();
      expect(byCopy).toHaveLength(2000);
      expect(byCopy).toEqual(byInsert);
      await kernel.db.query('delete from fraud_decision');
    });

    it('a batch sent again after it was stored adds nothing; one stored in part adds only the rest', async () => {
      const decisions = decisionsFor(200, 12);
      const whole = rowsOf(decisions).copy;
      const firstHalf = rowsOf(decisions.slice(0, 100)).copy;
      await writeDecisions(kernel.db, firstHalf, 'copy');
      expect(await stored()).toHaveLength(100);
      await writeDecisions(kernel.db, whole, 'copy');
      const after = await stored();
      expect(after).toHaveLength(200);
      await writeDecisions(kernel.db, whole, 'copy');
      expect(await stored()).toEqual(after);
      await kernel.db.query('delete from fraud_decision');
    });

    it('the recorder picks COPY here, and a refused batch stores nothing and is retried', async () => {
      let healthy = true;
      const recorder = new DecisionRecorder(kernel.db, pino({ level: 'silent' }), { batch: 50, buffer: 10_000, retryMs: 20 }, (ok) => {
        healthy = ok;
      });
      // The table refuses new rows for a moment: a batch fails as a whole and nothing of it is stored.
      await kernel.db.exec(`alter table fraud_decision add constraint refuse_all check (kind = 'none') not valid`);
      const decisions = decisionsFor(120, 13).map((d) => ({ ...d, id: newId() }));
      for (const d of decisions) {
        if ('caller' in d) recorder.recordCall(d);
        else recorder.recordTransaction(d as TransactionDecision);
      }
      const deadline = Date.now() + 5000;
      while (healthy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(healthy).toBe(false);
      expect(await stored()).toHaveLength(0);
      await kernel.db.exec('alter table fraud_decision drop constraint refuse_all');
      await recorder.flush();
      await recorder.stop();
      expect(healthy).toBe(true);
      expect((await stored()).map((r) => r.id)).toEqual(decisions.map((d) => d.id).sort());
      await kernel.db.query('delete from fraud_decision');
    }, 30_000);
  });
});
