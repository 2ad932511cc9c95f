//! The Redis token-bucket script decides exactly as the Rust arithmetic does. Needs `BOURSE_TEST_REDIS_URL`; without
//! it the test says so and checks nothing.

use platform::rate_limit::{Bucket, Decision, LocalBuckets, Quota, RedisBuckets};
use std::time::Duration;

#[tokio::test]
async fn the_lua_script_matches_the_rust_buckets() {
    let Some(url) = std::env::var("BOURSE_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("BOURSE_TEST_REDIS_URL is not set: the Redis script is not exercised");
        return;
    };
    let prefix = format!("bourse-test-parity:{}", uuid::Uuid::new_v4());
    let redis = RedisBuckets::new(&url, &prefix, Duration::from_secs(2)).unwrap();
    let local = LocalBuckets::new(10_000);
    let quotas = [
        Quota::new(3, 1_000).unwrap(),
        Quota::new(7, 60_000).unwrap(),
        Quota::new(1_000_000, 86_400_000).unwrap(),
    ];
    let keys = ["a", "b", "c"];
    // A fixed pseudo-random walk over time, keys and pairs of buckets, including steps back in time.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut now: i64 = 1_700_000_000_000;
    let (mut admitted, mut refused) = (0, 0);
    for step in 0..400 {
        let r = next();
        now += (r % 900) as i64 - 100;
        let first = (r >> 16) as usize % 3;
        let second = (r >> 24) as usize % 3;
        let mut asked: Vec<(&str, Quota)> = vec![(keys[first], quotas[first])];
        if second != first && (r >> 32) % 2 == 0 {
            asked.push((keys[second], quotas[second]));
        }
        let from_redis: Vec<Decision> = redis.take(&asked, now).await.unwrap();
        let from_rust = local.take(&asked, now);
        assert_eq!(from_redis, from_rust, "step {step} at {now}: {asked:?}");
        if from_rust[0].allowed {
            admitted += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        admitted > 50 && refused > 50,
        "the walk exercises both answers: {admitted} / {refused}"
    );

    // A used bucket's key expires once it would be full again.
    let q = Quota::new(4, 60_000).unwrap();
    let used = redis.take(&[("ttl", q)], now).await.unwrap();
    assert!(used[0].allowed);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(redis.key("ttl"))
        .query_async(&mut connection)
        .await
        .unwrap();
    let until_full = Bucket::full(q, now).take(q, now).0.ms_until_full(q) as i64;
    assert!(ttl > until_full && ttl <= until_full + 1_000, "{ttl}");
}
