//! [`Portfolio`], the context's one service: holdings and activities here, CSV in [`crate::transfer`], values in
//! [`crate::valuing`].

use crate::activity::Activity;
use crate::config::PortfolioConfig;
use crate::cost_basis::{self, CostBasisError};
use crate::error::PortfolioError;
use crate::input::{self, MAX_LABEL_CHARS, NewActivity, Precisions};
use crate::price::PriceSource;
use crate::store::{self, Holding};
use crate::valuation::{HoldingLine, HoldingSource};
use chrono::{DateTime, Utc};
use ledger::{AssetCatalogue, AssetFilter, Ledger};
use money::AssetCode;
use platform::{Clock, Db};
use std::sync::Arc;
use uuid::Uuid;

/// What a holding is created with, as sent.
#[derive(Debug, Clone, Default)]
pub struct NewHolding {
    pub asset: String,
    pub amount: String,
    pub label: Option<String>,
}

/// What a holding's update changes; an absent field is kept. `label: Some(None)` clears the label.
#[derive(Debug, Clone, Default)]
pub struct HoldingChange {
    pub amount: Option<String>,
    pub label: Option<Option<String>>,
}

#[derive(Clone)]
pub struct Portfolio {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) assets: AssetCatalogue,
    pub(crate) prices: Arc<dyn PriceSource>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: Arc<PortfolioConfig>,
}

impl Portfolio {
    pub fn new(
        db: Db,
        ledger: Ledger,
        prices: Arc<dyn PriceSource>,
        clock: Arc<dyn Clock>,
        config: Arc<PortfolioConfig>,
    ) -> Portfolio {
        Portfolio {
            assets: AssetCatalogue::new(db.clone()),
            db,
            ledger,
            prices,
            clock,
            config,
        }
    }

    pub fn config(&self) -> &PortfolioConfig {
        &self.config
    }

    /// Every asset of the catalogue and its precision (the catalogue is small: currencies and coins).
    pub(crate) async fn precisions(&self) -> Result<Precisions, PortfolioError> {
        let mut precisions = Precisions::new();
        let mut filter = AssetFilter::default();
        loop {
            let (page, more) = self.assets.list(&filter, 500).await?;
            filter.after = page.last().map(|a| a.code);
            precisions.extend(page.into_iter().map(|a| (a.code, a.precision)));
            if !more {
                return Ok(precisions);
            }
        }
    }

