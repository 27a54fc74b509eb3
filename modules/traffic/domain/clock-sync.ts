/**
 * Was a camera's clock right at time t? (pure)
 *
 * Gateways report each camera's time-sync state (NTP, PTP or GNSS: synced, degraded, unsynced, with the
 * measured offset). The reports form a history; a read at time t is judged by the latest report at or
 * before t. The clock counts as in sync only when that report says `synced`, its offset (if given) is within
 * the allowed offset, and it is recent enough — a gateway that stopped reporting leaves the state unknown,
 * and unknown is not in sync. This is the lesson of the Hume Freeway point-to-point cameras (Victoria, 2010):
 * one camera's clock drifted from its pair's and fines went out; record sync per read, and never make a
 * violation from a pair whose sync is unknown or degraded.
 */

export const SYNC_STATUSES = ['synced', 'degraded', 'unsynced'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export const SYNC_SOURCES = ['ntp', 'ptp', 'gnss', 'manual', 'none'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

export interface SyncRecord {
  /** From when the state holds (the gateway's measurement time), ms since the epoch. */
  atMs: number;
  status: SyncStatus;
  source: SyncSource;
  /** Measured offset from the reference clock, ms (signed); null when the gateway gave none. */
  offsetMs: number | null;
}

export interface SyncPolicy {
  /** Largest |offset| still counted as in sync. */
  maxOffsetMs: number;
  /** A report vouches for the clock this long after its time; later without a newer report = unknown. */
  validForMs: number;
}

/** The latest record at or before `tMs` (records sorted by `atMs`, ascending), or null. */
export function syncRecordAt(records: readonly SyncRecord[], tMs: number): SyncRecord | null {
  let lo = 0;
  let hi = records.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid].atMs <= tMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : records[found];
}

export type SyncVerdict = 'in_sync' | 'unknown' | 'stale' | 'not_synced' | 'offset_too_large';

/** Why a clock was or was not in sync at `tMs`. */
export function syncVerdict(records: readonly SyncRecord[], tMs: number, policy: SyncPolicy): SyncVerdict {
  const r = syncRecordAt(records, tMs);
  if (!r) return 'unknown';
  if (r.status !== 'synced') return 'not_synced';
  if (r.offsetMs !== null && Math.abs(r.offsetMs) > policy.maxOffsetMs) return 'offset_too_large';
  if (tMs - r.atMs > policy.validForMs) return 'stale';
  return 'in_sync';
}

export const inSyncAt = (records: readonly SyncRecord[], tMs: number, policy: SyncPolicy): boolean => syncVerdict(records, tMs, policy) === 'in_sync';

/** Inserts a record keeping the history sorted (a late report about an earlier time lands in its place). */
export function withRecord(records: readonly SyncRecord[], r: SyncRecord): SyncRecord[] {
  const out = records.filter((x) => x.atMs !== r.atMs);
  let i = out.length;
  while (i > 0 && out[i - 1].atMs > r.atMs) i--;
  out.splice(i, 0, r);
  return out;
}

export interface Certificate {
  number: string;
  issuer: string;
  validFromMs: number;
  validToMs: number;
}

/** A camera's metrological certificate (поверка) covers time t. */
export const certifiedAt = (c: Certificate | null, tMs: number): boolean => c !== null && tMs >= c.validFromMs && tMs <= c.validToMs;
