//! Buckets in Redis, shared by every Bourse process that uses the same Redis and key prefix.
//!
//! One Lua script takes a token from all of a request's buckets or from none, atomically: two processes can
//! never both spend the last token. The script is the arithmetic of `bucket.rs` (keep them in step). The caller
//! passes the time in, so a test clock works here too; nodes' clocks only need to be roughly in step, because a
//! bucket never refills for a time earlier than its last update. Each key expires once its bucket would be full
//! again (a missing key is a full bucket), so Redis holds only the clients active in the last window.

use super::bucket::{Decision, Quota};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use std::time::Duration;

const SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local n = #KEYS
local level, updated, limit, period = {}, {}, {}, {}
local all = true
for i = 1, n do
  limit[i] = tonumber(ARGV[2 * i])
  period[i] = tonumber(ARGV[2 * i + 1])
  local full = limit[i] * period[i]
  local state = redis.call('HMGET', KEYS[i], 'l', 'u')
  local l, u = tonumber(state[1]), tonumber(state[2])
  if l == nil or u == nil then l, u = full, now end
  if now > u then
    l = math.min(full, l + (now - u) * limit[i])
    u = now
  end
  level[i], updated[i] = l, u
  if l < period[i] then all = false end
end
local out = {}
for i = 1, n do
  local full = limit[i] * period[i]
  local l = level[i]
  local allowed, remaining, retry = 0, 0, 0
  if all then
    l = l - period[i]
    allowed = 1
    remaining = math.floor(l / period[i])
  elseif l >= period[i] then
    remaining = math.floor(l / period[i])
  else
    retry = math.ceil((period[i] - l) / limit[i])
  end
  if l >= full then
    redis.call('DEL', KEYS[i])
  else
    redis.call('HSET', KEYS[i], 'l', string.format('%.0f', l), 'u', string.format('%.0f', updated[i]))
    redis.call('PEXPIRE', KEYS[i], string.format('%.0f', math.ceil((full - l) / limit[i]) + 1000))
  end
  out[3 * i - 2] = allowed
  out[3 * i - 1] = remaining
  out[3 * i] = retry
end
return out
";

#[derive(Debug, thiserror::Error)]
pub enum RedisBucketError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis: no answer within {0:?}")]
    Timeout(Duration),
    #[error("redis: unexpected answer from the rate-limit script")]
    Protocol,
}

#[derive(Clone)]
pub struct RedisBuckets {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
    timeout: Duration,
}

impl RedisBuckets {
    /// Does not connect: the first request does, so Bourse starts (on in-process buckets) while Redis is down.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<RedisBuckets, RedisBucketError> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        Ok(RedisBuckets {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            script: Script::new(SCRIPT),
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    /// The Redis key of a bucket.
    pub fn key(&self, bucket: &str) -> String {
        format!("{}:{bucket}", self.prefix)
    }

    pub async fn take(&self, keys: &[(&str, Quota)], now_ms: i64) -> Result<Vec<Decision>, RedisBucketError> {
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(now_ms);
        for (key, quota) in keys {
            invocation.key(self.key(key));
            invocation.arg(quota.limit()).arg(quota.period_ms());
        }
        let mut connection = self.connection.clone();
        let answer: Vec<i64> = tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection))
            .await
            .map_err(|_| RedisBucketError::Timeout(self.timeout))??;
        if answer.len() != keys.len() * 3 {
            return Err(RedisBucketError::Protocol);
        }
        Ok(answer
            .chunks_exact(3)
            .zip(keys)
            .map(|(values, (_, quota))| Decision {
                allowed: values[0] == 1,
                limit: quota.limit(),
                remaining: u32::try_from(values[1]).unwrap_or(0),
                retry_after_ms: u64::try_from(values[2]).unwrap_or(0),
            })
            .collect())
    }
}
