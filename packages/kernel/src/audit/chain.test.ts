import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditBody,
  type Checkpoint,
  GENESIS_HASH,
  hashRecord,
  keyIdOf,
  publicKeyOf,
  signCheckpoint,
  type StoredAuditRecord,
  verifyChain,
} from './chain.ts';

const ed25519 = () => generateKeyPairSync('ed25519').privateKey;
const ourKey = ed25519();
const ourPublic = publicKeyOf(ourKey);

const base = (seq: number): AuditRecord => ({
  seq,
  at: new Date(Date.UTC(2026, 0, 1, 9, 0, seq)).toISOString(),
  actor: seq % 2 ? 'user:admin' : 'user:operator',
  action: seq % 2 ? 'user.created' : 'user.read',
  entity: 'user',
  entityId: `u-${seq}`,
  jurisdiction: seq % 3 ? '750000000' : null,
  requestId: `req-${seq}`,
  data: { username: `officer${seq}`, roles: ['officer'], n: seq },
});

/** A valid chain of `n` records, linked from genesis, as appendAudit would write it. */
function chain(n: number, records: AuditRecord[] = Array.from({ length: n }, (_, i) => base(i + 1))): StoredAuditRecord[] {
  let prev = GENESIS_HASH;
  return records.map((r) => {
    const hash = hashRecord(prev, r);
    const stored = { ...r, prevHash: prev, hash };
    prev = hash;
    return stored;
  });
}

function checkpoint(records: StoredAuditRecord[], seq: number, key: KeyObject = ourKey): Checkpoint {
  const r = records.find((x) => x.seq === seq);
  if (!r) throw new Error(`no record ${seq}`);
  return { seq, hash: r.hash, signature: signCheckpoint(seq, r.hash, key), keyId: keyIdOf(publicKeyOf(key)) };
}

