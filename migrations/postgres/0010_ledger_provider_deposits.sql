-- Deposits a custody or payment provider notified through `POST /v1/webhooks/deposits`. One row per
-- (provider, provider_tx_id): the unique key is what makes a repeated or concurrent notification apply once.
-- The ledger transfers of a deposit take ids derived from `id`, so the journal cannot hold two for one row.
CREATE TABLE ledger_provider_deposits (
    id                     UUID PRIMARY KEY,
    provider               TEXT NOT NULL,
    provider_tx_id         TEXT NOT NULL,
    user_id                UUID NOT NULL REFERENCES users (id),
    asset                  TEXT NOT NULL REFERENCES assets (code),
    amount                 NUMERIC(39, 0) NOT NULL CHECK (amount > 0),
    confirmations          BIGINT NOT NULL CHECK (confirmations >= 0),
    required_confirmations BIGINT NOT NULL CHECK (required_confirmations >= 0),
    status                 TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED')),
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, provider_tx_id)
);
CREATE INDEX ledger_provider_deposits_user ON ledger_provider_deposits (user_id, created_at);
