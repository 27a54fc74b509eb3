import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../packages/kernel/src/db/pglite.ts';
import { openPostgres } from '../../packages/kernel/src/db/postgres.ts';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import { DEMO_API_KEYS } from '../../packages/kernel/src/demo.ts';
import { backendName, createTestDatabase, TEST_DATABASE_URL } from '../../packages/kernel/src/testing.ts';

const CLI = join(import.meta.dirname, 'tartip.mjs');

/** Runs the real `tartip` command as a separate process, as an operator would. */
function tartip(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TARTIP_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe(`tartip CLI on ${backendName.split('+')[0]}`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-cli-'));
  const env: Record<string, string> = { TARTIP_DATA_DIR: dataDir };
  let drop: (() => Promise<void>) | undefined;
  const openDb = async (): Promise<Db> => (env.TARTIP_DATABASE_URL ? openPostgres(env.TARTIP_DATABASE_URL) : openPglite(join(dataDir, 'pgdata')));

  beforeAll(async () => {
    if (TEST_DATABASE_URL) {
      const created = await createTestDatabase();
      env.TARTIP_DATABASE_URL = created.url;
      drop = created.drop;
    }
  });
  afterAll(async () => {
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops with a message naming the variable when configuration is bad', () => {
    const r = tartip(['migrate'], { ...env, TARTIP_DATABASE_POOL: 'many' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('TARTIP_DATABASE_POOL');
    const prod = tartip(['start'], { ...env, TARTIP_MODE: 'production', TARTIP_DEMO: 'true' });
    expect(prod.code).toBe(78);
    expect(prod.stderr).toMatch(/TARTIP_DEMO: demo accounts are refused in production mode/);
  });

  it('migrates, seeds the demo accounts, adds a user, and verifies an intact audit chain', () => {
    expect(tartip(['migrate'], env)).toMatchObject({ code: 0 });
    const seeded = tartip(['seed'], env);
    expect(seeded.stdout).toContain(`seeded 11 accounts and ${DEMO_API_KEYS.length} partner keys`);
    const added = tartip(
      ['users', 'add', '--username', 'asel.n', '--name', 'Асель Нурланова', '--role', 'dispatcher', '--jurisdiction', '750000000'],
      { ...env, TARTIP_NEW_PASSWORD: 'correct horse battery' },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/created asel\.n/);
    const bad = tartip(['users', 'add', '--username', 'X', '--role', 'sheriff', '--jurisdiction', '75'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--username/);
    const checkpoint = tartip(['audit', 'checkpoint'], env);
    expect(checkpoint.stdout).toMatch(/signed checkpoint at record \d+/);
    const verified = tartip(['audit', 'verify'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/audit chain intact: \d+ records, 1 signed checkpoints/);
  });

  it('names the first altered record, and the first deleted one', async () => {
    const db = await openDb();
    try {
      // An insider with database superuser rights bypasses the append-only trigger.
      await db.exec("set session_replication_role = replica; update kernel_audit set data = '{\"username\":\"someone-else\"}' where seq = 3;");
    } finally {
      await db.close();
    }
    const altered = tartip(['audit', 'verify'], env);
    expect(altered.code).toBe(1);
    expect(altered.stderr).toContain('audit chain BROKEN at record 3: record 3 was altered');

    const db2 = await openDb();
    try {
      await db2.exec("set session_replication_role = replica; update kernel_audit set data = '{}' where seq = 3; delete from kernel_audit where seq = 3;");
    } finally {
      await db2.close();
    }
    const deleted = tartip(['audit', 'verify'], env);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toContain('at record 3');
  });
});
