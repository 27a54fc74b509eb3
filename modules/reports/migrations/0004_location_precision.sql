-- A report filed with an address and no point is placed by the gazetteer (kernel geo/gazetteer.ts), as precisely as
-- the address allows: 'point' (the reporter's own position, or an operator's pin), 'house', 'street', 'place'
-- (a village or neighbourhood) or 'district'. Only a point or a house is precise enough to merge duplicates by
-- distance: a coarser report keeps no grid cell, so no later report is joined to it by place.
alter table reports_report add column location_precision text not null default 'point'
  check (location_precision in ('point', 'house', 'street', 'place', 'district'));
alter table reports_report alter column grid_cell drop not null;
