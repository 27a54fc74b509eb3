/**
 * Traffic flow from cameras: vehicles and speeds per camera, lane and 5-minute bucket, and congestion judged against
 * the usual level for the same hour of the same weekday (local time). Pure functions.
 */

/** Object labels counted as vehicles (COCO names used by Frigate; DeepStream's vehicle types). */
export const VEHICLE_LABELS = new Set(['car', 'truck', 'bus', 'motorcycle', 'vehicle', 'van', 'sedan', 'suv']);

export const BUCKET_MS = 300_000;

export const flowKey = (cameraId: string, lane: number, bucket: string) => `${cameraId}|${lane}|${bucket}`;

export interface FlowBucket {
  /** Bucket start, ISO UTC. */
  bucket: string;
  vehicles: number;
  /** Mean speed in the bucket, km/h; null when no speed was measured. */
  speedKmh: number | null;
}

export interface Usual {
  vehicles: number;
  speedKmh: number | null;
  /** Buckets the usual level was computed from. */
  samples: number;
}

/** Hour-of-week slot (0..167, Monday 00:00 = 0) of an instant, in local time at `utcOffsetH`. */
export function weekSlot(atMs: number, utcOffsetH: number): number {
  const local = new Date(atMs + utcOffsetH * 3_600_000);
  const weekday = (local.getUTCDay() + 6) % 7;
  return weekday * 24 + local.getUTCHours();
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The usual level per hour-of-week slot: the median of the history's buckets in that slot. */
export function usualLevels(history: FlowBucket[], utcOffsetH: number): Map<number, Usual> {
  const bySlot = new Map<number, FlowBucket[]>();
  for (const b of history) {
    const slot = weekSlot(Date.parse(b.bucket), utcOffsetH);
    const list = bySlot.get(slot) ?? [];
    list.push(b);
    bySlot.set(slot, list);
  }
  const out = new Map<number, Usual>();
  for (const [slot, list] of bySlot) {
    out.set(slot, {
      vehicles: median(list.map((b) => b.vehicles)) ?? 0,
      speedKmh: median(list.flatMap((b) => (b.speedKmh === null ? [] : [b.speedKmh]))),
      samples: list.length,
    });
  }
  return out;
}

export interface CongestionRule {
  /** Congested when the mean speed falls to this share of the usual speed or below. */
  speedRatio: number;
  /** Without speeds: congested when vehicles exceed the usual count by this factor. */
  volumeRatio: number;
  /** Fewer usual samples than this: no judgement. */
  minSamples: number;
}

export const DEFAULT_CONGESTION: CongestionRule = { speedRatio: 0.6, volumeRatio: 1.5, minSamples: 3 };

export type Verdict = { congested: boolean; reason: 'speed' | 'volume' | null; ratio: number | null } | null;

/** Is this bucket congested against its usual level? null when there is no usual level to compare with. */
export function congestion(b: FlowBucket, usual: Usual | undefined, rule: CongestionRule = DEFAULT_CONGESTION): Verdict {
  if (!usual || usual.samples < rule.minSamples) return null;
  if (b.speedKmh !== null && usual.speedKmh !== null && usual.speedKmh > 0) {
    const ratio = b.speedKmh / usual.speedKmh;
    return { congested: ratio <= rule.speedRatio, reason: ratio <= rule.speedRatio ? 'speed' : null, ratio };
  }
  if (usual.vehicles <= 0) return { congested: false, reason: null, ratio: null };
  const ratio = b.vehicles / usual.vehicles;
  return { congested: ratio >= rule.volumeRatio, reason: ratio >= rule.volumeRatio ? 'volume' : null, ratio };
}
