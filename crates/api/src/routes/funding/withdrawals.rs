//! The caller's withdrawals: `POST /v1/wallets/withdrawals` holds `amount + fee` for staff to approve,
//! `GET /v1/wallets/withdrawals[/{id}]` lists and shows them, and `POST /v1/wallets/withdrawals/{id}/cancel`
//! releases a PENDING one. The destination is sealed at rest and only ever shown masked. The ledger side and
//! the state machine are `ledger::Ledger::request_withdrawal` / `decide_withdrawal`.

use crate::auth::{AuthUser, Client};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::middleware::idempotency;
use crate::pagination;
use crate::routes::wallets::{amount_in, movable_asset, views_with_assets};
use crate::routes::withdrawal_destinations::allow_listed;
use crate::state::AppState;
use crate::withdrawal_rules::rules_for;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use ledger::{Asset, AssetKind, Decision, Destination, Movement, Withdrawal, WithdrawalRequest};
use money::Amount;
use platform::crypto::SecretBox;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const MAX_NAME_CHARS: usize = 140;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/wallets/withdrawals",
            post(create_withdrawal)
                .route_layer(from_fn(idempotency::layer))
                .get(list_withdrawals),
        )
        .route("/v1/wallets/withdrawals/{id}", get(get_withdrawal))
        .route("/v1/wallets/withdrawals/{id}/cancel", post(cancel_withdrawal))
}

/// Where the money goes: `{ "address" }` for a crypto asset, `{ "iban", "name" }` for a fiat one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationBody {
    /// Crypto assets: the address, 8 to 128 letters and digits.
    #[schema(example = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh")]
    pub address: Option<String>,
    /// Fiat assets: the account's IBAN (spaces allowed), checked with its mod-97 check digits.
    #[schema(example = "DE89 3704 0044 0532 0130 00")]
    pub iban: Option<String>,
    /// Fiat assets: the account holder, at most 140 characters.
    #[schema(example = "Alice Example")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    #[schema(example = "BTC")]
    pub asset: String,
    /// What the destination receives: a positive decimal string at the asset's precision; the fee comes on top.
    #[schema(example = "0.5")]
    pub amount: String,
    pub destination: DestinationBody,
    /// A current TOTP code; required when the caller has two-factor authentication on.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DestinationView {
    /// `crypto` or `bank`.
    #[schema(example = "crypto")]
    pub kind: String,
    /// The last 4 characters only; the full destination is never returned.
    #[schema(example = "…0wlh")]
    pub masked: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawalView {
    pub id: Uuid,
    pub user_id: Uuid,
    #[schema(example = "BTC")]
    pub asset: String,
    #[schema(example = "0.50000000")]
    pub amount: String,
    #[schema(example = "0.00010000")]
    pub fee: String,
    /// `amount + fee`: what leaves the wallet (held while PENDING).
    #[schema(example = "0.50010000")]
    pub total: String,
    pub destination: DestinationView,
    /// `PENDING`, `APPROVED`, `COMPLETED`, `REJECTED` or `CANCELLED`.
    #[schema(example = "PENDING")]
    pub status: String,
    /// Staff's reason for a rejection.
    pub reason: Option<String>,
    /// The transaction id or payout reference of a COMPLETED withdrawal.
    pub payout_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WithdrawalView {
    pub(crate) fn new(w: &Withdrawal, asset: &Asset) -> WithdrawalView {
        let amount = |minor| Amount::from_minor(minor, asset.precision).to_string();
        WithdrawalView {
            id: w.id,
            user_id: w.user,
            asset: w.asset.to_string(),
            amount: amount(w.amount),
            fee: amount(w.fee),
            total: amount(w.amount.saturating_add(w.fee)),
            destination: DestinationView {
                kind: w.destination.kind.clone(),
                masked: w.destination.masked.clone(),
            },
            status: w.status.as_str().to_owned(),
            reason: w.reason.clone(),
            payout_reference: w.payout_reference.clone(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// Views of `items`, each asset looked up once.
pub(crate) async fn views(state: &AppState, items: &[Withdrawal]) -> Result<Vec<WithdrawalView>, ApiError> {
    views_with_assets(state, items, |w| w.asset, WithdrawalView::new).await
}

pub(crate) async fn view(state: &AppState, w: &Withdrawal) -> Result<WithdrawalView, ApiError> {
    let asset = state.assets.get(&w.asset).await?;
    Ok(WithdrawalView::new(w, &asset))
}

pub(crate) fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))
}

/// Binds a sealed destination to its withdrawal and owner, so it cannot be moved to another row.
fn associated_data(id: Uuid, user: Uuid) -> Vec<u8> {
    format!("withdrawal-destination:{id}:{user}").into_bytes()
}

/// A destination checked against its asset's kind.
pub(crate) struct CheckedDestination {
    /// What is sealed.
    pub plain: serde_json::Value,
    /// `crypto` or `bank`.
    pub kind: &'static str,
    pub masked: String,
    /// The canonical text two spellings of one destination share (IBAN spacing and case, the holder's name's
    /// case and spacing), which the allow-list fingerprints.
    pub normalized: String,
}

/// The destination checked against the asset's kind.
pub(crate) fn destination(body: DestinationBody, asset: &Asset) -> Result<CheckedDestination, ApiError> {
    let bad = |reason: &str| ApiError::invalid_field("destination", reason);
    let last4 = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        format!("…{}", chars[chars.len().saturating_sub(4)..].iter().collect::<String>())
    };
    match asset.kind {
        AssetKind::Crypto => {
            let (Some(address), None, None) = (body.address, body.iban, body.name) else {
                return Err(bad("a crypto withdrawal takes exactly { \"address\" }"));
            };
            let address = address.trim().to_owned();
            if !(8..=128).contains(&address.len()) || !address.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad("address must be 8 to 128 letters and digits"));
            }
            Ok(CheckedDestination {
                masked: last4(&address),
                normalized: format!("crypto\n{address}"),
                plain: json!({ "address": address }),
                kind: "crypto",
            })
        }
        AssetKind::Fiat => {
            let (None, Some(iban), Some(name)) = (body.address, body.iban, body.name) else {
                return Err(bad("a fiat withdrawal takes exactly { \"iban\", \"name\" }"));
            };
            let iban: String = iban
                .chars()
                .filter(|c| *c != ' ')
                .collect::<String>()
                .to_ascii_uppercase();
            if !valid_iban(&iban) {
                return Err(bad("iban is not a valid IBAN"));
            }
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(bad("name must be 1 to 140 characters without control characters"));
            }
            let holder = name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            Ok(CheckedDestination {
                masked: last4(&iban),
                normalized: format!("bank\n{iban}\n{holder}"),
                plain: json!({ "iban": iban, "name": name }),
                kind: "bank",
            })
        }
    }
}

