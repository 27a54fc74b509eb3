import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';

/** One audit record as hashed: everything but the hashes themselves. */
export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  jurisdiction: string | null;
  requestId: string | null;
  data: unknown;
  /**
   * How the record's hash is made. 1 (records written before chaining moved to commit time): sha256 of the previous
   * hash and the canonical JSON of the record with its seq. 2: sha256 of the previous hash, the seq and the canonical
   * JSON of the record without its seq (`auditBody`) — so the body can be made before the record is numbered, and
   * the database numbers and hashes it as the transaction commits. Absent means 1.
   */
  format?: 1 | 2;
}

export interface StoredAuditRecord extends AuditRecord {
  prevHash: string;
  hash: string;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  signature: string;
  keyId: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The fields a hash covers besides the seq, in a fixed shape. */
const hashedFields = (record: Omit<AuditRecord, 'seq' | 'format'>) => ({
  at: record.at,
  actor: record.actor,
  action: record.action,
  entity: record.entity,
  entityId: record.entityId,
  jurisdiction: record.jurisdiction,
  requestId: record.requestId,
  data: record.data ?? null,
});

/** RFC 8785 canonical JSON of a record without its seq: what a format-2 hash covers besides the seq. */
export function auditBody(record: Omit<AuditRecord, 'seq' | 'format'>): string {
  return canonicalize(hashedFields(record)) as string;
}

/**
 * Format 1: sha256(prevHash ‖ '\n' ‖ canonical JSON of the record with its seq).
 * Format 2: sha256(prevHash ‖ '\n' ‖ seq ‖ '\n' ‖ auditBody(record)) — what `kernel_audit_seal()` computes in SQL.
 */
export function hashRecord(prevHash: string, record: AuditRecord): string {
  if (record.format === 2) return createHash('sha256').update(`${prevHash}\n${record.seq}\n${auditBody(record)}`).digest('hex');
  const body = canonicalize({ seq: record.seq, ...hashedFields(record) });
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`tartip-audit-checkpoint\n${seq}\n${hash}`);
}

export function signCheckpoint(seq: number, hash: string, privateKey: KeyObject): string {
  return sign(null, checkpointMessage(seq, hash), privateKey).toString('base64');
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

export type VerifyResult =
  | { ok: true; records: number; checkpoints: number }
  | { ok: false; records: number; firstBadSeq: number; reason: string };

/**
 * Walks the chain from genesis. Finds: an altered record (its hash no longer matches), a deleted record
 * (a gap in seq, or a head past the last row), a chain rewritten from some point on (a signed checkpoint
 * no longer matches), and a checkpoint signed by an unknown key or forged.
 * `records` must be in seq order; `headSeq` is the count the chain's head claims.
 */
export function verifyChain(
  records: Iterable<StoredAuditRecord>,
  checkpoints: Checkpoint[],
  headSeq: number,
  publicKeys: KeyObject[],
): VerifyResult {
  const keys = new Map(publicKeys.map((k) => [keyIdOf(k), k]));
  const bySeq = new Map<number, Checkpoint>();
  for (const cp of checkpoints) {
    const key = keys.get(cp.keyId);
    if (!key || !verify(null, checkpointMessage(cp.seq, cp.hash), key, Buffer.from(cp.signature, 'base64'))) {
      return { ok: false, records: 0, firstBadSeq: cp.seq, reason: `checkpoint at ${cp.seq} has a bad signature` };
    }
    bySeq.set(cp.seq, cp);
  }
  let prev = GENESIS_HASH;
  let expected = 1;
  let count = 0;
  for (const r of records) {
    if (r.seq !== expected) {
      return { ok: false, records: count, firstBadSeq: expected, reason: `record ${expected} is missing` };
    }
    if (r.prevHash !== prev) {
      return { ok: false, records: count, firstBadSeq: r.seq, reason: `record ${r.seq} does not link to record ${r.seq - 1}` };
    }
    const h = hashRecord(prev, r);
    if (h !== r.hash) {
      return { ok: false, records: count, firstBadSeq: r.seq, reason: `record ${r.seq} was altered` };
    }
    const cp = bySeq.get(r.seq);
    if (cp && cp.hash !== h) {
      return { ok: false, records: count, firstBadSeq: r.seq, reason: `record ${r.seq} differs from its signed checkpoint` };
    }
    prev = h;
    expected++;
    count++;
  }
  const last = expected - 1;
  if (headSeq > last) {
    return { ok: false, records: count, firstBadSeq: last + 1, reason: `records ${last + 1}..${headSeq} are missing` };
  }
  const beyond = checkpoints.find((cp) => cp.seq > last);
  if (beyond) {
    return { ok: false, records: count, firstBadSeq: last + 1, reason: `checkpoint at ${beyond.seq} covers records that are missing` };
  }
  return { ok: true, records: count, checkpoints: checkpoints.length };
}
