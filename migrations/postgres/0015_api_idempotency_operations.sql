-- The operation a claimed Idempotency-Key stands for, and how long its claim is held. A handler derives the ids
-- of what it writes (a transfer, a withdrawal) from `operation_id`, so when a claim left `in_progress` by a crash
-- is taken over once `lease_until` has passed, running the request again finds the effect already committed
-- instead of applying it twice. Rows claimed before this column existed have no operation and are never taken
-- over; they expire as before.
ALTER TABLE api_idempotency_keys ADD COLUMN operation_id UUID;
ALTER TABLE api_idempotency_keys ADD COLUMN lease_until TIMESTAMPTZ;