describe('hashRecord', () => {
  it('is deterministic and independent of key order (RFC 8785 canonical JSON)', () => {
    const a = base(1);
    const reordered: AuditRecord = {
      data: { n: 1, roles: ['officer'], username: 'officer1' },
      requestId: a.requestId,
      jurisdiction: a.jurisdiction,
      entityId: a.entityId,
      entity: a.entity,
      action: a.action,
      actor: a.actor,
      at: a.at,
      seq: a.seq,
    };
    expect(Object.keys(reordered)).not.toEqual(Object.keys(a));
    expect(hashRecord(GENESIS_HASH, reordered)).toBe(hashRecord(GENESIS_HASH, a));
    expect(hashRecord(GENESIS_HASH, a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('survives a JSONB round trip of `data` (key order and whitespace are not kept by the database)', () => {
    const a = { ...base(2), data: { z: { b: 2, a: [1, { d: 4, c: 3 }] }, a: 'ә' } };
    const roundTripped = { ...a, data: JSON.parse(JSON.stringify({ a: 'ә', z: { a: [1, { c: 3, d: 4 }], b: 2 } })) };
    expect(hashRecord(GENESIS_HASH, roundTripped)).toBe(hashRecord(GENESIS_HASH, a));
  });

  it('changes with every field, with the previous hash, and treats missing data as null', () => {
    const a = base(3);
    const h = hashRecord(GENESIS_HASH, a);
    const changes: Partial<AuditRecord>[] = [
      { seq: 4 },
      { at: '2026-01-01T09:00:04.000Z' },
      { actor: 'user:someone' },
      { action: 'user.deleted' },
      { entity: 'apikey' },
      { entityId: null },
      { jurisdiction: '710000000' },
      { requestId: null },
      { data: { username: 'officer3', roles: ['admin'], n: 3 } },
    ];
    for (const change of changes) expect(hashRecord(GENESIS_HASH, { ...a, ...change }), JSON.stringify(change)).not.toBe(h);
    expect(hashRecord('f'.repeat(64), a)).not.toBe(h);
    expect(hashRecord(GENESIS_HASH, { ...a, data: undefined })).toBe(hashRecord(GENESIS_HASH, { ...a, data: null }));
  });
});

describe('hashRecord, format 2 (numbered and hashed by the database at commit)', () => {
  it('is sha256 of the previous hash, the seq and the canonical JSON of the record without its seq', () => {
    const a = { ...base(7), format: 2 as const };
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n7\n${auditBody(a)}`).digest('hex');
    expect(hashRecord(GENESIS_HASH, a)).toBe(expected);
    expect(auditBody(a)).not.toContain('"seq"');
    // The same record hashed as format 1 gives another hash: a record cannot silently change its format.
    expect(hashRecord(GENESIS_HASH, { ...a, format: 1 })).not.toBe(expected);
  });

  it('still changes with every field, the seq included', () => {
    const a = { ...base(3), format: 2 as const };
    const h = hashRecord(GENESIS_HASH, a);
    for (const change of [{ seq: 4 }, { actor: 'user:someone' }, { data: { n: 4 } }, { requestId: null }] as Partial<AuditRecord>[]) {
      expect(hashRecord(GENESIS_HASH, { ...a, ...change }), JSON.stringify(change)).not.toBe(h);
    }
  });

  it('a chain written in format 1 and continued in format 2 verifies; an altered format-2 record or a flipped format is found', () => {
    const records = chain(6, Array.from({ length: 6 }, (_, i) => ({ ...base(i + 1), format: i < 3 ? (1 as const) : (2 as const) })));
    expect(verifyChain(records, [], 6, [ourPublic])).toEqual({ ok: true, records: 6, checkpoints: 0 });
    const altered = records.map((r) => (r.seq === 5 ? { ...r, action: 'user.deleted' } : r));
    expect(verifyChain(altered, [], 6, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'record 5 was altered' });
    const flipped = records.map((r) => (r.seq === 4 ? { ...r, format: 1 as const } : r));
    expect(verifyChain(flipped, [], 6, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 4 });
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, with and without checkpoints', () => {
    const records = chain(5);
    expect(verifyChain(records, [], 5, [ourPublic])).toEqual({ ok: true, records: 5, checkpoints: 0 });
    const cps = [checkpoint(records, 2), checkpoint(records, 5)];
    expect(verifyChain(records, cps, 5, [ourPublic])).toEqual({ ok: true, records: 5, checkpoints: 2 });
    expect(verifyChain([], [], 0, [ourPublic])).toEqual({ ok: true, records: 0, checkpoints: 0 });
  });

  it('finds an altered record and names it', () => {
    const records = chain(5);
    records[2] = { ...records[2], data: { username: 'officer3', roles: ['admin'], n: 3 } };
    expect(verifyChain(records, [], 5, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 3, records: 2, reason: 'record 3 was altered' });
  });

  it('finds an altered actor even when its own hash was recomputed (the next record no longer links)', () => {
    const records = chain(5);
    const forged = { ...records[1], actor: 'user:nobody' };
    forged.hash = hashRecord(forged.prevHash, forged);
    records[1] = forged;
    expect(verifyChain(records, [], 5, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'record 3 does not link to record 2' });
  });

  it('finds a deleted record in the middle', () => {
    const records = chain(5);
    records.splice(2, 1);
    expect(verifyChain(records, [], 5, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 3, records: 2, reason: 'record 3 is missing' });
  });

  it('finds the first record deleted', () => {
    const records = chain(3).slice(1);
    expect(verifyChain(records, [], 3, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 1, reason: 'record 1 is missing' });
  });

  it('finds records deleted from the tail, because the head still counts them', () => {
    const records = chain(5);
    expect(verifyChain(records.slice(0, 3), [], 5, [ourPublic])).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      records: 3,
      reason: 'records 4..5 are missing',
    });
  });

  it('finds a tail deletion with the head wound back too, when a signed checkpoint covers the deleted records', () => {
    const records = chain(5);
    const cps = [checkpoint(records, 5)];
    // Without a checkpoint the truncation is undetectable — that is what checkpoints are for.
    expect(verifyChain(records.slice(0, 3), [], 3, [ourPublic])).toMatchObject({ ok: true });
    expect(verifyChain(records.slice(0, 3), cps, 3, [ourPublic])).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: 'checkpoint at 5 covers records that are missing',
    });
  });

  it('finds a chain rewritten from some record on, thanks to a signed checkpoint', () => {
    const original = chain(6);
    const cps = [checkpoint(original, 4)];
    // An insider rewrites record 2 and recomputes every hash after it: the chain itself is consistent again.
    const edited = original.map(({ prevHash: _p, hash: _h, ...r }) => (r.seq === 2 ? { ...r, actor: 'user:nobody' } : r));
    const rewritten = chain(6, edited);
    expect(verifyChain(rewritten, [], 6, [ourPublic])).toMatchObject({ ok: true });
    expect(verifyChain(rewritten, cps, 6, [ourPublic])).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: 'record 4 differs from its signed checkpoint',
    });
  });

  it('refuses a checkpoint whose signature was forged for the rewritten chain', () => {
    const original = chain(4);
    const edited = original.map(({ prevHash: _p, hash: _h, ...r }) => (r.seq === 1 ? { ...r, data: { forged: true } } : r));
    const rewritten = chain(4, edited);
    const genuine = checkpoint(original, 4);
    // Same key id, hash swapped to the rewritten head, signature kept or made by another key.
    const swapped: Checkpoint = { ...genuine, hash: rewritten[3].hash };
    const otherSig: Checkpoint = { ...swapped, signature: signCheckpoint(4, rewritten[3].hash, ed25519()) };
    for (const cp of [swapped, otherSig]) {
      expect(verifyChain(rewritten, [cp], 4, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'checkpoint at 4 has a bad signature' });
    }
    // A checkpoint whose seq was moved is a different message: its signature no longer holds.
    expect(verifyChain(original, [{ ...genuine, seq: 3, hash: original[2].hash }], 4, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it('refuses a checkpoint signed by an unknown key, and accepts it once that key is trusted', () => {
    const records = chain(3);
    const stranger = ed25519();
    const cp = checkpoint(records, 3, stranger);
    expect(verifyChain(records, [cp], 3, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'checkpoint at 3 has a bad signature' });
    expect(verifyChain(records, [cp], 3, [])).toMatchObject({ ok: false });
    // Key rotation: old and new public keys are both trusted.
    expect(verifyChain(records, [checkpoint(records, 2), cp], 3, [ourPublic, publicKeyOf(stranger)])).toMatchObject({ ok: true, checkpoints: 2 });
  });

  it('finds records swapped in order', () => {
    const records = chain(4);
    const swapped = [records[0], { ...records[2], seq: 2 }, { ...records[1], seq: 3 }, records[3]];
    expect(verifyChain(swapped, [], 4, [ourPublic])).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it('reads the records lazily from any iterable (the database is read in pages)', () => {
    const records = chain(4);
    function* pages() {
      yield* records.slice(0, 2);
      yield* records.slice(2);
    }
    expect(verifyChain(pages(), [checkpoint(records, 4)], 4, [ourPublic])).toEqual({ ok: true, records: 4, checkpoints: 1 });
  });
});

describe('keyIdOf', () => {
  it('is stable for a key and differs between keys', () => {
    expect(keyIdOf(ourPublic)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(publicKeyOf(ourKey))).toBe(keyIdOf(ourPublic));
    expect(keyIdOf(publicKeyOf(ed25519()))).not.toBe(keyIdOf(ourPublic));
  });
});
