//! Rate limits at the edge: every request except the operational routes draws a token from one bucket for its
//! route class and one global bucket (`platform::rate_limit` holds the buckets, in process or in Redis).
//!
//! | class | routes | keyed by | quota |
//! |---|---|---|---|
//! | login | `POST /v1/auth/login` | client IP (and the email, in the handler) | `rate_limits.login` |
//! | auth | register, refresh, 2FA verify | client IP | `rate_limits.auth` |
//! | user | any other request with a valid access token | user id | `rate_limits.basic` / `rate_limits.pro` by tier |
//! | public | any other request | client IP | `rate_limits.public` |
//!
//! The user and tier come from the access token's signature and claims alone: no database read before the
//! limiter has spoken. A token that does not verify is limited as public traffic (and refused by the handler).
//! The client IP is the TCP peer; `X-Forwarded-For` counts only when the peer is a configured trusted proxy.
//! IPv6 clients are keyed by their /64, the block one subscriber normally holds.

use crate::error::{ApiError, ErrorCode};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use identity::{AccessTokens, Email, Tier};
use platform::rate_limit::{Decision, Quota, RateLimiter, RedisBucketError, RedisBuckets};
use platform::{Clock, Config};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const LIMIT_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-remaining");

/// The limiter and the quotas of each route class; cheap to clone.
#[derive(Clone)]
pub struct RateLimits {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    limiter: RateLimiter,
    tokens: AccessTokens,
    verified: Mutex<HashMap<String, Verified>>,
    clock: Arc<dyn Clock>,
    quotas: Quotas,
    trusted_proxies: Vec<IpAddr>,
}

/// A token this layer has already verified: what it said, and until when it holds. Decoding and checking a JWT
/// costs more than the rest of the layer together, and a client sends the same token for minutes.
#[derive(Clone, Copy)]
struct Verified {
    user: Uuid,
    tier: Tier,
    expires: i64,
}

/// Most tokens remembered; the memory is then cleared (a few hundred bytes each).
const MAX_VERIFIED: usize = 10_000;

