import type { KeyObject } from 'node:crypto';
import type { Db, Queryable } from '../db/types.ts';
import {
  auditBody,
  type Checkpoint,
  keyIdOf,
  publicKeyOf,
  signCheckpoint,
  type StoredAuditRecord,
  type VerifyResult,
  verifyChain,
} from './chain.ts';

export interface AuditEntry {
  actor: string;
  /** Verb in the past tense or `read`: `user.created`, `user.read`, `incident.assigned`. */
  action: string;
  entity: string;
  entityId?: string | null;
  jurisdiction?: string | null;
  requestId?: string | null;
  data?: unknown;
}

/**
 * Queues records for the hash chain inside the caller's transaction, in one statement. The database numbers and
 * chains them when the transaction commits (`kernel_audit_seal()`, migration 0002): the chain's head is locked only
 * during the commit itself, so audited writes no longer wait for one another's round trips. The canonical JSON the
 * hash covers is made here, outside any lock. Records of one transaction keep their order.
 */
export async function appendAudit(tx: Queryable, entries: AuditEntry | AuditEntry[], at: Date): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  const { sql, params } = auditInsert(list, at, 0);
  await tx.query(sql, params);
}

/**
 * The statement `appendAudit` runs, with its parameters numbered from `offset + 1`, for a caller that sends it
 * together with other writes in one statement (a data-modifying CTE).
 */
export function auditInsert(list: readonly AuditEntry[], at: Date, offset: number): { sql: string; params: unknown[] } {
  const iso = at.toISOString();
  const records = list.map((entry) => ({
    at: iso,
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId ?? null,
    jurisdiction: entry.jurisdiction ?? null,
    requestId: entry.requestId ?? null,
    data: entry.data ?? null,
  }));
  const p = (n: number) => `$${offset + n}`;
  return {
    sql: `insert into kernel_audit_pending (at, actor, action, entity, entity_id, jurisdiction, request_id, data, body)
     select ${p(1)}::timestamptz, actor, action, entity, entity_id, jurisdiction, request_id, data, body
     from unnest(${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::text[], ${p(8)}::jsonb[], ${p(9)}::text[])
       with ordinality as r(actor, action, entity, entity_id, jurisdiction, request_id, data, body, n)
     order by n`,
    params: [
      iso,
      records.map((r) => r.actor),
      records.map((r) => r.action),
      records.map((r) => r.entity),
      records.map((r) => r.entityId),
      records.map((r) => r.jurisdiction),
      records.map((r) => r.requestId),
      records.map((r) => JSON.stringify(r.data)),
      records.map((r) => auditBody(r)),
    ],
  };
}

interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  jurisdiction: string | null;
  request_id: string | null;
  data: unknown;
  prev_hash: string;
  hash: string;
  format: number;
}

export function toStored(r: AuditRow): StoredAuditRecord {
  return {
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    jurisdiction: r.jurisdiction,
    requestId: r.request_id,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
    format: r.format === 2 ? 2 : 1,
  };
}

/** Signs the current head when it has moved `every` records past the last checkpoint (or always with every=0). */
export async function checkpointAudit(db: Db, key: KeyObject, at: Date, every = 0): Promise<Checkpoint | null> {
  return db.transaction(async (tx) => {
    const [head] = await tx.query<{ seq: number; hash: string }>('select seq, hash from kernel_audit_head where id = 1 for update');
    const [last] = await tx.query<{ seq: number | null }>('select max(seq) as seq from kernel_audit_checkpoint');
    const lastSeq = last?.seq ?? 0;
    if (head.seq === 0 || head.seq === lastSeq || head.seq - lastSeq < every) return null;
    const cp: Checkpoint = {
      seq: head.seq,
      hash: head.hash,
      signature: signCheckpoint(head.seq, head.hash, key),
      keyId: keyIdOf(publicKeyOf(key)),
    };
    await tx.query('insert into kernel_audit_checkpoint (seq, hash, signature, key_id, signed_at) values ($1, $2, $3, $4, $5)', [
      cp.seq,
      cp.hash,
      cp.signature,
      cp.keyId,
      at.toISOString(),
    ]);
    return cp;
  });
}

/** Reads the whole chain in pages and verifies it. */
export async function verifyAudit(db: Queryable, publicKeys: KeyObject[], pageSize = 5000): Promise<VerifyResult> {
  const [head] = await db.query<{ seq: number }>('select seq from kernel_audit_head where id = 1');
  const checkpoints = (
    await db.query<{ seq: number; hash: string; signature: string; key_id: string }>(
      'select seq, hash, signature, key_id from kernel_audit_checkpoint order by seq',
    )
  ).map((c) => ({ seq: c.seq, hash: c.hash, signature: c.signature, keyId: c.key_id }));
  const pages: StoredAuditRecord[] = [];
  let after = 0;
  for (;;) {
    const rows = await db.query<AuditRow>('select * from kernel_audit where seq > $1 order by seq limit $2', [after, pageSize]);
    if (rows.length === 0) break;
    for (const r of rows) pages.push(toStored(r));
    after = rows[rows.length - 1].seq;
  }
  return verifyChain(pages, checkpoints, head?.seq ?? 0, publicKeys);
}
