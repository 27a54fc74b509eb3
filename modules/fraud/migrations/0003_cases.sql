-- Citizens' fraud reports ("I was defrauded") as case records, and the identifiers each names (hash always; the
-- identifier in the clear except for cards).
create table fraud_case (
  id uuid primary key,
  channel text not null,
  reporter text not null,
  description text,
  amount numeric,
  currency text,
  occurred_at timestamptz,
  status text not null check (status in ('open')),
  created_at timestamptz not null
);
create index fraud_case_created on fraud_case (created_at desc, id desc);

create table fraud_case_identifier (
  case_id uuid not null references fraud_case (id),
  kind text not null,
  value_hash text not null,
  value text,
  created_at timestamptz not null,
  primary key (case_id, kind, value_hash)
);
create index fraud_case_identifier_hash on fraud_case_identifier (kind, value_hash, created_at);
