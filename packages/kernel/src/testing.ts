import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { Clock } from './clock.ts';
import type { Migration } from './db/migrate.ts';
import { type Config, loadConfig } from './config.ts';
import { createKernel, type Kernel } from './kernel.ts';

/**
 * Test harness. Every integration test runs against PGlite (in memory) and the in-process bus; when
 * `TARTIP_TEST_DATABASE_URL` / `TARTIP_TEST_NATS_URL` are set, against a fresh PostgreSQL database and a
 * fresh JetStream stream instead. When they are set and unreachable, tests fail — never skip.
 */
export const TEST_DATABASE_URL = process.env.TARTIP_TEST_DATABASE_URL || undefined;
export const TEST_NATS_URL = process.env.TARTIP_TEST_NATS_URL || undefined;

export const backendName = `${TEST_DATABASE_URL ? 'postgres' : 'pglite'}+${TEST_NATS_URL ? 'nats' : 'memory'}`;

/** Creates an empty database (with PostGIS available) on the test server; returns its URL and a dropper. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TARTIP_TEST_DATABASE_URL is not set');
  const name = `tartip_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestBackend {
  config: Config;
  /** Removes the database, stream and data dir made for the test. */
  cleanup(): Promise<void>;
}

/** A configuration pointing at fresh, isolated storage for one test suite. */
export async function testBackend(overrides: Record<string, string> = {}): Promise<TestBackend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-test-'));
  const env: Record<string, string> = {
    TARTIP_MODE: 'embedded',
    TARTIP_DATA_DIR: dataDir,
    TARTIP_DATABASE_URL: 'memory://',
    TARTIP_LOG_LEVEL: 'silent',
    TARTIP_DEMO: 'true',
    TARTIP_LOGIN_RATE_LIMIT: '10000',
  };
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dataDir, { recursive: true, force: true })];
  if (TEST_DATABASE_URL) {
    const db = await createTestDatabase();
    env.TARTIP_DATABASE_URL = db.url;
    cleanups.push(db.drop);
  }
  const stream = `TEST_${randomBytes(5).toString('hex').toUpperCase()}`;
  if (TEST_NATS_URL) {
    env.TARTIP_NATS_URL = TEST_NATS_URL;
    env.TARTIP_NATS_STREAM = stream;
    env.TARTIP_NATS_PREFIX = stream.toLowerCase();
    cleanups.unshift(async () => {
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: TEST_NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(stream).catch(() => {});
      } finally {
        await nc.close();
      }
    });
  }
  return {
    config: loadConfig({ ...env, ...overrides }),
    cleanup: async () => {
      for (const c of cleanups) await c().catch(() => {});
    },
  };
}

/** A kernel on fresh storage; `close()` also removes the storage. */
export async function testKernel(options: { clock?: Clock; env?: Record<string, string>; migrations?: Migration[] } = {}): Promise<Kernel> {
  const backend = await testBackend(options.env);
  const kernel = await createKernel(backend.config, { clock: options.clock, log: pino({ level: 'silent' }), migrations: options.migrations });
  const close = kernel.close.bind(kernel);
  kernel.close = async () => {
    await close();
    await backend.cleanup();
  };
  return kernel;
}
