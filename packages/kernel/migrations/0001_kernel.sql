-- Kernel tables: identity, partner keys, outbox/inbox, audit chain, geography, idempotency.
create extension if not exists postgis;

create table kernel_user (
  id uuid primary key,
  username text not null unique,
  display_name text not null,
  password_hash text not null,
  roles text[] not null,
  -- KATO codes the person works in; '*' = the whole country.
  jurisdictions text[] not null,
  disabled boolean not null default false,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

create table kernel_api_key (
  id uuid primary key,
  name text not null unique,
  channel text not null,
  -- The first characters of the key, shown to people to tell keys apart; the key itself is never stored.
  key_prefix text not null unique,
  key_hash text not null,
  scopes text[] not null,
  jurisdictions text[] not null,
  created_at timestamptz not null,
  revoked_at timestamptz
);

-- Transactional outbox: written in the same transaction as the state change; the relay publishes it.
create table kernel_outbox (
  id uuid primary key,
  seq bigserial not null unique,
  subject text not null,
  key text not null,
  jurisdiction text,
  permission text,
  payload jsonb not null,
  occurred_at timestamptz not null,
  published_at timestamptz
);
create index kernel_outbox_pending on kernel_outbox (seq) where published_at is null;

-- Consumers record the events they have handled, in the same transaction as the effect: exactly-once effects.
create table kernel_inbox (
  consumer text not null,
  event_id uuid not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

-- Append-only, hash-chained audit log.
create table kernel_audit (
  seq bigint primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  entity text not null,
  entity_id text,
  jurisdiction text,
  request_id text,
  data jsonb not null,
  prev_hash text not null,
  hash text not null
);
create index kernel_audit_entity on kernel_audit (entity, entity_id);

-- The chain's head; its row lock serialises appends so the chain never forks.
create table kernel_audit_head (
  id int primary key check (id = 1),
  seq bigint not null,
  hash text not null
);
insert into kernel_audit_head (id, seq, hash) values (1, 0, repeat('0', 64));

-- Ed25519-signed checkpoints of the chain head.
create table kernel_audit_checkpoint (
  seq bigint primary key,
  hash text not null,
  signature text not null,
  key_id text not null,
  signed_at timestamptz not null
);

create function kernel_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'table % is append-only', tg_table_name using errcode = '42501';
end $$;

create trigger kernel_audit_append_only before update or delete on kernel_audit
  for each row execute function kernel_refuse_change();
create trigger kernel_audit_no_truncate before truncate on kernel_audit
  for each statement execute function kernel_refuse_change();
create trigger kernel_audit_checkpoint_append_only before update or delete on kernel_audit_checkpoint
  for each row execute function kernel_refuse_change();

-- Kazakhstan's regions and districts (geokz, CC BY 4.0), loaded at first start.
create table kernel_geo_area (
  kato text primary key,
  level text not null check (level in ('region', 'district')),
  parent_kato text,
  iso text,
  name_ru text not null,
  name_kk text not null,
  name_en text not null,
  geom geometry(MultiPolygon, 4326) not null
);
create index kernel_geo_area_geom on kernel_geo_area using gist (geom);

-- Responses of writes sent with an Idempotency-Key, replayed on retry.
create table kernel_idempotency (
  principal text not null,
  key text not null,
  request_hash text not null,
  status int not null,
  body jsonb not null,
  created_at timestamptz not null,
  primary key (principal, key)
);
