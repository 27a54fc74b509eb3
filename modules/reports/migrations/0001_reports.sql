-- The reports module: citizen reports (102 app, eGov, banks, the web page, Open311), their history and media,
-- partners' webhooks and the webhook delivery queue. Every table is prefixed `reports_`.

create table reports_report (
  id uuid primary key,
  -- Unguessable (256-bit) token the citizen tracks the report with; also the Open311 `token`.
  tracking_token text not null unique,
  category text not null,
  priority text not null check (priority in ('P1', 'P2', 'P3', 'P4')),
  categories_version text not null,
  status text not null check (status in ('received', 'accepted', 'dispatched', 'on_scene', 'closed')),
  status_note text,
  -- A localised note the citizen sees when there is no free text (e.g. `incident_cancelled`, `false_report`).
  status_note_code text,
  channel text not null,
  -- The partner API key the report came through (webhooks go to that key's URL); null for the web page.
  partner_key_id uuid,
  location geography(Point, 4326) not null,
  address text,
  -- KATO code of the district (or region) containing the point: the record's jurisdiction.
  kato text,
  description text,
  attributes jsonb not null default '{}',
  anonymous boolean not null,
  -- Personal data: read only through the audited staff detail route.
  contact_name text,
  contact_phone text,
  contact_email text,
  device_id text,
  media_url text,
  media_count int not null default 0,
  duplicate_of uuid references reports_report (id),
  -- Dispatch's incident this report follows, and the time of the last change taken from it.
  incident_id text,
  incident_at timestamptz,
  flagged boolean not null default false,
  flag_reason text,
  false_at timestamptz,
  false_reason text,
  false_by text,
  -- Idempotency-Key of the submission, scoped to the caller: committed with the report, so a retry after a crash
  -- finds it even when the HTTP layer never recorded the response.
  idempotency_scope text,
  idempotency_key text,
  idempotency_hash text,
  submitted_at timestamptz not null,
  updated_at timestamptz not null,
  unique (idempotency_scope, idempotency_key)
);
create index reports_report_location on reports_report using gist (location);
create index reports_report_recent on reports_report (category, submitted_at);
create index reports_report_kato on reports_report (kato text_pattern_ops);
create index reports_report_incident on reports_report (incident_id) where incident_id is not null;
create index reports_report_device on reports_report (device_id, submitted_at) where device_id is not null;
create index reports_report_phone on reports_report (contact_phone, submitted_at) where contact_phone is not null;
create index reports_report_false_device on reports_report (device_id, false_at) where false_at is not null;
create index reports_report_false_phone on reports_report (contact_phone, false_at) where false_at is not null;

-- Every status change of a report, oldest first (what the citizen's tracking page shows).
create table reports_history (
  seq bigserial primary key,
  report_id uuid not null references reports_report (id),
  status text not null,
  note text,
  note_code text,
  incident_id text,
  at timestamptz not null
);
create index reports_history_report on reports_history (report_id, seq);

-- Photos and videos sent with a report (≤ 3, ≤ 5 MiB each), by their index in the submitted array.
create table reports_media (
  report_id uuid not null references reports_report (id),
  n int not null,
  content_type text not null,
  size int not null,
  data bytea not null,
  primary key (report_id, n)
);

-- Incidents dispatch has merged into another: their late events no longer move reports.
create table reports_incident_merge (
  incident_id text primary key,
  merged_into text not null,
  at timestamptz not null
);

-- One webhook per partner API key (the key the reports came through).
create table reports_webhook (
  partner_key_id uuid primary key,
  partner_name text not null,
  channel text not null,
  url text not null,
  -- HMAC-SHA256 key the partner verifies X-Tartip-Signature with; needed in clear to sign.
  secret text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

-- The delivery queue: one row per (status change × webhook), written in the transaction of the change.
create table reports_webhook_delivery (
  seq bigserial primary key,
  id uuid not null unique,
  partner_key_id uuid not null references reports_webhook (partner_key_id),
  report_id uuid not null references reports_report (id),
  -- The exact bytes signed and sent, the same on every attempt.
  body text not null,
  attempts int not null default 0,
  next_attempt_at timestamptz not null,
  lease_until timestamptz,
  last_status int,
  last_error text,
  delivered_at timestamptz,
  failed_at timestamptz,
  created_at timestamptz not null
);
create index reports_webhook_delivery_due on reports_webhook_delivery (next_attempt_at)
  where delivered_at is null and failed_at is null;
create index reports_webhook_delivery_order on reports_webhook_delivery (partner_key_id, report_id, seq)
  where delivered_at is null and failed_at is null;
