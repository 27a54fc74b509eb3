-- The decision log searched by what an analyst or auditor is asked about: a caller's or called number (calls), a
-- payer's or payee's account hash and a transaction id (transfers). Partial indexes, so that a call's row enters two
-- and a transfer's three (a GIN index over the whole subject cost the database a third more per decision logged).
create index fraud_decision_caller on fraud_decision ((subject->>'caller')) where kind = 'call';
create index fraud_decision_called on fraud_decision ((subject->>'called')) where kind = 'call';
create index fraud_decision_tx on fraud_decision ((subject->>'transactionId')) where kind = 'transaction';
create index fraud_decision_payer on fraud_decision ((subject->>'payerHash')) where kind = 'transaction';
create index fraud_decision_payee on fraud_decision ((subject->>'payeeHash')) where kind = 'transaction';
