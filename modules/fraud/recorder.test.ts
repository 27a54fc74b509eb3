import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import { type DecisionRecord, DecisionRecorder, PendingDecisions } from './recorder.ts';

/** A database that refuses while `down` is set, and remembers what each insert carried. */
function fakeDb() {
  const state = { down: false, batches: [] as string[][], records: [] as DecisionRecord[], gate: null as Promise<void> | null };
  const db = {
    kind: 'pglite',
    async query(_text: string, params: unknown[]) {
      if (state.gate) await state.gate;
      if (state.down) throw new Error('connection refused');
      const batch = JSON.parse(params[0] as string) as DecisionRecord[];
      state.batches.push(batch.map((r) => r.id));
      state.records.push(...batch);
      return [];
    },
  } as unknown as Db;
  return { db, state };
}

const rec = (id: string): DecisionRecord => ({
  id,
  kind: 'call',
  outcome: 'allow',
  score: null,
  reasons: [],
  latencyUs: 1,
  degraded: false,
  policyVersion: 'v',
  partner: 'p',
  channel: null,
  area: null,
  region: null,
  subject: {},
  amount: null,
  currency: null,
  decidedAt: new Date().toISOString(),
});

describe('DecisionRecorder', () => {
  it('never makes the caller wait, and writes in batches of at most `batch`', async () => {
    const { db, state } = fakeDb();
    const r = new DecisionRecorder(db, pino({ level: 'silent' }), { batch: 3, buffer: 100, retryMs: 10 }, () => {});
    for (let i = 0; i < 7; i++) r.record(rec(`d${i}`));
    expect(state.batches).toEqual([]); // nothing written synchronously
    await r.flush();
    expect(state.batches).toEqual([['d0', 'd1', 'd2'], ['d3', 'd4', 'd5'], ['d6']]);
    expect(r.written).toBe(7);
  });

  it('while the database is down: reports unhealthy, keeps the records in order, drops the oldest beyond the buffer; writes them when it is back', async () => {
    const { db, state } = fakeDb();
    const health: boolean[] = [];
    const r = new DecisionRecorder(db, pino({ level: 'silent' }), { batch: 100, buffer: 5, retryMs: 10 }, (ok) => health.push(ok));
    state.down = true;
    for (let i = 0; i < 8; i++) r.record(rec(`d${i}`));
    await new Promise((res) => setTimeout(res, 50));
    expect(health).toContain(false);
    expect(r.pending).toBe(5);
    expect(r.dropped).toBe(3);
    state.down = false;
    await r.flush();
    expect(state.batches).toEqual([['d3', 'd4', 'd5', 'd6', 'd7']]);
    expect(health[health.length - 1]).toBe(true);
    expect(r.pending).toBe(0);
    await r.stop();
  });

  it('writes each record exactly as recorded — any text, across the buffers it spans — and releases exactly what was written when the oldest were dropped meanwhile', async () => {
    const { db, state } = fakeDb();
    // 256-byte buffers: a record of ~400 bytes gets a buffer of its own, smaller ones share.
    const r = new DecisionRecorder(db, pino({ level: 'silent' }), { batch: 4, buffer: 6, retryMs: 10, segmentBytes: 256 }, () => {});
    const odd = (id: string, note: string): DecisionRecord => ({ ...rec(id), reasons: [note], subject: { caller: '+77011234567', note } });
    const sent = [odd('a0', 'звонок «банка» — ҚАЗАҚША 🚨'), odd('a1', 'x'.repeat(400)), odd('a2', '"quoted" \\ back\nslash'), odd('a3', '')];
    let release = () => {};
    state.gate = new Promise((res) => {
      release = res;
    });
    for (const d of sent) r.record(d);
    await new Promise((res) => setImmediate(res));
    // The insert of a0–a3 is in flight; five more arrive, nine are held and the buffer (6) drops the oldest three —
    // a0–a2, which the insert in flight then writes after all. Releasing it frees a3 as well, and nothing after it.
    for (let i = 0; i < 5; i++) r.record(odd(`b${i}`, `b${i}`));
    expect(r.dropped).toBe(3);
    expect(r.pending).toBe(6);
    state.gate = null;
    release();
    await r.flush();
    expect(state.records.slice(0, 4)).toEqual(sent);
    expect(state.batches).toEqual([
      ['a0', 'a1', 'a2', 'a3'],
      ['b0', 'b1', 'b2', 'b3'],
      ['b4'],
    ]);
    expect(r.pending).toBe(0);
    expect(r.written).toBe(9);
  });
});

describe('PendingDecisions', () => {
  it('takes the oldest records as one JSON array, in order, from as many buffers as they span', () => {
    const log = new PendingDecisions(64);
    const records = Array.from({ length: 50 }, (_, i) => ({ n: i, text: 'ж'.repeat(i % 7) }));
    for (const x of records) log.push(JSON.stringify(x));
    const first = log.take(17);
    expect(JSON.parse(first.json)).toEqual(records.slice(0, 17));
    log.release(first.first + first.count);
    log.drop(3);
    const rest = log.take(100);
    expect(JSON.parse(rest.json)).toEqual(records.slice(20));
    log.release(rest.first + rest.count);
    expect(log.size).toBe(0);
    expect(log.take(10).json).toBe('[]');
    log.push('{"again":true}');
    expect(JSON.parse(log.take(10).json)).toEqual([{ again: true }]);
  });
});
