-- A staff member created by an admin has no password until they accept the one-time invite.
CREATE TABLE staff_invites (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX staff_invites_user ON staff_invites (user_id);
CREATE INDEX audit_log_target ON audit_log (target, id);
