import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, parseSettings } from '../../../packages/kernel/src/config.ts';
import { type KztRates, parseKztRates } from '../domain/money.ts';
import { parseChain } from '../domain/passport.ts';
import { CALL_POLICY, TRANSACTION_POLICY } from './policy.ts';

/** The demo shared key: identifiers hashed with it are only for the demo; production refuses to start with it. */
export const DEMO_HASH_KEY = 'tartip-demo-fraud-shared-key-not-for-production';

/** The fraud module's runtime settings: the versioned defaults, overridden by `TARTIP_FRAUD_*` variables. */
export interface FraudSettings {
  /** Shared HMAC-SHA256 key for hashed identifiers (partners hash with the same key). */
  hashKey: string;
  /** STI-CA certificates trusted for STIR/SHAKEN. */
  trustAnchors: X509Certificate[];
  shakenFreshnessS: number;
  shakenAllowHttp: boolean;
  /** Whether an x5u may name a private, loopback or link-local address (a lab; never in production). */
  shakenAllowPrivate: boolean;
  certCacheMs: number;
  certTimeoutMs: number;
  /** Decision records written per batch, and held in memory at most while the database is unreachable. */
  recordBatch: number;
  recordBuffer: number;
  /** Whether decision records are made into rows on a thread of their own (else on the screening thread). */
  recordThread: boolean;
  /** How often the database is probed to leave or enter degraded mode. */
  healthMs: number;
  degradedCall: 'allow' | 'label';
  /** In degraded mode, transfers at or above this amount (KZT) that would be allowed are held. */
  degradedHoldAmount: number;
  callWindowMin: number;
  largeAmount: number;
  /** Tenge per unit of each currency transfers may come in (KZT = 1 always); others are refused. */
  kztRates: KztRates;
  /** Screening requests per partner key per minute. */
  rateLimitPartner: number;
  /** Lines in one bulk import. */
  importMax: number;
  /** How long, and for how many transfers at most, a transfer sent again gets its first decision back. */
  repeatWindowMs: number;
  repeatMax: number;
  /** Transfers read back from the decision log at start to rebuild the payment stream (0: start empty). */
  historyRestoreMax: number;
  /** Risky calls read back from the decision log at start to rebuild the call stream (0: start empty). */
  callRestoreMax: number;
  /**
   * How long after it begins to listen a process waits before it reads the log back, so that what other processes
   * decided just before is in the log by then (their writes trail their decisions); null: 1000 ms on PostgreSQL, 0
   * on PGlite (one process only).
   */
  logSettleMs: number | null;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  TARTIP_FRAUD_HASH_KEY: z.string().min(32).default(DEMO_HASH_KEY),
  TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS: z.string().optional(),
  TARTIP_FRAUD_SHAKEN_FRESHNESS_S: int(1, 3600).default(60),
  TARTIP_FRAUD_SHAKEN_ALLOW_HTTP: bool.default(false),
  TARTIP_FRAUD_SHAKEN_ALLOW_PRIVATE: bool.default(false),
  TARTIP_FRAUD_CERT_CACHE_S: int(0, 86_400).default(3600),
  TARTIP_FRAUD_CERT_TIMEOUT_MS: int(50, 30_000).default(2000),
  TARTIP_FRAUD_RECORD_BATCH: int(1, 10_000).default(500),
  TARTIP_FRAUD_RECORD_BUFFER: int(100, 10_000_000).default(200_000),
  TARTIP_FRAUD_RECORD_THREAD: bool.default(true),
  TARTIP_FRAUD_HEALTH_MS: int(50, 60_000).default(1000),
  TARTIP_FRAUD_DEGRADED_CALL: z.enum(['allow', 'label']).default(CALL_POLICY.degraded),
  TARTIP_FRAUD_DEGRADED_HOLD_AMOUNT: int(0, 1_000_000_000_000).default(100_000),
  TARTIP_FRAUD_CALL_WINDOW_MIN: int(1, 24 * 60).default(TRANSACTION_POLICY.callWindowMin),
  TARTIP_FRAUD_LARGE_AMOUNT: int(1, 1_000_000_000_000).default(TRANSACTION_POLICY.largeAmount),
  TARTIP_FRAUD_KZT_RATES: z.string().max(4000).default(''),
  TARTIP_FRAUD_RATE_LIMIT_PARTNER: int(1, 100_000_000).default(1_200_000),
  TARTIP_FRAUD_IMPORT_MAX: int(1, 1_000_000).default(100_000),
  TARTIP_FRAUD_REPEAT_WINDOW_S: int(0, 86_400).default(600),
  TARTIP_FRAUD_REPEAT_MAX: int(0, 10_000_000).default(50_000),
  TARTIP_FRAUD_HISTORY_RESTORE_MAX: int(0, 100_000_000).default(2_000_000),
  TARTIP_FRAUD_CALL_RESTORE_MAX: int(0, 100_000_000).default(1_000_000),
  TARTIP_FRAUD_LOG_SETTLE_MS: int(0, 60_000).optional(),
});

