-- API keys for programmatic clients. The secret is sealed with AES-256-GCM (bound to the key id) because the
-- server must recompute HMAC signatures with it; a hash would not do. Scopes and the IP allow-list are
-- comma-separated canonical lists ('read,trade'; '10.0.0.0/8,2001:db8::/32'), empty allow-list = any address.
CREATE TABLE api_keys (
    id            BLOB PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users (id),
    label         TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    ip_allowlist  TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);
