//! Valuation, history, rebalancing and the daily snapshots: the service's parts that need prices.

use crate::activity::Currency;
use crate::cost_basis;
use crate::error::PortfolioError;
use crate::price::{PriceError, price_of};
use crate::rebalance::{self, Plan, RebalanceError};
use crate::service::Portfolio;
use crate::store::{self, Snapshot};
use crate::valuation::{self, Quotes, Valuation};
use chrono::{Days, NaiveDate};
use money::{AssetCode, DecimalString};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// How far back a history reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Week,
    Month,
    Year,
}

impl Range {
    pub fn parse(text: &str) -> Option<Range> {
        match text {
            "7d" => Some(Range::Week),
            "30d" => Some(Range::Month),
            "1y" => Some(Range::Year),
            _ => None,
        }
    }

    fn days(self) -> u64 {
        match self {
            Range::Week => 7,
            Range::Month => 30,
            Range::Year => 365,
        }
    }
}

impl Portfolio {
    /// Prices of `assets` in `currency`, each asked once and all at the same time, so a valuation waits for its
    /// slowest price rather than for the sum of them.
    async fn quotes(&self, assets: BTreeSet<AssetCode>, currency: &AssetCode) -> Quotes {
        let now = self.now();
        let mut lookups = tokio::task::JoinSet::new();
        for asset in assets {
            let (prices, currency) = (self.prices.clone(), *currency);
            lookups.spawn(async move {
                let price = price_of(prices.as_ref(), &asset, &currency, now).await;
                (asset, price)
            });
        }
        let mut quotes = Quotes::new();
        while let Some(done) = lookups.join_next().await {
            // A look-up task only ends early if it panicked; that asset is then left without a price.
            let Ok((asset, price)) = done else { continue };
            if let Err(e) = &price {
                tracing::debug!(%asset, %currency, error = %e, "no price for a valuation");
            }
            quotes.insert(asset, price);
        }
        quotes
    }

    /// Everything `user` holds valued in `currency`: holdings, per-asset totals, allocation, 24 h change and
    /// the FIFO cost basis with its P&L. A price that cannot be had leaves its holdings without a value and the
    /// valuation marked partial.
    pub async fn valuation(&self, user: Uuid, currency: &str) -> Result<Valuation, PortfolioError> {
        let currency = self.currency(currency).await?;
        self.value(user, currency).await
    }

    async fn value(&self, user: Uuid, currency: Currency) -> Result<Valuation, PortfolioError> {
        let lines = self.lines(user).await?;
        let activities = store::activities(&self.db, user).await?;
        let positions = cost_basis::compute(&activities)
            .map_err(|e| PortfolioError::Corrupt(format!("the stored activities do not add up: {e}")))?;
        let mut needed: BTreeSet<AssetCode> = lines.iter().map(|l| l.asset).collect();
        for position in positions.values() {
            needed.insert(position.asset);
            needed.extend(position.open_cost().keys().map(|c| c.code));
            needed.extend(position.realised.keys().map(|c| c.code));
        }
        let quotes = self.quotes(needed, &currency.code).await;
        let code = currency.code;
        valuation::value(currency, lines, &positions, &quotes).ok_or_else(|| PortfolioError::Invalid {
            field: "currency",
            reason: format!("the portfolio's totals in {code} are too large to state"),
        })
    }

    /// `user`'s daily snapshots in `currency` over `range`, oldest first.
    pub async fn history(&self, user: Uuid, currency: &str, range: Range) -> Result<Vec<Snapshot>, PortfolioError> {
        let currency = self.currency(currency).await?;
        let today = self.now().date_naive();
        let from = today
            .checked_sub_days(Days::new(range.days()))
            .unwrap_or(NaiveDate::MIN);
        store::snapshots(&self.db, user, &currency.code, from).await
    }

