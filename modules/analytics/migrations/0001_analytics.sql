-- analytics: historical incidents (imported files and the platform's own incidents, taken in from dispatch's
-- events), for statistics and hotspot forecasts. No other module reads these tables.

create table analytics_import (
  id uuid primary key,
  name text not null,
  format text not null check (format in ('csv', 'geojson')),
  crs text not null,
  mapping jsonb not null,
  rows integer not null,
  created_by text not null,
  created_at timestamptz not null
);

create table analytics_incident (
  id uuid primary key,
  -- 'import' (a row of an analytics_import) or 'dispatch' (an incident of the operations centre).
  source text not null check (source in ('import', 'dispatch')),
  import_id uuid references analytics_import (id),
  -- The import's row number, or dispatch's incident id: one record per source record.
  source_ref text not null,
  occurred_at timestamptz not null,
  lon double precision not null,
  lat double precision not null,
  geom geometry(Point, 4326) not null,
  -- Criminal Code article (or the source's category code).
  category text,
  outcome text,
  -- null when the source gives no outcome: such records stay out of the clearance rate.
  cleared boolean,
  region_kato text,
  district_kato text,
  updated_at timestamptz not null
);
create unique index analytics_incident_ref on analytics_incident (source, coalesce(import_id::text, ''), source_ref);
create index analytics_incident_time on analytics_incident (occurred_at);
create index analytics_incident_region on analytics_incident (region_kato text_pattern_ops, occurred_at);
create index analytics_incident_district on analytics_incident (district_kato text_pattern_ops);
create index analytics_incident_geom on analytics_incident using gist (geom);
