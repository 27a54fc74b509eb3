import { hostname } from 'node:os';
import { z } from 'zod';
import { parseSettings } from '../../../packages/kernel/src/config.ts';
import type { VehicleClass } from '../contract.ts';
import { VEHICLE_CLASSES } from '../domain/formats.ts';
import { mqttClientIdFor } from '../../../packages/kernel/src/mqtt-intake.ts';

/**
 * The traffic module's runtime settings (`TARTIP_TRAFFIC_*`, plus the platform's `TARTIP_MQTT_URL` and
 * `TARTIP_MQTT_TOPIC_PREFIX`). A bad value stops the start naming the variable. Defaults follow Kazakhstan's
 * rules: a 10 km/h tolerance (КоАП art. 592 punishes from +10 km/h), no percentage.
 */
export interface TrafficSettings {
  /** Tolerance per class: a violation only above limit + max(kmh, percent × speed). */
  tolerance: { kmh: number[]; percent: number[] };
  /** Allowed lateness of a read behind the newest in-sync read (the watermark). */
  watermarkMs: number;
  /** The same plate at the same camera of a section within this is one passage. */
  dedupeMs: number;
  /** Pairs faster than this are misreads or cloned plates, never violations. */
  maxPlausibleKmh: number;
  /** A sync report vouches for a camera's clock this long. */
  syncValidMs: number;
  /** Largest clock offset counted as in sync. */
  maxClockOffsetMs: number;
  /** Reads stamped further in the future than this are refused. */
  maxFutureSkewMs: number;
  /** Reads with no violation are purged after this (privacy; at least the longest travel time). */
  readRetentionMs: number;
  /** How often the engine's watermark follows the clock and old reads are purged. */
  tickMs: number;
  /** Lines per NDJSON batch. */
  maxLines: number;
  /** A confirmed fine is due this many days after confirmation; unpaid after that, it counts in «Қорғау». */
  paymentTermDays: number;
  mqttUrl: string | null;
  mqttTopicPrefix: string;
  /** Frigate's MQTT topic prefix (`frigate` unless changed in Frigate's config). */
  frigateTopicPrefix: string;
  /** The MQTT session this process resumes (persistent: reads sent while it is down wait at the broker). */
  mqttClientId: string;
  mqttSessionExpiryS: number;
}

const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const upper = (c: VehicleClass) => c.toUpperCase();

const perClass = Object.fromEntries(
  VEHICLE_CLASSES.flatMap((c) => [
    [`TARTIP_TRAFFIC_TOLERANCE_KMH_${upper(c)}`, num(0, 100).optional()],
    [`TARTIP_TRAFFIC_TOLERANCE_PERCENT_${upper(c)}`, num(0, 50).optional()],
  ]),
) as Record<string, z.ZodOptional<z.ZodCoercedNumber>>;

const schema = z.object({
  TARTIP_TRAFFIC_TOLERANCE_KMH: num(0, 100).default(10),
  TARTIP_TRAFFIC_TOLERANCE_PERCENT: num(0, 50).default(0),
  ...perClass,
  TARTIP_TRAFFIC_WATERMARK_S: int(0, 3600).default(120),
  TARTIP_TRAFFIC_DEDUPE_S: int(0, 600).default(10),
  TARTIP_TRAFFIC_PAYMENT_TERM_DAYS: int(1, 365).default(30),
  TARTIP_TRAFFIC_MAX_PLAUSIBLE_KMH: num(100, 1000).default(300),
  TARTIP_TRAFFIC_SYNC_VALID_S: int(1, 30 * 86_400).default(3600),
  TARTIP_TRAFFIC_MAX_CLOCK_OFFSET_MS: int(0, 60_000).default(500),
  TARTIP_TRAFFIC_MAX_FUTURE_SKEW_S: int(0, 3600).default(300),
  TARTIP_TRAFFIC_READ_RETENTION_H: int(1, 24 * 3650).default(168),
  TARTIP_TRAFFIC_TICK_MS: int(50, 600_000).default(1000),
  TARTIP_TRAFFIC_MAX_LINES: int(1, 200_000).default(50_000),
  TARTIP_MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\/\S+$/, 'expected mqtt://host:port (or mqtts://, ws://, wss://)')
    .optional(),
  TARTIP_MQTT_TOPIC_PREFIX: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected 1–64 of a-z 0-9 _ -').default('tartip'),
  TARTIP_TRAFFIC_MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected 1–128 of A-Z a-z 0-9 _ . -').optional(),
  TARTIP_TRAFFIC_MQTT_SESSION_EXPIRY_S: int(60, 30 * 86_400).default(86_400),
  TARTIP_TRAFFIC_FRIGATE_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9_/-]{1,64}$/, 'expected 1–64 of A-Z a-z 0-9 _ - /').default('frigate'),
});

export function loadTrafficSettings(env: Readonly<Record<string, string | undefined>>): TrafficSettings {
  const c = parseSettings(schema, env) as z.infer<typeof schema> & Record<string, number | undefined>;
  return {
    tolerance: {
      kmh: VEHICLE_CLASSES.map((k) => c[`TARTIP_TRAFFIC_TOLERANCE_KMH_${upper(k)}`] ?? c.TARTIP_TRAFFIC_TOLERANCE_KMH),
      percent: VEHICLE_CLASSES.map((k) => c[`TARTIP_TRAFFIC_TOLERANCE_PERCENT_${upper(k)}`] ?? c.TARTIP_TRAFFIC_TOLERANCE_PERCENT),
    },
    watermarkMs: c.TARTIP_TRAFFIC_WATERMARK_S * 1000,
    dedupeMs: c.TARTIP_TRAFFIC_DEDUPE_S * 1000,
    paymentTermDays: c.TARTIP_TRAFFIC_PAYMENT_TERM_DAYS,
    maxPlausibleKmh: c.TARTIP_TRAFFIC_MAX_PLAUSIBLE_KMH,
    syncValidMs: c.TARTIP_TRAFFIC_SYNC_VALID_S * 1000,
    maxClockOffsetMs: c.TARTIP_TRAFFIC_MAX_CLOCK_OFFSET_MS,
    maxFutureSkewMs: c.TARTIP_TRAFFIC_MAX_FUTURE_SKEW_S * 1000,
    readRetentionMs: c.TARTIP_TRAFFIC_READ_RETENTION_H * 3_600_000,
    tickMs: c.TARTIP_TRAFFIC_TICK_MS,
    maxLines: c.TARTIP_TRAFFIC_MAX_LINES,
    mqttUrl: c.TARTIP_MQTT_URL ?? null,
    mqttTopicPrefix: c.TARTIP_MQTT_TOPIC_PREFIX,
    frigateTopicPrefix: c.TARTIP_TRAFFIC_FRIGATE_TOPIC_PREFIX,
    mqttClientId: (c.TARTIP_TRAFFIC_MQTT_CLIENT_ID as string | undefined) ?? mqttClientIdFor('traffic', hostname(), env.PORT),
    mqttSessionExpiryS: c.TARTIP_TRAFFIC_MQTT_SESSION_EXPIRY_S,
  };
}
