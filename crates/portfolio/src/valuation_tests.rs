use super::*;
use crate::activity::{Activity, ActivityKind, Priced};
use crate::cost_basis;
use chrono::{DateTime, Utc};
use money::{Amount, Rate};

fn code(c: &str) -> AssetCode {
    AssetCode::parse(c).unwrap()
}

fn currency(c: &str) -> Currency {
    Currency {
        code: code(c),
        precision: Precision::new(2).unwrap(),
    }
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn price(rate: &str, change: Option<&str>) -> Result<Price, PriceError> {
    Ok(Price {
        rate: Rate::parse(rate).unwrap(),
        source: "fixed".to_owned(),
        as_of: at(),
        stale: false,
        change_24h: change.map(|c| c.parse().unwrap()),
    })
}

fn line(source: HoldingSource, asset: &str, places: u8, amount: &str) -> HoldingLine {
    let precision = Precision::new(places).unwrap();
    HoldingLine {
        id: None,
        source,
        label: None,
        asset: code(asset),
        precision,
        amount: Amount::parse(amount, precision).unwrap().minor(),
    }
}

fn activity(n: u128, kind: ActivityKind, asset: &str, places: u8, amount: &str, p: &str, cur: &str) -> Activity {
    Activity {
        id: uuid::Uuid::from_u128(n),
        kind,
        asset: code(asset),
        amount: Amount::parse(amount, Precision::new(places).unwrap()).unwrap(),
        price: Some(Priced {
            price: Rate::parse(p).unwrap(),
            currency: currency(cur),
        }),
        fee: None,
        time: at(),
        note: None,
    }
}

fn lines() -> Vec<HoldingLine> {
    vec![
        line(HoldingSource::Manual, "BTC", 8, "0.5"),
        line(HoldingSource::Bourse, "BTC", 8, "0.25"),
        line(HoldingSource::Manual, "ETH", 18, "2"),
    ]
}

fn positions() -> BTreeMap<AssetCode, Position> {
    cost_basis::compute(&[
        activity(1, ActivityKind::Buy, "BTC", 8, "1", "20000", "USD"),
        activity(2, ActivityKind::Sell, "BTC", 8, "0.25", "30000", "USD"),
        activity(3, ActivityKind::Buy, "ETH", 18, "2", "1000", "EUR"),
    ])
    .unwrap()
}

fn quotes() -> Quotes {
    BTreeMap::from([
        (code("BTC"), price("40000", Some("10"))),
        (code("ETH"), price("2500", Some("-5"))),
        (code("EUR"), price("1.1", None)),
    ])
}

#[test]
fn totals_allocation_and_pnl_are_exact() {
    let v = value(currency("USD"), lines(), &positions(), &quotes()).expect("a representable valuation");
    assert!(!v.partial);
    // 0.75 × 40000 + 2 × 2500.
    assert_eq!(v.total, 3_500_000);
    let btc = &v.assets[0];
    assert_eq!(
        (btc.asset.as_str(), btc.amount, btc.value),
        ("BTC", 75_000_000, Some(3_000_000))
    );
    // 30000 / 35000 = 85.714…% and 5000 / 35000 = 14.285…%.
    assert_eq!(btc.allocation.as_ref().map(|a| a.as_str()), Some("85.71"));
    assert_eq!(v.assets[1].allocation.as_ref().map(|a| a.as_str()), Some("14.29"));
    // BTC: realised 0.25 × (30000 − 20000) = 2500; open 0.75 costing 15000, worth 30000.
    let btc_pnl = btc.cost.as_ref().unwrap();
    assert_eq!(btc_pnl.cost_basis, Some(1_500_000));
    assert_eq!(btc_pnl.unrealised, Some(1_500_000));
    assert_eq!(btc_pnl.realised, Some(250_000));
    // ETH: 2000 EUR at today's 1.1 is 2200 USD; worth 5000.
    let eth_pnl = v.assets[1].cost.as_ref().unwrap();
    assert_eq!((eth_pnl.cost_basis, eth_pnl.unrealised), (Some(220_000), Some(280_000)));
    assert_eq!(
        (v.cost_basis, v.unrealised, v.realised),
        (1_720_000, 1_780_000, 250_000)
    );
    // Each holding line is valued on its own.
    let values: Vec<Option<u128>> = v
        .holdings
        .iter()
        .map(|h| h.value.as_ref().ok().map(|(v, _)| *v))
        .collect();
    assert_eq!(values, vec![Some(2_000_000), Some(1_000_000), Some(500_000)]);
}

#[test]
fn the_24h_change_is_derived_from_each_assets_percentage() {
    let v = value(currency("USD"), lines(), &positions(), &quotes()).expect("a representable valuation");
    // BTC +10%: 30000 − 30000 / 1.1 (27272.73) = 2727.27. ETH −5%: 5000 − 5000 / 0.95 (5263.16) = −263.16.
    assert_eq!(v.assets[0].change_24h_value, Some(272_727));
    assert_eq!(v.assets[1].change_24h_value, Some(-26_316));
    // 2464.11 over the 32535.89 of a day ago: 7.5735…%.
    assert_eq!(v.change_24h, Some((246_411, "7.57".to_owned())));
    let mut no_change = quotes();
    no_change.insert(code("ETH"), price("2500", None));
    assert_eq!(
        value(currency("USD"), lines(), &positions(), &no_change)
            .expect("a representable valuation")
            .change_24h,
        None
    );
}

#[test]
fn a_missing_price_leaves_its_holdings_unvalued_and_the_valuation_partial() {
    let mut quotes = quotes();
    quotes.insert(
        code("ETH"),
        Err(PriceError::Unavailable {
            provider: "rates".to_owned(),
            reason: "no rate provider is configured".to_owned(),
        }),
    );
    let v = value(currency("USD"), lines(), &positions(), &quotes).expect("a representable valuation");
    assert!(v.partial);
    assert_eq!(v.total, 3_000_000);
    assert_eq!(v.assets[0].allocation.as_ref().map(|a| a.as_str()), Some("100.00"));
    assert_eq!(v.assets[1].value, None);
    let reason = v.holdings[2].value.as_ref().unwrap_err();
    assert!(reason.contains("no rate provider is configured"), "{reason}");
    // ETH's cost converts (EUR is priced), its unrealised P&L needs ETH's price.
    let eth = v.assets[1].cost.as_ref().unwrap();
    assert_eq!((eth.cost_basis, eth.unrealised), (Some(220_000), None));
}

#[test]
fn the_valuation_currency_held_is_worth_itself() {
    let usd = line(HoldingSource::Bourse, "USD", 2, "12.34");
    let quotes = BTreeMap::from([(code("USD"), price("1", Some("0")))]);
    let v = value(currency("USD"), vec![usd], &BTreeMap::new(), &quotes).expect("a representable valuation");
    assert_eq!((v.total, v.partial), (1_234, false));
    assert_eq!(v.change_24h, Some((0, "0.00".to_owned())));
}

#[test]
fn totals_beyond_what_an_answer_can_state_are_refused_not_clamped() {
    // Two holdings of 10^36 dollars each: each value fits, their total (2·10^38 cents) is beyond i128.
    let big = || line(HoldingSource::Manual, "USD", 2, "1000000000000000000000000000000000000");
    let quotes = BTreeMap::from([(code("USD"), price("1", None))]);
    let one = value(currency("USD"), vec![big()], &BTreeMap::new(), &quotes).expect("one fits");
    assert_eq!(one.total, 100_000_000_000_000_000_000_000_000_000_000_000_000);
    assert!(value(currency("USD"), vec![big(), big()], &BTreeMap::new(), &quotes).is_none());
}
