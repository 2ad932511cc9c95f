//! Two nodes sharing one Redis: a token one of them saw is refused by the other. Needs `BOURSE_TEST_REDIS_URL`;
//! without it the test says so and checks nothing (`.ci/run` always sets it).

use platform::replay::{RedisTokens, ReplayGuard};
use std::time::Duration;

#[tokio::test]
async fn a_token_seen_by_one_node_is_refused_by_another() {
    let Some(url) = std::env::var("BOURSE_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("BOURSE_TEST_REDIS_URL is not set: the shared replay guard is not exercised");
        return;
    };
    let prefix = format!("bourse-test-replay:{}", uuid::Uuid::new_v4());
    let node = || ReplayGuard::Redis(RedisTokens::new(&url, &prefix, Duration::from_secs(2)).unwrap());
    let (a, b) = (node(), node());
    let ttl = Duration::from_millis(300);
    assert!(a.first_sight("key:sig-1", ttl).await.unwrap());
    assert!(!b.first_sight("key:sig-1", ttl).await.unwrap());
    assert!(!a.first_sight("key:sig-1", ttl).await.unwrap());
    assert!(b.first_sight("key:sig-2", ttl).await.unwrap());
    // Remembered for its time only.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(a.first_sight("key:sig-1", ttl).await.unwrap());
}

#[tokio::test]
async fn an_unreachable_redis_refuses_rather_than_admits() {
    let guard = ReplayGuard::Redis(RedisTokens::new("redis://127.0.0.1:1", "x", Duration::from_millis(200)).unwrap());
    assert!(guard.first_sight("key:sig", Duration::from_secs(1)).await.is_err());
}
