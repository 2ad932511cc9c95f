-- Every write that ends sessions or changes what a session may do (revocation, suspension, a new role) leaves a
-- row here in its own transaction, so each node's in-memory view of live sessions can forget what it holds.
CREATE TABLE session_revocations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BLOB NOT NULL,
    -- Empty: every session of the user.
    session_id  BLOB,
    recorded_at TEXT NOT NULL
);
CREATE INDEX session_revocations_recorded ON session_revocations (recorded_at);
