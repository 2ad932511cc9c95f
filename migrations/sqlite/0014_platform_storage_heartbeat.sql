-- One row, rewritten by the readiness check to prove the database takes writes.
CREATE TABLE storage_heartbeat (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at TEXT NOT NULL
);
