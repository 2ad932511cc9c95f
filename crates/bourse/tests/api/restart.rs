//! A second start on the same storage keeps what the first one wrote.

use crate::helpers::{Storage, envelope, spawn_with};
use axum::Router;
use platform::on_db;

#[tokio::test]
async fn data_survives_a_restart() {
    let first = spawn_with(Storage::fresh().await, |_| {}, Router::new()).await;
    let keys_before = first.data_dir.join("secrets");
    let jwt_before = std::fs::read(keys_before.join(platform::keys::JWT_SECRET_FILE)).unwrap();
    // An operator's change made while the first instance runs.
    on_db!(&first.db, pool => sqlx::query("UPDATE assets SET enabled = FALSE WHERE code = 'DOGE'")
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    let sqlite = first.db.backend() == platform::Backend::Sqlite;
    let wal = first.data_dir.join("bourse.sqlite3-wal");
    let storage = first.stop().await;
    if sqlite {
        let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(size, 0, "a clean stop checkpoints the WAL into the database file");
    }

    let second = spawn_with(storage, |_| {}, Router::new()).await;
    let (status, body) = envelope(second.get("/v1/assets/DOGE").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["enabled"], false,
        "seed data is not re-applied over changes"
    );
    let jwt_after = std::fs::read(second.data_dir.join("secrets").join(platform::keys::JWT_SECRET_FILE)).unwrap();
    assert_eq!(jwt_before, jwt_after, "generated secrets are kept");
}
