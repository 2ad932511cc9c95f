CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('CUSTOMER', 'TELLER', 'ADMIN')),
    status        TEXT NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    tier          TEXT NOT NULL CHECK (tier IN ('BASIC', 'PRO')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A session is one login: the family of refresh tokens descended from it.
CREATE TABLE sessions (
    id             BLOB PRIMARY KEY,
    user_id        BLOB NOT NULL REFERENCES users (id),
    created_at     TEXT NOT NULL,
    last_used_at   TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_reason TEXT,
    ip             TEXT,
    user_agent     TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

-- Refresh tokens are stored as SHA-256 hashes; a rotated token stays to detect its reuse.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id BLOB NOT NULL REFERENCES sessions (id),
    issued_at  TEXT NOT NULL,
    rotated_at TEXT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Failed logins per key ('email:…' or 'ip:…') within the current window.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);
