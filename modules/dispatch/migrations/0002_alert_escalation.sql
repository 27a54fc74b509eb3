-- An alert nobody has acknowledged within the escalation time goes to the supervisors: when it did.
alter table dispatch_alert add column escalated_at timestamptz;
create index dispatch_alert_to_escalate on dispatch_alert (raised_at) where acknowledged_at is null and escalated_at is null;
