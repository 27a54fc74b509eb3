import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './types.ts';

export interface Migration {
  /** Owning module, e.g. `kernel`, `dispatch`. */
  module: string;
  /** File name, e.g. `0001_kernel.sql`; applied in name order within a module. */
  name: string;
  sql: string;
}

/** Reads `NNNN_*.sql` files from a module's migrations folder. */
export function readMigrations(module: string, dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((name) => ({ module, name, sql: readFileSync(join(dir, name), 'utf8') }));
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Arbitrary constant: the advisory lock that makes concurrent starts take turns. */
const MIGRATION_LOCK = 7_461_001;

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes starting at once
 * never both migrate: the second waits, then finds nothing to do. Records each file's checksum and refuses
 * to start when an applied file was edited afterwards.
 */
export async function migrate(db: Db, migrations: Migration[]): Promise<{ applied: string[] }> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`create table if not exists kernel_migration (
      module text not null, name text not null, checksum text not null,
      applied_at timestamptz not null default now(), primary key (module, name))`);
    const done = await tx.query<{ module: string; name: string; checksum: string }>(
      'select module, name, checksum from kernel_migration',
    );
    const known = new Map(done.map((r) => [`${r.module}/${r.name}`, r.checksum]));
    for (const m of migrations) {
      const id = `${m.module}/${m.name}`;
      const sum = checksum(m.sql);
      const previous = known.get(id);
      if (previous !== undefined) {
        if (previous !== sum) throw new MigrationError(`migration ${id} was changed after it was applied`);
        continue;
      }
      try {
        await tx.exec(m.sql);
      } catch (e) {
        throw new MigrationError(`migration ${id} failed: ${(e as Error).message}`);
      }
      await tx.query('insert into kernel_migration (module, name, checksum) values ($1, $2, $3)', [m.module, m.name, sum]);
      applied.push(id);
    }
  });
  return { applied };
}
