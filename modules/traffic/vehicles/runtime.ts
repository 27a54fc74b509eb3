import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { CloneDetector } from './domain/clones.ts';
import { loadVehicleSettings, type VehicleSettings } from './settings.ts';

/** Why a plate is flagged: wanted, and/or a score at or above the threshold. */
export interface FlagEntry {
  wantedReason: string | null;
  score: number | null;
}

/**
 * Plates a camera must alert on, in memory so the ingest path asks no database. Kept current by the register and
 * the score (in this process at once, in the others through `traffic.vehicle.*` and `traffic.korgau.changed`), and
 * reloaded from the database every `TARTIP_TRAFFIC_FLAGGED_RELOAD_S` in case an event was missed.
 */
export class FlaggedSet {
  private map = new Map<string, FlagEntry>();

  get(plate: string): FlagEntry | undefined {
    return this.map.get(plate);
  }

  get size(): number {
    return this.map.size;
  }

  setWanted(plate: string, reason: string | null): void {
    this.update(plate, { wantedReason: reason });
  }

  /** `score` null = below the threshold. */
  setScore(plate: string, score: number | null): void {
    this.update(plate, { score });
  }

  replaceAll(entries: Map<string, FlagEntry>): void {
    this.map = entries;
  }

  private update(plate: string, change: Partial<FlagEntry>): void {
    const next = { ...(this.map.get(plate) ?? { wantedReason: null, score: null }), ...change };
    if (next.wantedReason === null && next.score === null) this.map.delete(plate);
    else this.map.set(plate, next);
  }
}

export interface VehiclesRuntime {
  settings: VehicleSettings;
  flagged: FlaggedSet;
  clones: CloneDetector;
}

const runtimes = new WeakMap<Kernel, VehiclesRuntime>();

/** Per-kernel state (several apps in one process — tests — each have their own). Validates the settings once. */
export function vehiclesRuntime(kernel: Kernel): VehiclesRuntime {
  let r = runtimes.get(kernel);
  if (!r) {
    const settings = loadVehicleSettings(kernel.config.env ?? process.env);
    r = { settings, flagged: new FlaggedSet(), clones: new CloneDetector(settings.clone) };
    runtimes.set(kernel, r);
  }
  return r;
}

/** Reloads the flagged set from the register and the stored scores. */
export async function reloadFlagged(kernel: Kernel): Promise<number> {
  const { flagged, settings } = vehiclesRuntime(kernel);
  const entries = new Map<string, FlagEntry>();
  for (const r of await kernel.db.query<{ plate: string; wanted_reason: string }>('select plate, wanted_reason from traffic_vehicle where wanted')) {
    entries.set(r.plate, { wantedReason: r.wanted_reason, score: null });
  }
  for (const r of await kernel.db.query<{ subject: string; score: number }>(
    `select subject, score from traffic_score where subject_kind = 'plate' and score >= $1`,
    [settings.score.threshold],
  )) {
    entries.set(r.subject, { wantedReason: entries.get(r.subject)?.wantedReason ?? null, score: r.score });
  }
  flagged.replaceAll(entries);
  return entries.size;
}