/// ISO 13616: 15 to 34 characters, a country code, two check digits, letters and digits; mod 97 equals 1.
fn valid_iban(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut remainder: u32 = 0;
    for b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// Ask to withdraw money off the platform.
#[utoipa::path(
    post, path = "/v1/wallets/withdrawals", tag = "wallets",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: a retry with the same key and body returns the first answer and holds nothing twice")),
    request_body = WithdrawalBody,
    responses(
        (status = 201, description = "The PENDING withdrawal; `amount + fee` is now locked", body = Envelope<WithdrawalView>),
        (status = 400, description = "Bad input or below the minimum (code 1000, `details.field` names it: `amount`, `destination`, `code`), or not enough money for amount and fee (code 1001)", body = ErrorEnvelope),
        (status = 401, description = "Not signed in (code 2001), or 2FA is on and `code` is missing (code 2003)", body = ErrorEnvelope),
        (status = 403, description = "Over the asset's 24 h withdrawal limit (code 1004); or the caller's allow-list mode is on and the destination is not a saved one of this asset, or its cool-down has not passed (code 2004 FORBIDDEN, `details.field` = `destination`, `details.reason` = `not_allow_listed` or `cooling_down` with `details.usable_from`); nothing is held", body = ErrorEnvelope),
        (status = 409, description = "Idempotency-Key reused with another request, or still in progress (code 1003)", body = ErrorEnvelope),
    )
)]
pub async fn create_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    ApiJson(body): ApiJson<WithdrawalBody>,
) -> Result<(StatusCode, Json<Envelope<WithdrawalView>>), ApiError> {
    let asset = movable_asset(&state, &body.asset).await?;
    let amount = amount_in(&body.amount, &asset)?;
    let rules = rules_for(&state.config, &asset);
    if amount < rules.min {
        return Err(ApiError::invalid_field(
            "amount",
            format!(
                "is below the minimum withdrawal of {} {}",
                Amount::from_minor(rules.min, asset.precision),
                asset.code
            ),
        ));
    }
    let checked = destination(body.destination, &asset)?;
    let movement = Movement {
        actor: Some(who.user_id),
        action: "ledger.withdrawal_request",
        ip: client.ip.as_deref(),
        request_id: client.request_id.as_deref(),
    };
    // Before the 2FA code is checked, so a refused destination does not use up the code.
    allow_listed(&state, who.user_id, &asset, &checked, movement).await?;
    confirm_two_factor(&state, who.user_id, body.code).await?;
    let CheckedDestination {
        plain, kind, masked, ..
    } = checked;
    let id = Uuid::now_v7();
    let sealed = SecretBox::new(state.keys.data_encryption_key.expose())
        .seal(plain.to_string().as_bytes(), &associated_data(id, who.user_id))
        .map_err(|e| ApiError::internal(&e))?;
    let request = WithdrawalRequest {
        id,
        user: who.user_id,
        asset: asset.code,
        amount,
        fee: rules.fee,
        daily_limit: rules.daily_limit,
        destination: Destination {
            kind: kind.to_owned(),
            masked,
            sealed,
        },
    };
    let withdrawal = state.ledger.request_withdrawal(request, movement).await?;
    state.wake_relay();
    Ok((StatusCode::CREATED, ok(WithdrawalView::new(&withdrawal, &asset))))
}

