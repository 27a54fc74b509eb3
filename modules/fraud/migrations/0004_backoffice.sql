-- Versions of the decision policy (rules' bands, typologies' weights and thresholds, the call policy). The latest
-- version decides; version 1 is the built-in default (config/policy.ts), written at first start.
create table fraud_policy_version (
  version integer primary key check (version >= 1),
  policy jsonb not null,
  comment text not null,
  created_by text not null,
  created_at timestamptz not null
);

-- Every version of every indicator: the whole state after each change (added, replaced, edited, revoked), who made it
-- and when, written in the same transaction as the change. What changed is the difference between consecutive rows.
create table fraud_indicator_history (
  id uuid primary key,
  indicator_id uuid not null,
  change text not null check (change in ('added', 'replaced', 'edited', 'revoked')),
  actor text not null,
  at timestamptz not null,
  comment text,
  state jsonb not null
);
create index fraud_indicator_history_indicator on fraud_indicator_history (indicator_id, at, id);

-- Indicators that existed before this migration start their history with their current state.
insert into fraud_indicator_history (id, indicator_id, change, actor, at, comment, state)
select gen_random_uuid(), i.id, case when i.revoked_at is null then 'added' else 'revoked' end, i.contributor, i.updated_at, null,
       jsonb_build_object('kind', i.kind, 'hash', i.value_hash, 'value', i.value, 'source', i.source, 'sourceRef', i.source_ref,
         'confidence', i.confidence, 'effect', i.effect, 'overridable', i.overridable, 'validFrom', i.valid_from, 'validUntil', i.valid_until,
         'note', i.note, 'contributor', i.contributor, 'revoked', i.revoked_at is not null)
from fraud_indicator i;

-- Where a decision was made (the KATO code the partner gave, and its region) and through which channel (the partner's
-- API key channel: bank, telecom, …), for the prevented-loss dashboard.
alter table fraud_decision add column area text;
alter table fraud_decision add column region text;
alter table fraud_decision add column channel text;
create index fraud_decision_region on fraud_decision (region, decided_at desc);
