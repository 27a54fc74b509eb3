-- Shared fraud indicators: one row per (kind, identifier hash, contributor). The identifier itself is kept only when
-- it was sent in the clear and is not a card (cards are kept as their hash alone, never as a PAN).
create table fraud_indicator (
  id uuid primary key,
  kind text not null check (kind in ('phone', 'iccid', 'imsi', 'imei', 'iban', 'card')),
  value_hash text not null check (value_hash ~ '^[0-9a-f]{64}$'),
  value text check (value is null or kind <> 'card'),
  source text not null check (source in ('police_case', 'bank', 'operator', 'citizen_report')),
  source_ref text,
  confidence double precision not null check (confidence >= 0 and confidence <= 1),
  effect text not null check (effect in ('block', 'warn')),
  overridable boolean not null,
  valid_from timestamptz not null,
  valid_until timestamptz,
  note text,
  contributor text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  revoked_at timestamptz,
  check (valid_until is null or valid_until > valid_from),
  unique (kind, value_hash, contributor)
);
create index fraud_indicator_updated on fraud_indicator (updated_at, id);
create index fraud_indicator_hash on fraud_indicator (value_hash);

-- Roaming status fed by operators: the default roaming check reads it (in memory) for domestic numbers arriving on an
-- international ingress.
create table fraud_roaming (
  msisdn text primary key,
  roaming boolean not null,
  until timestamptz,
  operator text not null,
  updated_at timestamptz not null
);

-- Every screening decision, written asynchronously in batches by the decision recorder.
create table fraud_decision (
  id uuid primary key,
  kind text not null check (kind in ('call', 'transaction')),
  outcome text not null check (outcome in ('allow', 'label', 'block', 'hold')),
  score double precision,
  reasons text[] not null,
  latency_us integer not null,
  degraded boolean not null,
  policy_version text not null,
  partner text not null,
  subject jsonb not null,
  amount numeric,
  currency text,
  decided_at timestamptz not null,
  confirmed_fraud boolean,
  outcome_at timestamptz,
  outcome_by text,
  outcome_note text
);
create index fraud_decision_at on fraud_decision (decided_at desc, id desc);
create index fraud_decision_partner on fraud_decision (partner, decided_at desc);
