import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

/** Runs `loadConfig` and returns the ConfigError it throws (failing the test when it does not throw). */
function refused(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

const variables = (e: ConfigError) => e.issues.map((i) => i.variable).sort();

const PRODUCTION = {
  TARTIP_MODE: 'production',
  TARTIP_DATABASE_URL: 'postgres://tartip@db.internal:5432/tartip',
  TARTIP_NATS_URL: 'nats://nats-1:4222,nats://nats-2:4222',
  TARTIP_JWT_SECRET: 's'.repeat(32),
  TARTIP_AUDIT_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIDummyKeyTextIsParsedLaterByTheKernel',
};

describe('loadConfig', () => {
  it('defaults to an embedded instance with demo accounts on port 8080', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      mode: 'embedded',
      port: 8080,
      host: '0.0.0.0',
      demo: true,
      databaseUrl: undefined,
      natsUrl: undefined,
      natsStream: 'TARTIP',
      natsPrefix: 'tartip',
      accessTokenTtl: 900,
      auditCheckpointEvery: 1000,
      logLevel: 'info',
      loginRateLimit: 10,
      publicRateLimit: 600,
      bodyLimit: 1_048_576,
      outboxBatch: 500,
      databasePool: 10,
      pgliteThread: 'worker',
      pgliteSharedBuffers: '32MB',
      shutdownGraceMs: 10_000,
    });
    // The data dir is made absolute, so a later chdir cannot move the database.
    expect(c.dataDir).toBe(resolve('./.tartip'));
  });

  it('coerces numbers and booleans from environment strings', () => {
    const c = loadConfig({ PORT: '0', TARTIP_DEMO: 'no', TARTIP_BODY_LIMIT: '2048', TARTIP_ACCESS_TOKEN_TTL: '60' });
    expect(c.port).toBe(0);
    expect(c.demo).toBe(false);
    expect(c.bodyLimit).toBe(2048);
    expect(c.accessTokenTtl).toBe(60);
    for (const yes of ['true', '1', 'yes']) expect(loadConfig({ TARTIP_DEMO: yes }).demo).toBe(true);
    for (const no of ['false', '0', 'no']) expect(loadConfig({ TARTIP_DEMO: no }).demo).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', TARTIP_MODE: '' })).toMatchObject({ port: 8080, mode: 'embedded' });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['TARTIP_MODE', 'staging'],
    ['TARTIP_DEMO', 'maybe'],
    ['TARTIP_LOG_LEVEL', 'verbose'],
    ['TARTIP_JWT_SECRET', 'too-short'],
    ['TARTIP_ACCESS_TOKEN_TTL', '5'],
    ['TARTIP_BODY_LIMIT', '10'],
    ['TARTIP_DATABASE_POOL', '0'],
    ['TARTIP_NATS_STREAM', 'has spaces'],
    ['TARTIP_NATS_PREFIX', 'Upper.Case'],
    ['TARTIP_PGLITE_SHARED_BUFFERS', 'lots'],
    ['TARTIP_PGLITE_SHARED_BUFFERS', '32 MB'],
  ])('a bad %s (%j) stops with a message naming the variable', (variable, value) => {
    const e = refused({ [variable]: value });
    expect(variables(e)).toEqual([variable]);
    expect(e.message).toContain(variable);
    expect(e.name).toBe('ConfigError');
  });

  it('names every bad variable at once', () => {
    const e = refused({ PORT: 'abc', TARTIP_LOG_LEVEL: 'loud' });
    expect(variables(e)).toEqual(['PORT', 'TARTIP_LOG_LEVEL']);
    expect(e.message).toMatch(/PORT:/);
    expect(e.message).toMatch(/TARTIP_LOG_LEVEL:/);
  });

  it('accepts a complete production configuration, with demo off by default', () => {
    const c = loadConfig(PRODUCTION);
    expect(c.mode).toBe('production');
    expect(c.demo).toBe(false);
    expect(c.databaseUrl).toBe(PRODUCTION.TARTIP_DATABASE_URL);
    expect(c.natsUrl).toBe(PRODUCTION.TARTIP_NATS_URL);
  });

  it('refuses production mode without a database, NATS, a token secret and an audit key — naming each', () => {
    const e = refused({ TARTIP_MODE: 'production' });
    expect(variables(e)).toEqual(['TARTIP_AUDIT_SIGNING_KEY', 'TARTIP_DATABASE_URL', 'TARTIP_JWT_SECRET', 'TARTIP_NATS_URL']);
    for (const v of variables(e)) expect(e.message).toContain(v);
  });

  it.each(['TARTIP_DATABASE_URL', 'TARTIP_NATS_URL', 'TARTIP_JWT_SECRET', 'TARTIP_AUDIT_SIGNING_KEY'])(
    'refuses production mode when only %s is missing',
    (missing) => {
      const e = refused({ ...PRODUCTION, [missing]: undefined });
      expect(variables(e)).toEqual([missing]);
    },
  );

  it('refuses production mode on the embedded database', () => {
    for (const url of ['memory://', './pgdata']) {
      expect(variables(refused({ ...PRODUCTION, TARTIP_DATABASE_URL: url }))).toEqual(['TARTIP_DATABASE_URL']);
    }
  });

  it('refuses demo accounts in production mode', () => {
    const e = refused({ ...PRODUCTION, TARTIP_DEMO: 'true' });
    expect(variables(e)).toEqual(['TARTIP_DEMO']);
    expect(loadConfig({ ...PRODUCTION, TARTIP_DEMO: 'false' }).demo).toBe(false);
  });

  describe('TARTIP_CONFIG file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tartip-config-test-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads values from the file, and the environment wins over it', () => {
      const file = join(dir, 'tartip.json');
      writeFileSync(file, JSON.stringify({ PORT: 9090, TARTIP_LOG_LEVEL: 'warn', HOST: '127.0.0.1' }));
      const c = loadConfig({ TARTIP_CONFIG: file, TARTIP_LOG_LEVEL: 'debug' });
      expect(c.port).toBe(9090);
      expect(c.host).toBe('127.0.0.1');
      expect(c.logLevel).toBe('debug');
    });

    it('names the variable of a bad value that came from the file', () => {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ PORT: 'http' }));
      expect(variables(refused({ TARTIP_CONFIG: file }))).toEqual(['PORT']);
    });

    it('names TARTIP_CONFIG when the file is missing or not JSON', () => {
      expect(variables(refused({ TARTIP_CONFIG: join(dir, 'nope.json') }))).toEqual(['TARTIP_CONFIG']);
      const file = join(dir, 'broken.json');
      writeFileSync(file, '{ PORT: 1 ');
      const e = refused({ TARTIP_CONFIG: file });
      expect(variables(e)).toEqual(['TARTIP_CONFIG']);
      expect(e.message).toMatch(/not valid JSON/);
    });
  });
});
