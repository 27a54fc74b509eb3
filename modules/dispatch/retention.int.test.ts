/**
 * Positions retention against the real database (PGlite, or PostgreSQL when TARTIP_TEST_DATABASE_URL is set):
 * samples older than the retention go, in bounded batches; recent samples and each unit's latest stay; the
 * module's timer loop prunes on the kernel's clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/kernel/src/clock.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { migrationsOf } from '../../packages/kernel/src/module.ts';
import { backendName, TEST_DATABASE_URL, testKernel } from '../../packages/kernel/src/testing.ts';
import dispatch from './index.ts';
import { prunePositions } from './retention.ts';
import { startTimers } from './timers.ts';

const DAY = 86_400_000;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe(`dispatch positions retention on ${backendName}`, () => {
  const clock = new ManualClock(new Date('2026-06-01T00:00:00Z'));
  let kernel: Kernel;

  const unit = async (callSign: string) => {
    const id = newId();
    const now = clock.now().toISOString();
    await kernel.db.query(
      `insert into dispatch_unit (id, call_sign, type, home_kato, status, status_at, created_at, updated_at) values ($1, $2, 'PATROL_CAR', '751110000', 'AVAILABLE', $3, $3, $3)`,
      [id, callSign, now],
    );
    return id;
  };
  /** Positions `daysAgo` (fractions allowed) before the clock's now. */
  const positions = async (unitId: string, daysAgo: number[]) => {
    const now = clock.now().getTime();
    await kernel.db.query(
      `insert into dispatch_position (unit_id, at, lon, lat, received_at)
       select $1, t, 76.9, 43.2, t from unnest($2::timestamptz[]) as t`,
      [unitId, daysAgo.map((d) => new Date(now - d * DAY).toISOString())],
    );
  };
  /** The unit's samples, as days before now, newest first. */
  const left = async (unitId: string) => {
    const now = clock.now().getTime();
    const rows = await kernel.db.query<{ at: Date }>('select at from dispatch_position where unit_id = $1 order by at desc', [unitId]);
    return rows.map((r) => Math.round(((now - new Date(r.at).getTime()) / DAY) * 1000) / 1000);
  };

  beforeAll(async () => {
    kernel = await testKernel({ clock, env: { TARTIP_DISPATCH_TIMER_INTERVAL_MS: '50' }, migrations: migrationsOf([dispatch]) });
  });
  afterAll(async () => kernel?.close());
  beforeEach(async () => {
    await kernel.db.query('delete from dispatch_position');
  });

  it('deletes samples older than the retention; keeps recent ones and each unit’s latest, however old', async () => {
    const moving = await unit('RET-MOVING');
    const parked = await unit('RET-PARKED');
    const lonely = await unit('RET-LONELY');
    const silent = await unit('RET-SILENT'); // no positions at all
    await positions(moving, [40, 35, 30.5, 30, 29.9, 1, 0.01]);
    await positions(parked, [90, 60, 50]);
    await positions(lonely, [400]);

    const r = await prunePositions(kernel, { retentionDays: 30, batch: 1000 });
    expect(r).toMatchObject({ deleted: 5, batches: 1, skipped: false, cutoff: new Date(clock.now().getTime() - 30 * DAY) });
    // Exactly 30 days old is not older than the retention.
    expect(await left(moving)).toEqual([0.01, 1, 29.9, 30]);
    expect(await left(parked)).toEqual([50]);
    expect(await left(lonely)).toEqual([400]);
    expect(await left(silent)).toEqual([]);
    // A second run finds nothing.
    expect(await prunePositions(kernel, { retentionDays: 30, batch: 1000 })).toMatchObject({ deleted: 0, batches: 0 });
  });

  it('a backlog goes in bounded batches (one short transaction each) and can be stopped between them', async () => {
    const a = await unit('RET-BACKLOG-A');
    const b = await unit('RET-BACKLOG-B');
    const old = Array.from({ length: 23 }, (_, i) => 31 + i / 24); // 23 hourly samples, all past the retention
    await positions(a, [...old, 2]);
    await positions(b, old);

    // Stopped after three batches of at most 5: 15 rows gone, the rest waits for the next run.
    let runs = 0;
    const first = await prunePositions(kernel, { retentionDays: 30, batch: 5, stop: () => runs++ >= 3 });
    expect(first).toMatchObject({ deleted: 15, batches: 3 });
    const rest = await prunePositions(kernel, { retentionDays: 30, batch: 5 });
    // 23 + 22 due in all (b keeps its newest); no batch deleted more than 5.
    expect(first.deleted + rest.deleted).toBe(45);
    expect(rest.batches).toBe(Math.ceil(30 / 5));
    expect(await left(a)).toEqual([2]);
    expect(await left(b)).toEqual([31]);
  });

  it.runIf(TEST_DATABASE_URL)('skips the run while another process holds the prune lock', async () => {
    const u = await unit('RET-LOCKED');
    await positions(u, [45, 44, 1]);
    // The outer transaction stands for another process in the middle of a batch.
    const inner = await kernel.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(7461302)');
      return prunePositions(kernel, { retentionDays: 30, batch: 100 });
    });
    expect(inner).toMatchObject({ skipped: true, deleted: 0 });
    expect(await left(u)).toEqual([1, 44, 45]);
  });

  it('the module’s timer loop prunes at its first tick, then once per prune interval of the kernel’s clock', async () => {
    const u = await unit('RET-TIMER');
    await positions(u, [50, 40, 3]);
    const stop = startTimers(kernel);
    try {
      await waitFor('the first prune', async () => (await left(u)).length === 1);
      expect(await left(u)).toEqual([3]);
      // New old rows wait for the next due run (900 s of the kernel's clock later).
      await positions(u, [45]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await left(u)).toEqual([3, 45]);
      clock.advance(901_000);
      await waitFor('the next prune', async () => (await left(u)).length === 1);
    } finally {
      await stop();
    }
  });
});
