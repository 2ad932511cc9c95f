//! `GET /v1/assets` and `GET /v1/assets/{code}`: the asset catalogue.

use crate::envelope::{Envelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, NotFound, RateLimited};
use crate::pagination;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use ledger::{Asset, AssetFilter, AssetKind};
use money::AssetCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets))
        .routes(routes!(get_asset))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AssetKindView {
    Fiat,
    Crypto,
}

impl From<AssetKind> for AssetKindView {
    fn from(kind: AssetKind) -> Self {
        match kind {
            AssetKind::Fiat => AssetKindView::Fiat,
            AssetKind::Crypto => AssetKindView::Crypto,
        }
    }
}

impl From<AssetKindView> for AssetKind {
    fn from(kind: AssetKindView) -> Self {
        match kind {
            AssetKindView::Fiat => AssetKind::Fiat,
            AssetKindView::Crypto => AssetKind::Crypto,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    #[schema(example = "BTC")]
    pub code: String,
    #[schema(example = "Bitcoin")]
    pub name: String,
    pub kind: AssetKindView,
    /// Decimal places amounts of this asset may have.
    #[schema(example = 8)]
    pub precision: u8,
    /// Disabled assets are listed but cannot be moved.
    pub enabled: bool,
}

impl From<Asset> for AssetView {
    fn from(asset: Asset) -> Self {
        AssetView {
            code: asset.code.to_string(),
            name: asset.name,
            kind: asset.kind.into(),
            precision: asset.precision.get(),
            enabled: asset.enabled,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAssetsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this kind.
    pub kind: Option<AssetKindView>,
    /// Only enabled (`true`) or disabled (`false`) assets.
    pub enabled: Option<bool>,
}

/// List the asset catalogue.
#[utoipa::path(
    get, path = "/v1/assets", tag = "assets",
    params(ListAssetsQuery),
    responses(
        (status = 200, description = "A page of assets, in code order", body = Envelope<Page<AssetView>>),
        RateLimited, BadInput,
    )
)]
pub async fn list_assets(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListAssetsQuery>,
) -> Result<Json<Envelope<Page<AssetView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::cursor::<AssetCode>(query.cursor.as_deref())?;
    let filter = AssetFilter {
        kind: query.kind.map(Into::into),
        enabled: query.enabled,
        after,
    };
    let (assets, more) = state.assets.list(&filter, limit).await?;
    let next_cursor = pagination::next_cursor(&assets, more, |a| a.code.to_string());
    Ok(ok(Page {
        items: assets.into_iter().map(AssetView::from).collect(),
        next_cursor,
    }))
}

/// One asset by code.
#[utoipa::path(
    get, path = "/v1/assets/{code}", tag = "assets",
    params(("code" = String, Path, description = "Asset code: 2 to 10 upper-case letters", example = "BTC")),
    responses(
        (status = 200, description = "The asset", body = Envelope<AssetView>),
        RateLimited, BadInput, NotFound,
    )
)]
pub async fn get_asset(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<Envelope<AssetView>>, ApiError> {
    let code = AssetCode::parse(&code)
        .map_err(|_| ApiError::invalid_field("code", "must be 2 to 10 upper-case letters, such as BTC"))?;
    let asset = state.assets.get(&code).await?;
    Ok(ok(AssetView::from(asset)))
}
