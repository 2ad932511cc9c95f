use super::{Db, DbError};
use crate::config::Config;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite connection waits for another writer before giving up.
pub(super) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool the configuration asks for: PostgreSQL when `database_url` is set, otherwise SQLite in the
/// data directory (created if needed).
pub async fn connect(config: &Config) -> Result<Db, DbError> {
    let acquire_timeout = Duration::from_secs(config.db_acquire_timeout_secs);
    match &config.database_url {
        Some(url) => {
            let options = PgConnectOptions::from_str(url.expose())
                .map_err(|e| DbError::Open(format!("database_url is not a usable PostgreSQL URL: {e}")))?
                .application_name("bourse");
            let pool = PgPoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        }
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                DbError::Open(format!(
                    "cannot create data directory {}: {e}",
                    config.data_dir.display()
                ))
            })?;
            // WAL lets readers run beside the writer; FULL sync makes every commit durable, which money needs.
            let options = SqliteConnectOptions::new()
                .filename(config.sqlite_path())
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // 32 MiB of page cache per connection (the default is 2 MiB): the ledger's indexes are read at
                // random, and a miss is a system call.
                .pragma("cache_size", "-32768")
                .pragma("wal_autocheckpoint", super::checkpoint::COMMIT_CHECKPOINT_PAGES)
                .row_buffer_size(4096);
            let pool = SqlitePoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options.clone())
                .await?;
            let direct = super::direct::DirectWriter::open(&config.sqlite_path(), SQLITE_BUSY_TIMEOUT).await?;
            let writer = super::SqliteWriter::new(direct);
            super::checkpoint::spawn(options, std::sync::Arc::downgrade(&writer.turns));
            Ok(Db::Sqlite(pool, writer))
        }
    }
}
