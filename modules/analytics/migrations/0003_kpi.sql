-- KPI board: the operations centre's response times (from dispatch's incident events) and counts of what other
-- modules processed (traffic violations decided, frauds prevented), each from that module's published events.

create table analytics_response (
  incident_id text primary key,
  priority text not null,
  kato text,
  received_at timestamptz not null,
  dispatched_at timestamptz,
  on_scene_at timestamptz,
  updated_at timestamptz not null
);
create index analytics_response_received on analytics_response (received_at);

create table analytics_kpi_event (
  -- 'violation_confirmed', 'violation_rejected', 'fraud_prevented_call', 'fraud_prevented_transaction'
  kind text not null,
  ref text not null,
  at timestamptz not null,
  kato text,
  primary key (kind, ref)
);
create index analytics_kpi_event_at on analytics_kpi_event (at);
