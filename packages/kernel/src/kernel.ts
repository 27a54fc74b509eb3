import { randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { publicKeyOf } from './audit/chain.ts';
import { loadOrCreateSigningKey, parseSigningKey } from './audit/keys.ts';
import { TokenIssuer } from './auth/tokens.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Bus } from './bus/types.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { type Migration, migrate, readMigrations } from './db/migrate.ts';
import { openPglite } from './db/pglite.ts';
import { openPostgres } from './db/postgres.ts';
import { profileStatements } from './db/statement-profile.ts';
import type { Db } from './db/types.ts';
import { AreaIndex } from './geo/area-index.ts';
import { Gazetteer } from './geo/gazetteer.ts';
import { readGazetteerSource } from './geo/gazetteer-osm.ts';
import { loadBoundaries } from './geo/geo.ts';
import { Commands, OutboxRelay } from './outbox.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const GEO_DATA_DIR = join(REPO_ROOT, 'data/geokz');
export const KERNEL_MIGRATIONS_DIR = join(REPO_ROOT, 'packages/kernel/migrations');

/** What every module is given: the database, the bus, the clock, the command path, the logger. */
export interface Kernel {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Db;
  bus: Bus;
  /** Regions and districts in memory: places a point (lon/lat → KATO) without a query. */
  areas: AreaIndex;
  /** Addresses → points, offline: the districts always, houses and streets when an OSM extract is configured. */
  gazetteer: Gazetteer;
  commands: Commands;
  relay: OutboxRelay;
  tokens: TokenIssuer;
  auditKey: KeyObject;
  auditPublicKeys: KeyObject[];
  close(): Promise<void>;
}

export interface KernelOptions {
  clock?: Clock;
  log?: Logger;
  /** Extra migrations (modules), applied after the kernel's. */
  migrations?: Migration[];
}

function readOrCreateSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export async function openDatabase(config: Config): Promise<Db> {
  const url = config.databaseUrl;
  const db = url?.startsWith('postgres')
    ? await openPostgres(url, config.databasePool)
    : await openPglite(url === 'memory://' ? undefined : join(config.dataDir, 'pgdata'), config.pgliteThread, { sharedBuffers: config.pgliteSharedBuffers });
  // A benchmark diagnostic, not a setting: which statements the process sends, how often, how long they take.
  const profile = process.env.TARTIP_DB_STATEMENT_PROFILE;
  return profile ? profileStatements(db, profile) : db;
}

export async function openBus(config: Config): Promise<Bus> {
  if (!config.natsUrl) return new MemoryBus();
  const { NatsBus } = await import('./bus/nats.ts');
  return NatsBus.connect({
    url: config.natsUrl,
    stream: config.natsStream,
    subjectPrefix: config.natsPrefix,
    name: 'tartip',
    user: config.natsUser,
    pass: config.natsPassword,
    token: config.natsToken,
    replicas: config.natsReplicas,
  });
}

function openGazetteer(config: Config, areas: AreaIndex, log: Logger): Gazetteer {
  if (!config.gazetteerOsm) return new Gazetteer(areas);
  const { ms, ...source } = readGazetteerSource(config.gazetteerOsm);
  const gazetteer = new Gazetteer(areas, source);
  log.info({ file: config.gazetteerOsm, ms, ...gazetteer.counts }, 'gazetteer loaded');
  return gazetteer;
}

/** Opens the database and the bus, applies migrations, loads boundaries, starts the outbox relay. */
export async function createKernel(config: Config, options: KernelOptions = {}): Promise<Kernel> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'tartip' } });
  const clock = options.clock ?? systemClock;
  const db = await openDatabase(config);
  let bus: Bus | undefined;
  let areas: AreaIndex;
  let gazetteer: Gazetteer;
  try {
    bus = await openBus(config);
    const migrations = [...readMigrations('kernel', KERNEL_MIGRATIONS_DIR), ...(options.migrations ?? [])];
    const { applied } = await migrate(db, migrations);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    const loaded = await loadBoundaries(db, GEO_DATA_DIR);
    if (loaded > 0) log.info({ areas: loaded }, 'boundaries of Kazakhstan loaded');
    areas = await AreaIndex.load(db);
    gazetteer = openGazetteer(config, areas, log);
  } catch (e) {
    await bus?.close().catch(() => {});
    await db.close().catch(() => {});
    throw e;
  }
  const keysDir = join(config.dataDir, 'keys');
  const jwtSecret = config.jwtSecret ?? readOrCreateSecret(join(keysDir, 'jwt-secret'));
  const auditKey = config.auditSigningKey
    ? parseSigningKey(config.auditSigningKey)
    : loadOrCreateSigningKey(join(keysDir, 'audit-ed25519.pem'));
  const relay = new OutboxRelay(db, bus, log.child({ component: 'outbox' }), config.outboxBatch);
  const commands = new Commands(db, clock, relay);
  const busRef = bus;
  return {
    config,
    log,
    clock,
    db,
    bus,
    areas,
    gazetteer,
    commands,
    relay,
    tokens: new TokenIssuer(jwtSecret, config.accessTokenTtl),
    auditKey,
    auditPublicKeys: [publicKeyOf(auditKey)],
    async close() {
      await relay.stop().catch((e) => log.error({ err: e }, 'outbox flush failed'));
      await busRef.close().catch(() => {});
      // Embedded: what the bus delivered while it drained is marked, so the next start does not publish it again.
      await relay.markAcknowledged().catch((e) => log.error({ err: e }, 'marking delivered events failed'));
      await db.close().catch(() => {});
    },
  };
}
