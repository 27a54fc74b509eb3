-- traffic, vehicles and roads parts: leases that let one process at a time run a periodic job (e.g. the hourly
-- recomputation of every «Қорғау» score) when several run side by side. A lease that is not renewed runs out.
create table traffic_job_lease (
  name text primary key,
  holder text not null,
  until timestamptz not null
);
