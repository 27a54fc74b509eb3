-- The decision log searched by what an analyst or auditor is asked about: a caller's or called number (calls), a
-- payer's or payee's account hash and a transaction id (transfers). Partial indexes, so that a call's row enters two
-- and a transfer's three, compared bytewise (COLLATE "C": numbers, hex hashes and ids have no language to sort by,
-- and the database's own collation would compare every key through the C library's locale rules).
create index fraud_decision_caller on fraud_decision ((subject->>'caller') collate "C") where kind = 'call';
create index fraud_decision_called on fraud_decision ((subject->>'called') collate "C") where kind = 'call';
create index fraud_decision_tx on fraud_decision ((subject->>'transactionId') collate "C") where kind = 'transaction';
create index fraud_decision_payer on fraud_decision ((subject->>'payerHash') collate "C") where kind = 'transaction';
create index fraud_decision_payee on fraud_decision ((subject->>'payeeHash') collate "C") where kind = 'transaction';
