-- Fines are paid: a confirmed fine is due `TARTIP_TRAFFIC_PAYMENT_TERM_DAYS` after confirmation; the payment
-- (from the treasury or a bank, through an officer or a partner system) is recorded against the violation.
alter table traffic_violation add column payment_due_at timestamptz;
alter table traffic_violation add column paid_at timestamptz;
alter table traffic_violation add column payment_ref text;
