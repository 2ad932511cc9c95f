//! The `rates_snapshots` rows: what the refresher records, and the history read from them.

use crate::RatesError;
use chrono::{DateTime, Utc};
use money::Rate;
use platform::{Db, on_db, on_tx};

/// The event published, through the outbox, when a refreshed pair's rate differs from its last snapshot.
pub const RATE_UPDATED: &str = "rate.updated";

/// One snapshot to record.
pub struct Snapshot<'a> {
    pub pair: &'a str,
    pub rate: Rate,
    pub source: &'a str,
    pub as_of: DateTime<Utc>,
}

/// Records `snapshot` at `now` and, in the same transaction, `rate.updated` when the rate is not the pair's last
/// recorded one. True when the event was written.
pub async fn record(db: &Db, snapshot: &Snapshot<'_>, now: DateTime<Utc>) -> Result<bool, RatesError> {
    let mut tx = db.begin().await?;
    let previous: Option<(String,)> = on_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT rate FROM rates_snapshots WHERE pair = $1 ORDER BY recorded_ms DESC, id DESC LIMIT 1"
    ).bind(snapshot.pair).fetch_optional(conn).await)?;
    let rate = snapshot.rate.to_string();
    on_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO rates_snapshots (pair, rate, source, as_of, recorded_at, recorded_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(snapshot.pair)
    .bind(&rate)
    .bind(snapshot.source)
    .bind(snapshot.as_of)
    .bind(now)
    .bind(now.timestamp_millis())
    .execute(conn).await.map(|_| ()))?;
    let previous = previous.map(|(text,)| text);
    let changed = previous.as_deref() != Some(rate.as_str());
    if changed {
        let (base, quote) = snapshot.pair.split_once('/').unwrap_or((snapshot.pair, ""));
        let payload = serde_json::json!({
            "pair": snapshot.pair,
            "base": base,
            "quote": quote,
            "rate": rate,
            "previous": previous,
            "source": snapshot.source,
            "as_of": snapshot.as_of,
        });
        platform::outbox::enqueue(&mut tx, RATE_UPDATED, &payload, now).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// The last snapshot of each `interval_secs` bucket (aligned to the Unix epoch, so `1d` buckets start at
/// midnight UTC) with `from <= recorded < to`, oldest first.
pub async fn history(
    db: &Db,
    pair: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval_secs: i64,
) -> Result<Vec<StoredPoint>, RatesError> {
    // The latest row of a bucket is its highest id: rows of a pair are only ever appended.
    let rows: Vec<(i64, String, String, DateTime<Utc>)> = on_db!(db, pool => sqlx::query_as(
        "SELECT recorded_ms, rate, source, as_of FROM rates_snapshots WHERE id IN (\
             SELECT MAX(id) FROM rates_snapshots \
             WHERE pair = $1 AND recorded_ms >= $2 AND recorded_ms < $3 \
             GROUP BY recorded_ms / $4) \
         ORDER BY recorded_ms, id"
    )
    .bind(pair)
    .bind(from.timestamp_millis())
    .bind(to.timestamp_millis())
    .bind(interval_secs * 1000)
    .fetch_all(pool).await)?;
    rows.into_iter()
        .map(|(millis, rate, source, as_of)| {
            let rate = Rate::parse(&rate).map_err(|_| RatesError::Corrupt(format!("snapshot rate {rate:?}")))?;
            let seconds = millis.div_euclid(1000);
            let bucket = DateTime::from_timestamp(seconds - seconds.rem_euclid(interval_secs), 0)
                .ok_or_else(|| RatesError::Corrupt(format!("snapshot time {millis}")))?;
            Ok(StoredPoint {
                bucket,
                rate,
                source,
                as_of,
            })
        })
        .collect()
}

/// One point of a history: the bucket's start and the last rate recorded in it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub bucket: DateTime<Utc>,
    pub rate: Rate,
    pub source: String,
    pub as_of: DateTime<Utc>,
}
