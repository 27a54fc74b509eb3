/**
 * The database as modules see it: parameterised SQL, transactions, nothing else. Two implementations —
 * PGlite (+PostGIS, embedded) and node-postgres (PostgreSQL + PostGIS, production) — run the same SQL.
 *
 * Conventions that keep both identical: pass JSON as `JSON.stringify(x)` with a `::jsonb` cast; int8
 * comes back as a JS number; timestamptz as a Date; text[] as string[].
 *
 * In a transaction, a statement is sent when `query` is called, in call order, and `transaction` judges every
 * statement its `Tx` sent before it commits (`in-flight.ts`): a caller may leave its last write unawaited, and it
 * travels with the COMMIT. A wrapper around a `Tx` must keep that — call through at once, not after an await.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Tx extends Queryable {
  /** Runs a multi-statement SQL script (migrations). */
  exec(script: string): Promise<void>;
}

export interface CopyLoad {
  before?: readonly string[];
  copy: string;
  /** The rows in COPY's text format: text, or its UTF-8 bytes. */
  data: string | Uint8Array;
  after?: readonly string[];
}

export interface Db extends Tx {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only (PGlite has no COPY from a client here; callers check that it is there): in one transaction on a
   * connection of its own, runs `before`, loads `data` — rows in COPY's text format — with `copy` (`… from stdin`),
   * then runs `after`. For bulk appends, where COPY costs about half of an insert's CPU per row.
   */
  copyIn?(load: CopyLoad): Promise<void>;
  /** Throws when the database cannot answer (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
