//! SQLite's direct writer: it takes the same write turns as the pool's transactions, what it commits reads back
//! through sqlx as if sqlx had written it, and a unit of work that fails halfway leaves nothing behind. SQLite
//! only, whatever the environment names: PostgreSQL has no direct writer.

use chrono::{DateTime, Utc};
use platform::audit::{AuditRecord, Outcome};
use platform::config::StorageConfig;
use platform::{Db, outbox};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

async fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = StorageConfig {
        data_dir: dir.path().to_owned(),
        ..StorageConfig::default()
    };
    let db = platform::db::connect(&config).await.expect("database opens");
    db.migrate().await.expect("migrations apply");
    (db, dir)
}

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T12:34:56.789012Z")
        .expect("time")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_direct_write_waits_for_the_open_transaction_and_reads_back_through_sqlx() {
    let (db, _dir) = sqlite().await;
    let writer = db.sqlite_writer().expect("SQLite has a direct writer").clone();
    let tx = db.begin().await.expect("a pool transaction");

    let events = vec![("wallet.balance_changed", json!({ "total": "1.50", "transfers": [] }))];
    let actor = Uuid::now_v7();
    let write = tokio::spawn(async move {
        writer
            .write(move |connection| -> Result<(), platform::DbError> {
                let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                outbox::rows(&events, at()).execute_direct(&tx)?;
                let record = AuditRecord {
                    actor: Some(actor),
                    action: "test.direct",
                    target: Some("target".to_owned()),
                    ip: Some("127.0.0.1"),
                    request_id: None,
                    outcome: Outcome::Success,
                    details: json!({ "n": 1 }),
                    at: at(),
                };
                platform::audit::rows(&[record]).execute_direct(&tx)?;
                tx.commit()?;
                Ok(())
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !write.is_finished(),
        "the direct write ran while a transaction held the turn"
    );
    tx.rollback().await.expect("rollback");
    write.await.expect("task").expect("write ran").expect("write committed");

    let events = outbox::read_after(&db, 0, 10).await.expect("events read");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].subject, "wallet.balance_changed");
    assert_eq!(events[0].payload, json!({ "total": "1.50", "transfers": [] }));
    assert_eq!(events[0].created_at, at());
    let records = platform::audit::list(&db, &platform::audit::AuditFilter::default(), 10)
        .await
        .expect("audit read");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor_id, Some(actor));
    assert_eq!(records[0].at, at());
    assert_eq!(records[0].details.0, json!({ "n": 1 }));
    let by_actor = platform::audit::AuditFilter {
        actor: Some(actor),
        ..Default::default()
    };
    let found = platform::audit::list(&db, &by_actor, 10).await.expect("audit read");
    assert_eq!(found.len(), 1, "the actor's blob matches as sqlx binds it");
}

#[tokio::test]
async fn a_unit_of_work_that_panics_mid_transaction_leaves_nothing_and_the_writer_goes_on() {
    let (db, _dir) = sqlite().await;
    let writer = db.sqlite_writer().expect("SQLite has a direct writer");
    let events = vec![("test.event", json!({}))];
    let panicked = writer
        .write(move |connection| {
            let tx = connection
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .expect("begin");
            outbox::rows(&events, at()).execute_direct(&tx).expect("insert");
            // The transaction is leaked rather than dropped, so only the writer's own clean-up can end it.
            std::mem::forget(tx);
            panic!("a unit of work failed halfway");
        })
        .await;
    assert!(panicked.is_err(), "a panic answers as an error");

    let committed = writer
        .write(|connection| -> Result<bool, platform::DbError> {
            let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.commit()?;
            Ok(connection.is_autocommit())
        })
        .await
        .expect("the writer still runs")
        .expect("a new transaction begins");
    assert!(committed);
    assert!(outbox::read_after(&db, 0, 10).await.expect("events read").is_empty());
}

