//! "Seen before?" for tokens that must be used once within a time window, such as the signature of an API-key
//! request: in process by default, in Redis when configured so that every node sharing that Redis refuses a
//! token any of them has seen.
//!
//! Both fail closed: a full table or an unreachable Redis is an error, never a "first sight", because a replayed
//! signed request can move money.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the replay cache holds {0} tokens and refuses more until some expire")]
    Full(usize),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis: no answer within {0:?}")]
    Timeout(Duration),
}

/// Records tokens for a time and says whether one was recorded before.
#[derive(Clone)]
pub enum ReplayGuard {
    Local(Arc<LocalTokens>),
    Redis(RedisTokens),
}

impl ReplayGuard {
    /// An in-process guard holding at most `capacity` live tokens.
    pub fn local(capacity: usize) -> ReplayGuard {
        ReplayGuard::Local(Arc::new(LocalTokens::new(capacity)))
    }

    /// True when `token` was not seen within its last `ttl`, and records it; false for a repeat.
    pub async fn first_sight(&self, token: &str, ttl: Duration) -> Result<bool, ReplayError> {
        match self {
            ReplayGuard::Local(local) => local.first_sight(token, ttl, Instant::now()),
            ReplayGuard::Redis(redis) => redis.first_sight(token, ttl).await,
        }
    }
}

/// Tokens in insertion order. Every caller passes the same `ttl`, so insertion order is expiry order and the
/// oldest entries are dropped from the front.
pub struct LocalTokens {
    capacity: usize,
    state: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    tokens: HashSet<String>,
    expiries: VecDeque<(Instant, String)>,
}

impl LocalTokens {
    fn new(capacity: usize) -> LocalTokens {
        LocalTokens {
            capacity,
            state: Mutex::new(Seen::default()),
        }
    }

    fn first_sight(&self, token: &str, ttl: Duration, now: Instant) -> Result<bool, ReplayError> {
        // Held only for in-memory work; a poisoned lock still holds a consistent set.
        let mut seen = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some((expiry, _)) = seen.expiries.front() {
            if *expiry > now {
                break;
            }
            if let Some((_, old)) = seen.expiries.pop_front() {
                seen.tokens.remove(&old);
            }
        }
        if seen.tokens.contains(token) {
            return Ok(false);
        }
        if seen.tokens.len() >= self.capacity {
            return Err(ReplayError::Full(self.capacity));
        }
        seen.tokens.insert(token.to_owned());
        seen.expiries.push_back((now + ttl, token.to_owned()));
        Ok(true)
    }
}

/// `SET key 1 NX PX ttl`: one atomic statement, so two nodes offered the same token cannot both see it first.
#[derive(Clone)]
pub struct RedisTokens {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RedisTokens {
    /// Does not connect: the first check does.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<RedisTokens, ReplayError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        Ok(RedisTokens {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    async fn first_sight(&self, token: &str, ttl: Duration) -> Result<bool, ReplayError> {
        let mut connection = self.connection.clone();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let command = redis::cmd("SET")
            .arg(format!("{}:{token}", self.prefix))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .to_owned();
        let answer: Option<String> = tokio::time::timeout(self.timeout, command.query_async(&mut connection))
            .await
            .map_err(|_| ReplayError::Timeout(self.timeout))??;
        Ok(answer.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_new_once_until_it_expires() {
        let tokens = LocalTokens::new(10);
        let ttl = Duration::from_secs(10);
        let start = Instant::now();
        assert!(tokens.first_sight("a", ttl, start).unwrap());
        assert!(!tokens.first_sight("a", ttl, start + Duration::from_secs(9)).unwrap());
        assert!(tokens.first_sight("b", ttl, start).unwrap());
        assert!(tokens.first_sight("a", ttl, start + Duration::from_secs(10)).unwrap());
    }

    #[test]
    fn a_full_table_refuses_instead_of_forgetting() {
        let tokens = LocalTokens::new(2);
        let ttl = Duration::from_secs(10);
        let start = Instant::now();
        assert!(tokens.first_sight("a", ttl, start).unwrap());
        assert!(tokens.first_sight("b", ttl, start).unwrap());
        assert!(matches!(tokens.first_sight("c", ttl, start), Err(ReplayError::Full(2))));
        assert!(!tokens.first_sight("a", ttl, start).unwrap());
        assert!(tokens.first_sight("c", ttl, start + ttl).unwrap());
    }
}
