//! What happened in the caller's wallets: `GET /v1/wallets/{asset}/history`, the journal entries of one wallet
//! with its running balance, and `GET /v1/wallets/transactions/{id}`, one entry the caller is party to.

use crate::auth::AuthUser;
use crate::envelope::{Envelope, Page, ok};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, NotFound, SignedIn};
use crate::pagination;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use identity::IdentityError;
use ledger::books::TransferKind;
use ledger::{Entry, HistoryFilter};
use money::AssetCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One journal entry of a wallet, as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    #[schema(example = "USD")]
    pub asset: String,
    /// `deposit`, `withdrawal`, `transfer`, `fee`, `trade` or `remit`.
    #[schema(example = "transfer")]
    pub kind: String,
    /// `credit` (money in) or `debit` (money out).
    #[schema(example = "debit")]
    pub direction: String,
    #[schema(example = "25.00")]
    pub amount: String,
    /// `posted`; for a hold `pending`, `posted`, `voided` or `expired`.
    #[schema(example = "posted")]
    pub status: String,
    pub reference: Option<String>,
    pub memo: Option<String>,
    /// The other user's email, for transfers between users; never a platform account.
    #[schema(example = "bob@example.com")]
    pub counterparty: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The wallet's posted balance right after this entry (held amounts included until released).
    #[schema(example = "75.00")]
    pub balance_after: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this kind: `deposit`, `withdrawal`, `transfer`, `fee`, `trade` or `remit`.
    pub kind: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// The caller's entries in one wallet, newest first, each with the balance it left.
#[utoipa::path(
    get, path = "/v1/wallets/{asset}/history", tag = "wallets",
    security(("bearer" = [])),
    params(("asset" = String, Path, description = "Asset code, such as USD"), HistoryQuery),
    responses(
        (status = 200, description = "A page of entries, newest first; empty when the caller has no such wallet", body = Envelope<Page<EntryView>>),
        SignedIn, BadInput,
    )
)]
pub async fn wallet_history(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(asset): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Envelope<Page<EntryView>>>, ApiError> {
    let asset = AssetCode::parse(&asset)
        .map_err(|_| ApiError::invalid_field("asset", "must be 2 to 10 upper-case letters, such as BTC"))?;
    let limit = pagination::limit(query.limit)?;
    let before = pagination::cursor::<i64>(query.cursor.as_deref())?;
    let kind = query
        .kind
        .as_deref()
        .map(|k| {
            TransferKind::parse(k).ok_or_else(|| {
                ApiError::invalid_field("kind", "must be deposit, withdrawal, transfer, fee, trade or remit")
            })
        })
        .transpose()?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::invalid_field("from", "must not be after `to`"));
    }
    let filter = HistoryFilter {
        kind,
        from: query.from,
        to: query.to,
        before,
    };
    let (entries, more) = state.ledger.history(who.user_id, &asset, &filter, limit).await?;
    let next_cursor = pagination::next_cursor(&entries, more, |e| e.seq.to_string());
    let mut emails = HashMap::new();
    let mut items = Vec::with_capacity(entries.len());
    for entry in entries {
        items.push(view(&state, entry, &mut emails).await?);
    }
    Ok(ok(Page { items, next_cursor }))
}

/// One movement of the caller's money; another user's transfer is not found, as an unknown one is.
#[utoipa::path(
    get, path = "/v1/wallets/transactions/{id}", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The transfer id")),
    responses(
        (status = 200, description = "The entry as seen from the caller's wallet", body = Envelope<EntryView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn get_transaction(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<EntryView>>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))?;
    let entry = state
        .ledger
        .transaction(who.user_id, id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The transaction was not found."))?;
    Ok(ok(view(&state, entry, &mut HashMap::new()).await?))
}

/// The entry for the API, the counterparty's email looked up once per page.
async fn view(
    state: &AppState,
    entry: Entry,
    emails: &mut HashMap<Uuid, Option<String>>,
) -> Result<EntryView, ApiError> {
    let counterparty = match entry.counterparty {
        Some(user) => match emails.get(&user) {
            Some(known) => known.clone(),
            None => {
                let email = match state.accounts.get(user).await {
                    Ok(found) => Some(found.email.to_string()),
                    Err(IdentityError::NotFound) => None,
                    Err(other) => return Err(other.into()),
                };
                emails.insert(user, email.clone());
                email
            }
        },
        None => None,
    };
    Ok(EntryView {
        id: entry.id.0,
        asset: entry.asset.to_string(),
        kind: entry.kind.as_str().to_owned(),
        direction: entry.direction.as_str().to_owned(),
        amount: entry.amount.to_string(),
        status: entry.status.to_owned(),
        reference: entry.reference,
        memo: entry.memo,
        counterparty,
        created_at: entry.created_at,
        balance_after: entry.balance_after.to_string(),
    })
}
