-- dispatch: incidents, their timeline, reports and links; units, positions, assignments; alerts; premise flags.

create table dispatch_incident (
  id uuid primary key,
  status text not null,
  priority text not null check (priority in ('P1', 'P2', 'P3', 'P4')),
  category text not null,
  description text,
  address text,
  -- Where it came from: call (102 operator), field (officer on the street), report (citizen), camera, protection, panic, …
  source text not null,
  -- The source system's id (camera event, protective order, report); unique per source so raising is idempotent.
  external_ref text,
  lon double precision not null,
  lat double precision not null,
  kato text,
  created_by text not null,
  config_version text not null,
  received_at timestamptz not null,
  triaged_at timestamptz,
  dispatched_at timestamptz,
  en_route_at timestamptz,
  on_scene_at timestamptz,
  cleared_at timestamptz,
  closed_at timestamptz,
  cancelled_at timestamptz,
  merged_at timestamptz,
  merged_into uuid references dispatch_incident (id),
  -- For panic incidents: the unit whose crew pressed the button.
  panic_unit_id uuid,
  updated_at timestamptz not null
);
create unique index dispatch_incident_source_ref on dispatch_incident (source, external_ref) where external_ref is not null;
create index dispatch_incident_queue on dispatch_incident (priority, received_at, id);
create index dispatch_incident_kato on dispatch_incident (kato text_pattern_ops);

-- Citizen reports attached to an incident (several when duplicates were joined or incidents merged).
create table dispatch_incident_report (
  report_id text primary key,
  incident_id uuid not null references dispatch_incident (id),
  attached_at timestamptz not null
);
create index dispatch_incident_report_incident on dispatch_incident_report (incident_id);

-- Append-only: every step of every incident, with time, actor and (if known) the actor's position.
create table dispatch_timeline (
  seq bigserial primary key,
  incident_id uuid not null references dispatch_incident (id),
  at timestamptz not null,
  actor text not null,
  kind text not null,
  from_status text,
  to_status text,
  lon double precision,
  lat double precision,
  note text,
  data jsonb not null default '{}'::jsonb
);
create index dispatch_timeline_incident on dispatch_timeline (incident_id, seq);

create function dispatch_timeline_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'dispatch_timeline is append-only';
end $$;
create trigger dispatch_timeline_no_update before update or delete on dispatch_timeline
  for each row execute function dispatch_timeline_append_only();

-- EIDO links (PARENT / CHILD / RELATED), stored in both directions.
create table dispatch_incident_link (
  incident_id uuid not null references dispatch_incident (id),
  other_id uuid not null references dispatch_incident (id),
  kind text not null check (kind in ('PARENT', 'CHILD', 'RELATED')),
  created_at timestamptz not null,
  created_by text not null,
  primary key (incident_id, other_id)
);

create table dispatch_unit (
  id uuid primary key,
  call_sign text not null unique,
  type text not null check (type in ('PATROL_CAR', 'FOOT_PATROL', 'NATIONAL_GUARD', 'TRAFFIC_POLICE')),
  home_kato text not null,
  crew text[] not null default '{}',
  status text not null,
  -- Secondary status (EIDO secondaryUnitStatus): PANIC, LOW_BATTERY.
  flags text[] not null default '{}',
  stale boolean not null default false,
  last_lon double precision,
  last_lat double precision,
  last_speed double precision,
  last_heading double precision,
  last_battery double precision,
  last_at timestamptz,
  current_incident_id uuid references dispatch_incident (id),
  status_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index dispatch_unit_crew on dispatch_unit using gin (crew);
create index dispatch_unit_home on dispatch_unit (home_kato text_pattern_ops);

-- Position history (AVL). (unit, at) is the key: a tracker resending a sample changes nothing.
create table dispatch_position (
  unit_id uuid not null references dispatch_unit (id),
  at timestamptz not null,
  lon double precision not null,
  lat double precision not null,
  speed double precision,
  heading double precision,
  battery double precision,
  received_at timestamptz not null,
  primary key (unit_id, at)
);

create table dispatch_assignment (
  id uuid primary key,
  incident_id uuid not null references dispatch_incident (id),
  unit_id uuid not null references dispatch_unit (id),
  assigned_at timestamptz not null,
  assigned_by text not null,
  -- The recommendation at the moment of assignment: its method, the top unit, the rank the dispatcher chose.
  method text,
  top_unit_id uuid,
  recommendation_rank int,
  accepted_top boolean,
  acknowledged_at timestamptz,
  on_scene_at timestamptz,
  released_at timestamptz,
  release_reason text
);
create unique index dispatch_assignment_active_unit on dispatch_assignment (unit_id) where released_at is null;
create index dispatch_assignment_incident on dispatch_assignment (incident_id);

-- Alerts for the console and supervisors; `condition_key` makes each condition raise once.
create table dispatch_alert (
  id uuid primary key,
  kind text not null,
  condition_key text not null unique,
  incident_id uuid references dispatch_incident (id),
  unit_id uuid references dispatch_unit (id),
  kato text,
  due_at timestamptz,
  raised_at timestamptz not null,
  data jsonb not null default '{}'::jsonb,
  acknowledged_at timestamptz,
  acknowledged_by text
);
create index dispatch_alert_open on dispatch_alert (raised_at) where acknowledged_at is null;

-- Premise hazards fed by other modules (protective orders, weapons, prior violence) or set by dispatchers.
create table dispatch_premise_flag (
  id uuid primary key,
  kind text not null check (kind in ('protective_order', 'weapons', 'prior_violence')),
  note text not null,
  lon double precision not null,
  lat double precision not null,
  geom geography(Point, 4326) not null,
  radius_m double precision not null,
  expires_at timestamptz,
  source_module text not null,
  source_ref text not null,
  kato text,
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (source_module, source_ref)
);
create index dispatch_premise_flag_geom on dispatch_premise_flag using gist (geom);
