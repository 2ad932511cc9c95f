//! The asset catalogue: every currency and coin the platform can hold, and how many decimal places it has.

pub(crate) mod store;

use crate::LedgerError;
use money::{AssetCode, Precision};
use platform::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Fiat,
    Crypto,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Fiat => "fiat",
            AssetKind::Crypto => "crypto",
        }
    }

    pub fn parse(text: &str) -> Option<AssetKind> {
        match text {
            "fiat" => Some(AssetKind::Fiat),
            "crypto" => Some(AssetKind::Crypto),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub code: AssetCode,
    pub name: String,
    pub kind: AssetKind,
    pub precision: Precision,
    pub enabled: bool,
}

/// Which assets a listing returns; `after` is the last code of the previous page.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub kind: Option<AssetKind>,
    pub enabled: Option<bool>,
    pub after: Option<AssetCode>,
}

#[derive(Debug, Clone)]
pub struct AssetCatalogue {
    db: Db,
}

impl AssetCatalogue {
    pub fn new(db: Db) -> Self {
        AssetCatalogue { db }
    }

    /// Up to `limit` assets in code order, and whether more follow.
    pub async fn list(&self, filter: &AssetFilter, limit: u32) -> Result<(Vec<Asset>, bool), LedgerError> {
        let mut assets = store::list(&self.db, filter, i64::from(limit) + 1).await?;
        let more = assets.len() > limit as usize;
        assets.truncate(limit as usize);
        Ok((assets, more))
    }

    pub async fn get(&self, code: &AssetCode) -> Result<Asset, LedgerError> {
        store::get(&self.db, code)
            .await?
            .ok_or_else(|| LedgerError::AssetNotFound(code.to_string()))
    }
}
