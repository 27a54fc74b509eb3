import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Process configuration, read once at start from the environment and, optionally, a JSON file named by
 * `TARTIP_CONFIG` (environment wins). A bad value stops the process with a message naming the variable.
 */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const schema = z
  .object({
    TARTIP_MODE: z.enum(['embedded', 'production']).default('embedded'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    TARTIP_DATA_DIR: z.string().min(1).default('./.tartip'),
    /** PostgreSQL URL; required in production mode. `memory://` runs PGlite in memory (tests). */
    TARTIP_DATABASE_URL: z.string().optional(),
    TARTIP_DATABASE_POOL: z.coerce.number().int().min(1).max(200).default(10),
    /** Embedded: PGlite in its own worker thread (default) or on the server's thread. */
    TARTIP_PGLITE_THREAD: z.enum(['worker', 'main']).default('worker'),
    /** Embedded: PostgreSQL's shared_buffers inside PGlite (its page cache; every page of it stays in the process's memory). */
    TARTIP_PGLITE_SHARED_BUFFERS: z.string().regex(/^[1-9][0-9]*(kB|MB|GB)$/, 'a size such as 32MB').default('32MB'),
    /** NATS URL(s), comma-separated; required in production mode. */
    TARTIP_NATS_URL: z.string().optional(),
    TARTIP_NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('TARTIP'),
    TARTIP_NATS_PREFIX: z.string().regex(/^[a-z0-9_-]+$/).default('tartip'),
    TARTIP_NATS_USER: z.string().min(1).optional(),
    TARTIP_NATS_PASSWORD: z.string().min(1).optional(),
    TARTIP_NATS_TOKEN: z.string().min(1).optional(),
    TARTIP_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).optional(),
    /** Seed demo accounts and partner keys. Default on in embedded mode; refused in production. */
    TARTIP_DEMO: bool.optional(),
    /** HMAC secret for access tokens, ≥ 32 chars; generated and kept in the data dir in embedded mode. */
    TARTIP_JWT_SECRET: z.string().min(32).optional(),
    TARTIP_ACCESS_TOKEN_TTL: z.coerce.number().int().min(60).max(86_400).default(900),
    /** Ed25519 private key (PKCS#8 PEM or base64 DER) that signs audit checkpoints. */
    TARTIP_AUDIT_SIGNING_KEY: z.string().optional(),
    TARTIP_AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).default(1000),
    TARTIP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TARTIP_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
    TARTIP_PUBLIC_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
    TARTIP_API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
    TARTIP_BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
    TARTIP_OUTBOX_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
    TARTIP_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    TARTIP_WEB_DIR: z.string().optional(),
    // An OpenStreetMap extract (.osm.pbf) whose houses, streets and places the geocoder searches (reports filed
    // with an address only); without it, an address is placed only as far as the district it names.
    TARTIP_GAZETTEER_OSM: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.TARTIP_GAZETTEER_OSM && !existsSync(c.TARTIP_GAZETTEER_OSM))
      ctx.addIssue({ code: 'custom', path: ['TARTIP_GAZETTEER_OSM'], message: `file not found: ${c.TARTIP_GAZETTEER_OSM}` });
    if (c.TARTIP_MODE === 'production') {
      if (!c.TARTIP_DATABASE_URL?.startsWith('postgres'))
        ctx.addIssue({ code: 'custom', path: ['TARTIP_DATABASE_URL'], message: 'production mode needs a postgres:// URL' });
      if (!c.TARTIP_NATS_URL) ctx.addIssue({ code: 'custom', path: ['TARTIP_NATS_URL'], message: 'production mode needs NATS' });
      if (!c.TARTIP_JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['TARTIP_JWT_SECRET'], message: 'production mode needs a secret of ≥ 32 characters' });
      if (!c.TARTIP_AUDIT_SIGNING_KEY) ctx.addIssue({ code: 'custom', path: ['TARTIP_AUDIT_SIGNING_KEY'], message: 'production mode needs an Ed25519 key' });
      if (c.TARTIP_DEMO) ctx.addIssue({ code: 'custom', path: ['TARTIP_DEMO'], message: 'demo accounts are refused in production mode' });
    }
  });

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  mode: 'embedded' | 'production';
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePool: number;
  pgliteThread: 'worker' | 'main';
  pgliteSharedBuffers: string;
  natsUrl: string | undefined;
  natsStream: string;
  natsPrefix: string;
  natsUser: string | undefined;
  natsPassword: string | undefined;
  natsToken: string | undefined;
  natsReplicas: number | undefined;
  demo: boolean;
  jwtSecret: string | undefined;
  accessTokenTtl: number;
  auditSigningKey: string | undefined;
  auditCheckpointEvery: number;
  logLevel: RawConfig['TARTIP_LOG_LEVEL'];
  loginRateLimit: number;
  publicRateLimit: number;
  /** How long a partner API key's lookup is reused; a revoked key stops working within this. 0 = never cached. */
  apiKeyCacheSeconds: number;
  bodyLimit: number;
  outboxBatch: number;
  shutdownGraceMs: number;
  webDir: string | undefined;
  /** The OpenStreetMap extract the geocoder reads, if any (TARTIP_GAZETTEER_OSM). */
  gazetteerOsm: string | undefined;
  /**
   * The `TARTIP_*` variables the configuration was read from (plus the `TARTIP_CONFIG` file's values, the
   * environment winning). Modules validate their own variables from it (e.g. `TARTIP_DISPATCH_*`).
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `env` (plus the optional `TARTIP_CONFIG` JSON file) into a Config, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  let fromFile: Record<string, unknown> = {};
  const file = env.TARTIP_CONFIG;
  if (file) {
    if (!existsSync(file)) throw new ConfigError([{ variable: 'TARTIP_CONFIG', message: `file not found: ${file}` }]);
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError([{ variable: 'TARTIP_CONFIG', message: `not valid JSON: ${(e as Error).message}` }]);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'config'), message: i.message })),
    );
  }
  const c = parsed.data;
  return {
    mode: c.TARTIP_MODE,
    port: c.PORT,
    host: c.HOST,
    dataDir: resolve(c.TARTIP_DATA_DIR),
    databaseUrl: c.TARTIP_DATABASE_URL,
    databasePool: c.TARTIP_DATABASE_POOL,
    pgliteThread: c.TARTIP_PGLITE_THREAD,
    pgliteSharedBuffers: c.TARTIP_PGLITE_SHARED_BUFFERS,
    natsUrl: c.TARTIP_NATS_URL,
    natsStream: c.TARTIP_NATS_STREAM,
    natsPrefix: c.TARTIP_NATS_PREFIX,
    natsUser: c.TARTIP_NATS_USER,
    natsPassword: c.TARTIP_NATS_PASSWORD,
    natsToken: c.TARTIP_NATS_TOKEN,
    natsReplicas: c.TARTIP_NATS_REPLICAS,
    demo: c.TARTIP_DEMO ?? c.TARTIP_MODE === 'embedded',
    jwtSecret: c.TARTIP_JWT_SECRET,
    accessTokenTtl: c.TARTIP_ACCESS_TOKEN_TTL,
    auditSigningKey: c.TARTIP_AUDIT_SIGNING_KEY,
    auditCheckpointEvery: c.TARTIP_AUDIT_CHECKPOINT_EVERY,
    logLevel: c.TARTIP_LOG_LEVEL,
    loginRateLimit: c.TARTIP_LOGIN_RATE_LIMIT,
    publicRateLimit: c.TARTIP_PUBLIC_RATE_LIMIT,
    apiKeyCacheSeconds: c.TARTIP_API_KEY_CACHE_SECONDS,
    bodyLimit: c.TARTIP_BODY_LIMIT,
    outboxBatch: c.TARTIP_OUTBOX_BATCH,
    shutdownGraceMs: c.TARTIP_SHUTDOWN_GRACE_MS,
    webDir: c.TARTIP_WEB_DIR,
    gazetteerOsm: c.TARTIP_GAZETTEER_OSM,
    env: Object.fromEntries(
      [...Object.entries(fromFile), ...Object.entries(env)].filter(
        ([k, v]) => k.startsWith('TARTIP_') && (typeof v === 'string' || typeof v === 'number') && v !== '',
      ).map(([k, v]) => [k, String(v)]),
    ),
  };
}

/**
 * Validates a module's own variables (`TARTIP_<MODULE>_*`) from `env` against `schema`, ignoring empty values;
 * a bad value throws ConfigError naming the variable. Modules pass `kernel.config.env`.
 */
export function parseSettings<S extends z.ZodObject>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'config'), message: i.message })));
  }
  return parsed.data;
}
