-- A citizen's report with no earlier report to join looks for an open incident of its kind nearby (an operator's 102
-- call, a camera's, a panic's) to join instead of making a second one (intake.ts). Open incidents at an exact place,
-- by category and latitude: a report reads the few in a band of its own latitude, not every open incident of its kind.
create index dispatch_incident_open_by_place on dispatch_incident (category, lat)
  where status in ('RECEIVED', 'TRIAGED', 'PENDING', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE') and location_precision in ('point', 'house');
