-- traffic (read pipeline): cameras and their clock-sync history, sections, ANPR reads, violations and notices,
-- hourly counters. The vehicles and roads parts of the module use migrations 0100 and up.

create table traffic_camera (
  id uuid primary key,
  -- The identifier gateways use: our `camera`, OpenALPR `<site_id>-cam<camera_id>` or `<camera_id>`, Frigate's camera name.
  code text not null unique,
  name text not null,
  lon double precision not null,
  lat double precision not null,
  kato text,
  -- Heading of the traffic the camera sees, degrees clockwise from north, and a label («на Щучинск»).
  direction_deg double precision,
  direction_label text,
  lanes smallint not null check (lanes between 1 and 16),
  -- The organisation that operates it (akimat PPP, KazAvtoZhol, the police, …).
  owner text not null,
  kinds text[] not null,
  -- Metrological certificate (поверка): a read outside its validity never becomes a violation.
  cert_number text,
  cert_issuer text,
  cert_valid_from timestamptz,
  cert_valid_to timestamptz,
  version integer not null,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null
);
create index traffic_camera_kato on traffic_camera (kato text_pattern_ops);

-- Clock-sync reports per camera: a read at time t is judged by the latest report at or before t.
create table traffic_camera_sync (
  camera_id uuid not null references traffic_camera (id),
  at timestamptz not null,
  status text not null check (status in ('synced', 'degraded', 'unsynced')),
  source text not null check (source in ('ntp', 'ptp', 'gnss', 'manual', 'none')),
  offset_ms integer,
  reported_by text not null,
  received_at timestamptz not null,
  primary key (camera_id, at)
);

create table traffic_section (
  id uuid primary key,
  name text not null,
  entry_camera_id uuid not null references traffic_camera (id),
  exit_camera_id uuid not null references traffic_camera (id),
  length_m double precision not null check (length_m > 0),
  -- km/h per vehicle class: {"car": 140, "truck": 90, …}, every class present.
  limits jsonb not null,
  max_travel_s integer not null check (max_travel_s > 0),
  active_from timestamptz not null,
  active_to timestamptz,
  kato text,
  version integer not null,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null,
  check (entry_camera_id <> exit_camera_id)
);
create index traffic_section_kato on traffic_section (kato text_pattern_ops);

-- Every plate read, stored in bulk. A resent read (same camera, time and plate) is stored once.
-- No foreign key to the camera: the ingest path checks cameras, and the insert stays one index lighter.
create table traffic_read (
  id uuid primary key,
  camera_id uuid not null,
  plate text not null,
  plate_raw text not null,
  country text,
  vehicle_class text,
  at timestamptz not null,
  received_at timestamptz not null,
  speed_kmh real,
  lane smallint,
  confidence real,
  clock_in_sync boolean not null,
  cert_valid boolean not null,
  image_url text,
  source text not null,
  source_ref text
);
create unique index traffic_read_passage on traffic_read (camera_id, at, plate);
-- Reads arrive roughly in time order: a BRIN index serves the restart window and the retention purge for almost nothing.
create index traffic_read_at on traffic_read using brin (at);

create sequence traffic_notice_seq;

create table traffic_violation (
  id uuid primary key,
  -- Idempotency: the same source key twice files one violation.
  source_key text not null unique,
  kind text not null,
  plate text not null,
  country text,
  at timestamptz not null,
  camera_id uuid,
  section_id uuid,
  kato text,
  speed_kmh double precision,
  limit_kmh double precision,
  read_ids uuid[] not null,
  evidence jsonb not null,
  rule_version text not null,
  -- Provisional while PENDING, final once decided: {rulesVersion, part, type, fineMrp, mrpTenge, fineTenge, …}.
  penalty jsonb not null,
  status text not null check (status in ('PENDING', 'CONFIRMED', 'REJECTED', 'VOID')),
  recorded_by text not null,
  recorded_at timestamptz not null,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  void_reason text,
  notice_number text unique
);
create index traffic_violation_queue on traffic_violation (status, recorded_at, id);
create index traffic_violation_plate on traffic_violation (plate, at);
create index traffic_violation_kato on traffic_violation (kato text_pattern_ops);
create index traffic_violation_reads on traffic_violation using gin (read_ids);

-- Counters that survive restarts: reads per camera and hour (with the unsynced and uncertified among them) …
create table traffic_camera_hour (
  camera_id uuid not null,
  hour timestamptz not null,
  reads bigint not null default 0,
  unsynced bigint not null default 0,
  uncertified bigint not null default 0,
  duplicates bigint not null default 0,
  primary key (camera_id, hour)
);

-- … and the section engine's outcomes per section and hour (of processing).
create table traffic_section_hour (
  section_id uuid not null,
  hour timestamptz not null,
  pairs bigint not null default 0,
  compliant bigint not null default 0,
  violations bigint not null default 0,
  suppressed_unsynced bigint not null default 0,
  suppressed_uncertified bigint not null default 0,
  implausible bigint not null default 0,
  unmatched_entries bigint not null default 0,
  unmatched_exits bigint not null default 0,
  duplicates bigint not null default 0,
  late bigint not null default 0,
  speed_sum_kmh double precision not null default 0,
  primary key (section_id, hour)
);
