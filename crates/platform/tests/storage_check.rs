//! The storage check behind `/readyz` and how database errors tell an outage from a bug, on whichever backend the
//! environment names.

use platform::db::{Outage, OutboxSignal, StorageCheckCache};
use platform::test_support::MigratedDb;
use platform::{Db, on_db};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(2);

async fn beat_at(db: &Db) -> String {
    on_db!(db, pool => sqlx::query_scalar::<_, String>("SELECT CAST(beat_at AS TEXT) FROM storage_heartbeat")
        .fetch_one(pool)
        .await)
    .expect("the heartbeat row")
}

#[tokio::test]
async fn a_healthy_database_is_reachable_and_writable_and_is_checked_at_most_once_a_second() {
    let storage = MigratedDb::fresh().await;
    let check = storage.db.check_storage(DEADLINE).await;
    assert!(check.reachable && check.writable, "{check:?}");
    let first = beat_at(&storage.db).await;
    assert_eq!(storage.db.check_storage(DEADLINE).await, check);
    assert_eq!(
        beat_at(&storage.db).await,
        first,
        "a second check within the second writes nothing"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(storage.db.check_storage(DEADLINE).await.writable);
    assert_ne!(beat_at(&storage.db).await, first, "a later check writes again");
}

#[tokio::test]
async fn postgresql_on_a_closed_port_is_an_outage_not_a_bug() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!("postgres://bourse:secret@127.0.0.1:{port}/bourse"))
        .expect("a lazy pool");
    let db = Db::Postgres(pool, StorageCheckCache::default(), OutboxSignal::default());
    let error = db.begin().await.expect_err("nothing listens there");
    assert_eq!(error.outage(), Some(Outage::Unavailable), "{error}");
    let check = db.check_storage(DEADLINE).await;
    assert!(!check.reachable && !check.writable, "{check:?}");
}