struct Quotas {
    basic: Quota,
    pro: Quota,
    login: Quota,
    auth: Quota,
    public: Quota,
    global: Quota,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitSetupError {
    #[error("`{0}` is out of range")]
    Quota(&'static str),
    #[error(transparent)]
    Redis(#[from] RedisBucketError),
}

impl RateLimits {
    /// Limits as configured: Redis-backed when `redis_url` is set, in process otherwise, none when disabled.
    pub fn from_config(
        config: &Config,
        clock: Arc<dyn Clock>,
        tokens: AccessTokens,
    ) -> Result<RateLimits, RateLimitSetupError> {
        if !config.rate_limits.enabled {
            return Ok(RateLimits { inner: None });
        }
        let period_ms = config.rate_limits.window_secs.saturating_mul(1000);
        let quota = |key: &'static str, limit: u32| Quota::new(limit, period_ms).ok_or(RateLimitSetupError::Quota(key));
        let quotas = Quotas {
            basic: quota("rate_limits.basic", config.rate_limits.basic)?,
            pro: quota("rate_limits.pro", config.rate_limits.pro)?,
            login: quota("rate_limits.login", config.rate_limits.login)?,
            auth: quota("rate_limits.auth", config.rate_limits.auth)?,
            public: quota("rate_limits.public", config.rate_limits.public)?,
            global: quota("rate_limits.global", config.rate_limits.global)?,
        };
        let limiter = match &config.storage.redis_url {
            Some(url) => {
                let redis = RedisBuckets::new(
                    url.expose(),
                    &config.rate_limits.redis_prefix,
                    Duration::from_millis(config.rate_limits.redis_timeout_ms),
                )?;
                RateLimiter::shared(clock.clone(), config.rate_limits.max_keys, redis)
            }
            None => RateLimiter::in_process(clock.clone(), config.rate_limits.max_keys),
        };
        // Validation already parsed these; an entry that does not parse is simply not trusted.
        let trusted_proxies = config
            .rate_limits
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        Ok(RateLimits {
            inner: Some(Arc::new(Inner {
                limiter,
                tokens,
                verified: Mutex::new(HashMap::new()),
                clock,
                quotas,
                trusted_proxies,
            })),
        })
    }

    /// The per-email half of the login limit; the per-IP half is in the layer. Called by the login handler,
    /// which is where the (normalised) email is known. A malformed email is left to the handler's validation.
    pub async fn check_login_email(&self, email: &str) -> Result<(), ApiError> {
        let (Some(inner), Ok(email)) = (&self.inner, Email::parse(email)) else {
            return Ok(());
        };
        let key = format!("login-email:{}", email.as_str());
        match inner.limiter.check(&[(&key, inner.quotas.login)]).await {
            Some(decision) if !decision.allowed => {
                metrics::counter!("rate_limited_total", "class" => "login_email").increment(1);
                Err(too_many(decision))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Login,
    Auth,
    User,
    Public,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Login => "login",
            Class::Auth => "auth",
            Class::User => "user",
            Class::Public => "public",
        }
    }
}

/// Operational routes stay reachable whatever the load: probes, scrapes and the docs.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/api") || path.starts_with("/api/")
}

fn class_of_path(path: &str) -> Option<Class> {
    match path {
        "/v1/auth/login" => Some(Class::Login),
        "/v1/auth/register" | "/v1/auth/refresh" | "/v1/auth/2fa/verify" => Some(Class::Auth),
        _ => None,
    }
}

pub async fn layer(State(limits): State<RateLimits>, request: Request, next: Next) -> Response {
    let Some(inner) = limits.inner.as_deref() else {
        return next.run(request).await;
    };
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let (class, key, quota) = match class_of_path(request.uri().path()) {
        Some(class) => {
            let quota = if class == Class::Login {
                inner.quotas.login
            } else {
                inner.quotas.auth
            };
            (class, ip_key(class, &request, &inner.trusted_proxies), quota)
        }
        None => match bearer_user(request.headers(), inner) {
            Some((user, Tier::Pro)) => (Class::User, format!("user:{user}"), inner.quotas.pro),
            Some((user, Tier::Basic)) => (Class::User, format!("user:{user}"), inner.quotas.basic),
            None => (
                Class::Public,
                ip_key(Class::Public, &request, &inner.trusted_proxies),
                inner.quotas.public,
            ),
        },
    };
    let Some(decision) = inner
        .limiter
        .check(&[(&key, quota), ("global", inner.quotas.global)])
        .await
    else {
        return next.run(request).await;
    };
    if !decision.allowed {
        metrics::counter!("rate_limited_total", "class" => class.name()).increment(1);
        let mut response = too_many(decision).into_response();
        set_headers(response.headers_mut(), decision.limit, 0);
        return response;
    }
    let mut response = next.run(request).await;
    // A 429 from inside (the per-email login limit, the login lockout) leaves nothing to spend either.
    let remaining = if response.status() == StatusCode::TOO_MANY_REQUESTS {
        0
    } else {
        decision.remaining
    };
    set_headers(response.headers_mut(), decision.limit, remaining);
    response
}

/// The 429 answer: the standard envelope, `Retry-After` in whole seconds (rounded up), and the limit headers.
fn too_many(decision: Decision) -> ApiError {
    let retry_after_secs = decision.retry_after_ms.div_ceil(1000).max(1);
    let mut error = ApiError::new(
        ErrorCode::RateLimited,
        "Too many requests; retry after the time in Retry-After.",
    )
    .with_details(serde_json::json!({ "limit": decision.limit, "retry_after_secs": retry_after_secs }));
    error.retry_after_secs = Some(retry_after_secs);
    error
}

fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32) {
    headers.insert(LIMIT_HEADER, HeaderValue::from(limit));
    headers.insert(REMAINING_HEADER, HeaderValue::from(remaining));
}

fn bearer_user(headers: &HeaderMap, inner: &Inner) -> Option<(Uuid, Tier)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    let now = inner.clock.now();
    let mut verified = inner.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Only the exact string that verified before is trusted again, and only until its expiry.
    if let Some(known) = verified.get(token).copied() {
        if known.expires > now.timestamp() {
            return Some((known.user, known.tier));
        }
        verified.remove(token);
    }
    drop(verified);
    let claims = inner.tokens.verify(token, now).ok()?;
    let mut verified = inner.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if verified.len() >= MAX_VERIFIED {
        verified.clear();
    }
    verified.insert(
        token.to_owned(),
        Verified {
            user: claims.sub,
            tier: claims.tier,
            expires: claims.exp,
        },
    );
    Some((claims.sub, claims.tier))
}

fn ip_key(class: Class, request: &Request, trusted: &[IpAddr]) -> String {
    let ip = client_ip(request, trusted).map_or_else(|| "unknown".to_owned(), subscriber_block);
    format!("ip:{}:{ip}", class.name())
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Entries further left are the client's to forge.
fn client_ip(request: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !trusted.contains(&client) {
            break;
        }
    }
    Some(client)
}

/// An IPv4 address as is; an IPv6 address as its /64, since one subscriber usually holds a whole /64.
fn subscriber_block(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(peer: &str, forwarded: &[&str]) -> Request {
        let mut builder = axum::http::Request::builder().uri("/v1/assets");
        for value in forwarded {
            builder = builder.header("x-forwarded-for", *value);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        request
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let spoofed = request("203.0.113.9:5000", &["198.51.100.1"]);
        assert_eq!(client_ip(&spoofed, &[proxy]).unwrap().to_string(), "203.0.113.9");
        assert_eq!(client_ip(&spoofed, &[]).unwrap().to_string(), "203.0.113.9");

        let proxied = request("10.0.0.2:5000", &["6.6.6.6, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(client_ip(&proxied, &[proxy]).unwrap().to_string(), "198.51.100.7");

        let garbage = request("10.0.0.2:5000", &["not-an-ip"]);
        assert_eq!(client_ip(&garbage, &[proxy]).unwrap().to_string(), "10.0.0.2");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            subscriber_block("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            subscriber_block("::ffff:192.0.2.1".parse::<IpAddr>().unwrap().to_canonical()),
            "192.0.2.1"
        );
    }

    #[test]
    fn operational_routes_are_exempt_and_auth_routes_classed() {
        for path in ["/healthz", "/readyz", "/metrics", "/api", "/api/openapi.json"] {
            assert!(exempt(path), "{path}");
        }
        assert!(!exempt("/apikeys"));
        assert!(!exempt("/v1/api-keys"));
        assert_eq!(class_of_path("/v1/auth/login"), Some(Class::Login));
        assert_eq!(class_of_path("/v1/auth/2fa/verify"), Some(Class::Auth));
        assert_eq!(class_of_path("/v1/users/me"), None);
    }
}
