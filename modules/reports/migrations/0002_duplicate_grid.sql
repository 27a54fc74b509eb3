-- The duplicate search reads the few grid cells around a new report (domain/duplicate.ts: gridCell, 0.002°
-- cells) instead of every recent report of its category, which is what the (category, submitted_at) index
-- gave it: thousands of rows a minute under load, each measured by PostGIS.
alter table reports_report add column grid_cell int8;
update reports_report
  set grid_cell = floor(ST_X(location::geometry) * 500)::int8 * 1000000 + floor(ST_Y(location::geometry) * 500)::int8;
alter table reports_report alter column grid_cell set not null;
create index reports_report_near on reports_report (category, grid_cell, submitted_at);
-- The old (category, submitted_at) index would still tempt the planner into reading every recent report of a
-- category; lists by time use an index on the time alone.
drop index reports_report_recent;
create index reports_report_submitted on reports_report (submitted_at);
