//! The service over a real database (SQLite, or PostgreSQL when `BOURSE_TEST_DATABASE_URL` is set) with a fixed
//! price source.

use crate::{
    HoldingChange, NewActivity, NewHolding, Portfolio, PortfolioConfig, PortfolioError, Price, PriceError, PriceSource,
};
use chrono::{DateTime, Utc};
use ledger::Ledger;
use money::{AssetCode, Rate};
use platform::bus::BoxFuture;
use platform::test_support::MigratedDb;
use platform::{Clock, ManualClock, on_db};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// Prices of assets in USD from a table; anything else is unsupported.
struct Fixed {
    usd: BTreeMap<&'static str, &'static str>,
    asked: AtomicUsize,
    down: bool,
}

impl PriceSource for Fixed {
    fn price<'a>(&'a self, asset: &'a AssetCode, currency: &'a AssetCode) -> BoxFuture<'a, Result<Price, PriceError>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let answer = match (self.down, currency.as_str(), self.usd.get(asset.as_str())) {
            (true, _, _) => Err(PriceError::Unavailable {
                provider: "fixed".into(),
                reason: "down for the test".into(),
            }),
            (false, "USD", Some(rate)) => Ok(Price {
                rate: Rate::parse(rate).unwrap(),
                source: "fixed".into(),
                as_of: at(),
                stale: false,
                change_24h: None,
            }),
            _ => Err(PriceError::Unsupported {
                asset: *asset,
                currency: *currency,
            }),
        };
        Box::pin(std::future::ready(answer))
    }
}

fn at() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

struct Setup {
    _db: MigratedDb,
    portfolio: Portfolio,
    clock: Arc<ManualClock>,
}

async fn setup(down: bool) -> Setup {
    let db = MigratedDb::fresh().await;
    let clock = Arc::new(ManualClock::new(at()));
    let prices = Fixed {
        usd: BTreeMap::from([("BTC", "40000"), ("ETH", "2500"), ("EUR", "1.1")]),
        asked: AtomicUsize::new(0),
        down,
    };
    let as_clock: Arc<dyn Clock> = clock.clone();
    let portfolio = Portfolio::new(
        db.db.clone(),
        Ledger::new(db.db.clone(), as_clock.clone()),
        Arc::new(prices),
        as_clock,
        Arc::new(PortfolioConfig::default()),
    );
    Setup {
        _db: db,
        portfolio,
        clock,
    }
}

