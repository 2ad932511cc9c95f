//! Upstream HTTP for the providers: one client with connect and total timeouts, and retries with jittered
//! exponential backoff inside one time budget, so a fetch never takes longer than `request_timeout_ms` in all.

use crate::error::ProviderError;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// First backoff before a retry; doubled each time, with up to as much again of random jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(50);
/// Most bytes of a provider answer read; a rate answer is a few kilobytes.
const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    budget: Duration,
    retries: u32,
}

impl Upstream {
    pub fn new(budget: Duration, retries: u32) -> Result<Upstream, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(budget.min(Duration::from_secs(1)))
            .timeout(budget)
            .user_agent(concat!("bourse/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Upstream {
            client,
            budget,
            retries,
        })
    }

    /// The body of `GET url` with `query` and `headers`, retrying failures that may pass (transport errors,
    /// 429, 5xx) while the budget lasts. Each attempt is counted in `rates_upstream_attempts_total`.
    pub async fn get(
        &self,
        provider: &'static str,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&'static str, String)],
    ) -> Result<Vec<u8>, ProviderError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let remaining = self.budget.saturating_sub(started.elapsed());
            let result = self.attempt(url, query, headers, remaining).await;
            let outcome = match &result {
                Ok(_) => "ok",
                Err((_, true)) => "retryable",
                Err((_, false)) => "refused",
            };
            metrics::counter!("rates_upstream_attempts_total", "provider" => provider, "outcome" => outcome)
                .increment(1);
            let (error, retryable) = match result {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            let backoff = BACKOFF_BASE * 2u32.pow(attempt.min(10));
            let wait = backoff + jitter(backoff);
            attempt += 1;
            let time_left = self.budget.saturating_sub(started.elapsed());
            if !retryable || attempt > self.retries || wait >= time_left {
                return Err(ProviderError::Unreachable(error));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt within `remaining`: the body, or why not and whether another attempt may succeed.
    async fn attempt(
        &self,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&'static str, String)],
        remaining: Duration,
    ) -> Result<Vec<u8>, (String, bool)> {
        if remaining.is_zero() {
            return Err(("no time left".to_owned(), false));
        }
        let mut request = self.client.get(url).query(query).timeout(remaining);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(|e| (describe(&e), true))?;
        let status = response.status();
        if !status.is_success() {
            let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            return Err((format!("it answered HTTP {}", status.as_u16()), retryable));
        }
        if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(("its answer is too large".to_owned(), false));
        }
        let body = response.bytes().await.map_err(|e| (describe(&e), true))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(("its answer is too large".to_owned(), false));
        }
        Ok(body.to_vec())
    }
}

/// Up to `span` of random delay, so clients that failed together do not retry together.
fn jitter(span: Duration) -> Duration {
    let random = u128::from(getrandom::u32().unwrap_or(0));
    let nanos = span.as_nanos() * random / u128::from(u32::MAX);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// A transport error without the URL (it may carry an API key in a query) and without internals.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the request failed".to_owned()
    }
}
