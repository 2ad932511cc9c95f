-- Events written in the same transaction as the change they report; the relay publishes and marks them.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    subject      TEXT NOT NULL,
    payload      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
