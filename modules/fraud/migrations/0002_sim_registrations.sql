-- Operators' SIM registration feed (one row per number: who holds it, since when, until when), and the people (IIN)
-- holding more SIM cards than the Rules for communication services allow.
create table fraud_sim_registration (
  msisdn text primary key,
  iin text not null check (iin ~ '^[0-9]{12}$'),
  iccid text,
  operator text not null,
  registered_at timestamptz not null,
  deregistered_at timestamptz,
  updated_at timestamptz not null
);
create index fraud_sim_registration_iin on fraud_sim_registration (iin) where deregistered_at is null;

create table fraud_sim_limit (
  iin text primary key,
  active integer not null,
  exceeded boolean not null,
  flagged_at timestamptz not null,
  updated_at timestamptz not null
);
