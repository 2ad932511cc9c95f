//! Storage for tests: a temporary SQLite database, or, when `BOURSE_TEST_DATABASE_URL` names a PostgreSQL
//! server, a fresh database created there and dropped when the test is done. Used by the test suites of
//! every crate; nothing in the server calls it.

use crate::config::StorageConfig;
use crate::db::Db;
use crate::secret::Secret;
use sqlx::Connection;

pub const DATABASE_URL_VAR: &str = "BOURSE_TEST_DATABASE_URL";

/// A PostgreSQL database made for one test and dropped with this value.
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a database when the environment points the tests at PostgreSQL; `None` means SQLite.
    pub async fn from_env() -> Option<TestDatabase> {
        match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(TestDatabase::create(&url).await),
            _ => None,
        }
    }

    /// Panics when the server is unreachable: a test run that was asked to use PostgreSQL must not quietly
    /// fall back to SQLite.
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("bourse_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        TestDatabase {
            url: format!("{base}/{name}"),
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    /// Points `config` at this database.
    pub fn configure(&self, config: &mut StorageConfig) {
        config.database_url = Some(Secret::new(self.url.clone()));
    }
}

/// A migrated database of its own for one test: SQLite in a temporary directory, or a fresh PostgreSQL database
/// when the environment names a server. Both go away when this value is dropped.
pub struct MigratedDb {
    pub db: Db,
    _dir: tempfile::TempDir,
    _pg: Option<TestDatabase>,
}

impl MigratedDb {
    /// Panics when storage cannot be made: a test has nothing to run on without it.
    pub async fn fresh() -> MigratedDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pg = TestDatabase::from_env().await;
        let mut config = StorageConfig {
            data_dir: dir.path().to_owned(),
            ..StorageConfig::default()
        };
        if let Some(pg) = &pg {
            pg.configure(&mut config);
        }
        let db = crate::db::connect(&config).await.expect("test database opens");
        db.migrate().await.expect("migrations apply");
        MigratedDb { db, _dir: dir, _pg: pg }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime, which cannot be blocked on; a thread with its own runtime can.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await;
                }
            });
        });
        let _ = dropper.join();
    }
}
