-- The withdrawal allow-list. A saved destination is sealed like a withdrawal's (AES-256-GCM, associated data
-- binds it to the row and its owner) with a masked form, and carries a keyed HMAC-SHA256 fingerprint of the
-- normalized destination so a withdrawal can be matched against it without decrypting anything. It may be used
-- only from `usable_from` (its creation plus the cool-down), so a stolen session cannot add an address and drain
-- the wallet to it at once.
CREATE TABLE ledger_withdrawal_destinations (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    asset       TEXT NOT NULL REFERENCES assets (code),
    kind        TEXT NOT NULL CHECK (kind IN ('crypto', 'bank')),
    masked      TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    label       TEXT,
    created_at  TEXT NOT NULL,
    usable_from TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_withdrawal_destinations_match
    ON ledger_withdrawal_destinations (user_id, asset, fingerprint);
CREATE INDEX ledger_withdrawal_destinations_user ON ledger_withdrawal_destinations (user_id, id);

-- A user's allow-list mode. No row: off. Switching on takes effect at once; switching off is only scheduled:
-- `disable_at` is when it takes effect (the mode stays on until then).
CREATE TABLE ledger_withdrawal_allowlist (
    user_id    BLOB PRIMARY KEY REFERENCES users (id),
    enabled    BOOLEAN NOT NULL CHECK (enabled IN (0, 1)),
    disable_at TEXT,
    updated_at TEXT NOT NULL
);
