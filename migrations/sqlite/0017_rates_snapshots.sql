-- One row per refreshed pair per refresh interval: the history behind GET /v1/rates/history and portfolio
-- history. The rate is exact decimal text; `recorded_ms` (milliseconds since the Unix epoch) is what history
-- buckets by.
CREATE TABLE rates_snapshots (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    pair          TEXT NOT NULL,
    rate          TEXT NOT NULL,
    source        TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    recorded_ms   BIGINT NOT NULL
);
CREATE INDEX rates_snapshots_pair_time ON rates_snapshots (pair, recorded_ms);
