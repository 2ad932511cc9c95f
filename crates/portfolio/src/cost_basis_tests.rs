use super::*;
use crate::activity::Priced;
use money::{Amount, Rate};
use proptest::prelude::*;

fn code(c: &str) -> AssetCode {
    AssetCode::parse(c).unwrap()
}

fn usd() -> Currency {
    Currency {
        code: code("USD"),
        precision: Precision::new(2).unwrap(),
    }
}

fn eur() -> Currency {
    Currency {
        code: code("EUR"),
        precision: Precision::new(2).unwrap(),
    }
}

/// Activity `n` (its id and time follow `n`, so the slice order is the time order).
fn act(
    n: u32,
    kind: ActivityKind,
    asset: &str,
    places: u8,
    amount: &str,
    price: Option<(&str, Currency)>,
    fee: Option<&str>,
) -> Activity {
    let precision = Precision::new(places).unwrap();
    let currency_precision = price.map(|(_, c)| c.precision).unwrap_or(precision);
    Activity {
        id: Uuid::from_u128(u128::from(n)),
        kind,
        asset: code(asset),
        amount: Amount::parse(amount, precision).unwrap(),
        price: price.map(|(p, currency)| Priced {
            price: Rate::parse(p).unwrap(),
            currency,
        }),
        fee: fee.map(|f| Amount::parse(f, currency_precision).unwrap()),
        time: DateTime::from_timestamp(1_700_000_000 + i64::from(n) * 60, 0).unwrap(),
        note: None,
    }
}

fn btc(n: u32, kind: ActivityKind, amount: &str, price: Option<&str>, fee: Option<&str>) -> Activity {
    act(n, kind, "BTC", 8, amount, price.map(|p| (p, usd())), fee)
}

#[test]
fn fifo_sells_consume_the_oldest_lots_first_with_fees_in_cost_and_proceeds() {
    use ActivityKind::*;
    let activities = [
        // Lot 1: 1 BTC for 20000 + 10 fee = 20010.00.
        btc(1, Buy, "1", Some("20000"), Some("10")),
        // Lot 2: 0.5 BTC for 15000 + 5 fee = 15005.00.
        btc(2, Buy, "0.5", Some("30000"), Some("5")),
        // Proceeds 1.2 × 40000 − 12 = 47988.00; consumes lot 1 (20010.00) and 0.2 of lot 2's 0.5
        // (15005.00 × 0.2 / 0.5 = 6002.00): realised 47988 − 26012 = 21976.00.
        btc(3, Sell, "1.2", Some("40000"), Some("12")),
        // Proceeds 2500.00; consumes 0.1 of the 0.3 left of lot 2 (9003.00 / 3 = 3001.00): realised −501.00.
        btc(4, Sell, "0.1", Some("25000"), None),
    ];
    let positions = compute(&activities).unwrap();
    let position = &positions[&code("BTC")];
    assert_eq!(position.quantity(), 20_000_000);
    assert_eq!(position.open_cost(), BTreeMap::from([(usd(), 600_200)]));
    assert_eq!(position.realised, BTreeMap::from([(usd(), 2_147_500)]));
    assert_eq!(position.lots.len(), 1);
    assert_eq!(position.lots[0].activity, Uuid::from_u128(2));
}

#[test]
fn a_lot_consumed_in_parts_gives_up_its_whole_cost_and_no_more() {
    use ActivityKind::*;
    // 0.3 × 33.34 = 10.002 → 10.00. Thirds: 333.33 → 3.33, then 6.67 / 2 = 3.335 → 3.34 (half-even), then the
    // last part takes the 3.33 left: 3.33 + 3.34 + 3.33 = 10.00.
    let mut activities = vec![btc(1, Buy, "0.3", Some("33.34"), None)];
    let mut open = Vec::new();
    for n in 2..=4 {
        activities.push(btc(n, TransferOut, "0.1", None, None));
        let positions = compute(&activities).unwrap();
        open.push(positions[&code("BTC")].open_cost().get(&usd()).copied().unwrap_or(0));
    }
    assert_eq!(open, vec![667, 333, 0]);
}

#[test]
fn a_disposal_beyond_what_is_held_is_refused_naming_the_activity() {
    use ActivityKind::*;
    let activities = [
        btc(1, Buy, "1", Some("100"), None),
        btc(2, Sell, "0.4", Some("100"), None),
        btc(3, Sell, "0.60000001", Some("100"), None),
    ];
    assert_eq!(
        compute(&activities),
        Err(CostBasisError::BeyondHoldings {
            index: 2,
            activity: Uuid::from_u128(3),
            asset: code("BTC"),
            held: 60_000_000,
            asked: 60_000_001,
        })
    );
    let nothing_yet = [btc(1, TransferOut, "0.00000001", None, None)];
    assert!(matches!(
        compute(&nothing_yet),
        Err(CostBasisError::BeyondHoldings { index: 0, held: 0, .. })
    ));
}

