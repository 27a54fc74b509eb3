-- Audit records are numbered and chained as their transaction commits, by the database, instead of by the
-- application in the middle of the transaction.
--
-- Before: a command locked the chain's head row with its first audit statement and held that lock through two
-- more round trips to the application and its commit; every audited write of the installation queued behind it, and
-- under load the wait was the application's event loop, not the database (40 ms per append in the report-intake
-- benchmark). Now a command inserts its records, with their canonical JSON made by the application, into
-- `kernel_audit_pending`; a deferred constraint trigger runs at commit, takes the head row, numbers and hashes the
-- transaction's records (format 2, see packages/kernel/src/audit/chain.ts), appends them to `kernel_audit` and
-- removes them from the queue. The head is held only for that and the commit's own write. A transaction that rolls
-- back leaves nothing; one that commits always has its records chained — there is no state in between to see.

alter table kernel_audit add column format smallint not null default 1 check (format in (1, 2));

create table kernel_audit_pending (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  entity text not null,
  entity_id text,
  jurisdiction text,
  request_id text,
  data jsonb not null,
  -- RFC 8785 canonical JSON of the record without its seq (auditBody in chain.ts): what the hash covers.
  body text not null
);

create function kernel_audit_seal() returns trigger language plpgsql as $$
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
  -- Only this transaction's rows are visible here: every other transaction removes its own before it commits.
  for r in select p.id, p.body from kernel_audit_pending p order by p.id loop
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

create constraint trigger kernel_audit_seal after insert on kernel_audit_pending
  deferrable initially deferred for each row execute function kernel_audit_seal();
