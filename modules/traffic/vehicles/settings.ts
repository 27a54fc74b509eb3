import { z } from 'zod';
import { parseSettings } from '../../../packages/kernel/src/config.ts';
import type { CloneSettings } from './domain/clones.ts';
import type { ScoreSettings } from './domain/score.ts';

/** Deployment settings of the vehicles part (`TARTIP_TRAFFIC_SCORE_*`, `_CLONE_*`, `_FLAGGED_*`, `_IMPORT_*`). */
export interface VehicleSettings {
  score: ScoreSettings & {
    /** A plate at or above this score is flagged: a camera that sees it alerts the ops centre. */
    threshold: number;
    /** How often every stored score is recomputed (decay), seconds; 0 = never. */
    refreshS: number;
  };
  clone: CloneSettings;
  flagged: {
    /** After an incident for a plate, further sightings within this time are recorded but raise no new one, seconds. */
    cooldownS: number;
    /** How often the in-memory flagged set is reloaded from the database (a safety net for missed events), seconds. */
    reloadS: number;
  };
  /** Lines accepted by one bulk import. */
  importMaxLines: number;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const positive = (max: number) => z.coerce.number().positive().max(max);

const schema = z.object({
  TARTIP_TRAFFIC_SCORE_HALF_LIFE_DAYS: positive(3650).default(180),
  TARTIP_TRAFFIC_SCORE_HORIZON_DAYS: int(1, 3650).default(1095),
  TARTIP_TRAFFIC_SCORE_THRESHOLD: positive(10_000).default(8),
  TARTIP_TRAFFIC_SCORE_REFRESH_S: int(0, 604_800).default(3600),
  TARTIP_TRAFFIC_CLONE_MAX_SPEED_KMH: positive(2000).default(250),
  TARTIP_TRAFFIC_CLONE_MIN_DISTANCE_M: int(0, 1_000_000).default(2000),
  TARTIP_TRAFFIC_CLONE_CLOCK_TOLERANCE_S: int(0, 3600).default(30),
  TARTIP_TRAFFIC_CLONE_WINDOW_S: int(60, 604_800).default(21_600),
  TARTIP_TRAFFIC_CLONE_PER_PLATE: int(2, 32).default(3),
  TARTIP_TRAFFIC_CLONE_MAX_PLATES: int(1, 100_000_000).default(100_000),
  TARTIP_TRAFFIC_CLONE_COOLDOWN_S: int(0, 604_800).default(3600),
  TARTIP_TRAFFIC_FLAGGED_COOLDOWN_S: int(0, 86_400).default(300),
  TARTIP_TRAFFIC_FLAGGED_RELOAD_S: int(1, 86_400).default(300),
  TARTIP_TRAFFIC_IMPORT_MAX_LINES: int(1, 1_000_000).default(50_000),
});

/** Validates the variables; a bad value throws ConfigError naming it. */
export function loadVehicleSettings(env: Readonly<Record<string, string | undefined>>): VehicleSettings {
  const c = parseSettings(schema, env);
  return {
    score: {
      halfLifeDays: c.TARTIP_TRAFFIC_SCORE_HALF_LIFE_DAYS,
      horizonDays: c.TARTIP_TRAFFIC_SCORE_HORIZON_DAYS,
      threshold: c.TARTIP_TRAFFIC_SCORE_THRESHOLD,
      refreshS: c.TARTIP_TRAFFIC_SCORE_REFRESH_S,
    },
    clone: {
      maxSpeedKmh: c.TARTIP_TRAFFIC_CLONE_MAX_SPEED_KMH,
      minDistanceM: c.TARTIP_TRAFFIC_CLONE_MIN_DISTANCE_M,
      clockToleranceS: c.TARTIP_TRAFFIC_CLONE_CLOCK_TOLERANCE_S,
      windowS: c.TARTIP_TRAFFIC_CLONE_WINDOW_S,
      perPlate: c.TARTIP_TRAFFIC_CLONE_PER_PLATE,
      maxPlates: c.TARTIP_TRAFFIC_CLONE_MAX_PLATES,
      cooldownS: c.TARTIP_TRAFFIC_CLONE_COOLDOWN_S,
    },
    flagged: { cooldownS: c.TARTIP_TRAFFIC_FLAGGED_COOLDOWN_S, reloadS: c.TARTIP_TRAFFIC_FLAGGED_RELOAD_S },
    importMaxLines: c.TARTIP_TRAFFIC_IMPORT_MAX_LINES,
  };
}
