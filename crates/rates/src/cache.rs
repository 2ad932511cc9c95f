//! Fetched rates by pair: in process by default, in Redis when `storage.redis_url` is set so every node shares
//! them. An entry is fresh for `ttl_secs` after its fetch and kept as a stale fallback until `max_stale_secs`;
//! both ages are measured on the service's clock from `fetched_at`, never by the store's own expiry, so tests with
//! a manual clock see exactly the configured behaviour.
//!
//! Not moka: the freshness decisions must follow the injected clock, and the key space is bounded by the
//! catalogue (only pairs a provider priced are stored), so a map is all that is needed.

use chrono::{DateTime, Utc};
use money::Rate;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One fetched rate, as stored: the rate and the change as exact strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    pub rate: Rate,
    pub as_of: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    #[serde(with = "rust_decimal_str_option")]
    pub change_24h: Option<rust_decimal::Decimal>,
}

/// `Option<Decimal>` as an optional string, so no number in the cache passes through a float.
mod rust_decimal_str_option {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serializer.collect_str(d),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| Decimal::from_str_exact(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[derive(Clone)]
pub enum RateCache {
    Local(Arc<Mutex<HashMap<String, Cached>>>),
    Redis(RedisCache),
}

#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RateCache {
    pub fn local() -> RateCache {
        RateCache::Local(Arc::default())
    }

    /// Does not connect: the first read does.
    pub fn redis(url: &str, prefix: &str, timeout: Duration) -> Result<RateCache, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        Ok(RateCache::Redis(RedisCache {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: prefix.to_owned(),
            timeout,
        }))
    }

    /// The entry of `key`, if any. An unreachable Redis is a miss (logged): the provider is asked instead.
    pub async fn get(&self, key: &str) -> Option<Cached> {
        match self {
            RateCache::Local(map) => map.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned(),
            RateCache::Redis(redis) => match redis.get(key).await {
                Ok(found) => found,
                Err(error) => {
                    tracing::warn!(%error, key, "cannot read the rate cache in Redis");
                    None
                }
            },
        }
    }

    /// Stores `entry` under `key` for `keep` (the stale limit); a failed Redis write is logged and forgotten.
    pub async fn put(&self, key: &str, entry: &Cached, keep: Duration) {
        match self {
            RateCache::Local(map) => {
                map.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key.to_owned(), entry.clone());
            }
            RateCache::Redis(redis) => {
                if let Err(error) = redis.put(key, entry, keep).await {
                    tracing::warn!(%error, key, "cannot write the rate cache in Redis");
                }
            }
        }
    }

    /// Forgets `key`'s entry when it is older than `keep`, so the local map holds no dead rates.
    pub fn drop_if_older(&self, key: &str, older_than: DateTime<Utc>) {
        if let RateCache::Local(map) = self {
            let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
            if map.get(key).is_some_and(|e| e.fetched_at < older_than) {
                map.remove(key);
            }
        }
    }
}

impl RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Cached>, String> {
        let mut connection = self.connection.clone();
        let command = redis::cmd("GET").arg(format!("{}:{key}", self.prefix)).to_owned();
        let text: Option<String> = tokio::time::timeout(self.timeout, command.query_async(&mut connection))
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))?
            .map_err(|e| e.to_string())?;
        // An entry this version cannot read is a miss: the provider is asked and the entry rewritten.
        Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
    }

    async fn put(&self, key: &str, entry: &Cached, keep: Duration) -> Result<(), String> {
        let mut connection = self.connection.clone();
        let text = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        let keep_ms = u64::try_from(keep.as_millis()).unwrap_or(u64::MAX).max(1);
        let command = redis::cmd("SET")
            .arg(format!("{}:{key}", self.prefix))
            .arg(text)
            .arg("PX")
            .arg(keep_ms)
            .to_owned();
        let _: () = tokio::time::timeout(self.timeout, command.query_async(&mut connection))
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))?
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_stored_as_exact_strings() {
        let entry = Cached {
            rate: Rate::parse("61234.567890123456789").unwrap(),
            as_of: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            fetched_at: DateTime::from_timestamp(1_800_000_001, 0).unwrap(),
            change_24h: Some(rust_decimal::Decimal::from_str_exact("-1.23456789").unwrap()),
        };
        let text = serde_json::to_string(&entry).unwrap();
        assert!(text.contains("\"rate\":\"61234.567890123456789\""), "{text}");
        assert!(text.contains("\"change_24h\":\"-1.23456789\""), "{text}");
        assert_eq!(serde_json::from_str::<Cached>(&text).unwrap(), entry);
    }
}
