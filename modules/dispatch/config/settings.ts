import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseSettings } from '../../../packages/kernel/src/config.ts';
import { REPO_ROOT } from '../../../packages/kernel/src/kernel.ts';
import { DEFAULTS, type Priority, RESPONSE_TARGETS, type ResponseTarget } from './catalogue.ts';
import { mqttClientIdFor } from '../../../packages/kernel/src/mqtt-intake.ts';

/** The dispatch module's runtime settings: the versioned catalogue, overridden by `TARTIP_DISPATCH_*` variables. */
export interface DispatchSettings {
  targets: Record<Priority, ResponseTarget>;
  unitAckTimeoutS: number;
  telemetryStaleS: number;
  /** An alert unacknowledged this long is escalated to the supervisors (a panic after half of it). */
  escalateAfterS: number;
  citySpeedKmh: number;
  footSpeedKmh: number;
  detourFactor: number;
  timerIntervalMs: number;
  panicNearestUnits: number;
  recommendMaxKm: number;
  recommendLimit: number;
  /** How close and how recent an open incident must be for a citizen's report to join it (0 m: never). */
  joinRadiusM: number;
  joinWindowMin: number;
  /** `.osm.pbf` whose drivable roads are loaded at start for travel-time ranking; null = great-circle only. */
  roadNetwork: string | null;
  /** MQTT broker for unit trackers and smart badges; null = no MQTT intake. */
  mqttUrl: string | null;
  /** Topic root: `<prefix>/units/+/telemetry` and `<prefix>/units/+/panic`. */
  mqttTopicPrefix: string;
  /**
   * The intake's MQTT client id: its persistent session on the broker. Stable across restarts of one process and
   * different for every process (two processes with one id keep taking the session from each other).
   */
  mqttClientId: string;
  /** How long the broker keeps the session, and the QoS-1 samples queued for it, while the process is away. */
  mqttSessionExpiryS: number;
  /** Positions older than this many days are pruned (each unit's latest is kept). */
  positionsRetentionDays: number;
}

/** `tartip-dispatch-<host>-<port>`: stable for a process on its host, different for two processes on one host. */
export const defaultMqttClientId = (host: string, port: string | undefined): string => mqttClientIdFor('dispatch', host, port);

const seconds = (max: number) => z.coerce.number().int().min(1).max(max);
const positive = (max: number) => z.coerce.number().positive().max(max);

const schema = z.object({
  TARTIP_DISPATCH_P1_DISPATCH_S: seconds(86_400).default(RESPONSE_TARGETS.P1.dispatchS),
  TARTIP_DISPATCH_P1_ON_SCENE_S: seconds(86_400).default(RESPONSE_TARGETS.P1.onSceneS),
  TARTIP_DISPATCH_P2_DISPATCH_S: seconds(86_400).default(RESPONSE_TARGETS.P2.dispatchS),
  TARTIP_DISPATCH_P2_ON_SCENE_S: seconds(86_400).default(RESPONSE_TARGETS.P2.onSceneS),
  TARTIP_DISPATCH_P3_DISPATCH_S: seconds(86_400).default(RESPONSE_TARGETS.P3.dispatchS),
  TARTIP_DISPATCH_P3_ON_SCENE_S: seconds(86_400).default(RESPONSE_TARGETS.P3.onSceneS),
  TARTIP_DISPATCH_P4_DISPATCH_S: seconds(86_400).default(RESPONSE_TARGETS.P4.dispatchS),
  TARTIP_DISPATCH_P4_ON_SCENE_S: seconds(86_400).default(RESPONSE_TARGETS.P4.onSceneS),
  TARTIP_DISPATCH_ACK_TIMEOUT_S: seconds(3600).default(DEFAULTS.unitAckTimeoutS),
  TARTIP_DISPATCH_STALE_AFTER_S: seconds(86_400).default(DEFAULTS.telemetryStaleS),
  TARTIP_DISPATCH_ESCALATE_AFTER_S: seconds(86_400).default(DEFAULTS.escalateAfterS),
  TARTIP_DISPATCH_CITY_SPEED_KMH: positive(200).default(DEFAULTS.citySpeedKmh),
  TARTIP_DISPATCH_FOOT_SPEED_KMH: positive(20).default(DEFAULTS.footSpeedKmh),
  TARTIP_DISPATCH_DETOUR_FACTOR: z.coerce.number().min(1).max(5).default(DEFAULTS.detourFactor),
  TARTIP_DISPATCH_TIMER_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(DEFAULTS.timerIntervalMs),
  TARTIP_DISPATCH_PANIC_NEAREST: z.coerce.number().int().min(0).max(50).default(DEFAULTS.panicNearestUnits),
  TARTIP_DISPATCH_RECOMMEND_MAX_KM: positive(2000).default(DEFAULTS.recommendMaxKm),
  TARTIP_DISPATCH_RECOMMEND_LIMIT: z.coerce.number().int().min(1).max(100).default(DEFAULTS.recommendLimit),
  TARTIP_DISPATCH_JOIN_RADIUS_M: z.coerce.number().int().min(0).max(5000).default(DEFAULTS.joinRadiusM),
  TARTIP_DISPATCH_JOIN_WINDOW_MIN: z.coerce.number().int().min(1).max(24 * 60).default(DEFAULTS.joinWindowMin),
  TARTIP_DISPATCH_ROAD_NETWORK: z
    .string()
    .min(1)
    .transform((p) => (isAbsolute(p) ? p : resolve(REPO_ROOT, p)))
    .refine((p) => existsSync(p), 'file not found')
    .refine((p) => p.endsWith('.osm.pbf'), 'expected a .osm.pbf file')
    .optional(),
  TARTIP_MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\/\S+$/, 'expected mqtt://host:port (or mqtts://, ws://, wss://)')
    .optional(),
  TARTIP_MQTT_TOPIC_PREFIX: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected 1–64 of a-z 0-9 _ -').default('tartip'),
  TARTIP_DISPATCH_MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1–128 of A-Z a-z 0-9 _ . : -').optional(),
  // At least a minute (0 would end the session at every disconnect); at most 30 days.
  TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: z.coerce.number().int().min(60).max(30 * 86_400).default(DEFAULTS.mqttSessionExpiryS),
  TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULTS.positionsRetentionDays),
});

