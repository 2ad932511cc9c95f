//! SQLite checkpoints off the commit path. In WAL mode a commit appends the pages it changed to the WAL, and
//! every so often those pages are copied back into the database file (a checkpoint). Left to SQLite, the
//! checkpoint runs inside whichever commit pushes the WAL past its threshold, and a commit that touches many
//! pages (a group of ledger transfers) pushes it past every time, so each such commit also pays for copying and
//! syncing the database file. Here a task with a connection of its own checkpoints a few times a second,
//! beside the writer: SQLite's `PASSIVE` checkpoint copies what is committed without waiting for, or blocking,
//! readers and the writer. Durability does not change: a commit is durable once its WAL frames are synced.

use super::stop_requested;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the background checkpoint runs.
const EVERY: Duration = Duration::from_millis(100);

/// WAL pages past which a commit still checkpoints by itself: a safety net for when the background task falls
/// behind or is not running (about 40 MiB with 4 KiB pages, ten times SQLite's default).
pub(super) const COMMIT_CHECKPOINT_PAGES: &str = "10000";

/// Starts the background checkpoint on a connection of its own. It ends when `stop` says so or its sender is
/// dropped with the last handle on the database.
pub(super) fn spawn(options: SqliteConnectOptions, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connection = match options.connect().await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, "the background WAL checkpoint could not connect; commits checkpoint by themselves");
                return;
            }
        };
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop_requested(&mut stop) => break,
            }
            if let Err(error) = checkpoint(&mut connection).await {
                // Another checkpoint running at the same moment is the usual cause; the next tick tries again.
                tracing::debug!(%error, "background WAL checkpoint skipped");
            }
        }
        let _ = connection.close().await;
    })
}

async fn checkpoint(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(connection)
        .await
        .map(|_| ())
}
