use super::*;

fn code(c: &str) -> AssetCode {
    AssetCode::parse(c).unwrap()
}

fn usd() -> Currency {
    Currency {
        code: code("USD"),
        precision: Precision::new(2).unwrap(),
    }
}

fn holding(asset: &str, places: u8, amount: u128, price: &str) -> Holding {
    Holding {
        asset: code(asset),
        precision: Precision::new(places).unwrap(),
        amount,
        price: Rate::parse(price).unwrap(),
    }
}

fn targets(pairs: &[(&str, &str)]) -> Result<BTreeMap<AssetCode, Decimal>, RebalanceError> {
    parse_targets(&pairs.iter().map(|(a, w)| (a.to_string(), w.to_string())).collect())
}

fn summary(plan: &Plan) -> Vec<(&str, &str, u128, u128)> {
    plan.trades
        .iter()
        .map(|t| (t.asset.as_str(), t.action.as_str(), t.amount, t.value))
        .collect()
}

#[test]
fn sixty_forty_from_fifty_fifty_moves_exact_amounts() {
    // 0.25 BTC at 40000 = 10000.00 and 5 ETH at 2000 = 10000.00: total 20000.00.
    let holdings = [
        holding("BTC", 8, 25_000_000, "40000"),
        holding("ETH", 18, 5_000_000_000_000_000_000, "2000"),
    ];
    let plan = plan(usd(), &holdings, &targets(&[("BTC", "60"), ("ETH", "40")]).unwrap()).unwrap();
    assert_eq!(plan.total, 2_000_000);
    // BTC to 12000.00: buy 2000.00 = 0.05 BTC. ETH to 8000.00: sell 2000.00 = 1 ETH.
    assert_eq!(
        summary(&plan),
        vec![
            ("BTC", "buy", 5_000_000, 200_000),
            ("ETH", "sell", 1_000_000_000_000_000_000, 200_000)
        ]
    );
    assert_eq!(plan.trades[0].target_value, 1_200_000);
    assert_eq!((plan.buys, plan.sells), (200_000, 200_000));
}

#[test]
fn amounts_round_down_so_the_plan_never_spends_more_than_it_frees() {
    // 1 BTC at 29999.99 and 10 ETH at 1000: total 39999.99.
    let holdings = [
        holding("BTC", 8, 100_000_000, "29999.99"),
        holding("ETH", 18, 10_000_000_000_000_000_000, "1000"),
    ];
    let plan = plan(
        usd(),
        &holdings,
        &targets(&[("BTC", "33.33"), ("ETH", "66.67")]).unwrap(),
    )
    .unwrap();
    // BTC target 39999.99 × 33.33% = 13331.996… → 13331.99 (down): sell 16668.00 / 29999.99 = 0.555600185… →
    // 0.55560018 BTC, worth 16667.9998… → 16667.99.
    // ETH target 39999.99 × 66.67% = 26667.993… → 26667.99: buy 16667.99 / 1000 = 16.66799 ETH exactly.
    assert_eq!(
        summary(&plan),
        vec![
            ("BTC", "sell", 55_560_018, 1_666_799),
            ("ETH", "buy", 16_667_990_000_000_000_000, 1_666_799)
        ]
    );
    assert_eq!(
        (plan.trades[0].target_value, plan.trades[1].target_value),
        (1_333_199, 2_666_799)
    );
    assert!(plan.buys <= plan.sells);
}

#[test]
fn an_asset_left_out_is_sold_entirely_and_a_new_one_bought() {
    let holdings = [holding("BTC", 8, 12_345_678, "30000"), holding("USD", 2, 0, "1")];
    let plan = plan(usd(), &holdings, &targets(&[("USD", "100")]).unwrap()).unwrap();
    // 0.12345678 × 30000 = 3703.7034 → 3703.70: every satoshi is sold.
    assert_eq!(
        summary(&plan),
        vec![("BTC", "sell", 12_345_678, 370_370), ("USD", "buy", 370_370, 370_370)]
    );
}

#[test]
fn a_target_already_reached_is_a_hold() {
    let holdings = [holding("BTC", 8, 100_000_000, "100"), holding("ETH", 18, 1, "0.0001")];
    let plan = plan(
        usd(),
        &holdings,
        &targets(&[("BTC", "99.9999"), ("ETH", "0.0001")]).unwrap(),
    )
    .unwrap();
    assert_eq!(plan.trades[1].action, Action::Hold);
}

#[test]
fn weights_must_be_plain_non_negative_and_sum_to_exactly_one_hundred() {
    for (pairs, expect) in [
        (vec![("BTC", "60"), ("ETH", "30")], "sum to 90, not 100"),
        (vec![("BTC", "60"), ("ETH", "40.0001")], "sum to 100.0001"),
        (vec![("BTC", "-10"), ("ETH", "110")], "non-negative decimal"),
        (vec![("BTC", "1e2")], "non-negative decimal"),
        (
            vec![("BTC", "99.99999"), ("ETH", "0.00001")],
            "at most 4 decimal places",
        ),
        (vec![("btc", "100")], "not an asset code"),
        (vec![], "at least one asset"),
    ] {
        let error = targets(&pairs).unwrap_err().to_string();
        assert!(error.contains(expect), "{pairs:?}: {error}");
    }
    assert!(targets(&[("BTC", "60.00"), ("ETH", "40")]).is_ok());
}

#[test]
fn a_target_without_a_price_is_refused() {
    let holdings = [holding("BTC", 8, 1, "1")];
    let error = plan(usd(), &holdings, &targets(&[("ETH", "100")]).unwrap()).unwrap_err();
    assert_eq!(error, RebalanceError::Unpriced(code("ETH")));
}
