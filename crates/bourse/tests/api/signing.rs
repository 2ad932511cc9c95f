//! Signing requests with an API key, as a client program would: computed here with the HMAC crates directly,
//! not with the server's code, so a mistake shared by both sides cannot hide.
//!
//! ```ignore
//! let key = create_api_key(&app, &token, json!({"label": "bot", "scopes": ["read"]})).await;
//! let response = sign_request(app.client.get(app.url("/v1/users/me")), &key, now_ms()).send().await?;
//! ```

use crate::helpers::{TestApp, envelope};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::RequestBuilder;
use serde_json::Value;
use sha2::Sha256;

/// A key id and its secret, as `POST /v1/api-keys` answers them.
#[derive(Debug, Clone)]
pub struct ApiCredentials {
    pub key_id: String,
    pub secret: String,
}

/// Lowercase hex HMAC-SHA256, keyed with the secret's text, of
/// `timestamp \n method \n path_and_query \n idempotency_key \n body`.
pub fn signature(
    secret: &str,
    timestamp: &str,
    method: &str,
    path_and_query: &str,
    idempotency_key: &str,
    body: &[u8],
) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    for part in [timestamp, method, path_and_query, idempotency_key] {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Adds `X-Api-Key`, `X-Api-Timestamp` and `X-Api-Signature` for exactly the method, path, query and body the
/// builder holds, and its `Idempotency-Key` header. Set the body and that header before signing; either changed
/// afterwards no longer matches.
pub fn sign_request(request: RequestBuilder, key: &ApiCredentials, timestamp_ms: i64) -> RequestBuilder {
    let built = request
        .try_clone()
        .expect("a request with a buffered body")
        .build()
        .expect("a valid request");
    let url = built.url();
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let body = built.body().and_then(|b| b.as_bytes()).unwrap_or_default();
    let idempotency_key = built
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let timestamp = timestamp_ms.to_string();
    let signature = signature(
        &key.secret,
        &timestamp,
        built.method().as_str(),
        &path_and_query,
        idempotency_key,
        body,
    );
    request
        .header("x-api-key", &key.key_id)
        .header("x-api-timestamp", timestamp)
        .header("x-api-signature", signature)
}

/// The system clock in Unix milliseconds, for servers running on the system clock.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Creates a key with `body` for the holder of `access_token`, asserting success.
pub async fn create_api_key(app: &TestApp, access_token: &str, body: Value) -> (ApiCredentials, Value) {
    let (status, created) = envelope(app.post_authed("/v1/api-keys", access_token, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let data = created["data"].clone();
    let credentials = ApiCredentials {
        key_id: data["key_id"].as_str().expect("key_id").to_owned(),
        secret: data["secret"].as_str().expect("secret").to_owned(),
    };
    (credentials, data)
}
