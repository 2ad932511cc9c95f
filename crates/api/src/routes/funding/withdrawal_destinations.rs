//! The caller's withdrawal allow-list: saved destinations (`/v1/wallets/withdrawal-destinations`) and the mode
//! that makes them the only ones a withdrawal may use (`/v1/wallets/withdrawal-destinations/settings`).
//!
//! Against a stolen session: a saved destination is usable only after the cool-down
//! (`withdrawal_destination_cooldown_secs`), switching the mode off takes effect only after the same cool-down,
//! and every change needs a signed-in session (not an API key) and, where it widens what may be withdrawn, the
//! 2FA code. Destinations are sealed at rest and matched through a keyed fingerprint; the rules live in
//! `funding::WithdrawalDestinations`.

use crate::auth::{AuthUser, Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id};
use crate::openapi::answers::{All, BadInput, CodeMissing, JsonBody, NotFound, SignedIn, SignedInSession};
use crate::pagination;
use crate::routes::funding::destination::DestinationBody;
use crate::routes::funding::views::DestinationView;
use crate::routes::wallets::input::movable_asset;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use funding::{AllowList, NewDestination, SavedDestination};
use ledger::Movement;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveDestinationBody {
    #[schema(example = "BTC")]
    pub asset: String,
    /// The same shape a withdrawal takes: `{ "address" }` for a crypto asset, `{ "iban", "name" }` for a fiat one.
    pub destination: DestinationBody,
    /// Optional, at most 64 characters without control characters.
    #[schema(example = "cold wallet")]
    pub label: Option<String>,
    /// A current TOTP code; required when the caller has two-factor authentication on.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedDestinationView {
    pub id: Uuid,
    #[schema(example = "BTC")]
    pub asset: String,
    pub destination: DestinationView,
    #[schema(example = "cold wallet")]
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    /// From when withdrawals may use it: `created_at` plus the cool-down.
    pub usable_from: DateTime<Utc>,
    /// Whether `usable_from` has passed.
    pub usable: bool,
}

impl SavedDestinationView {
    fn new(d: &SavedDestination, now: DateTime<Utc>) -> SavedDestinationView {
        SavedDestinationView {
            id: d.id,
            asset: d.asset.to_string(),
            destination: DestinationView {
                kind: d.destination.kind.clone(),
                masked: d.destination.masked.clone(),
            },
            label: d.label.clone(),
            created_at: d.created_at,
            usable_from: d.usable_from,
            usable: d.usable_at(now),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowListBody {
    /// `true` switches the mode on at once (and cancels a pending switch-off); `false` schedules the switch-off.
    pub enabled: bool,
    /// A current TOTP code; required to switch the mode off when the caller has two-factor authentication on.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllowListView {
    /// Whether withdrawals may go only to saved destinations past their cool-down, now.
    pub enabled: bool,
    /// When a requested switch-off takes effect; the mode stays on until then. `null` when none is pending.
    pub disables_at: Option<DateTime<Utc>>,
    /// How long a new destination waits before use, and a switch-off before it takes effect.
    #[schema(example = 86400)]
    pub cooldown_secs: u64,
}

impl AllowListView {
    fn new(state: &AppState, mode: AllowList) -> AllowListView {
        AllowListView {
            enabled: mode.enabled,
            disables_at: mode.disable_at,
            cooldown_secs: state.withdrawal_destinations.cooldown_secs(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DestinationsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's saved withdrawal destinations, newest first.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawal-destinations", tag = "wallets",
    security(("bearer" = [])),
    params(DestinationsQuery),
    responses(
        (status = 200, description = "A page of the caller's saved destinations, masked", body = Envelope<Page<SavedDestinationView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_destinations(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<DestinationsQuery>,
) -> Result<Json<Envelope<Page<SavedDestinationView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state.withdrawal_destinations.list(who.user_id, before, limit).await?;
    let next_cursor = pagination::next_cursor(&items, more, |d| d.id.to_string());
    let now = state.clock.now();
    Ok(ok(Page {
        items: items.iter().map(|d| SavedDestinationView::new(d, now)).collect(),
        next_cursor,
    }))
}

/// Save a withdrawal destination; withdrawals may use it once its cool-down has passed.
#[utoipa::path(
    post, path = "/v1/wallets/withdrawal-destinations", tag = "wallets",
    security(("bearer" = [])),
    request_body = SaveDestinationBody,
    responses(
        (status = 201, description = "The saved destination, masked, with `usable_from`", body = Envelope<SavedDestinationView>),
        All<(SignedInSession, CodeMissing, JsonBody)>,
        (status = 403, description = "Called with an API key (code 2004), or 100 destinations are already saved (code 1004)", body = ErrorEnvelope),
        (status = 409, description = "This destination is already saved for this asset (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn add_destination(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<SaveDestinationBody>,
) -> Result<(StatusCode, Json<Envelope<SavedDestinationView>>), ApiError> {
    let asset = movable_asset(&state, &body.asset).await?;
    let new = NewDestination {
        user: who.user_id,
        asset: &asset,
        destination: body.destination.into(),
        label: body.label,
        code: body.code.as_deref(),
    };
    let movement = Movement {
        actor: Some(who.user_id),
        action: "withdrawal_destination.add",
        context: &client,
    };
    let saved = state.withdrawal_destinations.save(new, movement).await?;
    Ok((
        StatusCode::CREATED,
        ok(SavedDestinationView::new(&saved, state.clock.now())),
    ))
}

/// Delete one of the caller's saved destinations; withdrawals to it are refused at once while the mode is on.
#[utoipa::path(
    delete, path = "/v1/wallets/withdrawal-destinations/{id}", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The saved destination's id")),
    responses(
        (status = 200, description = "The deleted destination", body = Envelope<SavedDestinationView>),
        SignedInSession, BadInput, NotFound,
    )
)]
pub async fn delete_destination(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<SavedDestinationView>>, ApiError> {
    let id = parse_id(&id)?;
    let movement = Movement {
        actor: Some(who.user_id),
        action: "withdrawal_destination.delete",
        context: &client,
    };
    let removed = state.withdrawal_destinations.remove(who.user_id, id, movement).await?;
    Ok(ok(SavedDestinationView::new(&removed, state.clock.now())))
}

/// The caller's allow-list mode, and when a pending switch-off takes effect.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawal-destinations/settings", tag = "wallets",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mode now", body = Envelope<AllowListView>),
        SignedIn,
    )
)]
pub async fn get_settings(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<Envelope<AllowListView>>, ApiError> {
    let mode = state.withdrawal_destinations.mode(who.user_id).await?;
    Ok(ok(AllowListView::new(&state, mode)))
}

/// Switch the allow-list mode on (at once) or off (after the cool-down; the mode stays on until then).
#[utoipa::path(
    put, path = "/v1/wallets/withdrawal-destinations/settings", tag = "wallets",
    security(("bearer" = [])),
    request_body = AllowListBody,
    responses(
        (status = 200, description = "The mode now; after a switch-off request `enabled` is still true and `disables_at` says when it goes off", body = Envelope<AllowListView>),
        All<(SignedInSession, CodeMissing, JsonBody)>,
    )
)]
pub async fn put_settings(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<AllowListBody>,
) -> Result<Json<Envelope<AllowListView>>, ApiError> {
    let movement = Movement {
        actor: Some(who.user_id),
        action: "withdrawal_allowlist.change",
        context: &client,
    };
    let mode = state
        .withdrawal_destinations
        .set_mode(who.user_id, body.enabled, body.code.as_deref(), movement)
        .await?;
    Ok(ok(AllowListView::new(&state, mode)))
}
