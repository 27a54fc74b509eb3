-- traffic, roads part: crashes (ДТП), road inspections and defects, the citizen reports behind defects.

create table traffic_crash (
  id uuid primary key,
  occurred_at timestamptz not null,
  lon double precision not null,
  lat double precision not null,
  geom geography(Point, 4326) not null,
  kato text,
  address text,
  kind text not null check (kind in ('collision', 'pedestrian', 'cyclist', 'rollover', 'fixed_object', 'motorcycle', 'other')),
  road_name text,
  -- Road index, e.g. M-36, A-1, R-4, KX-12 (as the officer gives it).
  road_code text,
  road_km double precision,
  -- A road of republican (national) significance.
  national_road boolean not null,
  injuries integer not null check (injuries >= 0),
  deaths integer not null check (deaths >= 0),
  -- [{plate, class, role}], plates normalised.
  vehicles jsonb not null,
  vehicle_count integer not null check (vehicle_count >= 1),
  description text,
  created_by text not null,
  created_at timestamptz not null
);
create index traffic_crash_time on traffic_crash (occurred_at, id);
create index traffic_crash_kato on traffic_crash (kato text_pattern_ops);
create index traffic_crash_geom on traffic_crash using gist (geom);

-- A road inspection: one survey of a road by an inspector (or a survey vehicle), with the defects it found.
create table traffic_inspection (
  id uuid primary key,
  road_name text,
  road_code text,
  national_road boolean not null,
  inspector text not null,
  inspected_at timestamptz not null,
  notes text,
  defect_count integer not null,
  kato text,
  created_by text not null,
  created_at timestamptz not null
);
create index traffic_inspection_time on traffic_inspection (inspected_at, id);

create table traffic_defect (
  id uuid primary key,
  type text not null,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  status text not null check (status in ('open', 'in_progress', 'fixed', 'verified', 'rejected')),
  lon double precision not null,
  lat double precision not null,
  geom geography(Point, 4326) not null,
  kato text,
  address text,
  road_name text,
  road_code text,
  national_road boolean,
  description text,
  photo_url text,
  photo_sha256 text,
  responsible_org text,
  deadline timestamptz not null,
  -- Where it came from: an inspection (inspection_id) or a citizen (report_id, Open311 road-defect).
  source text not null check (source in ('inspection', 'citizen')),
  inspection_id uuid references traffic_inspection (id),
  report_id text unique,
  rules_version text not null,
  status_note text,
  -- The overdue alert for the current deadline (reset when the deadline moves), and the incident it raised.
  overdue_alerted_at timestamptz,
  incident_id uuid,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  fixed_at timestamptz,
  verified_at timestamptz
);
create index traffic_defect_time on traffic_defect (created_at, id);
create index traffic_defect_kato on traffic_defect (kato text_pattern_ops);
create index traffic_defect_due on traffic_defect (deadline) where status in ('open', 'in_progress') and overdue_alerted_at is null;
create index traffic_defect_geom on traffic_defect using gist (geom);

-- Every status change of a defect, append-only.
create table traffic_defect_history (
  seq bigserial primary key,
  defect_id uuid not null references traffic_defect (id),
  at timestamptz not null,
  actor text not null,
  from_status text,
  to_status text not null,
  note text
);
create index traffic_defect_history_defect on traffic_defect_history (defect_id, seq);
create function traffic_defect_history_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'traffic_defect_history is append-only';
end $$;
create trigger traffic_defect_history_no_update before update or delete on traffic_defect_history
  for each row execute function traffic_defect_history_append_only();

-- Citizen reports behind a defect: the first, and duplicates joined to it.
create table traffic_defect_report (
  report_id text primary key,
  defect_id uuid not null references traffic_defect (id),
  attached_at timestamptz not null
);
create index traffic_defect_report_defect on traffic_defect_report (defect_id);
