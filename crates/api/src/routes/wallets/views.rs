//! Ledger records as the API shows them, with the precision of their asset.

use crate::error::ApiError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use ledger::Asset;
use ledger::books::Transfer;
use money::{Amount, AssetCode};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use utoipa::ToSchema;
use uuid::Uuid;

/// A movement as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub id: Uuid,
    #[schema(example = "USD")]
    pub asset: String,
    #[schema(example = "25.00")]
    pub amount: String,
    /// `deposit`, `withdrawal`, `transfer`, `fee`, `trade` or `remit`.
    #[schema(example = "transfer")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

impl TransferView {
    pub(crate) fn new(transfer: &Transfer, asset: &Asset) -> TransferView {
        let request = &transfer.request;
        TransferView {
            id: request.id.0,
            asset: request.asset.to_string(),
            amount: Amount::from_minor(request.amount, asset.precision).to_string(),
            kind: request.kind.as_str().to_owned(),
            created_at: transfer.at,
        }
    }
}

/// `view` of every item of `items` with its asset (`asset_of`), each asset read once.
pub(crate) async fn views_with_assets<T, V>(
    state: &AppState,
    items: &[T],
    asset_of: impl Fn(&T) -> AssetCode,
    view: impl Fn(&T, &Asset) -> V,
) -> Result<Vec<V>, ApiError> {
    let mut assets: HashMap<AssetCode, Asset> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let code = asset_of(item);
        let asset = match assets.entry(code) {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(slot) => slot.insert(state.assets.get(&code).await?),
        };
        out.push(view(item, asset));
    }
    Ok(out)
}
