import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { BUCKET_MS, congestion, type FlowBucket, usualLevels, weekSlot } from './domain/flow.ts';

/** Kazakhstan's time (UTC+5 since March 2024): the hour and weekday the usual level is kept for. */
export const LOCAL_UTC_OFFSET_H = 5;
/** Weeks of history the usual level is taken from. */
const HISTORY_WEEKS = 8;

/**
 * The flow series of a camera over the last `hours` (all lanes together), each bucket judged against the median of
 * the same hour-of-week over the previous eight weeks.
 */
export async function flowSeries(kernel: Kernel, cameraId: string, hours: number) {
  const nowMs = kernel.clock.now().getTime();
  const from = new Date(Math.floor((nowMs - hours * 3_600_000) / BUCKET_MS) * BUCKET_MS);
  const historyFrom = new Date(from.getTime() - HISTORY_WEEKS * 7 * 86_400_000);
  const rows = await kernel.db.query<{ bucket: Date; vehicles: number; speed_sum: number; speed_n: number }>(
    `select bucket, sum(vehicles)::int8 as vehicles, sum(speed_sum) as speed_sum, sum(speed_n)::int8 as speed_n
     from video_flow where camera_id = $1 and bucket >= $2 group by bucket order by bucket`,
    [cameraId, historyFrom.toISOString()],
  );
  const all: FlowBucket[] = rows.map((r) => ({
    bucket: new Date(r.bucket).toISOString(),
    vehicles: Number(r.vehicles),
    speedKmh: Number(r.speed_n) > 0 ? Math.round((Number(r.speed_sum) / Number(r.speed_n)) * 10) / 10 : null,
  }));
  const history = all.filter((b) => Date.parse(b.bucket) < from.getTime());
  const recent = all.filter((b) => Date.parse(b.bucket) >= from.getTime());
  const usual = usualLevels(history, LOCAL_UTC_OFFSET_H);
  return recent.map((b) => {
    const u = usual.get(weekSlot(Date.parse(b.bucket), LOCAL_UTC_OFFSET_H));
    const v = congestion(b, u);
    return { ...b, usual: u ?? null, congested: v ? v.congested : null, reason: v?.reason ?? null };
  });
}

/**
 * Congestion now: for each camera (of `cameraIds`) with flow in the last 15 minutes, its latest bucket judged against
 * the usual level for its hour and weekday.
 */
export async function congestionNow(kernel: Kernel, cameraIds: string[]) {
  if (cameraIds.length === 0) return [];
  const since = new Date(kernel.clock.now().getTime() - 15 * 60_000).toISOString();
  const recent = await kernel.db.query<{ camera_id: string }>('select distinct camera_id from video_flow where camera_id = any($1::uuid[]) and bucket >= $2', [cameraIds, since]);
  const out = [];
  for (const r of recent) {
    const series = await flowSeries(kernel, r.camera_id, 1);
    const last = series[series.length - 1];
    if (last) out.push({ cameraId: r.camera_id, ...last });
  }
  return out;
}