async fn user(s: &Setup) -> Uuid {
    let id = Uuid::now_v7();
    let db = &s.portfolio.db;
    on_db!(db, pool => sqlx::query(
        "INSERT INTO users (id, email, password_hash, full_name, role, status, tier, created_at, updated_at) \
         VALUES ($1, $2, NULL, 'T', 'CUSTOMER', 'ACTIVE', 'BASIC', $3, $3)"
    )
    .bind(id)
    .bind(format!("{id}@example.com"))
    .bind(at())
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    id
}

fn holding(asset: &str, amount: &str, label: Option<&str>) -> NewHolding {
    NewHolding {
        asset: asset.into(),
        amount: amount.into(),
        label: label.map(Into::into),
    }
}

fn activity(time: &str, kind: &str, amount: &str, price: Option<&str>, fee: Option<&str>) -> NewActivity {
    NewActivity {
        time: time.into(),
        kind: kind.into(),
        asset: "BTC".into(),
        amount: amount.into(),
        price: price.map(Into::into),
        price_currency: price.map(|_| "USD".into()),
        fee: fee.map(Into::into),
        note: None,
    }
}

#[tokio::test]
async fn valuation_with_a_fixed_source_gives_exact_totals_allocation_and_pnl() {
    let s = setup(false).await;
    let u = user(&s).await;
    s.portfolio
        .add_holding(u, holding("BTC", "0.5", Some("Ledger Nano")))
        .await
        .unwrap();
    s.portfolio.add_holding(u, holding("ETH", "2", None)).await.unwrap();
    // Lot of 1 BTC costing 20000 + 10; half sold for 15000: realised 15000 − 10005 = 4995.
    s.portfolio
        .add_activity(
            u,
            activity("2026-01-01T00:00:00Z", "buy", "1", Some("20000"), Some("10")),
        )
        .await
        .unwrap();
    s.portfolio
        .add_activity(u, activity("2026-02-01T00:00:00Z", "sell", "0.5", Some("30000"), None))
        .await
        .unwrap();
    let v = s.portfolio.valuation(u, "USD").await.unwrap();
    assert!(!v.partial);
    // 0.5 × 40000 + 2 × 2500.
    assert_eq!(v.total, 2_500_000);
    let alloc: Vec<(&str, Option<&str>)> = v
        .assets
        .iter()
        .map(|a| (a.asset.as_str(), a.allocation.as_ref().map(|p| p.as_str())))
        .collect();
    assert_eq!(alloc, vec![("BTC", Some("80.00")), ("ETH", Some("20.00"))]);
    let btc = v.assets[0].cost.as_ref().unwrap();
    // Open: 0.5 BTC costing 10005.00, worth 20000.00.
    assert_eq!(
        (btc.cost_basis, btc.unrealised, btc.realised),
        (Some(1_000_500), Some(999_500), Some(499_500))
    );
    assert_eq!((v.cost_basis, v.unrealised, v.realised), (1_000_500, 999_500, 499_500));
    assert!(v.assets[1].cost.is_none());
    // Unknown currency: 400 naming `currency`.
    assert!(matches!(
        s.portfolio.valuation(u, "XYZ").await,
        Err(PortfolioError::Invalid { field: "currency", .. })
    ));
}

#[tokio::test]
async fn a_failing_source_leaves_holdings_unvalued_and_rebalancing_unavailable() {
    let s = setup(true).await;
    let u = user(&s).await;
    s.portfolio.add_holding(u, holding("BTC", "1", None)).await.unwrap();
    s.portfolio.add_holding(u, holding("USD", "100", None)).await.unwrap();
    let v = s.portfolio.valuation(u, "USD").await.unwrap();
    assert!(v.partial);
    // USD in USD needs no source.
    assert_eq!(v.total, 10_000);
    assert!(v.holdings[0].value.as_ref().unwrap_err().contains("down for the test"));
    let targets = BTreeMap::from([("BTC".to_owned(), "50".to_owned()), ("USD".to_owned(), "50".to_owned())]);
    assert!(matches!(
        s.portfolio.rebalance(u, "USD", &targets).await,
        Err(PortfolioError::PriceUnavailable { provider, .. }) if provider == "fixed"
    ));
    // Nor is a partial valuation written as history.
    assert_eq!(s.portfolio.take_snapshots().await.unwrap(), 0);
}

#[tokio::test]
async fn holdings_are_scoped_to_their_owner() {
    let s = setup(false).await;
    let (alice, bob) = (user(&s).await, user(&s).await);
    let h = s
        .portfolio
        .add_holding(alice, holding("BTC", "1.5", None))
        .await
        .unwrap();
    for result in [
        s.portfolio.holding(bob, h.id).await.map(|_| ()),
        s.portfolio
            .update_holding(
                bob,
                h.id,
                HoldingChange {
                    amount: Some("2".into()),
                    label: None,
                },
            )
            .await
            .map(|_| ()),
        s.portfolio.delete_holding(bob, h.id).await.map(|_| ()),
    ] {
        assert!(matches!(result, Err(PortfolioError::NotFound("holding"))), "{result:?}");
    }
    assert_eq!(
        s.portfolio.holding(alice, h.id).await.unwrap().amount.minor(),
        150_000_000
    );
    assert!(s.portfolio.holdings(bob).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_import_with_bad_rows_imports_nothing_and_reports_every_row() {
    let s = setup(false).await;
    let u = user(&s).await;
    let csv = "time,type,asset,amount,price,price_currency,fee,note\n\
               2026-01-01T00:00:00Z,buy,BTC,1,20000,USD,10,first\n\
               2026-01-02T00:00:00Z,buy,XYZ,1,1,USD,,\n\
               2026-01-03T00:00:00Z,sell,BTC,0.123456789,30000,USD,,\n\
               2026-01-04T00:00:00Z,swap,BTC,1,,,,\n";
    let Err(PortfolioError::InvalidRows(rows)) = s.portfolio.import(u, csv).await else {
        panic!("bad rows must be refused");
    };
    let found: Vec<(usize, &str)> = rows.iter().map(|r| (r.row, r.field.as_str())).collect();
    assert_eq!(found, vec![(3, "asset"), (4, "amount"), (5, "type")]);
    assert!(s.portfolio.activities(u, None, 10).await.unwrap().0.is_empty());
    // A sell beyond what the rows before it bought names its row.
    let beyond = "time,type,asset,amount,price,price_currency\n\
                  2026-01-01T00:00:00Z,buy,BTC,1,20000,USD\n\
                  2026-01-02T00:00:00Z,sell,BTC,1.5,20000,USD\n";
    let Err(PortfolioError::InvalidRows(rows)) = s.portfolio.import(u, beyond).await else {
        panic!("an over-sell must be refused");
    };
    assert_eq!((rows[0].row, rows[0].field.as_str()), (3, "amount"));
    assert!(s.portfolio.activities(u, None, 10).await.unwrap().0.is_empty());
}

#[tokio::test]
async fn an_export_imports_back_as_the_same_activities() {
    let s = setup(false).await;
    let (alice, bob) = (user(&s).await, user(&s).await);
    s.portfolio
        .add_holding(alice, holding("BTC", "0.1", Some("cold, \"deep\" storage")))
        .await
        .unwrap();
    let csv = "type,time,asset,amount,price,price_currency,fee,note\n\
               buy,2026-01-01T00:00:00Z,BTC,1,20000.5,USD,1.25,\"a note, with a comma\"\n\
               transfer_in,2026-01-02T00:00:00Z,BTC,0.5,,,,\n\
               fee,2026-01-03T00:00:00Z,BTC,0.0001,,,,\n";
    assert_eq!(s.portfolio.import(alice, csv).await.unwrap().len(), 3);
    let exported = s.portfolio.export(alice).await.unwrap();
    assert!(exported.starts_with("record,id,time,type,asset,amount,price,price_currency,fee,note,label,source\r\n"));
    assert!(exported.contains("holding,"), "{exported}");
    assert_eq!(s.portfolio.import(bob, &exported).await.unwrap().len(), 3);
    let strip = |mut list: Vec<crate::Activity>| {
        list.iter_mut().for_each(|a| a.id = Uuid::nil());
        list.sort_by_key(|a| a.time);
        list
    };
    let (a, _) = s.portfolio.activities(alice, None, 10).await.unwrap();
    let (b, _) = s.portfolio.activities(bob, None, 10).await.unwrap();
    assert_eq!(strip(a), strip(b));
}

#[tokio::test]
async fn snapshots_are_taken_once_per_user_day_and_currency() {
    let s = setup(false).await;
    let u = user(&s).await;
    s.portfolio.add_holding(u, holding("BTC", "0.25", None)).await.unwrap();
    assert_eq!(s.portfolio.take_snapshots().await.unwrap(), 1);
    assert_eq!(s.portfolio.take_snapshots().await.unwrap(), 0);
    s.clock.advance(chrono::Duration::days(1));
    s.portfolio.add_holding(u, holding("BTC", "0.25", None)).await.unwrap();
    assert_eq!(s.portfolio.take_snapshots().await.unwrap(), 1);
    let history = s.portfolio.history(u, "USD", crate::Range::Week).await.unwrap();
    let totals: Vec<u128> = history.iter().map(|h| h.total_value).collect();
    assert_eq!(totals, vec![1_000_000, 2_000_000]);
    assert_eq!(history[1].detail[0]["value"], "20000.00");
}
