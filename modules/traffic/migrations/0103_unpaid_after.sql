-- A confirmed fine not yet paid carries its due date; once that passes unpaid, the refresh marks it `unpaid`.
alter table traffic_score_event add column unpaid_after timestamptz;
create index traffic_score_event_unpaid_after on traffic_score_event (unpaid_after) where unpaid_after is not null and not unpaid;
