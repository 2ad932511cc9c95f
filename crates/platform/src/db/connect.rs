use super::fault::FaultSwitch;
use super::{Db, DbError, OutboxSignal, StorageCheckCache};
use crate::config::StorageConfig;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite connection waits for another writer before giving up.
pub(super) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool the configuration asks for: PostgreSQL when `database_url` is set, otherwise SQLite in the
/// data directory (created if needed).
pub async fn connect(config: &StorageConfig) -> Result<Db, DbError> {
    let acquire_timeout = Duration::from_secs(config.db_acquire_timeout_secs);
    match &config.database_url {
        Some(url) => {
            let options = PgConnectOptions::from_str(url.expose())
                .map_err(|e| DbError::Open(format!("database_url is not a usable PostgreSQL URL: {e}")))?
                .application_name("bourse");
            first_connection(&options, acquire_timeout).await?;
            let pool = PgPoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options.clone())
                .await
                .map_err(|error| postgres_unreachable(&options, &error))?;
            Ok(Db::Postgres(
                pool,
                StorageCheckCache::default(),
                OutboxSignal::default(),
            ))
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
            let fault = FaultSwitch::default();
            let (on_connect, on_acquire) = (fault.clone(), fault.clone());
            let pool = SqlitePoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(acquire_timeout)
                .after_connect(move |connection, _| {
                    let fault = on_connect.clone();
                    Box::pin(async move { fault.apply(connection).await })
                })
                .before_acquire(move |connection, _| {
                    let fault = on_acquire.clone();
                    Box::pin(async move { fault.apply(connection).await.map(|()| true) })
                })
                .after_release(|connection, _| Box::pin(ended_cleanly(connection)))
                .connect_with(options.clone())
                .await?;
            let direct = super::direct::DirectWriter::open(&config.sqlite_path(), SQLITE_BUSY_TIMEOUT).await?;
            let writer = super::SqliteWriter::new(direct, fault);
            writer.keep_in_background(|stop| super::checkpoint::spawn(options, stop));
            Ok(Db::Sqlite(pool, writer))
        }
    }
}

/// Whether a SQLite connection given back to the pool may be pooled again. When a COMMIT fails (`SQLITE_FULL`,
/// an I/O error), SQLite may already have rolled the transaction back; the ROLLBACK sqlx then sends fails in
/// turn ("no transaction is active") and the driver's count of open transactions stays at one for good, so
/// every later `BEGIN` on the connection would be refused. Such a connection is closed instead: closing also
/// undoes a transaction SQLite still holds. A transaction dropped unfinished leaves its ROLLBACK queued on the
/// connection's worker; the ping waits for it before the count is read again.
async fn ended_cleanly(connection: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    if !connection.is_in_transaction() {
        return Ok(true);
    }
    connection.ping().await?;
    let clean = !connection.is_in_transaction();
    if !clean {
        tracing::warn!("a SQLite connection whose transaction could not be ended is closed instead of pooled");
    }
    Ok(clean)
}

/// One connection made outside the pool, to learn why PostgreSQL does not answer: the pool retries a failing
/// connection until its acquire timeout and then reports only the timeout.
async fn first_connection(options: &PgConnectOptions, timeout: Duration) -> Result<(), DbError> {
    let connected = tokio::time::timeout(timeout, PgConnection::connect_with(options))
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut));
    match connected {
        Ok(connection) => {
            let _ = connection.close().await;
            Ok(())
        }
        Err(error) => Err(postgres_unreachable(options, &error)),
    }
}

/// A start-up error that names where PostgreSQL was looked for (never the password) and why it did not answer.
fn postgres_unreachable(options: &PgConnectOptions, error: &sqlx::Error) -> DbError {
    let place = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    let user = options.get_username();
    // PostgreSQL's default database is the user's name.
    let database = options.get_database().unwrap_or(user);
    DbError::Open(format!(
        "cannot connect to PostgreSQL at {place} (database {database}, user {user}): {}",
        connect_cause(error, database, user)
    ))
}

fn connect_cause(error: &sqlx::Error, database: &str, user: &str) -> String {
    match error {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running, on this host and port?)".to_owned()
        }
        sqlx::Error::Io(io) if io.to_string().contains("lookup address") => {
            format!("unknown host ({io})")
        }
        sqlx::Error::Io(io) => format!("network error: {io}"),
        sqlx::Error::PoolTimedOut => "no answer within db_acquire_timeout_secs (timed out)".to_owned(),
        sqlx::Error::Tls(tls) => format!("TLS failed: {tls}"),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => format!("authentication failed for user {user}"),
            Some("3D000") => format!("database {database} does not exist"),
            _ => db.message().to_owned(),
        },
        other => other.to_string(),
    }
}
