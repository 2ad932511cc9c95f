-- TOTP secrets are sealed with AES-256-GCM; the pending one waits for its first code.
ALTER TABLE users ADD COLUMN totp_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_pending_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id   UUID NOT NULL REFERENCES users (id),
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- The second step of a login with 2FA: the password was right, a code is still owed.
CREATE TABLE login_challenges (
    challenge_hash TEXT PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users (id),
    expires_at     TIMESTAMPTZ NOT NULL,
    attempts       BIGINT NOT NULL,
    used_at        TIMESTAMPTZ
);
