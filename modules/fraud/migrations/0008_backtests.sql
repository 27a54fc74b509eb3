-- Backtests are kept: the policy exactly as tested (a stored version, or a draft not yet saved), the file's name and
-- SHA-256, who ran it and when, and the result. An analyst compares a draft with the version in force on the same
-- file before saving it, and an auditor sees which evidence a policy change rested on.
create table fraud_backtest (
  id uuid primary key,
  policy_version integer, -- null: a draft, never saved as a version
  policy jsonb not null,
  file_name text,
  file_sha256 text not null,
  rows integer not null,
  result jsonb not null,
  created_by text not null,
  created_at timestamptz not null
);
create index fraud_backtest_created on fraud_backtest (created_at desc, id desc);
