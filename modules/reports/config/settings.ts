import { z } from 'zod';
import { parseSettings } from '../../../packages/kernel/src/config.ts';
import { DUPLICATE_DEFAULTS } from './categories.ts';

/** The reports module's runtime settings: the versioned defaults, overridden by `TARTIP_REPORTS_*` variables. */
export interface ReportsSettings {
  duplicateRadiusM: number;
  duplicateWindowMin: number;
  /** Public (web) submissions per client address per minute. */
  rateLimitIp: number;
  /** Submissions per partner key per minute. */
  rateLimitPartner: number;
  /** Submissions per device id, and per contact phone, per hour. */
  rateLimitDevice: number;
  /** Webhook delivery: first retry delay (doubles each attempt, capped at an hour), attempts before giving up. */
  webhookBackoffMs: number;
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
  webhookPollMs: number;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  TARTIP_REPORTS_DUPLICATE_RADIUS_M: int(1, 10_000).default(DUPLICATE_DEFAULTS.radiusM),
  TARTIP_REPORTS_DUPLICATE_WINDOW_MIN: int(1, 1440).default(DUPLICATE_DEFAULTS.windowMin),
  TARTIP_REPORTS_RATE_LIMIT_IP: int(1, 1_000_000).default(120),
  TARTIP_REPORTS_RATE_LIMIT_PARTNER: int(1, 10_000_000).default(6000),
  TARTIP_REPORTS_RATE_LIMIT_DEVICE: int(1, 100_000).default(20),
  TARTIP_REPORTS_WEBHOOK_BACKOFF_MS: int(10, 3_600_000).default(5000),
  TARTIP_REPORTS_WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(12),
  TARTIP_REPORTS_WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  TARTIP_REPORTS_WEBHOOK_POLL_MS: int(10, 600_000).default(1000),
});

/** Validates the `TARTIP_REPORTS_*` variables; a bad value throws ConfigError naming it (the process refuses to start). */
export function loadReportsSettings(env: Readonly<Record<string, string | undefined>>): ReportsSettings {
  const c = parseSettings(schema, env);
  return {
    duplicateRadiusM: c.TARTIP_REPORTS_DUPLICATE_RADIUS_M,
    duplicateWindowMin: c.TARTIP_REPORTS_DUPLICATE_WINDOW_MIN,
    rateLimitIp: c.TARTIP_REPORTS_RATE_LIMIT_IP,
    rateLimitPartner: c.TARTIP_REPORTS_RATE_LIMIT_PARTNER,
    rateLimitDevice: c.TARTIP_REPORTS_RATE_LIMIT_DEVICE,
    webhookBackoffMs: c.TARTIP_REPORTS_WEBHOOK_BACKOFF_MS,
    webhookMaxAttempts: c.TARTIP_REPORTS_WEBHOOK_MAX_ATTEMPTS,
    webhookTimeoutMs: c.TARTIP_REPORTS_WEBHOOK_TIMEOUT_MS,
    webhookPollMs: c.TARTIP_REPORTS_WEBHOOK_POLL_MS,
  };
}
