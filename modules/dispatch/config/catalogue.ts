/**
 * Versioned dispatch configuration: incident types with their default priority, response targets per priority,
 * and the defaults of the timers and the travel-time model. Reviewed like code; a change bumps `CATALOGUE_VERSION`
 * and is recorded on every incident (`config_version`), so a past SLA verdict can be explained with the rules of
 * its day. Values can be overridden per deployment with `TARTIP_DISPATCH_*` variables (`config/settings.ts`).
 */
export const CATALOGUE_VERSION = '2026-11-24.1';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface IncidentType {
  code: string;
  priority: Priority;
  /** APCO ANS 2.103.1-2012 common incident type (EIDO `incidentTypeCommonRegistryText`). */
  apco: string;
  name: { ru: string; kk: string; en: string };
}

/**
 * Codes are shared with `reports` (Open311 `service_code`): a citizen report arrives with the same category and,
 * by default, the same priority. `panic` and `camera-alert` are raised by systems, not citizens.
 */
export const INCIDENT_TYPES: readonly IncidentType[] = [
  { code: 'theft', priority: 'P2', apco: 'THEFT', name: { ru: 'Кража', kk: 'Ұрлық', en: 'Theft' } },
  { code: 'robbery', priority: 'P1', apco: 'ROBBERY', name: { ru: 'Грабёж, разбой', kk: 'Тонау, қарақшылық', en: 'Robbery' } },
  { code: 'assault', priority: 'P1', apco: 'ASSAULT', name: { ru: 'Нападение, драка', kk: 'Шабуыл, төбелес', en: 'Assault' } },
  { code: 'domestic-violence', priority: 'P1', apco: 'DOMESTIC', name: { ru: 'Бытовое насилие', kk: 'Тұрмыстық зорлық-зомбылық', en: 'Domestic violence' } },
  { code: 'hooliganism', priority: 'P3', apco: 'DISTURB', name: { ru: 'Хулиганство', kk: 'Бұзақылық', en: 'Hooliganism' } },
  { code: 'drugs', priority: 'P3', apco: 'DRUGS', name: { ru: 'Наркотики', kk: 'Есірткі', en: 'Drugs' } },
  { code: 'traffic-accident', priority: 'P2', apco: 'ACCIDENT', name: { ru: 'ДТП', kk: 'Жол-көлік оқиғасы', en: 'Traffic accident' } },
  { code: 'dangerous-driving', priority: 'P2', apco: 'TRAFFIC', name: { ru: 'Опасное вождение', kk: 'Қауіпті жүргізу', en: 'Dangerous driving' } },
  { code: 'drunk-driver', priority: 'P2', apco: 'DUI', name: { ru: 'Нетрезвый водитель', kk: 'Мас жүргізуші', en: 'Drunk driver' } },
  { code: 'road-defect', priority: 'P4', apco: 'HAZARD', name: { ru: 'Дефект дороги', kk: 'Жол ақауы', en: 'Road defect' } },
  { code: 'illegal-parking', priority: 'P4', apco: 'PARKING', name: { ru: 'Неправильная парковка', kk: 'Заңсыз тұрақ', en: 'Illegal parking' } },
  { code: 'noise', priority: 'P4', apco: 'NOISE', name: { ru: 'Шум', kk: 'Шу', en: 'Noise' } },
  { code: 'missing-person', priority: 'P2', apco: 'MISSING', name: { ru: 'Пропал человек', kk: 'Адам жоғалды', en: 'Missing person' } },
  { code: 'suspicious-object', priority: 'P1', apco: 'SUSPPKG', name: { ru: 'Подозрительный предмет', kk: 'Күдікті зат', en: 'Suspicious object' } },
  { code: 'other', priority: 'P3', apco: 'OTHER', name: { ru: 'Другое', kk: 'Басқа', en: 'Other' } },
  { code: 'panic', priority: 'P1', apco: 'OFFICER', name: { ru: 'Тревожная кнопка сотрудника', kk: 'Қызметкердің дабыл түймесі', en: 'Officer panic' } },
  { code: 'camera-alert', priority: 'P2', apco: 'ALARM', name: { ru: 'Сигнал видеоаналитики', kk: 'Бейнеталдау дабылы', en: 'Camera alert' } },
];

