//! The OpenAPI document, served at `/api/openapi.json` with the Swagger UI (assets embedded in the binary) at
//! `/api`. [`base`] is its frame: the description, tags, the bearer scheme and the error envelope; each route
//! adds its own operation where it is routed (`routes!` in its context's router), so a route cannot be served
//! without being documented, nor documented without being served.

pub mod answers;

use crate::envelope::{ErrorBody, ErrorEnvelope};
use crate::error::ErrorCode;
use answers::{Timeout, Unavailable};
use std::collections::BTreeMap;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response};
use utoipa::{IntoResponses, Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bourse API",
        description = "Crypto and fiat money platform. Today: accounts with sessions, TOTP two-factor \
                       authentication, roles and staff; multi-currency wallets on a double-entry ledger with \
                       history; deposits recorded by staff or notified by providers; transfers between users; \
                       withdrawals with staff approval and a destination allow-list; API keys with signed requests; \
                       the audit log; live exchange rates with conversion and history; a portfolio of holdings \
                       with a FIFO cost basis, valuation, history, CSV import and export and rebalancing; a spot \
                       exchange with limit, market and stop orders held in the ledger, settled trade by trade with \
                       maker and taker fees by tier, and public depth, trades, tickers and candles.\n\nEvery response is an envelope: `{\"success\": true, \"data\": ...}` or \
                       `{\"success\": false, \"error\": {\"code\", \"type\", \"message\", \"details\", \"request_id\"}}`. \
                       Amounts are decimal strings. Every response carries `X-Request-Id`.",
    ),
    components(schemas(ErrorEnvelope, ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "assets", description = "The asset catalogue"),
        (name = "auth", description = "Registration, login, tokens and sessions"),
        (name = "two-factor", description = "TOTP two-factor authentication and recovery codes"),
        (name = "users", description = "The caller's account"),
        (name = "wallets", description = "Balances and transfers between users, on the double-entry ledger"),
        (name = "api-keys", description = "API keys for programs: HMAC-signed requests with scopes and IP allow-lists"),
        (name = "admin", description = "Staff administration: users, staff invites, the audit log"),
        (name = "operations", description = "Liveness, readiness, metrics"),
        (name = "webhooks", description = "Notifications from custody and payment providers, HMAC-signed per provider"),
        (name = "rates", description = "Live exchange rates, conversion and rate history: public market data"),
        (name = "portfolio", description = "Holdings on and off the platform, activities, valuation, FIFO cost basis, history, rebalancing"),
        (name = "markets", description = "The spot exchange's markets and public market data: depth, trades, 24-hour ticker, candles"),
        (name = "orders", description = "Orders on the spot exchange, held in the ledger and settled with fees by tier; the caller's fills"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the authenticated routes refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document without its routes, with the error-code table appended to its description so it lives next to
/// the code.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut table = String::from("\n\n## Error codes\n\n| code | type | HTTP |\n|---|---|---|\n");
    for code in ErrorCode::ALL {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            code.code(),
            code.name(),
            code.status().as_u16()
        ));
    }
    let description = doc.info.description.get_or_insert_with(String::new);
    description.push_str(&table);
    doc
}

/// Adds the answers no route chooses to every operation of the finished document: any request can outlast
/// `request_timeout_secs` (408, the timeout layer wraps every route), and any `/v1` request can find storage
/// unavailable or full (503). Declared here once rather than on each route; an operation's own answer for the
/// same status (`/readyz`'s 503) is kept.
pub struct GlobalAnswers;

impl Modify for GlobalAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let on_storage = path.starts_with("/v1/");
            for operation in operations(item) {
                add_missing(operation, Timeout::responses());
                if on_storage {
                    add_missing(operation, Unavailable::responses());
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn add_missing(operation: &mut Operation, answers: BTreeMap<String, RefOr<Response>>) {
    for (status, answer) in answers {
        operation.responses.responses.entry(status).or_insert(answer);
    }
}