#[test]
fn a_transfer_in_without_a_price_costs_nothing_and_one_with_a_price_costs_its_value() {
    use ActivityKind::*;
    let activities = [
        btc(1, TransferIn, "1", None, None),
        btc(2, TransferIn, "1", Some("1000"), None),
        // Consumes the free lot first: realised 1500.00 − 0.
        btc(3, Sell, "1", Some("1500"), None),
    ];
    let position = &compute(&activities).unwrap()[&code("BTC")];
    assert_eq!(position.realised, BTreeMap::from([(usd(), 150_000)]));
    assert_eq!(position.open_cost(), BTreeMap::from([(usd(), 100_000)]));
}

#[test]
fn a_fee_paid_in_the_asset_realises_the_cost_of_what_it_consumed() {
    use ActivityKind::*;
    let eth = |n, kind, amount, price: Option<&str>| act(n, kind, "ETH", 18, amount, price.map(|p| (p, usd())), None);
    let activities = [eth(1, Buy, "2", Some("2000")), eth(2, Fee, "0.01", None)];
    let position = &compute(&activities).unwrap()[&code("ETH")];
    // 0.01 of the 2 ETH lot costing 4000.00 is 20.00.
    assert_eq!(position.realised, BTreeMap::from([(usd(), -2_000)]));
    assert_eq!(position.open_cost(), BTreeMap::from([(usd(), 398_000)]));
    assert_eq!(position.quantity(), 1_990_000_000_000_000_000);
}

#[test]
fn costs_and_realised_stay_in_their_own_currencies() {
    use ActivityKind::*;
    let activities = [
        act(1, Buy, "BTC", 8, "1", Some(("18000", eur())), None),
        // Proceeds 25000.00 USD; the lot's 18000.00 EUR leaves: realised +25000 USD and −18000 EUR.
        act(2, Sell, "BTC", 8, "1", Some(("25000", usd())), None),
    ];
    let position = &compute(&activities).unwrap()[&code("BTC")];
    assert_eq!(
        position.realised,
        BTreeMap::from([(usd(), 2_500_000), (eur(), -1_800_000)])
    );
    assert!(position.open_cost().is_empty());
}

#[test]
fn sorting_orders_by_time_then_by_recorded_order() {
    let mut later = btc(2, ActivityKind::Sell, "1", Some("1"), None);
    later.time = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut first = btc(1, ActivityKind::Buy, "1", Some("1"), None);
    first.time = later.time;
    let mut activities = vec![later, first];
    sort(&mut activities);
    assert_eq!(activities[0].kind, ActivityKind::Buy);
    assert!(compute(&activities).is_ok());
}

proptest! {
    /// Whatever is bought and however it is disposed of, every minor unit of cost is either still open or was
    /// realised, and the quantity held is what came in minus what went out.
    #[test]
    fn cost_is_conserved_across_any_disposals(
        buys in proptest::collection::vec((1u64..10_000_000_000, 1u64..10_000_000), 1..8),
        disposals in proptest::collection::vec(1u64..10_000_000_000, 0..12),
    ) {
        let mut activities = Vec::new();
        let mut n = 0u32;
        let mut total_cost = 0u128;
        let mut held = 0u128;
        for (amount, cents) in &buys {
            n += 1;
            let amount = DecimalAmount(*amount, 8).text();
            let price = DecimalAmount(*cents, 2).text();
            let activity = btc(n, ActivityKind::Buy, &amount, Some(&price), None);
            total_cost += activity.price.unwrap().price
                .convert(activity.amount.minor(), activity.amount.precision(), Precision::new(2).unwrap(), RoundingMode::HalfEven)
                .unwrap();
            held += activity.amount.minor();
            activities.push(activity);
        }
        for amount in disposals {
            let amount = u128::from(amount).min(held);
            if amount == 0 { continue; }
            n += 1;
            activities.push(btc(n, ActivityKind::Fee, &DecimalAmount(amount as u64, 8).text(), None, None));
            held -= amount;
        }
        let position = &compute(&activities).unwrap()[&code("BTC")];
        let open = position.open_cost().get(&usd()).copied().unwrap_or(0);
        let realised = position.realised.get(&usd()).copied().unwrap_or(0);
        prop_assert_eq!(open as i128 - realised, total_cost as i128);
        prop_assert_eq!(position.quantity(), held);
    }
}

/// `units · 10^-places` as decimal text.
struct DecimalAmount(u64, u8);

impl DecimalAmount {
    fn text(&self) -> String {
        money::DecimalString::from_scaled(u128::from(self.0), self.1)
            .as_str()
            .to_owned()
    }
}

#[test]
fn a_lot_that_would_take_the_open_totals_past_their_bound_is_refused() {
    use ActivityKind::*;
    // Each lot costs 10^38 cents, within the signed bound of the totals (about 1.7·10^38); two are not.
    let activities = [
        btc(1, Buy, "1000000000000000", Some("1000000000000000000000"), None),
        btc(2, Buy, "1000000000000000", Some("1000000000000000000000"), None),
    ];
    assert_eq!(
        compute(&activities),
        Err(CostBasisError::Overflow {
            index: 1,
            activity: Uuid::from_u128(2),
        })
    );
}
