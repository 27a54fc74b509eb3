-- traffic, vehicles part: the vehicle register, «Қорғау» score inputs and scores, cloned-plate findings, sightings
-- of flagged vehicles. (0001–0099 belong to the read pipeline; 0100 and up to the vehicles and roads parts.)

-- The register. `plate` is the normalised plate (upper-case Latin letters and digits, Cyrillic look-alikes folded).
create table traffic_vehicle (
  plate text primary key check (plate ~ '^[A-Z0-9]{2,12}$'),
  -- 'KZ' for a valid Kazakhstan format, null for other formats (mopeds, old series, diplomatic).
  country text,
  class text not null check (class in ('car', 'truck', 'bus', 'motorcycle', 'moped', 'other')),
  make text,
  model text,
  colour text,
  year integer,
  vin text,
  -- Personal data: read only through audited routes and ownerOf().
  owner_kind text not null check (owner_kind in ('person', 'organisation')),
  owner_name text not null,
  -- ИИН (person) or БИН (organisation), checksum verified.
  owner_iin text not null check (owner_iin ~ '^\d{12}$'),
  owner_address text not null,
  -- Compulsory motor insurance (ОГПО ВТС) valid until this date; null = no policy on record.
  insurance_valid_until date,
  wanted boolean not null default false,
  wanted_reason text,
  -- The legal basis of the search (case number, order), required with the flag.
  wanted_basis text,
  wanted_since timestamptz,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  check (not wanted or (wanted_reason is not null and wanted_basis is not null and wanted_since is not null))
);
create index traffic_vehicle_owner on traffic_vehicle (owner_iin);
create index traffic_vehicle_wanted on traffic_vehicle (plate) where wanted;

-- What the score is computed from: violations (a projection of the violation path's events) and cloned-plate
-- findings. One row per source record; an update (confirmed, rejected, paid) replaces it.
create table traffic_score_event (
  source text not null check (source in ('violation', 'clone')),
  ref text not null,
  plate text not null,
  -- Set when the violation names the driver; otherwise it counts for the vehicle's owner.
  driver_iin text,
  kind text not null,
  at timestamptz not null,
  speed_kmh double precision,
  limit_kmh double precision,
  distance_km double precision,
  implied_speed_kmh double precision,
  -- False while a violation waits for an officer, and when it was rejected: it does not count.
  counts boolean not null,
  -- A fine issued and not paid in time.
  unpaid boolean not null default false,
  updated_at timestamptz not null,
  primary key (source, ref)
);
create index traffic_score_event_plate on traffic_score_event (plate, at);
create index traffic_score_event_driver on traffic_score_event (driver_iin) where driver_iin is not null;

-- The latest computed score of each plate and each person (ИИН/БИН), with its explanation.
create table traffic_score (
  subject_kind text not null check (subject_kind in ('plate', 'person')),
  subject text not null,
  score double precision not null,
  flagged boolean not null,
  items jsonb not null,
  rules_version text not null,
  computed_at timestamptz not null,
  primary key (subject_kind, subject)
);
create index traffic_score_rank on traffic_score (subject_kind, score desc, subject);

-- The same plate seen at two places faster than physically possible.
create table traffic_clone_finding (
  id uuid primary key,
  plate text not null,
  first_read_id text not null,
  first_camera_id text not null,
  first_at timestamptz not null,
  first_lon double precision not null,
  first_lat double precision not null,
  second_read_id text not null,
  second_camera_id text not null,
  second_at timestamptz not null,
  second_lon double precision not null,
  second_lat double precision not null,
  distance_m double precision not null,
  dt_s double precision not null,
  implied_speed_kmh double precision not null,
  -- The detector's settings when it was found (max speed, min distance, clock tolerance).
  settings jsonb not null,
  detected_at timestamptz not null,
  unique (first_read_id, second_read_id)
);
create index traffic_clone_finding_plate on traffic_clone_finding (plate, detected_at);

-- Each time a flagged vehicle (wanted, or score at or above the threshold) passed a camera.
create table traffic_flagged_sighting (
  read_id text primary key,
  plate text not null,
  camera_id text not null,
  at timestamptz not null,
  lon double precision not null,
  lat double precision not null,
  kato text,
  reason text not null check (reason in ('wanted', 'score')),
  score double precision,
  -- The dispatch incident raised for it; null within the cooldown after the previous one.
  incident_id uuid,
  recorded_at timestamptz not null
);
create index traffic_flagged_sighting_plate on traffic_flagged_sighting (plate, at);
