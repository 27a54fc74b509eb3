-- Citizens' reports: who reported, as the channel knows them (its device id or the citizen's phone), kept only as a
-- keyed hash — so that one person's reports count once towards an identifier's confidence — and a case's status
-- as an analyst works it.
alter table fraud_case add column reporter_hash text;
alter table fraud_case drop constraint fraud_case_status_check;
alter table fraud_case add constraint fraud_case_status_check check (status in ('open', 'investigating', 'closed'));
alter table fraud_case add column status_comment text;
alter table fraud_case add column status_at timestamptz;
create index fraud_case_reporter on fraud_case (reporter_hash) where reporter_hash is not null;
