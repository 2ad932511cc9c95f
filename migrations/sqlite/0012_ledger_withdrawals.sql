-- Withdrawals requested at `POST /v1/wallets/withdrawals`. The row's id derives the ids of its ledger transfers
-- (the holds, their posting or voiding), so one row can never move money twice. The destination is sealed with
-- AES-256-GCM (associated data binds it to the withdrawal and its owner); only a masked form is kept in clear.
CREATE TABLE ledger_withdrawals (
    id                 BLOB PRIMARY KEY,
    user_id            BLOB NOT NULL REFERENCES users (id),
    asset              TEXT NOT NULL REFERENCES assets (code),
    amount             TEXT NOT NULL,
    fee                TEXT NOT NULL,
    destination_kind   TEXT NOT NULL CHECK (destination_kind IN ('crypto', 'bank')),
    destination_masked TEXT NOT NULL,
    destination_sealed BLOB NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'COMPLETED')),
    reason             TEXT,
    payout_reference   TEXT,
    decided_by         BLOB,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX ledger_withdrawals_user ON ledger_withdrawals (user_id, id);
CREATE INDEX ledger_withdrawals_status ON ledger_withdrawals (status, id);
