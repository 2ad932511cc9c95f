-- The portfolio context. Holdings a user tracks on or off the platform (their Bourse wallets are read from the
-- ledger, not copied here), the activities their FIFO cost basis is computed from, and one valuation snapshot
-- per user, UTC day and currency for history. Amounts are minor units of the row's asset as decimal text;
-- an activity's price is exact decimal text (a rate: at most 18 places, 28 digits) and its fee minor units of
-- the price currency.
CREATE TABLE portfolio_holdings (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    asset      TEXT NOT NULL REFERENCES assets (code),
    amount     TEXT NOT NULL,
    label      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX portfolio_holdings_user ON portfolio_holdings (user_id, id);

CREATE TABLE portfolio_activities (
    id             BLOB PRIMARY KEY,
    user_id        BLOB NOT NULL REFERENCES users (id),
    kind           TEXT NOT NULL CHECK (kind IN ('buy', 'sell', 'transfer_in', 'transfer_out', 'fee')),
    asset          TEXT NOT NULL REFERENCES assets (code),
    amount         TEXT NOT NULL,
    price          TEXT,
    price_currency TEXT REFERENCES assets (code),
    fee            TEXT,
    occurred_at    TEXT NOT NULL,
    note           TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX portfolio_activities_user ON portfolio_activities (user_id, occurred_at, id);

CREATE TABLE portfolio_snapshots (
    user_id     BLOB NOT NULL REFERENCES users (id),
    day         TEXT NOT NULL,
    currency    TEXT NOT NULL REFERENCES assets (code),
    total_value TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, currency, day)
);
