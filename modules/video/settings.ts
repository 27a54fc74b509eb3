import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, parseSettings } from '../../packages/kernel/src/config.ts';
import { mqttClientIdFor } from '../../packages/kernel/src/mqtt-intake.ts';

/**
 * The video module's settings (`TARTIP_VIDEO_*`, plus the platform's `TARTIP_MQTT_URL`). A bad value stops the start
 * naming the variable.
 */
export interface VideoSettings {
  /** Face embedding dimension (CompreFace / ArcFace-style models: 512; the `human` provider: 1024). */
  embeddingDim: number;
  /** Who computes embeddings on the server from reference images: nobody (`none`: clients send them) or `human`. */
  embeddingProvider: EmbeddingProviderName;
  /** Cosine similarity at or above which a face matches a watchlist entry. */
  matchThreshold: number;
  /** Up to this many live entries the search is exact; above it, the IVF index. */
  exactMax: number;
  /** IVF cells scanned per query. */
  ivfProbe: number;
  /** Face events that matched nothing are deleted this long after they happened. */
  unmatchedRetentionMs: number;
  /** A camera silent for heartbeat × this factor is reported silent. */
  silenceFactor: number;
  /** How often silence, retention and the watchlist index are checked. */
  checkMs: number;
  /** Lines per NDJSON batch. */
  maxLines: number;
  /** Events stamped further in the future than this are refused. */
  maxFutureSkewMs: number;
  /** A Frigate object with one of these labels (an abandoned-object rule's default), stationary this long in a watched zone, is abandoned. */
  abandonedLabels: string[];
  abandonedDwellS: number;
  mqttUrl: string | null;
  /** The platform's MQTT topic prefix: the shared-subscription group is `<prefix>-video`. */
  mqttTopicPrefix: string;
  frigateTopicPrefix: string;
  /** ONVIF event broker topics (`<TopicPrefix>/onvif-ej/…`) subscribed to: a filter such as `+/onvif-ej/#`. */
  onvifTopic: string;
  doubleTakeTopicPrefix: string;
  mqttClientId: string;
  mqttSessionExpiryS: number;
}

export const EMBEDDING_PROVIDERS = ['none', 'human'] as const;
export type EmbeddingProviderName = (typeof EMBEDDING_PROVIDERS)[number];
/** The dimension each server-side provider computes (`human`: faceres, 1024 values). */
export const PROVIDER_DIMS: Record<Exclude<EmbeddingProviderName, 'none'>, number> = { human: 1024 };

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const schema = z.object({
  TARTIP_VIDEO_EMBEDDING_DIM: int(16, 4096).default(512),
  TARTIP_VIDEO_EMBEDDING_PROVIDER: z.enum(EMBEDDING_PROVIDERS).default('none'),
  TARTIP_VIDEO_MATCH_THRESHOLD: z.coerce.number().min(0.1).max(1).default(0.6),
  TARTIP_VIDEO_EXACT_MAX: int(0, 10_000_000).default(20_000),
  TARTIP_VIDEO_IVF_PROBE: int(1, 4096).default(32),
  TARTIP_VIDEO_UNMATCHED_RETENTION_H: int(1, 24 * 365).default(72),
  TARTIP_VIDEO_SILENCE_FACTOR: z.coerce.number().min(1).max(100).default(3),
  TARTIP_VIDEO_CHECK_MS: int(50, 3_600_000).default(15_000),
  TARTIP_VIDEO_MAX_LINES: int(1, 200_000).default(50_000),
  TARTIP_VIDEO_MAX_FUTURE_SKEW_S: int(0, 3600).default(300),
  TARTIP_VIDEO_ABANDONED_LABELS: z
    .string()
    .regex(/^[a-z_ ]+(,[a-z_ ]+)*$/)
    .default('backpack,suitcase,handbag'),
  TARTIP_VIDEO_ABANDONED_DWELL_S: int(5, 86_400).default(120),
  TARTIP_MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\/\S+$/, 'expected mqtt://host:port (or mqtts://, ws://, wss://)')
    .optional(),
  TARTIP_MQTT_TOPIC_PREFIX: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected 1–64 of a-z 0-9 _ -').default('tartip'),
  TARTIP_VIDEO_FRIGATE_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9_/-]{1,64}$/).default('frigate'),
  TARTIP_VIDEO_ONVIF_TOPIC: z.string().regex(/^[A-Za-z0-9_/+-]{1,64}\/onvif-ej\/#$/).default('+/onvif-ej/#'),
  TARTIP_VIDEO_DOUBLE_TAKE_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9_/-]{1,64}$/).default('double-take'),
  TARTIP_VIDEO_MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/).optional(),
  TARTIP_VIDEO_MQTT_SESSION_EXPIRY_S: int(60, 30 * 86_400).default(86_400),
});

export function loadVideoSettings(env: Readonly<Record<string, string | undefined>>): VideoSettings {
  const c = parseSettings(schema, env);
  const provider = c.TARTIP_VIDEO_EMBEDDING_PROVIDER;
  if (provider !== 'none' && PROVIDER_DIMS[provider] !== c.TARTIP_VIDEO_EMBEDDING_DIM) {
    throw new ConfigError([
      {
        variable: 'TARTIP_VIDEO_EMBEDDING_DIM',
        message: `TARTIP_VIDEO_EMBEDDING_PROVIDER=${provider} computes ${PROVIDER_DIMS[provider]} values; set TARTIP_VIDEO_EMBEDDING_DIM=${PROVIDER_DIMS[provider]} (it is ${c.TARTIP_VIDEO_EMBEDDING_DIM})`,
      },
    ]);
  }
  return {
    embeddingDim: c.TARTIP_VIDEO_EMBEDDING_DIM,
    embeddingProvider: provider,
    matchThreshold: c.TARTIP_VIDEO_MATCH_THRESHOLD,
    exactMax: c.TARTIP_VIDEO_EXACT_MAX,
    ivfProbe: c.TARTIP_VIDEO_IVF_PROBE,
    unmatchedRetentionMs: c.TARTIP_VIDEO_UNMATCHED_RETENTION_H * 3_600_000,
    silenceFactor: c.TARTIP_VIDEO_SILENCE_FACTOR,
    checkMs: c.TARTIP_VIDEO_CHECK_MS,
    maxLines: c.TARTIP_VIDEO_MAX_LINES,
    maxFutureSkewMs: c.TARTIP_VIDEO_MAX_FUTURE_SKEW_S * 1000,
    abandonedLabels: c.TARTIP_VIDEO_ABANDONED_LABELS.split(',').map((s) => s.trim()),
    abandonedDwellS: c.TARTIP_VIDEO_ABANDONED_DWELL_S,
    mqttUrl: c.TARTIP_MQTT_URL ?? null,
    mqttTopicPrefix: c.TARTIP_MQTT_TOPIC_PREFIX,
    frigateTopicPrefix: c.TARTIP_VIDEO_FRIGATE_TOPIC_PREFIX,
    onvifTopic: c.TARTIP_VIDEO_ONVIF_TOPIC,
    doubleTakeTopicPrefix: c.TARTIP_VIDEO_DOUBLE_TAKE_TOPIC_PREFIX,
    // The topic prefix is part of the default id, so deployments (and test runs) sharing a broker keep their own sessions.
    mqttClientId: c.TARTIP_VIDEO_MQTT_CLIENT_ID ?? mqttClientIdFor(`video-${c.TARTIP_MQTT_TOPIC_PREFIX}`, hostname(), env.PORT),
    mqttSessionExpiryS: c.TARTIP_VIDEO_MQTT_SESSION_EXPIRY_S,
  };
}
