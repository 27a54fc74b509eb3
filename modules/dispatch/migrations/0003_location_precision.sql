-- How precisely an incident's point is known (reports' LOCATION_PRECISIONS): 'point' when someone stood there or an
-- operator put the pin; 'house', 'street', 'place' or 'district' when a citizen's report gave only an address and
-- the gazetteer placed it. The console shows an approximate place as such until an operator relocates the incident.
alter table dispatch_incident add column location_precision text not null default 'point'
  check (location_precision in ('point', 'house', 'street', 'place', 'district'));
