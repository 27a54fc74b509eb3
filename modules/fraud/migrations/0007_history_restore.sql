-- The payment stream is read back from the decision log when a process starts (runtime.ts, restoreHistory): the
-- transfers let through in the last two mule windows, in time order. Calls are most of the log, so the transfers are
-- found through their own partial index rather than by walking every decision of those hours.
create index fraud_decision_history on fraud_decision (decided_at, id) where kind = 'transaction' and outcome in ('allow', 'hold');
