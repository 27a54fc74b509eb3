-- Queue tables read by plain index scans, so a read skips what earlier reads found dead.
--
-- `kernel_outbox` (rows waiting for the relay) and `kernel_audit_pending` (records waiting for their commit's seal)
-- are queues: every row is written, then updated or deleted moments later. Until autovacuum comes round, each
-- leaves a dead entry in the index the next read walks, and the planner, trusting statistics that are always stale
-- for such a table, read them with a bitmap or sequential scan: every pass of the relay and every seal visited all
-- the dead rows again (in the report-intake benchmark on PostgreSQL, 20,000 of them after 14 s: 7 ms per relay
-- pass, 2 ms per seal, and the seal holds the audit chain's head). A plain index scan marks an index entry whose row
-- is dead to every transaction, and later scans step over it without reading the row, so each read pays only for
-- the rows that died since the one before. Both reads now run in functions that turn the other scans off, and a
-- test (packages/kernel/src/queue-reads.int.test.ts) counts the pages each reads.

-- The relay's read (outbox.ts, OutboxRelay.relayOnce): one relay at a time across all processes, by an advisory
-- lock taken in the same statement; the one row with `ok` alone says whether it was granted when nothing is pending.
create function kernel_outbox_claim(claim_limit int, claim_after bigint, claim_lock bigint)
  returns table (ok boolean, seq bigint, id uuid, subject text, key text, jurisdiction text, permission text, payload jsonb, occurred_at timestamptz)
  language sql volatile
  set enable_seqscan = off set enable_bitmapscan = off
as $$
  select l.ok, o.seq, o.id, o.subject, o.key, o.jurisdiction, o.permission, o.payload, o.occurred_at
  from (select pg_try_advisory_xact_lock(claim_lock) as ok) l
  left join lateral (
    select q.seq, q.id, q.subject, q.key, q.jurisdiction, q.permission, q.payload, q.occurred_at
    from kernel_outbox q
    where l.ok and q.published_at is null and q.seq > claim_after
    order by q.seq
    limit claim_limit
    for update skip locked
  ) o on true
  order by o.seq
$$;

-- The seal's read of the records queued by its own transaction (every other transaction removes its own before it
-- commits), oldest first, by the primary key.
create function kernel_audit_queued() returns table (id bigint, body text)
  language sql stable
  set enable_seqscan = off set enable_bitmapscan = off
as $$
  select p.id, p.body from kernel_audit_pending p order by p.id
$$;

-- The seal, as in 0002, reading through it.
create or replace function kernel_audit_seal() returns trigger language plpgsql as $$
declare
  head_seq bigint;
  prev text;
  r record;
  ids bigint[] := '{}';
  seqs bigint[] := '{}';
  prevs text[] := '{}';
  hashes text[] := '{}';
begin
  -- One call per queued row, all at commit: the first seals every row of the transaction, the rest find it done.
  if current_setting('tartip.audit_sealed', true) = txid_current()::text then
    return null;
  end if;
  perform set_config('tartip.audit_sealed', txid_current()::text, true);
  select seq, hash into head_seq, prev from kernel_audit_head where id = 1 for update;
  for r in select q.id, q.body from kernel_audit_queued() q loop
    head_seq := head_seq + 1;
    ids := ids || r.id;
    seqs := seqs || head_seq;
    prevs := prevs || prev;
    prev := encode(sha256(convert_to(prev || E'\n' || head_seq || E'\n' || r.body, 'UTF8')), 'hex');
    hashes := hashes || prev;
  end loop;
  if cardinality(ids) = 0 then
    return null;
  end if;
  insert into kernel_audit (seq, at, actor, action, entity, entity_id, jurisdiction, request_id, data, prev_hash, hash, format)
  select s.seq, p.at, p.actor, p.action, p.entity, p.entity_id, p.jurisdiction, p.request_id, p.data, s.prev_hash, s.hash, 2
  from unnest(ids, seqs, prevs, hashes) as s(id, seq, prev_hash, hash)
  join kernel_audit_pending p on p.id = s.id
  order by s.seq;
  delete from kernel_audit_pending where id = any(ids);
  update kernel_audit_head set seq = head_seq, hash = prev where id = 1;
  return null;
end $$;
