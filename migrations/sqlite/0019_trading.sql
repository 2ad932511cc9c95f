-- The trading context. Markets, the orders placed on them, the trades the engine made and each side's fill, the
-- engine's command log (every command with its sequence number, written in the same transaction as its effects,
-- so a book is rebuilt by replaying it after its last snapshot), OHLCV candles kept as trades happen, and tiers
-- pinned by staff. Quantities and prices are integers of the market's lot and tick; amounts are minor units of
-- the row's asset as decimal text.
CREATE TABLE trading_markets (
    symbol          TEXT PRIMARY KEY,
    base            TEXT NOT NULL REFERENCES assets (code),
    quote           TEXT NOT NULL REFERENCES assets (code),
    tick_size       TEXT NOT NULL,
    lot_size        TEXT NOT NULL,
    min_qty         TEXT NOT NULL,
    max_qty         TEXT NOT NULL,
    min_notional    TEXT NOT NULL,
    price_band_pct  TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'halted', 'closed')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE trading_orders (
    id              BLOB PRIMARY KEY,
    symbol          TEXT NOT NULL REFERENCES trading_markets (symbol),
    engine_id       INTEGER NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id),
    trader_id       INTEGER NOT NULL,
    client_order_id TEXT,
    side            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    time_in_force   TEXT NOT NULL,
    price           INTEGER,
    stop_price      INTEGER,
    quantity        INTEGER,
    quote_quantity  TEXT,
    protection      INTEGER,
    post_only       BOOLEAN NOT NULL,
    stp             TEXT NOT NULL,
    maker_fee_bps   INTEGER NOT NULL,
    taker_fee_bps   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    triggered       BOOLEAN NOT NULL,
    filled_qty      INTEGER NOT NULL,
    filled_quote    TEXT NOT NULL,
    fee_paid        TEXT NOT NULL,
    hold_asset      TEXT NOT NULL REFERENCES assets (code),
    hold_id         BLOB,
    held            TEXT NOT NULL,
    hold_generation INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX trading_orders_engine ON trading_orders (symbol, engine_id);
CREATE UNIQUE INDEX trading_orders_client ON trading_orders (user_id, client_order_id);
CREATE INDEX trading_orders_user ON trading_orders (user_id, symbol, id);
CREATE INDEX trading_orders_open ON trading_orders (symbol, status);

CREATE TABLE trading_trades (
    id              BLOB PRIMARY KEY,
    symbol          TEXT NOT NULL REFERENCES trading_markets (symbol),
    seq             INTEGER NOT NULL,
    price           INTEGER NOT NULL,
    quantity        INTEGER NOT NULL,
    quote_amount    TEXT NOT NULL,
    taker_side      TEXT NOT NULL,
    maker_order     BLOB NOT NULL,
    taker_order     BLOB NOT NULL,
    executed_at     TEXT NOT NULL
);
CREATE INDEX trading_trades_symbol ON trading_trades (symbol, seq);

CREATE TABLE trading_fills (
    trade_id        BLOB NOT NULL REFERENCES trading_trades (id),
    order_id        BLOB NOT NULL REFERENCES trading_orders (id),
    user_id         BLOB NOT NULL REFERENCES users (id),
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('maker', 'taker')),
    price           INTEGER NOT NULL,
    quantity        INTEGER NOT NULL,
    quote_amount    TEXT NOT NULL,
    fee             TEXT NOT NULL,
    fee_asset       TEXT NOT NULL REFERENCES assets (code),
    executed_at     TEXT NOT NULL,
    PRIMARY KEY (trade_id, order_id)
);
CREATE INDEX trading_fills_user ON trading_fills (user_id, executed_at);
CREATE INDEX trading_fills_order ON trading_fills (order_id);

CREATE TABLE trading_commands (
    symbol          TEXT NOT NULL REFERENCES trading_markets (symbol),
    seq             INTEGER NOT NULL,
    command         TEXT NOT NULL,
    PRIMARY KEY (symbol, seq)
);

CREATE TABLE trading_snapshots (
    symbol          TEXT PRIMARY KEY REFERENCES trading_markets (symbol),
    seq             INTEGER NOT NULL,
    body            TEXT NOT NULL,
    taken_at        TEXT NOT NULL
);

CREATE TABLE trading_candles (
    symbol          TEXT NOT NULL REFERENCES trading_markets (symbol),
    width           TEXT NOT NULL,
    open_time       TEXT NOT NULL,
    open            INTEGER NOT NULL,
    high            INTEGER NOT NULL,
    low             INTEGER NOT NULL,
    close           INTEGER NOT NULL,
    volume          TEXT NOT NULL,
    quote_volume    TEXT NOT NULL,
    trades          INTEGER NOT NULL,
    PRIMARY KEY (symbol, width, open_time)
);

CREATE TABLE trading_tier_pins (
    user_id         BLOB PRIMARY KEY REFERENCES users (id),
    tier            TEXT NOT NULL,
    pinned_by       BLOB,
    pinned_at       TEXT NOT NULL
);

INSERT INTO trading_markets (symbol, base, quote, tick_size, lot_size, min_qty, max_qty, min_notional,
                             price_band_pct, status, created_at, updated_at) VALUES
    ('BTCUSDT', 'BTC', 'USDT', '0.01', '0.0001', '0.0001', '1000', '1', '10', 'open',
     '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('ETHUSDT', 'ETH', 'USDT', '0.01', '0.0001', '0.0001', '10000', '1', '10', 'open',
     '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('ETHBTC', 'ETH', 'BTC', '0.00001', '0.001', '0.001', '10000', '0.0001', '10', 'open',
     '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('BTCUSD', 'BTC', 'USD', '1', '0.01', '0.01', '1000', '10', '10', 'open',
     '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
