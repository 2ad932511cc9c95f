//! The error answers many routes give, each declared once. A route names the ones it can give in its
//! `responses(...)`, e.g. `responses((status = 200, ...), SignedIn, BadInput, NotFound)`; an answer of its own
//! with the same status, listed after them, replaces the shared one.
//!
//! Each single answer is a type whose `IntoResponses` is derived: its doc comment is the description, its field
//! the body. [`All`] lists several as one; two with the same status are described together, since a client
//! can get either.

use crate::envelope::ErrorEnvelope;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use utoipa::IntoResponses;
use utoipa::openapi::{RefOr, Response};

/// Bad input (code 1000): `details.field` names the field, parameter or `body`.
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct BadInput(pub ErrorEnvelope);

/// Not enough money available (code 1001).
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct InsufficientFunds(pub ErrorEnvelope);

/// Not signed in (code 2001).
#[derive(IntoResponses)]
#[response(status = 401)]
pub struct NotSignedIn(pub ErrorEnvelope);

/// Two-factor authentication is on and `code` is missing (code 2003).
#[derive(IntoResponses)]
#[response(status = 401)]
pub struct CodeMissing(pub ErrorEnvelope);

/// Called with an API key: this route needs a signed-in session (code 2004).
#[derive(IntoResponses)]
#[response(status = 403)]
pub struct KeyRefused(pub ErrorEnvelope);

/// Lacks the route's permission, or staff without 2FA (code 2004).
#[derive(IntoResponses)]
#[response(status = 403)]
pub struct NoPermission(pub ErrorEnvelope);

/// No such resource, or not the caller's (code 3001).
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorEnvelope);

/// `Idempotency-Key` reused with another request, or its first request still in progress (code 1003).
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct IdempotencyConflict(pub ErrorEnvelope);

/// Body over `body_limit_bytes` (code 1006).
#[derive(IntoResponses)]
#[response(status = 413)]
pub struct TooLarge(pub ErrorEnvelope);

/// Body not `application/json` (code 1007).
#[derive(IntoResponses)]
#[response(status = 415)]
pub struct NotJson(pub ErrorEnvelope);

/// Over a rate limit (code 4290); `Retry-After` says when to try again.
#[derive(IntoResponses)]
#[response(status = 429)]
pub struct RateLimited(pub ErrorEnvelope);

/// Storage or another dependency is unavailable, or storage is full (code 5030); retry later.
#[derive(IntoResponses)]
#[response(status = 503)]
pub struct Unavailable(pub ErrorEnvelope);

/// The request took longer than `request_timeout_secs` (code 5040).
#[derive(IntoResponses)]
#[response(status = 408)]
pub struct Timeout(pub ErrorEnvelope);

/// Every route that reads a JSON body.
pub type JsonBody = All<(BadInput, TooLarge, NotJson)>;

/// Every route that needs a signed-in user (session or API key); all of them are rate-limited.
pub type SignedIn = All<(NotSignedIn, RateLimited)>;

/// Every route that needs a session: API keys are refused.
pub type SignedInSession = All<(NotSignedIn, KeyRefused, RateLimited)>;

/// Every staff route: a session whose role holds the permission, with 2FA on.
pub type Staff = All<(NotSignedIn, NoPermission, RateLimited)>;

/// The answers of every type in the tuple `T`.
pub struct All<T>(PhantomData<T>);

macro_rules! all_of {
    ($($answer:ident),+) => {
        impl<$($answer: IntoResponses),+> IntoResponses for All<($($answer,)+)> {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let mut all = BTreeMap::new();
                $(add(&mut all, $answer::responses());)+
                all
            }
        }
    };
}

all_of!(A, B);
all_of!(A, B, C);
all_of!(A, B, C, D);
all_of!(A, B, C, D, E);

fn add(all: &mut BTreeMap<String, RefOr<Response>>, more: BTreeMap<String, RefOr<Response>>) {
    for (status, answer) in more {
        match (all.get_mut(&status), answer) {
            (Some(RefOr::T(known)), RefOr::T(other)) => {
                let first = known.description.trim_end_matches('.');
                known.description = format!("{first}; or {}", lowercase_first(&other.description));
            }
            (_, answer) => {
                all.insert(status, answer);
            }
        }
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description(responses: &BTreeMap<String, RefOr<Response>>, status: &str) -> String {
        match &responses[status] {
            RefOr::T(response) => response.description.clone(),
            RefOr::Ref(_) => panic!("{status} is a reference"),
        }
    }

    #[test]
    fn answers_with_one_status_are_described_together() {
        let responses = All::<(SignedIn, CodeMissing)>::responses();
        assert_eq!(
            description(&responses, "401"),
            "Not signed in (code 2001); or two-factor authentication is on and `code` is missing (code 2003)."
        );
        assert!(responses.contains_key("429"));
    }
}
