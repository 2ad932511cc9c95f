-- A staff member created by an admin has no password until they accept the one-time invite.
CREATE TABLE staff_invites (
    token_hash TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX staff_invites_user ON staff_invites (user_id);
CREATE INDEX audit_log_target ON audit_log (target, id);