/** Kinds of unit (EIDO `unitType`); run cards (`runcards.ts`) ask for these. */
export const UNIT_TYPES = ['PATROL_CAR', 'FOOT_PATROL', 'NATIONAL_GUARD', 'TRAFFIC_POLICE'] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export const INCIDENT_TYPE_CODES = INCIDENT_TYPES.map((t) => t.code) as [string, ...string[]];
export const incidentType = (code: string): IncidentType | undefined => INCIDENT_TYPES.find((t) => t.code === code);

export interface ResponseTarget {
  /** Received → first unit dispatched, seconds. */
  dispatchS: number;
  /** Received → first unit on scene, seconds (city). */
  onSceneS: number;
}

/**
 * Response targets per priority (see shared reference ops-center.md §4; no Kazakh target is published, §3):
 * - P1 dispatch ≤ 60 s: NFPA 1225 (2022) call processing, answer → first unit dispatched ≤ 60 s for 90 %.
 *   P1 on scene ≤ 10 min: CMPD P1 total 10 min (hold ≤ 3 + drive ≤ 7); Fort Collins P1 target 5:15 is stricter.
 * - P2 dispatch ≤ 3 min: CMPD's P1 hold limit, used as the ceiling for urgent-but-not-immediate calls.
 *   P2 on scene ≤ 15 min: London Met I-grade (immediate) attendance ≤ 15 min.
 * - P3 dispatch ≤ 10 min, on scene ≤ 20 min: CMPD P3 (10 + 10 = 20 min).
 * - P4 dispatch ≤ 30 min, on scene ≤ 60 min: CMPD P5 hold 30 min; Met S-grade attendance ≤ 60 min.
 */
export const RESPONSE_TARGETS: Record<Priority, ResponseTarget> = {
  P1: { dispatchS: 60, onSceneS: 600 },
  P2: { dispatchS: 180, onSceneS: 900 },
  P3: { dispatchS: 600, onSceneS: 1200 },
  P4: { dispatchS: 1800, onSceneS: 3600 },
};

export const DEFAULTS = {
  /** A dispatched unit that has not acknowledged (EN_ROUTE) within this is escalated (NowForce responder-accept timeout). */
  unitAckTimeoutS: 60,
  /** A unit whose last position is older than this is stale: not recommended, flagged on the console. */
  telemetryStaleS: 120,
  /** An alert no operator has acknowledged within this goes to the supervisors (a panic: half of it). */
  escalateAfterS: 120,
  /** Effective city speed for the great-circle estimate, km/h. */
  citySpeedKmh: 30,
  /** Walking speed of foot patrols, km/h. */
  footSpeedKmh: 5,
  /** Road distance ≈ straight line × this (urban detour factor). */
  detourFactor: 1.3,
  /** How often the SLA / staleness job runs, ms. */
  timerIntervalMs: 5000,
  /** How many nearest units a panic alerts. */
  panicNearestUnits: 3,
  /** Units farther than this (straight line, km) are not recommended. */
  recommendMaxKm: 50,
  /** At most this many recommendations. */
  recommendLimit: 10,
  /**
   * A citizen's report with no earlier report to join, at an exact place, joins an open incident of the same kind this
   * close (an operator's 102 call, a camera's or a panic's), received this recently — as reports' own duplicate rule.
   */
  joinRadiusM: 100,
  joinWindowMin: 15,
  /**
   * Unit positions (`dispatch_position`) older than this are deleted, except each unit's latest. 30 days covers a
   * month of complaints and internal reviews; a deployment under a longer legal hold raises it.
   */
  positionsRetentionDays: 30,
  /** Rows deleted per prune transaction: small enough that a huge backlog never holds locks for long. */
  positionsPruneBatch: 5000,
  /** How often the prune runs, seconds (on the kernel's clock). */
  positionsPruneEveryS: 900,
  /**
   * How long the MQTT broker keeps the intake's session (subscriptions and queued QoS-1 samples) while no
   * process is connected with its client id, seconds: a day covers a restart, a deployment or a night's outage.
   */
  mqttSessionExpiryS: 86_400,
} as const;
