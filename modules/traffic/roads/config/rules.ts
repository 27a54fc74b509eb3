/**
 * Versioned rules of the roads part, reviewed like code; a change bumps the version recorded on each defect.
 * Deployment values (deadlines, clustering radius) can be overridden by `TARTIP_TRAFFIC_*` settings (settings.ts).
 */
export const ROADS_RULES_VERSION = '2026-11-25.1';

/**
 * Defect types. The crack and pothole classes follow RDD2022 (Sekilab, University of Tokyo): D00 longitudinal,
 * D10 transverse, D20 alligator cracking, D40 pothole — so detections of road-damage models map onto them; the
 * rest are what inspectors and citizens report (the Open311 `road-defect` category's `defect_type` values).
 */
export const DEFECT_TYPES = [
  'pothole',
  'crack_longitudinal',
  'crack_transverse',
  'crack_alligator',
  'rutting',
  'manhole',
  'traffic_light',
  'sign',
  'marking',
  'barrier',
  'lighting',
  'other',
] as const;
export type DefectType = (typeof DEFECT_TYPES)[number];

/** RDD2022 class of a type, for exchange with damage-detection models. */
export const RDD_CLASS: Partial<Record<DefectType, string>> = {
  crack_longitudinal: 'D00',
  crack_transverse: 'D10',
  crack_alligator: 'D20',
  pothole: 'D40',
};

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

/**
 * Default time to fix, hours, by severity. No Kazakh norm was found in our sources; the anchor is Russia's
 * ГОСТ Р 50597-2017, which gives 1 to 12 days for potholes by road category [verify]. A critical defect (an open
 * manhole, a dark traffic light) is a danger now: one day.
 */
export const DEFAULT_DEADLINE_H: Record<Severity, number> = { critical: 24, high: 72, medium: 168, low: 720 };

/**
 * A citizen's report carries a type at best (the `defect_type` attribute), not a severity: some types are dangerous
 * by themselves; the rest get the configured default until an inspector looks.
 */
export const CITIZEN_SEVERITY_BY_TYPE: Partial<Record<DefectType, Severity>> = { manhole: 'critical', traffic_light: 'high' };

/** The `road-defect` category's `defect_type` values (modules/reports/config/categories.ts) → our types. */
export const CITIZEN_TYPE: Record<string, DefectType> = { pothole: 'pothole', manhole: 'manhole', traffic_light: 'traffic_light', sign: 'sign', other: 'other' };

/**
 * Black-spot severity: equivalent property-damage-only crashes (EPDO), each crash weighted by its worst outcome.
 * The Highway Safety Manual derives such weights from crash costs; these round numbers are the programme's.
 */
export const EPDO_WEIGHTS = { fatal: 12, injury: 3, damageOnly: 1 } as const;

export const CRASH_KINDS = ['collision', 'pedestrian', 'cyclist', 'rollover', 'fixed_object', 'motorcycle', 'other'] as const;

/** Kazakhstan's civil time is UTC+5 (one zone since 1 March 2024): years of the statistics begin at 00:00 UTC+5. */
export const KZ_UTC_OFFSET_H = 5;
