//! The transactional outbox: a state change and the event that reports it are written in one database
//! transaction (no lost events, no phantom events), and a relay publishes committed events to the bus in order.

use crate::bus::{Event, EventBus};
use crate::clock::Clock;
use crate::db::bulk::{Column, Rows, Statement, Value};
use crate::db::{Backend, Db, DbError, OutboxSignal, Tx};
use crate::{on_db, on_tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Most events the relay moves in one database round trip.
const RELAY_BATCH: i64 = 500;

/// Records `subject` with `payload` in the outbox as part of `tx`; it is published only if `tx` commits, and
/// the commit wakes the relay.
pub async fn enqueue(
    tx: &mut Tx,
    subject: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.note_events();
    on_tx!(tx, conn => sqlx::query("INSERT INTO outbox (subject, payload, created_at) VALUES ($1, $2, $3)")
        .bind(subject)
        .bind(Json(payload))
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The outbox rows of `events`, in order: what [`enqueue_many`] writes, for a writer on another connection.
pub fn rows<'a>(events: &'a [(&str, serde_json::Value)], now: DateTime<Utc>) -> Rows<'a> {
    let values = events
        .iter()
        .flat_map(|(subject, payload)| [Value::Text(Some(subject)), Value::Json(payload), Value::Time(Some(now))])
        .collect();
    Rows {
        statement: Statement {
            head: "INSERT INTO outbox (subject, payload, created_at) VALUES",
            columns: &[Column::Plain; 3],
            tail: "",
        },
        values,
        events: true,
    }
}

/// Records every `(subject, payload)` of `events`, in order, as part of `tx`, in a few multi-row statements.
pub async fn enqueue_many(
    tx: &mut Tx,
    events: &[(&str, serde_json::Value)],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.note_events();
    rows(events, now).execute(tx).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    subject: String,
    payload: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl From<OutboxRow> for Event {
    fn from(row: OutboxRow) -> Self {
        Event {
            id: row.id,
            subject: row.subject,
            payload: row.payload.0,
            created_at: row.created_at,
        }
    }
}

/// Moves committed outbox rows to the bus.
pub struct Relay {
    db: Db,
    bus: Arc<dyn EventBus>,
    clock: Arc<dyn Clock>,
    wake: OutboxSignal,
}

impl Relay {
    /// A relay for `db`'s outbox, woken by every commit on `db` that wrote events.
    pub fn new(db: Db, bus: Arc<dyn EventBus>, clock: Arc<dyn Clock>) -> Self {
        let wake = db.outbox_signal().clone();
        Relay { db, bus, clock, wake }
    }

    /// Publishes every unpublished event, oldest first, and returns how many went out. Runs in one transaction
    /// per batch: a crash between publish and mark republishes (at-least-once); subscribers dedupe by event id.
    pub async fn publish_pending(&self) -> Result<usize, DbError> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published < RELAY_BATCH as usize {
                return Ok(total);
            }
        }
    }

    async fn publish_batch(&self) -> Result<usize, DbError> {
        let mut tx = self.db.begin().await?;
        if tx.backend() == Backend::Postgres {
            // One relay at a time across all nodes keeps the order; the others skip this round.
            let locked: bool = on_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT pg_try_advisory_xact_lock(7400713200501)"
            ).fetch_one(conn).await)?;
            if !locked {
                tx.rollback().await?;
                return Ok(0);
            }
        }
        let rows: Vec<OutboxRow> = on_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT id, subject, payload, created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1"
        ).bind(RELAY_BATCH).fetch_all(conn).await)?;
        let mut published = Vec::with_capacity(rows.len());
        for row in rows {
            let event = Event::from(row);
            if let Err(e) = self.bus.publish(&event).await {
                tracing::warn!(error = %e, event_id = event.id, "event bus refused an event; will retry");
                break;
            }
            published.push(event.id);
        }
        if !published.is_empty() {
            // Exactly the ids sent: on PostgreSQL a lower id may commit after a higher one, so a range would mark
            // an event nobody has seen.
            let now = self.clock.now();
            on_tx!(&mut tx, conn => {
                let mut update = sqlx::QueryBuilder::new("UPDATE outbox SET published_at = ");
                update.push_bind(now).push(" WHERE id IN (");
                let mut ids = update.separated(", ");
                for id in &published {
                    ids.push_bind(*id);
                }
                update.push(")");
                update.build().execute(conn).await.map(|_| ())
            })?;
        }
        tx.commit().await?;
        Ok(published.len())
    }

    /// Runs until `shutdown` turns true: publishes after each commit that wrote events, and every `interval` (for
    /// events written by another process), then once more before leaving.
    pub async fn run(self, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.publish_pending().await {
                tracing::error!(error = %e, "outbox relay failed; retrying");
            }
            tokio::select! {
                _ = self.wake.raised() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
        }
        if let Err(e) = self.publish_pending().await {
            tracing::error!(error = %e, "outbox relay failed during shutdown");
        }
    }
}

/// Events with an id above `after`, oldest first: how a consumer catches up on what it missed.
pub async fn read_after(db: &Db, after: i64, limit: i64) -> Result<Vec<Event>, DbError> {
    let rows: Vec<OutboxRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, subject, payload, created_at FROM outbox WHERE id > $1 ORDER BY id LIMIT $2"
    ).bind(after).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(Event::from).collect())
}
