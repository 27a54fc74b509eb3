import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import { type DecisionRecord, DecisionRecorder } from './recorder.ts';

/** A database that refuses while `down` is set, and remembers what each insert carried. */
function fakeDb() {
  const state = { down: false, batches: [] as string[][] };
  const db = {
    kind: 'pglite',
    async query(_text: string, params: unknown[]) {
      if (state.down) throw new Error('connection refused');
      state.batches.push((JSON.parse(params[0] as string) as DecisionRecord[]).map((r) => r.id));
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
});
