-- video: cameras and their heartbeat, analytics events, alerts, face watchlists and their entries,
-- abandoned-object zone rules and 5-minute traffic-flow series.

create table video_camera (
  id uuid primary key,
  -- How sources name the camera: Frigate's camera name, the ONVIF TopicPrefix, DeepStream's sensor.id, ours.
  code text not null unique,
  name text not null,
  lon double precision not null,
  lat double precision not null,
  kato text,
  direction_deg double precision,
  direction_label text,
  -- The watched zone (a station, an airport, a square, a road) the camera covers; abandoned-object rules are per zone.
  zone text,
  owner text not null,
  capabilities text[] not null,
  -- The camera (or its gateway) reports at least this often; silent for longer → a camera_silent alert.
  heartbeat_s integer not null check (heartbeat_s between 10 and 86400),
  -- The code under which the traffic module knows it (plate reads are forwarded there); null = none.
  traffic_code text,
  last_seen_at timestamptz,
  -- online | silent (no heartbeat or event for longer than heartbeat_s × the grace factor) | unknown (never seen).
  status text not null check (status in ('unknown', 'online', 'silent')),
  status_since timestamptz not null,
  version integer not null,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null
);
create index video_camera_kato on video_camera (kato text_pattern_ops);

-- Analytics events as the sources sent them (normalised), idempotent by (source, source_id).
create table video_event (
  id uuid primary key,
  camera_id uuid not null references video_camera (id),
  source text not null,
  source_id text not null,
  kind text not null,
  label text,
  at timestamptz not null,
  zone text,
  score double precision,
  snapshot text,
  data jsonb not null,
  kato text,
  received_at timestamptz not null,
  -- A face event that matched nothing is deleted after this (privacy); null = kept.
  purge_after timestamptz,
  unique (source, source_id)
);
create index video_event_camera_at on video_event (camera_id, at desc);
create index video_event_purge on video_event (purge_after) where purge_after is not null;

create table video_watchlist (
  id uuid primary key,
  name text not null unique,
  description text,
  created_by text not null,
  created_at timestamptz not null
);

create table video_watchlist_entry (
  id uuid primary key,
  watchlist_id uuid not null references video_watchlist (id),
  -- Who is sought, as the legal basis names them.
  subject text not null,
  reference_image text not null,
  -- L2-normalised float32 vector, little-endian, `dim` values.
  embedding bytea not null,
  dim integer not null,
  legal_basis_kind text not null check (legal_basis_kind in ('court_order', 'wanted_list')),
  legal_basis_ref text not null,
  expires_at timestamptz not null,
  owner text not null,
  created_by text not null,
  created_at timestamptz not null,
  removed_at timestamptz,
  removed_by text
);
create index video_watchlist_entry_list on video_watchlist_entry (watchlist_id, created_at desc);

create table video_alert (
  id uuid primary key,
  -- camera_silent | face_match | abandoned_object | review (a Frigate review with severity alert)
  kind text not null,
  camera_id uuid not null references video_camera (id),
  event_id uuid references video_event (id) on delete set null,
  entry_id uuid references video_watchlist_entry (id),
  score double precision,
  snapshot text,
  details jsonb not null,
  kato text,
  -- One alert per condition: the camera's silence episode, the event, the review.
  condition text not null unique,
  status text not null check (status in ('open', 'confirmed', 'rejected')),
  raised_at timestamptz not null,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  incident_id text
);
create index video_alert_open on video_alert (raised_at desc) where status = 'open';
create index video_alert_kato on video_alert (kato text_pattern_ops, raised_at desc);

-- Abandoned-object rules per watched zone: which labels, how long stationary before an alert, incident priority.
create table video_zone_rule (
  zone text primary key,
  labels text[] not null,
  dwell_s integer not null,
  auto_incident boolean not null,
  updated_by text not null,
  updated_at timestamptz not null
);

-- Traffic flow: counts and speeds per camera, lane and 5-minute bucket.
create table video_flow (
  camera_id uuid not null references video_camera (id),
  lane smallint not null,
  bucket timestamptz not null,
  vehicles integer not null,
  speed_sum double precision not null,
  speed_n integer not null,
  primary key (camera_id, lane, bucket)
);
