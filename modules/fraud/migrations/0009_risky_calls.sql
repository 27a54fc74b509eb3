-- The call stream is read back from the decision log when a process starts (runtime.ts, readBackCalls): the risky calls
-- of the call-then-transfer window, in time order. A call is logged with `risk` in its subject only when it has one
-- (a flagged caller, an international ingress, a first call not attested A), and those are found through this partial
-- index rather than by walking every call of the window.
create index fraud_decision_risky_calls on fraud_decision (decided_at, id) where kind = 'call' and subject ? 'risk';
