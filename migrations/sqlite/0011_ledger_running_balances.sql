-- The posted balance of each side's account right after a transfer, written by the ledger as it applies the
-- transfer, so a wallet's history shows running balances without summing the account's whole journal.
-- Signed decimal text (a system account may be negative). Rows written before this migration keep NULL: SQLite
-- cannot sum TEXT amounts exactly, so the ledger replays the account's journal for them when they are read.
ALTER TABLE ledger_transfers ADD COLUMN debit_balance_after TEXT;
ALTER TABLE ledger_transfers ADD COLUMN credit_balance_after TEXT;

-- What the hold-expiry sweep looks for: open holds, by expiry.
CREATE INDEX ledger_transfers_hold_expiry ON ledger_transfers (expires_at) WHERE action = 'hold';
CREATE INDEX ledger_holds_open ON ledger_holds (transfer_id) WHERE state = 'open';
