-- The withdrawal allow-list. A saved destination is sealed like a withdrawal's (AES-256-GCM, associated data
-- binds it to the row and its owner) with a masked form, and carries a keyed HMAC-SHA256 fingerprint of the
-- normalized destination so a withdrawal can be matched against it without decrypting anything. It may be used
-- only from `usable_from` (its creation plus the cool-down), so a stolen session cannot add an address and drain
-- the wallet to it at once.
CREATE TABLE ledger_withdrawal_destinations (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id),
    asset       TEXT NOT NULL REFERENCES assets (code),
    kind        TEXT NOT NULL CHECK (kind IN ('crypto', 'bank')),
    masked      TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    fingerprint TEXT NOT NULL,
    label       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    usable_from TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ledger_withdrawal_destinations_match
    ON ledger_withdrawal_destinations (user_id, asset, fingerprint);
CREATE INDEX ledger_withdrawal_destinations_user ON ledger_withdrawal_destinations (user_id, id);

-- A user's allow-list mode. No row: off. Switching on takes effect at once; switching off is only scheduled:
-- `disable_at` is when it takes effect (the mode stays on until then).
CREATE TABLE ledger_withdrawal_allowlist (
    user_id    UUID PRIMARY KEY REFERENCES users (id),
    enabled    BOOLEAN NOT NULL,
    disable_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
