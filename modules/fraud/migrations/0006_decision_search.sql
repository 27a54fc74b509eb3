-- The decision log searched by what an analyst or auditor is asked about: a caller's or called number (calls), the
-- account a transfer paid into (its hash: the mule-account question) and a transaction id (transfers). Partial
-- indexes, so that a call's row enters two and a transfer's two, compared bytewise (COLLATE "C": numbers, hex hashes
-- and ids have no language to sort by, and the database's own collation would compare every key through the C
-- library's locale rules). Each index is paid on every decision logged; the payer's account is not indexed (the
-- payer's own bank holds its history).
create index fraud_decision_caller on fraud_decision ((subject->>'caller') collate "C") where kind = 'call';
create index fraud_decision_called on fraud_decision ((subject->>'called') collate "C") where kind = 'call';
create index fraud_decision_tx on fraud_decision ((subject->>'transactionId') collate "C") where kind = 'transaction';
create index fraud_decision_payee on fraud_decision ((subject->>'payeeHash') collate "C") where kind = 'transaction';
