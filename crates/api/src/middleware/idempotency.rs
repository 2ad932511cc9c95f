//! `Idempotency-Key` for money-moving POSTs: a retry with the same key and body gets the first response back and
//! moves nothing twice, also when both arrive at once; the same key with another body or route is refused.
//!
//! # Applying it to a route (one line)
//!
//! ```text
//! OpenApiRouter::new().routes(routes!(wallets::create_transfer).map(idempotency::required))
//! ```
//!
//! and, in the handler's `#[utoipa::path]`, `params(IdempotencyKey)` and the answer `IdempotencyConflict`.
//! The layer finds [`AppState`] in the request's extensions (put there once in `app.rs`), so a route needs no
//! state value to opt in, and a test route mounted through `BuildOptions::extra_routes` can use it too.
//!
//! # Rules
//!
//! - The header is required on a route with this layer: missing, repeated, empty, longer than 128 characters, or
//!   with anything but printable ASCII without spaces (`!`..=`~`) is 400 code 1000 naming `Idempotency-Key`.
//!   The caller is authenticated first, exactly as [`AuthUser`] does (bearer token or verified API key), so an
//!   anonymous request is 401 whatever its key.
//! - Keys are scoped per user: A's key never meets B's. A session and an API key of the same user share them.
//! - The request's fingerprint is SHA-256 of method, path with query, and the raw body bytes: a retry must send
//!   the same bytes. The same key with another fingerprint is 409 code 1003 `IDEMPOTENCY_CONFLICT`.
//! - The first request claims the key (an `in_progress` row; the primary key makes the claim race-free). A
//!   concurrent duplicate polls every 25 ms until the first completes and then replays it; if the first is still
//!   running shortly before the request timeout, the duplicate gets 409 code 1003 with `reason: in_progress`.
//! - What is stored and replayed: every response below 500 except 409 and 429 (a refused transfer stays refused
//!   on retry even after a deposit; a conflict or a rate limit is a verdict on that moment, not on the request).
//!   Replays carry the stored status, `Content-Type` and body byte for byte (the envelope's `timestamp` and
//!   `request_id` are the first response's) plus `Idempotent-Replayed: true`; other headers are not kept.
//! - A 5xx, 409, 429 or a panic releases the claim, so a retry runs afresh. Handlers therefore must not answer
//!   5xx after their money transaction has committed.
//! - The handler runs in a task of its own, so a client that hangs up or the request timeout cannot cut it off
//!   between its commit and the storing of its response. Only a crash of the process can leave a claim
//!   `in_progress`.
//! - Each claim stands for one operation ([`Operation`], stored with the claim), and a handler derives the ids
//!   of what it writes from it (the transfer id, the withdrawal id), so the ledger applies an operation at most
//!   once however often it runs. A claim is leased for twice the request timeout; a retry that finds the lease
//!   over takes the claim and runs the request again under the same operation: if the effect had committed, the
//!   handler finds it and answers with it; if not, it is applied now. On the embedded database every lease ends
//!   at start-up (one process owns the file), so after a crash and restart the first retry gets its answer.
//! - Keys are kept 24 h from their claim; afterwards the key may be reused, and a background worker deletes the
//!   rows ([`purge_expired`]).

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorCode};
use crate::idempotency_store::{self as store, StoredResponse};
use crate::middleware::api_key::read_body;
use crate::middleware::request_id;
use crate::state::AppState;
use axum::Extension;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, OriginalUri, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use chrono::{DateTime, Utc};
use platform::{Db, DbError};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;
use utoipa::IntoParams;
use uuid::Uuid;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const FIELD: &str = "Idempotency-Key";
const MAX_KEY_LEN: usize = 128;
/// How long a key is kept; 24 h is the promise made to clients (issue 5).
const KEEP_HOURS: i64 = 24;
const POLL: Duration = Duration::from_millis(25);
/// Money responses are small; a body beyond this cannot be stored, and the claim is then kept (see `settle`).
const MAX_STORED_BODY: usize = 4 * 1024 * 1024;

/// The header as the OpenAPI document shows it on a route that requires it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Required: a retry with the same key and body returns the first answer and moves or holds nothing twice.
    #[param(rename = "Idempotency-Key")]
    pub key: String,
}

/// `route` with the key required: only the methods it already has, not the 405 it answers for others.
pub fn required(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.route_layer(from_fn(layer))
}

/// The middleware; see the module docs for how a route opts in.
pub async fn layer(Extension(state): Extension<AppState>, request: Request, next: Next) -> Response {
    match run(state, request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Deletes keys whose 24 h are over; the server's idempotency-purge worker calls it.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    store::purge_expired(db, now).await
}

/// The identity of one claim: whose key, which key, for which request.
#[derive(Clone)]
struct Claim {
    user: Uuid,
    key: String,
    hash: Vec<u8>,
}

/// The operation a request behind an `Idempotency-Key` runs as: the same on every run of the same claim. A
/// handler on an idempotent route takes it as an extractor and derives the ids of what it writes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub id: Uuid,
    /// A claim taken over after its first run was abandoned: only then can the effect already exist, so only
    /// then does a handler look for it.
    pub resumed: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Operation {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Operation>()
            .copied()
            .ok_or_else(|| ApiError::internal(&"a route that needs an operation runs without the idempotency layer"))
    }
}

