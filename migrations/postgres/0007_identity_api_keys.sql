-- API keys for programmatic clients. The secret is sealed with AES-256-GCM (bound to the key id) because the
-- server must recompute HMAC signatures with it; a hash would not do. Scopes and the IP allow-list are
-- comma-separated canonical lists ('read,trade'; '10.0.0.0/8,2001:db8::/32'), empty allow-list = any address.
CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id),
    label         TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    ip_allowlist  TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);
