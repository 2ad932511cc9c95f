//! `POST /v1/webhooks/deposits`: a custody or payment provider reports a deposit it received for a user. No user
//! session: the provider proves itself with an HMAC-SHA256 signature of the raw body under its configured secret.
//! `funding::Deposits` makes the notification idempotent per provider transaction and holds the amount until the
//! asset's confirmation threshold is reached.

use crate::auth::Client;
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::openapi::answers::{BadInput, RateLimited, TooLarge};
use crate::routes::funding::views::DepositView;
use crate::routes::wallets::input::{amount_in, movable_asset};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use bytes::Bytes;
use funding::{DepositNotice, FundingError, Provider};
use ledger::Movement;
use serde::Deserialize;
use utoipa::ToSchema;

pub const PROVIDER_HEADER: &str = "x-provider";
pub const SIGNATURE_HEADER: &str = "x-signature";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositNotificationBody {
    /// The provider's own id of the transaction; 1 to 128 characters. Notifications are idempotent by it.
    #[schema(example = "btc:9f2c…e1:0")]
    pub provider_tx_id: String,
    /// The user credited: email or id.
    #[schema(example = "alice@example.com")]
    pub user: String,
    #[schema(example = "BTC")]
    pub asset: String,
    /// A positive decimal string with at most the asset's decimal places.
    #[schema(example = "0.25")]
    pub amount: String,
    /// Confirmations the provider has seen so far.
    #[schema(example = 1)]
    pub confirmations: u32,
}

/// A provider reports a deposit, or more confirmations of one. Signed, not signed in.
#[utoipa::path(
    post, path = "/v1/webhooks/deposits", tag = "webhooks",
    params(
        ("X-Provider" = String, Header, description = "The provider's configured name (`deposit_providers`)"),
        ("X-Signature" = String, Header, description = "Lowercase hex of HMAC-SHA256 keyed with the provider's secret over the raw request body"),
    ),
    request_body = DepositNotificationBody,
    responses(
        (status = 200, description = "The deposit as it now stands; a repeat answers the same", body = Envelope<DepositView>),
        BadInput, TooLarge, RateLimited,
        (status = 401, description = "Unknown provider, or missing or wrong signature (code 2001); nothing written", body = ErrorEnvelope),
        (status = 409, description = "The provider transaction was notified before with another user, asset or amount (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn deposit_notification(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Envelope<DepositView>>, ApiError> {
    let provider = authenticate(&state, &headers, &body)?;
    let body: DepositNotificationBody = parse_json(&body)?;
    let asset = movable_asset(&state, &body.asset).await?;
    let notice = DepositNotice {
        provider: &provider,
        provider_tx_id: &body.provider_tx_id,
        user: &body.user,
        asset: &asset,
        amount: amount_in(&body.amount, &asset)?,
        confirmations: body.confirmations,
    };
    let movement = Movement {
        actor: None,
        action: "ledger.provider_deposit",
        context: &client,
    };
    let deposit = state.deposits.notify(notice, movement).await?;
    Ok(ok(DepositView::new(&deposit, &asset)))
}

/// The provider named by `X-Provider`, if `X-Signature` is its signature of `body`. Every failure answers the
/// same, so a caller learns nothing about which provider names exist.
fn authenticate(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Provider, ApiError> {
    let header = |name: &str| -> Result<&str, ApiError> {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => value.to_str().map_err(|_| FundingError::Unauthenticated.into()),
            _ => Err(FundingError::Unauthenticated.into()),
        }
    };
    Ok(state
        .deposits
        .authenticate(header(PROVIDER_HEADER)?, header(SIGNATURE_HEADER)?, body)?)
}
