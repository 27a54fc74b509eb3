import { z } from 'zod';
import { parseSettings } from '../../../packages/kernel/src/config.ts';
import { DEFAULT_DEADLINE_H, SEVERITIES, type Severity } from './config/rules.ts';

/** Deployment settings of the roads part (`TARTIP_TRAFFIC_BLACKSPOT_*`, `TARTIP_TRAFFIC_DEFECT_*`). */
export interface RoadSettings {
  blackSpot: {
    /** DBSCAN radius: crashes within this distance of each other chain into one spot, metres. */
    epsM: number;
    /** Crashes a spot needs (DBSCAN minpoints). */
    minCrashes: number;
    /** The default period looked at, days back from now. */
    days: number;
  };
  defect: {
    deadlineH: Record<Severity, number>;
    /** How often overdue defects are looked for, seconds. */
    checkIntervalS: number;
    /** From this severity up an overdue defect also raises a dispatch `road-defect` incident; null = never. */
    incidentSeverity: Severity | null;
    /** Severity of a citizen's report whose type does not imply one. */
    citizenSeverity: Severity;
    /** Responsible organisation given to defects on national roads when none is named. */
    nationalOrg: string;
  };
}

const hours = (d: number) => z.coerce.number().positive().max(8760).default(d);

const schema = z.object({
  TARTIP_TRAFFIC_BLACKSPOT_EPS_M: z.coerce.number().positive().max(5000).default(100),
  TARTIP_TRAFFIC_BLACKSPOT_MIN_CRASHES: z.coerce.number().int().min(2).max(1000).default(3),
  TARTIP_TRAFFIC_BLACKSPOT_DAYS: z.coerce.number().int().min(1).max(36_500).default(1095),
  TARTIP_TRAFFIC_DEFECT_DEADLINE_CRITICAL_H: hours(DEFAULT_DEADLINE_H.critical),
  TARTIP_TRAFFIC_DEFECT_DEADLINE_HIGH_H: hours(DEFAULT_DEADLINE_H.high),
  TARTIP_TRAFFIC_DEFECT_DEADLINE_MEDIUM_H: hours(DEFAULT_DEADLINE_H.medium),
  TARTIP_TRAFFIC_DEFECT_DEADLINE_LOW_H: hours(DEFAULT_DEADLINE_H.low),
  TARTIP_TRAFFIC_DEFECT_CHECK_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
  TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY: z.enum([...SEVERITIES, 'none']).default('critical'),
  TARTIP_TRAFFIC_DEFECT_CITIZEN_SEVERITY: z.enum(SEVERITIES).default('medium'),
  TARTIP_TRAFFIC_DEFECT_NATIONAL_ORG: z.string().trim().min(1).max(300).default('АО «НК «ҚазАвтоЖол»'),
});

/** Validates the variables; a bad value throws ConfigError naming it. */
export function loadRoadSettings(env: Readonly<Record<string, string | undefined>>): RoadSettings {
  const c = parseSettings(schema, env);
  return {
    blackSpot: { epsM: c.TARTIP_TRAFFIC_BLACKSPOT_EPS_M, minCrashes: c.TARTIP_TRAFFIC_BLACKSPOT_MIN_CRASHES, days: c.TARTIP_TRAFFIC_BLACKSPOT_DAYS },
    defect: {
      deadlineH: {
        critical: c.TARTIP_TRAFFIC_DEFECT_DEADLINE_CRITICAL_H,
        high: c.TARTIP_TRAFFIC_DEFECT_DEADLINE_HIGH_H,
        medium: c.TARTIP_TRAFFIC_DEFECT_DEADLINE_MEDIUM_H,
        low: c.TARTIP_TRAFFIC_DEFECT_DEADLINE_LOW_H,
      },
      checkIntervalS: c.TARTIP_TRAFFIC_DEFECT_CHECK_INTERVAL_S,
      incidentSeverity: c.TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY === 'none' ? null : c.TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY,
      citizenSeverity: c.TARTIP_TRAFFIC_DEFECT_CITIZEN_SEVERITY,
      nationalOrg: c.TARTIP_TRAFFIC_DEFECT_NATIONAL_ORG,
    },
  };
}

const runtimes = new WeakMap<object, RoadSettings>();

/** The settings of a kernel, validated once. */
export function roadSettings(kernel: { config: { env?: Readonly<Record<string, string | undefined>> } }): RoadSettings {
  let s = runtimes.get(kernel);
  if (!s) {
    s = loadRoadSettings(kernel.config.env ?? process.env);
    runtimes.set(kernel, s);
  }
  return s;
}
