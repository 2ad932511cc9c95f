-- Idempotency keys of money-moving requests (crates/api/src/middleware/idempotency.rs). One row per (user, key):
-- the primary key is what makes claiming a key race-free. `request_hash` is SHA-256 of method, path and body;
-- `state` is 'in_progress' while the first request runs and 'completed' once its response is stored. Rows are
-- kept until `expires_at` (24 h after the claim) and purged after.
CREATE TABLE api_idempotency_keys (
    user_id       UUID NOT NULL REFERENCES users (id),
    idem_key      TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
    status_code   INTEGER,
    content_type  TEXT,
    response_body BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX api_idempotency_keys_expiry ON api_idempotency_keys (expires_at);