    pub async fn add_holding(&self, user: Uuid, new: NewHolding) -> Result<Holding, PortfolioError> {
        let precisions = self.precisions().await?;
        let invalid = |field, reason| PortfolioError::Invalid { field, reason };
        let (asset, precision) = input::asset(&new.asset, &precisions).map_err(|e| invalid("asset", e))?;
        let amount = input::amount(&new.amount, &asset, precision, true).map_err(|e| invalid("amount", e))?;
        let label = input::short_text(new.label.as_deref(), MAX_LABEL_CHARS).map_err(|e| invalid("label", e))?;
        let now = self.clock.now();
        let holding = Holding {
            id: Uuid::now_v7(),
            user,
            asset,
            amount,
            label,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        store::lock_user(&mut tx, user).await?;
        if store::count_holdings(&mut tx, user).await? >= i64::from(self.config.max_holdings) {
            return Err(PortfolioError::LimitExceeded(format!(
                "at most {} holdings can be tracked; delete one first",
                self.config.max_holdings
            )));
        }
        store::insert_holding(&mut tx, &holding).await?;
        tx.commit().await?;
        Ok(holding)
    }

    /// The holdings `user` tracks, oldest first.
    pub async fn holdings(&self, user: Uuid) -> Result<Vec<Holding>, PortfolioError> {
        store::holdings(&self.db, user).await
    }

    /// Every line of what `user` holds: tracked holdings, then each Bourse wallet with a balance.
    pub async fn lines(&self, user: Uuid) -> Result<Vec<HoldingLine>, PortfolioError> {
        let mut lines: Vec<HoldingLine> = self
            .holdings(user)
            .await?
            .into_iter()
            .map(|h| HoldingLine {
                id: Some(h.id),
                source: HoldingSource::Manual,
                label: h.label,
                asset: h.asset,
                precision: h.amount.precision(),
                amount: h.amount.minor(),
            })
            .collect();
        for balance in self.ledger.balances(user).await? {
            // A wallet never goes below zero; the locked part is still the user's.
            let Ok(total) = u128::try_from(balance.total.minor()) else {
                continue;
            };
            if total == 0 {
                continue;
            }
            lines.push(HoldingLine {
                id: None,
                source: HoldingSource::Bourse,
                label: Some("Bourse wallet".to_owned()),
                asset: balance.asset,
                precision: balance.total.precision(),
                amount: total,
            });
        }
        Ok(lines)
    }

    pub async fn holding(&self, user: Uuid, id: Uuid) -> Result<Holding, PortfolioError> {
        store::holding(&self.db, user, id)
            .await?
            .ok_or(PortfolioError::NotFound("holding"))
    }

    pub async fn update_holding(&self, user: Uuid, id: Uuid, change: HoldingChange) -> Result<Holding, PortfolioError> {
        let current = self.holding(user, id).await?;
        let invalid = |field, reason| PortfolioError::Invalid { field, reason };
        let amount = match &change.amount {
            Some(text) => input::amount(text, &current.asset, current.amount.precision(), true)
                .map_err(|e| invalid("amount", e))?,
            None => current.amount,
        };
        let label = match change.label {
            Some(label) => input::short_text(label.as_deref(), MAX_LABEL_CHARS).map_err(|e| invalid("label", e))?,
            None => current.label.clone(),
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !store::update_holding(&mut tx, user, id, amount.minor(), label.as_deref(), now).await? {
            return Err(PortfolioError::NotFound("holding"));
        }
        tx.commit().await?;
        Ok(Holding {
            amount,
            label,
            updated_at: now,
            ..current
        })
    }

    pub async fn delete_holding(&self, user: Uuid, id: Uuid) -> Result<Holding, PortfolioError> {
        let current = self.holding(user, id).await?;
        let mut tx = self.db.begin().await?;
        if !store::delete_holding(&mut tx, user, id).await? {
            return Err(PortfolioError::NotFound("holding"));
        }
        tx.commit().await?;
        Ok(current)
    }

    /// Records one activity; refused when it would leave a disposal beyond what is held.
    pub async fn add_activity(&self, user: Uuid, new: NewActivity) -> Result<Activity, PortfolioError> {
        let precisions = self.precisions().await?;
        let activity = input::activity(&new, &precisions, Uuid::now_v7(), self.clock.now()).map_err(|errors| {
            // One route, one field named: the first refused.
            let (field, reason) = errors.into_iter().next().unwrap_or(("body", "is invalid".to_owned()));
            PortfolioError::Invalid { field, reason }
        })?;
        self.record(user, vec![activity.clone()], |_| None).await?;
        Ok(activity)
    }

    /// Writes `new` after checking that the cost basis of every activity with them still holds; `row_of` names
    /// the CSV record of a new activity for the error.
    pub(crate) async fn record(
        &self,
        user: Uuid,
        new: Vec<Activity>,
        row_of: impl Fn(Uuid) -> Option<usize>,
    ) -> Result<(), PortfolioError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        store::lock_user(&mut tx, user).await?;
        let mut all = store::activities_in(&mut tx, user).await?;
        if all.len() + new.len() > self.config.max_activities as usize {
            return Err(PortfolioError::LimitExceeded(format!(
                "at most {} activities can be recorded; {} are",
                self.config.max_activities,
                all.len()
            )));
        }
        all.extend(new.iter().cloned());
        cost_basis::sort(&mut all);
        if let Err(e) = cost_basis::compute(&all) {
            return Err(beyond_holdings(e, &all, &row_of));
        }
        store::insert_activities(&mut tx, user, &new, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of `user`'s activities, most recently recorded first, and whether more follow.
    pub async fn activities(
        &self,
        user: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<Activity>, bool), PortfolioError> {
        let mut page = store::activity_page(&self.db, user, before, i64::from(limit) + 1).await?;
        let more = page.len() > limit as usize;
        page.truncate(limit as usize);
        Ok((page, more))
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// `currency` as a catalogue asset, else 400 naming `currency`.
    pub(crate) async fn currency(&self, text: &str) -> Result<crate::Currency, PortfolioError> {
        let invalid = |reason: String| PortfolioError::Invalid {
            field: "currency",
            reason,
        };
        let code =
            AssetCode::parse(text).map_err(|_| invalid("must be 2 to 10 upper-case letters, such as USD".into()))?;
        match self.assets.get(&code).await {
            Ok(asset) => Ok(crate::Currency {
                code,
                precision: asset.precision,
            }),
            Err(ledger::LedgerError::AssetNotFound(_)) => Err(invalid(format!("{code} is not a listed asset"))),
            Err(e) => Err(e.into()),
        }
    }
}

/// A disposal beyond holdings as a client error naming the activity (or the CSV record) that over-disposes.
fn beyond_holdings(error: CostBasisError, all: &[Activity], row_of: &dyn Fn(Uuid) -> Option<usize>) -> PortfolioError {
    match error {
        CostBasisError::BeyondHoldings {
            activity, asset, held, ..
        } => {
            let at = all.iter().find(|a| a.id == activity);
            let held = at
                .map(|a| {
                    money::DecimalString::from_scaled(held, a.amount.precision().get())
                        .as_str()
                        .to_owned()
                })
                .unwrap_or_default();
            let reason = format!("disposes of more {asset} than the activities before it leave (held then: {held})");
            match row_of(activity) {
                Some(row) => PortfolioError::InvalidRows(vec![crate::RowError {
                    row,
                    field: "amount".to_owned(),
                    reason,
                }]),
                None => PortfolioError::Invalid {
                    field: "amount",
                    reason,
                },
            }
        }
        CostBasisError::Overflow { .. } => PortfolioError::Invalid {
            field: "amount",
            reason: "makes a total too large to compute".to_owned(),
        },
    }
}