/// When the caller has 2FA on, `code` must be a current, unused TOTP code.
pub(crate) async fn confirm_two_factor(state: &AppState, user: Uuid, code: Option<String>) -> Result<(), ApiError> {
    if !state.two_factor.is_enabled(user).await? {
        return Ok(());
    }
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(ApiError::new(
            ErrorCode::TwoFactorRequired,
            "Two-factor authentication is on: send a current code as `code`.",
        ));
    };
    if !state.two_factor.confirm_code(user, code.trim()).await? {
        return Err(ApiError::invalid_field("code", "is wrong or was already used"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WithdrawalsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's withdrawals, newest first.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawals", tag = "wallets",
    security(("bearer" = [])),
    params(WithdrawalsQuery),
    responses(
        (status = 200, description = "A page of the caller's withdrawals", body = Envelope<Page<WithdrawalView>>),
        (status = 400, description = "Bad `limit` or `cursor` (code 1000)", body = ErrorEnvelope),
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
    )
)]
pub async fn list_withdrawals(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<WithdrawalsQuery>,
) -> Result<Json<Envelope<Page<WithdrawalView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state.ledger.withdrawals(Some(who.user_id), None, before, limit).await?;
    let next_cursor = pagination::next_cursor(&items, more, |w| w.id.to_string());
    Ok(ok(Page {
        items: views(&state, &items).await?,
        next_cursor,
    }))
}

/// One of the caller's withdrawals.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawals/{id}", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    responses(
        (status = 200, description = "The withdrawal", body = Envelope<WithdrawalView>),
        (status = 400, description = "Malformed id (code 1000)", body = ErrorEnvelope),
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
        (status = 404, description = "No such withdrawal of the caller's (code 3001)", body = ErrorEnvelope),
    )
)]
pub async fn get_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let id = parse_id(&id)?;
    let withdrawal = state
        .ledger
        .withdrawal(id)
        .await?
        .filter(|w| w.user == who.user_id)
        .ok_or_else(|| ApiError::not_found("Withdrawal"))?;
    Ok(ok(view(&state, &withdrawal).await?))
}

/// Cancel one of the caller's PENDING withdrawals; the held money is available again.
#[utoipa::path(
    post, path = "/v1/wallets/withdrawals/{id}/cancel", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    responses(
        (status = 200, description = "The CANCELLED withdrawal", body = Envelope<WithdrawalView>),
        (status = 400, description = "Malformed id (code 1000)", body = ErrorEnvelope),
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
        (status = 404, description = "No such withdrawal of the caller's (code 3001)", body = ErrorEnvelope),
        (status = 409, description = "Not PENDING any more (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn cancel_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let id = parse_id(&id)?;
    let movement = Movement {
        actor: Some(who.user_id),
        action: "ledger.withdrawal_cancel",
        ip: client.ip.as_deref(),
        request_id: client.request_id.as_deref(),
    };
    let withdrawal = state
        .ledger
        .decide_withdrawal(id, Some(who.user_id), Decision::Cancel, movement)
        .await?;
    state.wake_relay();
    Ok(ok(view(&state, &withdrawal).await?))
}

#[cfg(test)]
mod tests {
    use super::valid_iban;

    #[test]
    fn iban_check_digits() {
        assert!(valid_iban("DE89370400440532013000"));
        assert!(valid_iban("GB82WEST12345698765432"));
        assert!(!valid_iban("DE89370400440532013001"));
        assert!(!valid_iban("DE8937"));
    }
}