#[tokio::test]
async fn grouped_writes_answer_each_its_own_result_and_a_failing_one_is_undone_alone() {
    let (db, _dir) = sqlite().await;
    let writer = db.sqlite_writer().expect("SQLite has a direct writer").clone();
    const INSERT: &str = "INSERT INTO outbox (subject, payload, created_at) VALUES ($1, $2, $3)";
    // `subject` is NOT NULL: this one fails, inside whatever group it lands in.
    const BROKEN: &str = "INSERT INTO outbox (subject, payload, created_at) VALUES (NULL, $1, $2)";
    let mut tasks = Vec::new();
    for i in 0..64_i64 {
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move {
            let now = rusqlite::types::Value::Text(platform::db::direct::time_text(at()));
            if i % 8 == 7 {
                writer
                    .execute_grouped(BROKEN, vec![rusqlite::types::Value::Text("{}".to_owned()), now])
                    .await
            } else {
                let subject = rusqlite::types::Value::Text(format!("test.{i}"));
                let payload = rusqlite::types::Value::Text(json!({ "i": i }).to_string());
                writer.execute_grouped(INSERT, vec![subject, payload, now]).await
            }
        }));
    }
    let mut failed = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(changed) => assert_eq!(changed, 1, "statement {i}"),
            Err(error) => {
                assert_eq!(i % 8, 7, "only the broken statements fail: {error}");
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 8);
    let events = outbox::read_after(&db, 0, 100).await.expect("events read");
    assert_eq!(events.len(), 56);
    assert!(
        events
            .iter()
            .all(|e| e.subject.starts_with("test.") && e.created_at == at())
    );

    let malformed = writer.execute_grouped(INSERT, vec![rusqlite::types::Value::Null]).await;
    assert!(
        matches!(malformed, Err(platform::DbError::Malformed(_))),
        "{malformed:?}"
    );
}

#[tokio::test]
async fn a_unit_of_work_that_leaves_its_transaction_open_does_not_hand_it_to_the_next() {
    let (db, _dir) = sqlite().await;
    let writer = db.sqlite_writer().expect("SQLite has a direct writer");
    let events = vec![("test.event", json!({}))];
    writer
        .write(move |connection| {
            let tx = connection
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .expect("begin");
            outbox::rows(&events, at()).execute_direct(&tx).expect("insert");
            // As a COMMIT that failed and a ROLLBACK that failed after it would leave it.
            std::mem::forget(tx);
        })
        .await
        .expect("the unit of work ran");
    let began = writer
        .write(|connection| -> Result<(), platform::DbError> {
            connection
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?
                .commit()?;
            Ok(())
        })
        .await
        .expect("the writer still runs");
    assert!(began.is_ok(), "{began:?}");
    assert!(outbox::read_after(&db, 0, 10).await.expect("events read").is_empty());
}

#[tokio::test]
async fn close_writes_what_is_queued_checkpoints_the_wal_and_stops_the_writers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = StorageConfig {
        data_dir: dir.path().to_owned(),
        ..StorageConfig::default()
    };
    let db = platform::db::connect(&config).await.expect("database opens");
    db.migrate().await.expect("migrations apply");
    let writer = db.sqlite_writer().expect("SQLite has a direct writer").clone();
    const INSERT: &str = "INSERT INTO outbox (subject, payload, created_at) VALUES ($1, $2, $3)";
    let row = |subject: &str| {
        vec![
            rusqlite::types::Value::Text(subject.to_owned()),
            rusqlite::types::Value::Text("{}".to_owned()),
            rusqlite::types::Value::Text(platform::db::direct::time_text(at())),
        ]
    };
    writer
        .execute_grouped(INSERT, row("test.grouped"))
        .await
        .expect("grouped write");
    let mut tx = db.begin().await.expect("a pool transaction");
    platform::on_tx!(&mut tx, conn => sqlx::query(INSERT)
        .bind("test.pooled")
        .bind("{}")
        .bind(at())
        .execute(conn)
        .await
        .map(|_| ()))
    .expect("pooled write");
    tx.commit().await.expect("commit");
    let wal = std::path::PathBuf::from(format!("{}-wal", config.sqlite_path().display()));
    assert!(std::fs::metadata(&wal).expect("a WAL while open").len() > 0);

    let queued = {
        let writer = writer.clone();
        tokio::spawn(async move { writer.execute_grouped(INSERT, row("test.queued")).await })
    };
    tokio::task::yield_now().await;
    db.close().await;
    assert_eq!(
        queued.await.expect("task").expect("a write queued before close lands"),
        1
    );
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL is empty or gone after a clean close"
    );
    let after = writer.execute_grouped(INSERT, row("test.late")).await;
    assert!(matches!(after, Err(platform::DbError::Closed)), "{after:?}");
    assert!(matches!(writer.write(|_| ()).await, Err(platform::DbError::Closed)));
    assert!(db.begin().await.is_err());

    let reopened = platform::db::connect(&config).await.expect("database reopens");
    let events = outbox::read_after(&reopened, 0, 10).await.expect("events read");
    assert_eq!(events.len(), 3);
    reopened.close().await;
}
