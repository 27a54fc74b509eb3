import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { tick } from './ingest.ts';
import { runtime } from './runtime.ts';

/**
 * Background work of the read pipeline, on the kernel's clock: every tick the engine's watermark follows the
 * clock (so the last vehicles of a quiet night are settled) and the section counters are written to
 * `traffic_section_hour`; every minute, reads past the retention that no violation rests on are purged
 * (privacy: plates of vehicles that did nothing wrong are not kept) and old sync reports leave memory.
 */
const COUNTER_COLUMNS: Record<string, string> = {
  pairs: 'pairs',
  compliant: 'compliant',
  violations: 'violations',
  suppressedUnsynced: 'suppressed_unsynced',
  suppressedUncertified: 'suppressed_uncertified',
  implausible: 'implausible',
  unmatchedEntries: 'unmatched_entries',
  unmatchedExits: 'unmatched_exits',
  duplicates: 'duplicates',
  late: 'late',
  speedSumKmh: 'speed_sum_kmh',
};
const COUNTER_KEYS = Object.keys(COUNTER_COLUMNS);

/** Writes the engine's per-section counters since the last flush into the current hour. */
export async function flushCounters(kernel: Kernel): Promise<void> {
  const rt = runtime(kernel);
  const hour = new Date(Math.floor(kernel.clock.now().getTime() / 3_600_000) * 3_600_000).toISOString();
  const rows: { section: string; values: number[]; now: Record<string, number>; idx: number }[] = [];
  for (const s of rt.sections.values()) {
    const now = rt.engine.sectionCounters(s.idx) as unknown as Record<string, number>;
    const before = rt.flushed.get(s.idx) ?? {};
    const values = COUNTER_KEYS.map((k) => now[k] - (before[k] ?? 0));
    if (values.some((v) => v !== 0)) rows.push({ section: s.id, values, now, idx: s.idx });
  }
  if (rows.length === 0) return;
  // Claim the deltas before the first await: a flush that runs meanwhile (the timer's and an explicit one) then
  // sees them as written and cannot add them a second time. If the write fails, the claim is given back.
  for (const r of rows) rt.flushed.set(r.idx, { ...r.now });
  const cols = Object.values(COUNTER_COLUMNS);
  const params: unknown[] = [rows.map((r) => r.section), hour];
  cols.forEach((_, i) => {
    params.push(rows.map((r) => r.values[i]));
  });
  try {
    await kernel.db.query(
      `insert into traffic_section_hour (section_id, hour, ${cols.join(', ')})
       select s, $2::timestamptz, ${cols.map((_, i) => `v${i}`).join(', ')}
       from unnest($1::uuid[], ${cols.map((c, i) => `$${i + 3}::${c === 'speed_sum_kmh' ? 'float8' : 'int8'}[]`).join(', ')}) as t(s, ${cols.map((_, i) => `v${i}`).join(', ')})
       on conflict (section_id, hour) do update set ${cols.map((c) => `${c} = traffic_section_hour.${c} + excluded.${c}`).join(', ')}`,
      params,
    );
  } catch (err) {
    for (const r of rows) {
      const claimed = rt.flushed.get(r.idx) as Record<string, number>;
      COUNTER_KEYS.forEach((k, i) => {
        claimed[k] -= r.values[i];
      });
    }
    throw err;
  }
}

/** Deletes, in chunks, reads older than the retention that no violation refers to; returns how many. */
export async function purgeReads(kernel: Kernel, chunk = 10_000, maxChunks = 20): Promise<number> {
  const rt = runtime(kernel);
  const cutoff = new Date(kernel.clock.now().getTime() - Math.max(rt.settings.readRetentionMs, rt.maxTravelMs() + rt.settings.watermarkMs)).toISOString();
  let total = 0;
  for (let i = 0; i < maxChunks; i++) {
    const rows = await kernel.db.query<{ id: string }>(
      `delete from traffic_read where id in (
         select r.id from traffic_read r where r.at < $1
           and not exists (select 1 from traffic_violation v where v.read_ids @> array[r.id])
         limit $2)
       returning id`,
      [cutoff, chunk],
    );
    total += rows.length;
    if (rows.length < chunk) break;
  }
  return total;
}

export function startJobs(kernel: Kernel): () => Promise<void> {
  const rt = runtime(kernel);
  let running: Promise<void> | null = null;
  let lastPurge = 0;
  const once = async () => {
    await tick(kernel);
    await flushCounters(kernel);
    const now = kernel.clock.now().getTime();
    if (now - lastPurge >= 60_000) {
      lastPurge = now;
      rt.pruneSync(now);
      const purged = await purgeReads(kernel);
      if (purged > 0) kernel.log.info({ purged }, 'traffic: reads past retention purged');
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = once()
      .catch((e) => kernel.log.error({ err: e }, 'traffic: background tick failed'))
      .finally(() => {
        running = null;
      });
  }, rt.settings.tickMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
    await flushCounters(kernel).catch(() => {});
  };
}
