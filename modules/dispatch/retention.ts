import type { Kernel } from '../../packages/kernel/src/kernel.ts';

/**
 * Retention of unit positions (`dispatch_position`): samples older than TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS
 * are deleted, except each unit's latest sample, whatever its age (the last place a unit was seen stays on record).
 *
 * Deleted in batches of at most `batch` rows, one short transaction each, so a huge backlog (the first run on a
 * year of history) never holds row locks or a long transaction: telemetry keeps flowing between batches. Each batch
 * walks the primary key (unit_id, at) per unit — no index on `at` alone, which would cost every telemetry insert.
 * Several processes take turns through an advisory lock: a process that finds it taken skips the run.
 */
const PRUNE_LOCK = 7_461_302; // dispatch's range (seed: 7_461_301)

const PRUNE_BATCH_SQL = `
  with doomed as (
    select p.unit_id, p.at
    from (select u.id, (select max(m.at) from dispatch_position m where m.unit_id = u.id) as newest from dispatch_unit u) u
    cross join lateral (
      select q.unit_id, q.at from dispatch_position q
      where q.unit_id = u.id and q.at < $1 and q.at < u.newest
      order by q.at
      limit $2
    ) p
    limit $2
  ),
  gone as (
    delete from dispatch_position d using doomed where d.unit_id = doomed.unit_id and d.at = doomed.at returning 1
  )
  select count(*)::int8 as n from gone`;

export interface PruneResult {
  /** Rows deleted. */
  deleted: number;
  /** Transactions that deleted something. */
  batches: number;
  /** Samples older than this were due (except each unit's latest). */
  cutoff: Date;
  /** Another process held the prune lock, so this run did nothing. */
  skipped: boolean;
}

/** `now` minus the retention. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/**
 * Deletes positions older than the retention (each unit's latest kept) in batches of `batch` rows until none is
 * left, `maxBatches` ran, or `stop()` says so (checked between batches).
 */
export async function prunePositions(
  kernel: Kernel,
  o: { retentionDays: number; batch: number; maxBatches?: number; stop?: () => boolean },
): Promise<PruneResult> {
  const cutoff = retentionCutoff(kernel.clock.now(), o.retentionDays);
  const result: PruneResult = { deleted: 0, batches: 0, cutoff, skipped: false };
  const maxBatches = o.maxBatches ?? Number.POSITIVE_INFINITY;
  while (result.batches < maxBatches && !o.stop?.()) {
    const n = await kernel.db.transaction(async (tx) => {
      const [{ ok }] = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock($1) as ok', [PRUNE_LOCK]);
      if (!ok) return null;
      const [{ n }] = await tx.query<{ n: number }>(PRUNE_BATCH_SQL, [cutoff.toISOString(), o.batch]);
      return n;
    });
    if (n === null) {
      result.skipped = true;
      break;
    }
    if (n > 0) {
      result.deleted += n;
      result.batches++;
    }
    if (n < o.batch) break;
  }
  return result;
}
