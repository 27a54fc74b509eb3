import type { KeyObject } from 'node:crypto';
import type { Db, Queryable } from '../db/types.ts';
import {
  type AuditRecord,
  type Checkpoint,
  hashRecord,
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
 * Appends records to the hash chain inside the caller's transaction, in one statement each for the head and
 * the rows. The head row's lock serialises concurrent appends, so records are numbered without gaps and each
 * links to the one before; callers append last, just before commit, to hold that lock briefly.
 */
export async function appendAudit(tx: Queryable, entries: AuditEntry | AuditEntry[], at: Date): Promise<StoredAuditRecord[]> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return [];
  const [head] = await tx.query<{ seq: number; hash: string }>(
    'update kernel_audit_head set seq = seq + $1 where id = 1 returning seq, hash',
    [list.length],
  );
  const stored: StoredAuditRecord[] = [];
  let prev = head.hash;
  let seq = head.seq - list.length;
  for (const entry of list) {
    seq++;
    const record: AuditRecord = {
      seq,
      at: at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId ?? null,
      jurisdiction: entry.jurisdiction ?? null,
      requestId: entry.requestId ?? null,
      data: entry.data ?? null,
    };
    const hash = hashRecord(prev, record);
    stored.push({ ...record, prevHash: prev, hash });
    prev = hash;
  }
  const params: unknown[] = [];
  const rows = stored.map((r) => {
    const base = params.length;
    params.push(r.seq, r.at, r.actor, r.action, r.entity, r.entityId, r.jurisdiction, r.requestId, JSON.stringify(r.data), r.prevHash, r.hash);
    return `(${Array.from({ length: 11 }, (_, i) => `$${base + i + 1}${i === 8 ? '::jsonb' : ''}`).join(', ')})`;
  });
  // The records and the new head hash in one statement: the head row stays locked (serialising every audited
  // write) from the first update to the commit, so each round trip saved here is saved for all writers.
  params.push(prev);
  await tx.query(
    `with appended as (
       insert into kernel_audit (seq, at, actor, action, entity, entity_id, jurisdiction, request_id, data, prev_hash, hash)
       values ${rows.join(', ')})
     update kernel_audit_head set hash = $${params.length} where id = 1`,
    params,
  );
  return stored;
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
