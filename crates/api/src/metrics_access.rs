//! The bearer token `/metrics` may require (`metrics_token`). Without one configured `/metrics` is open, as
//! Prometheus scrapers on a private network expect; with one, a scrape must send `Authorization: Bearer <token>`.

use crate::error::{ApiError, ErrorCode};
use axum::http::{HeaderMap, header};
use platform::Secret;
use sha2::{Digest, Sha256};

pub fn check(token: Option<&Secret<String>>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if same_token(presented, token.expose()) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "/metrics needs Authorization: Bearer with the configured metrics token.",
        )),
    }
}

/// Compares digests, byte by byte without stopping early, so neither the time taken nor the length compared says
/// how much of a guess was right.
fn same_token(presented: &str, expected: &str) -> bool {
    let (presented, expected) = (Sha256::digest(presented), Sha256::digest(expected));
    presented
        .iter()
        .zip(expected.iter())
        .fold(0u8, |differ, (a, b)| differ | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_configured_token_passes() {
        let token = Secret::new("m".repeat(32));
        assert!(check(None, &HeaderMap::new()).is_ok(), "open without a token");
        assert!(check(Some(&token), &HeaderMap::new()).is_err());
        assert!(check(Some(&token), &with_authorization(&format!("Bearer {}", "m".repeat(32)))).is_ok());
        assert!(check(Some(&token), &with_authorization(&format!("Bearer {}", "m".repeat(31)))).is_err());
        assert!(check(Some(&token), &with_authorization(&format!("Basic {}", "m".repeat(32)))).is_err());
    }
}