    /// The trades that bring `user`'s holdings to `targets` (asset code to percent) in `currency`. Every price
    /// is needed: one that cannot be had is 503 naming the provider.
    pub async fn rebalance(
        &self,
        user: Uuid,
        currency: &str,
        targets: &BTreeMap<String, String>,
    ) -> Result<Plan, PortfolioError> {
        let invalid_targets = |reason: String| PortfolioError::Invalid {
            field: "targets",
            reason,
        };
        let targets = rebalance::parse_targets(targets).map_err(|e| invalid_targets(e.to_string()))?;
        let currency = self.currency(currency).await?;
        let precisions = self.precisions().await?;
        if let Some(unknown) = targets.keys().find(|t| !precisions.contains_key(*t)) {
            return Err(invalid_targets(format!("{unknown} is not a listed asset")));
        }
        let mut held: BTreeMap<AssetCode, (money::Precision, u128)> = BTreeMap::new();
        for line in self.lines(user).await? {
            let entry = held.entry(line.asset).or_insert((line.precision, 0));
            entry.1 = entry.1.saturating_add(line.amount);
        }
        for asset in targets.keys() {
            if let Some(&precision) = precisions.get(asset) {
                held.entry(*asset).or_insert((precision, 0));
            }
        }
        let quotes = self.quotes(held.keys().cloned().collect(), &currency.code).await;
        let mut holdings = Vec::with_capacity(held.len());
        for (asset, (precision, amount)) in held {
            let price = match quotes.get(&asset) {
                Some(Ok(price)) => price.rate,
                Some(Err(PriceError::Unavailable { provider, reason })) => {
                    return Err(PortfolioError::PriceUnavailable {
                        provider: provider.clone(),
                        reason: reason.clone(),
                    });
                }
                Some(Err(e @ PriceError::Unsupported { .. })) => {
                    return Err(PortfolioError::Invalid {
                        field: "currency",
                        reason: e.to_string(),
                    });
                }
                None => continue,
            };
            holdings.push(rebalance::Holding {
                asset,
                precision,
                amount,
                price,
            });
        }
        rebalance::plan(currency, &holdings, &targets).map_err(|e| match e {
            RebalanceError::Targets(reason) => invalid_targets(reason),
            RebalanceError::Unpriced(asset) => invalid_targets(format!("no price is known for {asset}")),
            RebalanceError::Overflow => invalid_targets("the amounts are too large to compute".to_owned()),
        })
    }

    /// Takes today's snapshot of every portfolio (tracked holdings, activities or Bourse wallets) in each
    /// configured currency that does not have one yet; the number taken. A valuation that is partial is not
    /// recorded (a total missing a holding would be wrong history); the next run tries again.
    pub async fn take_snapshots(&self) -> Result<usize, PortfolioError> {
        let mut currencies = Vec::new();
        for code in &self.config.snapshot_currencies {
            match self.currency(code).await {
                Ok(c) => currencies.push(c),
                Err(e) => tracing::warn!(currency = %code, error = %e, "a snapshot currency is not usable"),
            }
        }
        let mut users = BTreeSet::new();
        let mut after = None;
        loop {
            let page = self.ledger.wallet_owners(after, 500).await?;
            after = page.last().copied();
            let done = page.len() < 500;
            users.extend(page);
            if done {
                break;
            }
        }
        let mut after = None;
        loop {
            let page = store::users(&self.db, after, 500).await?;
            after = page.last().copied();
            let done = page.len() < 500;
            users.extend(page);
            if done {
                break;
            }
        }
        let mut taken = 0;
        for user in users {
            for currency in &currencies {
                // One portfolio that cannot be valued must not hold up everyone else's snapshot.
                match self.snapshot(user, *currency).await {
                    Ok(done) => taken += usize::from(done),
                    Err(PortfolioError::Ledger(ledger::LedgerError::Db(e))) => return Err(e.into()),
                    Err(e) => tracing::warn!(%user, currency = %currency.code, error = %e, "snapshot failed"),
                }
            }
        }
        Ok(taken)
    }

    async fn snapshot(&self, user: Uuid, currency: Currency) -> Result<bool, PortfolioError> {
        let now = self.now();
        let day = now.date_naive();
        if store::has_snapshot(&self.db, user, day, &currency.code).await? {
            return Ok(false);
        }
        let valuation = self.value(user, currency).await?;
        if valuation.partial {
            let missing: Vec<String> = valuation
                .assets
                .iter()
                .filter_map(|a| a.price.as_ref().err().map(|e| format!("{}: {e}", a.asset)))
                .collect();
            tracing::warn!(%user, currency = %currency.code, ?missing, "snapshot skipped: some prices are missing");
            return Ok(false);
        }
        let places = currency.precision.get();
        let detail: Vec<serde_json::Value> = valuation
            .assets
            .iter()
            .map(|a| {
                json!({
                    "asset": a.asset.as_str(),
                    "amount": DecimalString::from_scaled(a.amount, a.precision.get()).as_str(),
                    "price": a.price.as_ref().ok().map(|p| p.rate.to_string()),
                    "value": a.value.map(|v| DecimalString::from_scaled(v, places).as_str().to_owned()),
                })
            })
            .collect();
        let snapshot = Snapshot {
            day,
            currency: currency.code,
            total_value: valuation.total,
            detail: serde_json::Value::Array(detail),
        };
        store::insert_snapshot(&self.db, user, &snapshot, now).await
    }
}
