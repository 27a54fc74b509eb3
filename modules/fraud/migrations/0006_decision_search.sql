-- The decision log searched by what an analyst or auditor is asked about: a transaction id, a caller's or called
-- number, a payer's or payee's account (its hash). One GIN index over the subject answers them all
-- (`subject @> '{"caller": "+7…"}'`); its pending list takes the log's batched inserts cheaply.
create index fraud_decision_subject on fraud_decision using gin (subject jsonb_path_ops);
