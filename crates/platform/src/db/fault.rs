//! Storage faults SQLite can be made to show on demand, so tests can drive the server through a full disk or a
//! read-only database and back without root or a real disk: `max_page_count` held at the file's current size
//! makes every write that needs a new page fail with `SQLITE_FULL`, and `query_only` makes every write fail with
//! `SQLITE_READONLY`, the errors a full or read-only file gives. Both are per-connection settings, so each
//! connection takes them when it is opened or handed out. A server that never injects a fault pays one atomic
//! load per checkout.

use super::{Db, DbError};
use sqlx::SqliteConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// A fault to make SQLite show.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteFault {
    /// The database file may not grow: writes that need a new page fail with `SQLITE_FULL`.
    Full,
    /// Every write fails with `SQLITE_READONLY`.
    ReadOnly,
}

const NEVER: u8 = 0;
const CLEARED: u8 = 1;
const FULL: u8 = 2;
const READ_ONLY: u8 = 3;

/// The fault in force, shared by every connection of one database.
#[derive(Debug, Clone, Default)]
pub(super) struct FaultSwitch(Arc<AtomicU8>);

impl FaultSwitch {
    fn set(&self, fault: Option<SqliteFault>) {
        let state = match fault {
            None => CLEARED,
            Some(SqliteFault::Full) => FULL,
            Some(SqliteFault::ReadOnly) => READ_ONLY,
        };
        self.0.store(state, Ordering::Release);
    }

    /// The settings that put a connection in the current state; `None` while no fault was ever injected, so
    /// connections keep SQLite's own defaults.
    fn pragmas(&self) -> Option<&'static str> {
        // 4294967294 is SQLite's largest page count; a smaller limit is raised to the file's size by SQLite.
        match self.0.load(Ordering::Acquire) {
            NEVER => None,
            FULL => Some("PRAGMA query_only = 0; PRAGMA max_page_count = 1;"),
            READ_ONLY => Some("PRAGMA query_only = 1; PRAGMA max_page_count = 4294967294;"),
            _ => Some("PRAGMA query_only = 0; PRAGMA max_page_count = 4294967294;"),
        }
    }

    /// Puts a pool connection in the current state.
    pub(super) async fn apply(&self, connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        if let Some(pragmas) = self.pragmas() {
            sqlx::raw_sql(pragmas).execute(connection).await?;
        }
        Ok(())
    }
}

impl Db {
    /// Makes SQLite show `fault` on every connection from now on, or clears it (`None`); nothing on PostgreSQL.
    /// For tests of how the server behaves in a storage fault.
    #[doc(hidden)]
    pub async fn inject_sqlite_fault(&self, fault: Option<SqliteFault>) -> Result<(), DbError> {
        let Some(writer) = self.sqlite_writer() else {
            return Ok(());
        };
        writer.fault.set(fault);
        let Some(pragmas) = writer.fault.pragmas() else {
            return Ok(());
        };
        writer
            .write(move |connection| connection.execute_batch(pragmas))
            .await??;
        writer.storage_check.forget().await;
        Ok(())
    }
}
