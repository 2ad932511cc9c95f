-- The posted balance of each side's account right after a transfer, written by the ledger as it applies the
-- transfer, so a wallet's history shows running balances without summing the account's whole journal.
-- Signed (a system account may be negative).
ALTER TABLE ledger_transfers ADD COLUMN debit_balance_after NUMERIC(40, 0);
ALTER TABLE ledger_transfers ADD COLUMN credit_balance_after NUMERIC(40, 0);

-- Rows written before this migration get their running balances from a replay of the journal in `seq` order:
-- only posts and posted holds move a posted balance. The append-only trigger is lifted for this one backfill.
ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfers_append_only;
WITH effects AS (
    SELECT seq, debit_account AS account, 'debit' AS side,
           CASE WHEN action IN ('post', 'post_pending') THEN -amount ELSE 0 END AS delta
    FROM ledger_transfers
    UNION ALL
    SELECT seq, credit_account AS account, 'credit' AS side,
           CASE WHEN action IN ('post', 'post_pending') THEN amount ELSE 0 END AS delta
    FROM ledger_transfers
), running AS (
    SELECT seq, side, SUM(delta) OVER (PARTITION BY account ORDER BY seq, side) AS after FROM effects
)
UPDATE ledger_transfers t
SET debit_balance_after = d.after, credit_balance_after = c.after
FROM running d, running c
WHERE d.seq = t.seq AND d.side = 'debit' AND c.seq = t.seq AND c.side = 'credit';
ALTER TABLE ledger_transfers ENABLE TRIGGER ledger_transfers_append_only;

-- What the hold-expiry sweep looks for: open holds, by expiry.
CREATE INDEX ledger_transfers_hold_expiry ON ledger_transfers (expires_at) WHERE action = 'hold';
CREATE INDEX ledger_holds_open ON ledger_holds (transfer_id) WHERE state = 'open';
