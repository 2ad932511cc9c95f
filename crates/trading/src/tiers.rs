//! Tiers: a user is PRO once their 30-day traded volume (valued in `trading.volume_currency`) reaches
//! `trading.pro_volume`, BASIC otherwise, unless staff pinned a tier. The tier sets the user's fees on orders placed
//! from then on and, through identity, their rate limits (from their next access token).

use crate::{Trading, TradingError, store};
use chrono::Duration;
use identity::{Accounts, IdentityError, Tier};
use money::{Amount, AssetCode, Precision};
use platform::RequestContext;
use platform::audit::{self, AuditRecord};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// Values traded amounts in the volume currency.
pub trait VolumeValuer: Send + Sync {
    /// `minor` units of `asset` in minor units of `currency`; `None` when no rate is to be had.
    fn value<'a>(
        &'a self,
        asset: &'a AssetCode,
        precision: Precision,
        minor: u128,
        currency: &'a AssetCode,
        currency_precision: Precision,
    ) -> Pin<Box<dyn Future<Output = Option<u128>> + Send + 'a>>;
}

/// What one run of the tier job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierRun {
    pub users: usize,
    pub changed: usize,
    /// Quote assets no rate could value; their volume did not count.
    pub unvalued: Vec<AssetCode>,
}

/// The window volume is counted over.
const WINDOW_DAYS: i64 = 30;

fn identity_error(e: IdentityError) -> TradingError {
    match e {
        IdentityError::NotFound => TradingError::NotFound("User"),
        other => TradingError::Corrupt(format!("the user's tier could not be set: {other}")),
    }
}

impl Trading {
    /// Pins `user` to `tier` (or, with `None`, lets their volume decide again at the next run); audited.
    pub async fn pin_tier(
        &self,
        accounts: &Accounts,
        user: Uuid,
        tier: Option<Tier>,
        actor: Uuid,
        context: &RequestContext,
    ) -> Result<Tier, TradingError> {
        accounts.get(user).await.map_err(identity_error)?;
        let now = self.ledger().now();
        let mut tx = self.ledger().begin().await?;
        store::pin_tier(&mut tx, user, tier.map(Tier::as_str), Some(actor), now).await?;
        let mut record = AuditRecord::of(context, "trading.tier_pin", now)
            .target(user.to_string())
            .details(json!({ "tier": tier.map(Tier::as_str) }));
        record.actor = Some(actor);
        audit::record(&mut tx, &record).await?;
        tx.commit().await?;
        let effective = tier.unwrap_or_else(|| self.tier_of(user));
        if let Some(tier) = tier {
            accounts.set_tier(user, tier).await.map_err(identity_error)?;
            self.set_tier_here(user, tier);
        }
        Ok(effective)
    }

    /// Recomputes every trading user's tier from their 30-day volume and the pins.
    pub async fn recompute_tiers(
        &self,
        accounts: &Accounts,
        valuer: &dyn VolumeValuer,
    ) -> Result<TierRun, TradingError> {
        let config = self.config();
        let currency = AssetCode::parse(&config.volume_currency)
            .map_err(|_| TradingError::Corrupt("trading.volume_currency is not an asset code".to_owned()))?;
        let precision = self.ledger().listed_asset(&currency).await?.precision;
        let threshold = Amount::parse(&config.pro_volume, precision)
            .map_err(|_| {
                TradingError::Corrupt(format!(
                    "trading.pro_volume has more places than {currency} ({})",
                    precision.get()
                ))
            })?
            .minor();
        let since = self.clock().now() - Duration::days(WINDOW_DAYS);
        let mut volume: BTreeMap<Uuid, u128> = BTreeMap::new();
        let mut unvalued = BTreeSet::new();
        for (user, asset, minor) in store::volumes_since(self.db(), since).await? {
            let valued = if asset == currency {
                Some(minor)
            } else {
                let from = self.ledger().listed_asset(&asset).await?.precision;
                valuer.value(&asset, from, minor, &currency, precision).await
            };
            match valued {
                Some(v) => {
                    let slot = volume.entry(user).or_default();
                    *slot = slot.saturating_add(v);
                }
                None => {
                    unvalued.insert(asset);
                    volume.entry(user).or_default();
                }
            }
        }
        let pins = self.pins().await?;
        let pro = accounts.users_of_tier(Tier::Pro).await.map_err(identity_error)?;
        let users: BTreeSet<Uuid> = volume.keys().chain(pins.keys()).chain(pro.iter()).copied().collect();
        let mut run = TierRun {
            users: users.len(),
            ..TierRun::default()
        };
        for user in users {
            let earned = if volume.get(&user).copied().unwrap_or(0) >= threshold {
                Tier::Pro
            } else {
                Tier::Basic
            };
            let tier = pins.get(&user).copied().unwrap_or(earned);
            let stored = if pro.contains(&user) { Tier::Pro } else { Tier::Basic };
            if tier != stored {
                match accounts.set_tier(user, tier).await {
                    Ok(()) => run.changed += 1,
                    Err(IdentityError::NotFound) => continue,
                    Err(e) => return Err(identity_error(e)),
                }
            }
            self.set_tier_here(user, tier);
        }
        run.unvalued = unvalued.into_iter().collect();
        Ok(run)
    }
}
