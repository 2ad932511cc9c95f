-- Withdrawals requested at `POST /v1/wallets/withdrawals`. The row's id derives the ids of its ledger transfers
-- (the holds, their posting or voiding), so one row can never move money twice. The destination is sealed with
-- AES-256-GCM (associated data binds it to the withdrawal and its owner); only a masked form is kept in clear.
CREATE TABLE ledger_withdrawals (
    id                 UUID PRIMARY KEY,
    user_id            UUID NOT NULL REFERENCES users (id),
    asset              TEXT NOT NULL REFERENCES assets (code),
    amount             NUMERIC(39, 0) NOT NULL CHECK (amount > 0),
    fee                NUMERIC(39, 0) NOT NULL CHECK (fee >= 0),
    destination_kind   TEXT NOT NULL CHECK (destination_kind IN ('crypto', 'bank')),
    destination_masked TEXT NOT NULL,
    destination_sealed BYTEA NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'COMPLETED')),
    reason             TEXT,
    payout_reference   TEXT,
    decided_by         UUID,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_withdrawals_user ON ledger_withdrawals (user_id, id);
CREATE INDEX ledger_withdrawals_status ON ledger_withdrawals (status, id);
