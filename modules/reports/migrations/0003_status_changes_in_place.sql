-- A report's status changes (received → dispatched → on scene → closed) are rewritten in place.
--
-- Every change of a report rewrote its row, and because `incident_id` was indexed and the table's pages were full,
-- PostgreSQL could not update it in place (a heap-only tuple): each change added an entry to every one of the
-- table's twelve indexes, the GiST index on the location among them. Under report intake on PostgreSQL that made
-- the update that links new reports to their incidents the costliest statement per report (2.7 ms for a batch of
-- 37), and every later status change paid the same again and left the indexes to bloat.
--
-- Now no index covers a column a status change writes, and pages keep a fifth of their space free for the new
-- versions; the lookup of reports by incident goes through `reports_incident_report`, written by a trigger whenever
-- a report gets an incident, so no code path can forget it. A report moved to another incident keeps its old link
-- row, and readers check `reports_report.incident_id`, which stays the truth.
alter table reports_report set (fillfactor = 80);

create table reports_incident_report (
  incident_id text not null,
  report_id uuid not null,
  primary key (incident_id, report_id)
);
insert into reports_incident_report (incident_id, report_id) select incident_id, id from reports_report where incident_id is not null;

create function reports_link_incident() returns trigger language plpgsql as $$
begin
  insert into reports_incident_report (incident_id, report_id) values (new.incident_id, new.id) on conflict do nothing;
  return null;
end $$;
create trigger reports_link_incident_on_insert after insert on reports_report
  for each row when (new.incident_id is not null) execute function reports_link_incident();
create trigger reports_link_incident_on_update after update of incident_id on reports_report
  for each row when (new.incident_id is not null and new.incident_id is distinct from old.incident_id) execute function reports_link_incident();

drop index reports_report_incident;
