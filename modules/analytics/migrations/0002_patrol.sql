-- Patrol plans (for adherence) and the telemetry of the units in them.

create table analytics_patrol_plan (
  id uuid primary key,
  start_at timestamptz not null,
  end_at timestamptz not null,
  method text not null,
  -- The planned visits: [{unitId, hotspotId, lon, lat, from, to}] (epoch ms).
  visits jsonb not null,
  -- The plan as sent to the tablets: a LineString per unit and a Point per stop.
  geojson jsonb not null,
  created_by text not null,
  created_at timestamptz not null
);

create table analytics_patrol_unit (
  plan_id uuid not null references analytics_patrol_plan (id),
  -- dispatch's unit id (from its events; never a reference into its tables).
  unit_id text not null,
  start_at timestamptz not null,
  end_at timestamptz not null,
  primary key (plan_id, unit_id)
);
create index analytics_patrol_unit_unit on analytics_patrol_unit (unit_id, start_at);

-- Positions of units while they have a plan (from dispatch.unit.position), kept to judge adherence.
create table analytics_unit_position (
  unit_id text not null,
  at timestamptz not null,
  lon double precision not null,
  lat double precision not null,
  primary key (unit_id, at)
);
