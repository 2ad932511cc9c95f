//! Which database errors mean "storage cannot serve this now" rather than a bug: the API answers those 503 and
//! keeps 500 for the rest. The causes are the ones an operator meets: a full disk, a server that is down,
//! restarting or refusing connections, a pool with no connection to give, a file that cannot be written.

use super::DbError;
use sqlx::error::DatabaseError;

/// Why storage cannot take a request for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No room left to write (SQLite `SQLITE_FULL`, PostgreSQL `disk_full`).
    Full,
    /// The database cannot be reached, is shutting down or refuses writes.
    Unavailable,
}

impl DbError {
    /// The outage this error reports, or `None` when it is not one (a constraint, a malformed statement, a bug).
    pub fn outage(&self) -> Option<Outage> {
        match self {
            DbError::Sqlx(error) => sqlx_outage(error),
            DbError::Direct(rusqlite::Error::SqliteFailure(error, _)) => sqlite_outage(error.extended_code),
            DbError::Group { outage, .. } => *outage,
            DbError::Closed => Some(Outage::Unavailable),
            DbError::Direct(_) | DbError::Migrate(_) | DbError::Open(_) | DbError::Malformed(_) => None,
        }
    }
}

fn sqlx_outage(error: &sqlx::Error) -> Option<Outage> {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Some(Outage::Unavailable),
        sqlx::Error::Database(error) => database_outage(error.as_ref()),
        _ => None,
    }
}

fn database_outage(error: &dyn DatabaseError) -> Option<Outage> {
    if let Some(sqlite) = error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        let code = sqlite.code().and_then(|code| code.parse().ok())?;
        return sqlite_outage(code);
    }
    postgres_outage(&error.code()?)
}

/// SQLite's primary result code is the low byte of the extended one.
fn sqlite_outage(extended_code: i32) -> Option<Outage> {
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const READONLY: i32 = 8;
    const IOERR: i32 = 10;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    match extended_code & 0xff {
        FULL => Some(Outage::Full),
        // BUSY and LOCKED arrive only once the busy timeout has run out: another process holds the database.
        BUSY | LOCKED | READONLY | IOERR | CANTOPEN => Some(Outage::Unavailable),
        _ => None,
    }
}

/// By SQLSTATE: class 08 (connection), 53 (resources), 57P01–57P03 (shutting down, cannot connect now), 58
/// (system I/O), and a read-only server (25006, a standby or `default_transaction_read_only`).
fn postgres_outage(sqlstate: &str) -> Option<Outage> {
    match sqlstate {
        "53100" => Some(Outage::Full),
        "57P01" | "57P02" | "57P03" | "25006" => Some(Outage::Unavailable),
        _ if ["08", "53", "58"].iter().any(|class| sqlstate.starts_with(class)) => Some(Outage::Unavailable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_told_from_bugs() {
        assert_eq!(
            DbError::Sqlx(sqlx::Error::PoolTimedOut).outage(),
            Some(Outage::Unavailable)
        );
        assert_eq!(DbError::Sqlx(sqlx::Error::RowNotFound).outage(), None);
        assert_eq!(DbError::Malformed("x".to_owned()).outage(), None);
        assert_eq!(sqlite_outage(13), Some(Outage::Full));
        assert_eq!(
            sqlite_outage(8 | (1 << 8)),
            Some(Outage::Unavailable),
            "SQLITE_READONLY_RECOVERY"
        );
        assert_eq!(sqlite_outage(19), None, "SQLITE_CONSTRAINT");
        assert_eq!(postgres_outage("53100"), Some(Outage::Full));
        assert_eq!(postgres_outage("57P01"), Some(Outage::Unavailable));
        assert_eq!(postgres_outage("08006"), Some(Outage::Unavailable));
        assert_eq!(postgres_outage("23505"), None);
        assert_eq!(postgres_outage("40001"), None);
    }

    #[test]
    fn a_full_disk_on_the_direct_writer_is_told_apart() {
        let error = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None);
        assert_eq!(DbError::Direct(error).outage(), Some(Outage::Full));
    }
}