/** Validates the `TARTIP_DISPATCH_*` and `TARTIP_MQTT_*` variables; a bad value throws ConfigError naming it. */
export function loadDispatchSettings(env: Readonly<Record<string, string | undefined>>): DispatchSettings {
  const c = parseSettings(schema, env);
  return {
    targets: {
      P1: { dispatchS: c.TARTIP_DISPATCH_P1_DISPATCH_S, onSceneS: c.TARTIP_DISPATCH_P1_ON_SCENE_S },
      P2: { dispatchS: c.TARTIP_DISPATCH_P2_DISPATCH_S, onSceneS: c.TARTIP_DISPATCH_P2_ON_SCENE_S },
      P3: { dispatchS: c.TARTIP_DISPATCH_P3_DISPATCH_S, onSceneS: c.TARTIP_DISPATCH_P3_ON_SCENE_S },
      P4: { dispatchS: c.TARTIP_DISPATCH_P4_DISPATCH_S, onSceneS: c.TARTIP_DISPATCH_P4_ON_SCENE_S },
    },
    unitAckTimeoutS: c.TARTIP_DISPATCH_ACK_TIMEOUT_S,
    telemetryStaleS: c.TARTIP_DISPATCH_STALE_AFTER_S,
    escalateAfterS: c.TARTIP_DISPATCH_ESCALATE_AFTER_S,
    citySpeedKmh: c.TARTIP_DISPATCH_CITY_SPEED_KMH,
    footSpeedKmh: c.TARTIP_DISPATCH_FOOT_SPEED_KMH,
    detourFactor: c.TARTIP_DISPATCH_DETOUR_FACTOR,
    timerIntervalMs: c.TARTIP_DISPATCH_TIMER_INTERVAL_MS,
    panicNearestUnits: c.TARTIP_DISPATCH_PANIC_NEAREST,
    recommendMaxKm: c.TARTIP_DISPATCH_RECOMMEND_MAX_KM,
    recommendLimit: c.TARTIP_DISPATCH_RECOMMEND_LIMIT,
    joinRadiusM: c.TARTIP_DISPATCH_JOIN_RADIUS_M,
    joinWindowMin: c.TARTIP_DISPATCH_JOIN_WINDOW_MIN,
    roadNetwork: c.TARTIP_DISPATCH_ROAD_NETWORK ?? null,
    mqttUrl: c.TARTIP_MQTT_URL ?? null,
    mqttTopicPrefix: c.TARTIP_MQTT_TOPIC_PREFIX,
    mqttClientId: c.TARTIP_DISPATCH_MQTT_CLIENT_ID ?? defaultMqttClientId(hostname(), env.PORT),
    mqttSessionExpiryS: c.TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S,
    positionsRetentionDays: c.TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS,
  };
}
