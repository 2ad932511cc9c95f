//! Whether the database can be read and written, for readiness. A ping alone stays green on a read-only database
//! and on a full disk, so the check also commits a write: the upsert of the one row of `storage_heartbeat`,
//! through the path small writes take (on SQLite the grouped writer, where it shares the commit, and the sync,
//! of whatever else is waiting). On SQLite it also checks that the database file is below its page limit, past
//! which any write that needs a new page fails. The answer is kept for a second, and checks asked for meanwhile
//! wait for the one in progress: readiness probes cannot load the database.

use super::{Db, DbError, direct};
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one check answers for.
const FRESH_FOR: Duration = Duration::from_secs(1);

const HEARTBEAT: &str = "INSERT INTO storage_heartbeat (id, beat_at) VALUES (1, $1) \
                         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at";

const BELOW_PAGE_LIMIT: &str = "SELECT (SELECT page_count FROM pragma_page_count()) \
                                < (SELECT max_page_count FROM pragma_max_page_count())";

/// What the storage check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageCheck {
    /// The database answered a query.
    pub reachable: bool,
    /// It committed a write.
    pub writable: bool,
    /// What went wrong, for the log (it may name hosts or files: not for clients).
    pub problem: Option<String>,
}

/// The last [`StorageCheck`] and when it was made.
#[derive(Debug, Clone, Default)]
pub struct StorageCheckCache(Arc<Mutex<Option<(Instant, StorageCheck)>>>);

impl StorageCheckCache {
    /// Makes the next check run at once, for a change the caller knows of.
    pub(super) async fn forget(&self) {
        *self.0.lock().await = None;
    }
}

impl Db {
    /// Checks that the database answers and takes a write, each within `deadline`; a check made less than a
    /// second ago answers again.
    pub async fn check_storage(&self, deadline: Duration) -> StorageCheck {
        let cache = match self {
            Db::Sqlite(_, writer) => &writer.storage_check,
            Db::Postgres(_, cache, _) => cache,
        };
        let mut last = cache.0.lock().await;
        if let Some((at, check)) = last.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return check.clone();
        }
        let check = self.check_now(deadline).await;
        *last = Some((Instant::now(), check.clone()));
        check
    }

    async fn check_now(&self, deadline: Duration) -> StorageCheck {
        if let Err(problem) = within(deadline, self.ping()).await {
            return StorageCheck {
                reachable: false,
                writable: false,
                problem: Some(problem),
            };
        }
        let written = within(deadline, self.heartbeat()).await;
        StorageCheck {
            reachable: true,
            writable: written.is_ok(),
            problem: written.err(),
        }
    }

    async fn heartbeat(&self) -> Result<(), String> {
        let problem = |error: DbError| error.to_string();
        match self {
            Db::Sqlite(pool, writer) => {
                let now = rusqlite::types::Value::Text(direct::time_text(Utc::now()));
                writer.execute_grouped(HEARTBEAT, vec![now]).await.map_err(problem)?;
                let below: bool = sqlx::query_scalar(BELOW_PAGE_LIMIT)
                    .fetch_one(pool)
                    .await
                    .map_err(|e| problem(e.into()))?;
                if below {
                    Ok(())
                } else {
                    Err("storage is full: the database file has reached its page limit".to_owned())
                }
            }
            Db::Postgres(pool, ..) => sqlx::query(HEARTBEAT)
                .bind(Utc::now())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(|e| problem(e.into())),
        }
    }
}

async fn within<E: std::fmt::Display>(
    deadline: Duration,
    work: impl Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(deadline, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer within the deadline".to_owned()),
    }
}
