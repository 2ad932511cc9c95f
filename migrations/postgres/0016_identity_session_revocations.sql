-- Every write that ends sessions or changes what a session may do (revocation, suspension, a new role) leaves a
-- row here in its own transaction, so each node's in-memory view of live sessions can forget what it holds.
CREATE TABLE session_revocations (
    id          BIGSERIAL PRIMARY KEY,
    user_id     UUID NOT NULL,
    -- Empty: every session of the user.
    session_id  UUID,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_revocations_recorded ON session_revocations (recorded_at);