/// How long a claim is presumed alive: well past the request timeout, after which its request has been
/// answered (408) even if its handler still runs.
fn lease(request_timeout_secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(request_timeout_secs.saturating_mul(2)).unwrap_or(i64::MAX / 1000))
}

/// Ends every lease left by a stopped process, on the embedded database (see the module docs); a no-op on
/// PostgreSQL, where other nodes may hold live claims.
pub async fn end_leases_at_start(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    if db.backend() != platform::Backend::Sqlite {
        return Ok(0);
    }
    store::end_leases(db, now).await
}

async fn run(state: AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let AuthUser(who) = AuthUser::from_request_parts(&mut parts, &state).await?;
    let key = key_from(&parts.headers)?;
    let body = read_body(&parts, body).await?;
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
    let path = path.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    let claim = Claim {
        user: who.user_id,
        key,
        hash: fingerprint(parts.method.as_str(), &path, &body),
    };
    let mut request = Request::from_parts(parts, Body::from(body));
    let mut next = next;
    let deadline = Instant::now() + wait_budget(state.config.server.request_timeout_secs);
    // A waiter polls with reads and tries to claim again only once the key is free: on SQLite every claim attempt
    // takes the write lock, which the request it waits for needs.
    let mut free = true;
    loop {
        if free {
            match claim_and_run(state.clone(), claim.clone(), request, next).await? {
                Attempt::Ran(response) => return Ok(response),
                Attempt::Held(back, back_next) => (request, next) = (back, back_next),
            }
        }
        // `None`: the holder released the key since; the next round claims it.
        let record = store::find(&state.db, claim.user, &claim.key).await?;
        free = record.is_none();
        if let Some(record) = record {
            if record.request_hash != claim.hash {
                return Err(ApiError::of(ErrorCode::IdempotencyConflict)
                    .with_details(json!({ "field": FIELD, "reason": "different_request" })));
            }
            if let Some(operation) = record.operation_id.filter(|_| record.abandoned(state.clock.now())) {
                match take_over_and_run(
                    state.clone(),
                    claim.clone(),
                    Operation {
                        id: operation,
                        resumed: true,
                    },
                    request,
                    next,
                )
                .await?
                {
                    Attempt::Ran(response) => return Ok(response),
                    Attempt::Held(back, back_next) => (request, next) = (back, back_next),
                }
                tokio::time::sleep(POLL).await;
                continue;
            }
            if let Some(stored) = record.completed() {
                return Ok(replay(stored));
            }
        }
        if Instant::now() >= deadline {
            return Err(ApiError::new(
                ErrorCode::IdempotencyConflict,
                "A request with this Idempotency-Key is still being processed; retry later.",
            )
            .with_details(json!({ "field": FIELD, "reason": "in_progress" })));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What a claim attempt came to: this request got the key and ran, or another holds it.
enum Attempt {
    Ran(Response),
    Held(Request, Next),
}

/// Claims the key and, when this request gets it, runs the handler, in a task of its own: a request dropped while
/// its claim waits for the database (client gone, timeout) still runs and stores its response once the claim
/// lands, instead of leaving the key claimed by nobody until it expires.
async fn claim_and_run(state: AppState, claim: Claim, request: Request, next: Next) -> Result<Attempt, ApiError> {
    let attempt = async move {
        let now = state.clock.now();
        let operation = Operation {
            id: Uuid::now_v7(),
            resumed: false,
        };
        let new = store::NewClaim {
            user: claim.user,
            key: &claim.key,
            request_hash: &claim.hash,
            operation: operation.id,
            now,
            lease_until: now + lease(state.config.server.request_timeout_secs),
            expires_at: now + chrono::Duration::hours(KEEP_HOURS),
        };
        if store::claim(&state.db, &new).await? {
            Ok(Attempt::Ran(execute(state, claim, operation, request, next).await))
        } else {
            Ok::<_, ApiError>(Attempt::Held(request, next))
        }
    };
    detached(attempt).await
}

/// Takes over an abandoned claim and runs it again under its operation, detached like a first claim.
async fn take_over_and_run(
    state: AppState,
    claim: Claim,
    operation: Operation,
    request: Request,
    next: Next,
) -> Result<Attempt, ApiError> {
    let attempt = async move {
        let now = state.clock.now();
        let lease_until = now + lease(state.config.server.request_timeout_secs);
        if store::take_over(&state.db, claim.user, &claim.key, &claim.hash, now, lease_until).await? {
            tracing::warn!(operation = %operation.id, "running an abandoned idempotency claim again under its operation");
            Ok(Attempt::Ran(execute(state, claim, operation, request, next).await))
        } else {
            Ok::<_, ApiError>(Attempt::Held(request, next))
        }
    };
    detached(attempt).await
}

async fn detached(
    attempt: impl Future<Output = Result<Attempt, ApiError>> + Send + 'static,
) -> Result<Attempt, ApiError> {
    let attempt = tokio::spawn(request_id::within(request_id::current(), attempt).instrument(tracing::Span::current()));
    attempt
        .await
        .map_err(|e| ApiError::internal(&format!("an idempotency claim failed: {e}")))?
}

/// A duplicate waits for the first request until shortly before the request timeout would cut it off, so it
/// answers with its own 409 rather than a bare timeout.
fn wait_budget(request_timeout_secs: u64) -> Duration {
    Duration::from_secs(request_timeout_secs)
        .saturating_sub(Duration::from_millis(500))
        .max(Duration::from_millis(100))
}

fn key_from(headers: &HeaderMap) -> Result<String, ApiError> {
    let mut values = headers.get_all(HEADER).iter();
    let value = match (values.next(), values.next()) {
        (Some(value), None) => value,
        (None, _) => {
            return Err(ApiError::invalid_field(
                FIELD,
                "this route requires an Idempotency-Key header",
            ));
        }
        (Some(_), Some(_)) => return Err(ApiError::invalid_field(FIELD, "the header must appear once")),
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !bytes.iter().all(|b| (b'!'..=b'~').contains(b)) {
        return Err(ApiError::invalid_field(
            FIELD,
            format!("must be 1 to {MAX_KEY_LEN} printable ASCII characters without spaces"),
        ));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Length-prefixed parts, so no two different (method, path, body) triples share an input.
fn fingerprint(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// Runs the handler detached from the connection: the outer future may be dropped (client gone, timeout) but
/// the handler and the storing of its response still finish. A panic in the handler releases the claim.
async fn execute(state: AppState, claim: Claim, operation: Operation, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(operation);
    let id = request_id::current();
    let span = tracing::Span::current();
    let supervised = {
        let (id, span) = (id.clone(), span.clone());
        async move {
            let handler = tokio::spawn(request_id::within(id, next.run(request)).instrument(span));
            match handler.await {
                Ok(response) => settle(&state, &claim, response).await,
                Err(error) => {
                    release(&state, &claim).await;
                    ApiError::internal(&format!("handler behind an idempotency key failed: {error}")).into_response()
                }
            }
        }
    };
    match tokio::spawn(request_id::within(id, supervised).instrument(span)).await {
        Ok(response) => response,
        Err(error) => ApiError::internal(&format!("idempotency task failed: {error}")).into_response(),
    }
}

/// Whether a response is final for its key (see the module docs).
fn is_kept(status: StatusCode) -> bool {
    !(status.is_server_error() || status == StatusCode::CONFLICT || status == StatusCode::TOO_MANY_REQUESTS)
}

async fn settle(state: &AppState, claim: &Claim, response: Response) -> Response {
    if !is_kept(response.status()) {
        release(state, claim).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_STORED_BODY).await {
        Ok(bytes) => bytes,
        // The handler may have moved money: keep the claim (retries get 409) rather than let a retry run again.
        Err(error) => {
            return ApiError::internal(&format!("response behind an idempotency key: {error}")).into_response();
        }
    };
    let stored = StoredResponse {
        status_code: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: bytes.to_vec(),
    };
    // Same reasoning: the claim stays in progress, so a retry is refused instead of run twice.
    if let Err(error) = store::complete(&state.db, claim.user, &claim.key, &claim.hash, &stored).await {
        tracing::error!(error = %error, "cannot store the response of an idempotency key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(state: &AppState, claim: &Claim) {
    if let Err(error) = store::release(&state.db, claim.user, &claim.key, &claim.hash).await {
        tracing::error!(error = %error, "cannot release an idempotency key; it answers 409 until it expires");
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status_code).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(value) = stored.content_type.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(HEADER, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    #[test]
    fn key_syntax() {
        assert_eq!(key_from(&headers_with(&[b"abc-123_~!"])).unwrap(), "abc-123_~!");
        assert!(key_from(&headers_with(&[&[b'k'; MAX_KEY_LEN]])).is_ok());
        for bad in [
            &b""[..],
            b"has space",
            b"tab\there",
            &[b'k'; MAX_KEY_LEN + 1],
            b"caf\xc3\xa9",
        ] {
            assert!(key_from(&headers_with(&[bad])).is_err(), "{bad:?}");
        }
        assert!(key_from(&headers_with(&[])).is_err());
        assert!(key_from(&headers_with(&[b"a", b"a"])).is_err());
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint("POST", "/a", b"b"), fingerprint("POST", "/ab", b""));
        assert_ne!(fingerprint("POST", "/a", b"{}"), fingerprint("PUT", "/a", b"{}"));
        assert_eq!(fingerprint("POST", "/a", b"{}"), fingerprint("POST", "/a", b"{}"));
    }

    #[test]
    fn conflicts_rate_limits_and_server_errors_are_not_kept() {
        assert!(is_kept(StatusCode::CREATED));
        assert!(is_kept(StatusCode::BAD_REQUEST));
        assert!(!is_kept(StatusCode::CONFLICT));
        assert!(!is_kept(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_kept(StatusCode::INTERNAL_SERVER_ERROR));
    }
}