/** Validates the `TARTIP_FRAUD_*` variables; a bad value throws ConfigError naming it (the process refuses to start). */
export function loadFraudSettings(env: Readonly<Record<string, string | undefined>>, mode: 'embedded' | 'production'): FraudSettings {
  const c = parseSettings(schema, env);
  if (mode === 'production' && c.TARTIP_FRAUD_HASH_KEY === DEMO_HASH_KEY) {
    throw new ConfigError([{ variable: 'TARTIP_FRAUD_HASH_KEY', message: 'production mode needs the shared key agreed with partners' }]);
  }
  let kztRates: KztRates;
  try {
    kztRates = parseKztRates(c.TARTIP_FRAUD_KZT_RATES);
  } catch (e) {
    throw new ConfigError([{ variable: 'TARTIP_FRAUD_KZT_RATES', message: (e as Error).message }]);
  }
  const trustAnchors: X509Certificate[] = [];
  for (const file of (c.TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      const certs = parseChain(readFileSync(file, 'utf8'));
      if (certs.length === 0) throw new Error('no certificate');
      trustAnchors.push(...certs);
    } catch (e) {
      throw new ConfigError([{ variable: 'TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS', message: `${file}: ${(e as Error).message}` }]);
    }
  }
  return {
    hashKey: c.TARTIP_FRAUD_HASH_KEY,
    trustAnchors,
    shakenFreshnessS: c.TARTIP_FRAUD_SHAKEN_FRESHNESS_S,
    shakenAllowHttp: c.TARTIP_FRAUD_SHAKEN_ALLOW_HTTP,
    shakenAllowPrivate: c.TARTIP_FRAUD_SHAKEN_ALLOW_PRIVATE,
    certCacheMs: c.TARTIP_FRAUD_CERT_CACHE_S * 1000,
    certTimeoutMs: c.TARTIP_FRAUD_CERT_TIMEOUT_MS,
    recordBatch: c.TARTIP_FRAUD_RECORD_BATCH,
    recordBuffer: c.TARTIP_FRAUD_RECORD_BUFFER,
    recordThread: c.TARTIP_FRAUD_RECORD_THREAD,
    healthMs: c.TARTIP_FRAUD_HEALTH_MS,
    degradedCall: c.TARTIP_FRAUD_DEGRADED_CALL,
    degradedHoldAmount: c.TARTIP_FRAUD_DEGRADED_HOLD_AMOUNT,
    callWindowMin: c.TARTIP_FRAUD_CALL_WINDOW_MIN,
    largeAmount: c.TARTIP_FRAUD_LARGE_AMOUNT,
    kztRates,
    rateLimitPartner: c.TARTIP_FRAUD_RATE_LIMIT_PARTNER,
    importMax: c.TARTIP_FRAUD_IMPORT_MAX,
    repeatWindowMs: c.TARTIP_FRAUD_REPEAT_WINDOW_S * 1000,
    repeatMax: c.TARTIP_FRAUD_REPEAT_MAX,
    historyRestoreMax: c.TARTIP_FRAUD_HISTORY_RESTORE_MAX,
    callRestoreMax: c.TARTIP_FRAUD_CALL_RESTORE_MAX,
    logSettleMs: c.TARTIP_FRAUD_LOG_SETTLE_MS ?? null,
  };
}
