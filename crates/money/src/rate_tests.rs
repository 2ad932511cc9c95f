use super::*;
use RoundingMode::{Down, HalfEven, Up};
use proptest::prelude::*;

fn rate(text: &str) -> Rate {
    Rate::parse(text).unwrap()
}

fn p(places: u8) -> Precision {
    Precision::new(places).unwrap()
}

#[test]
fn rates_within_the_rule_are_accepted_and_shown_without_trailing_zeros() {
    for (text, shown) in [
        ("61234.56789", "61234.56789"),
        ("1", "1"),
        ("1.50", "1.5"),
        ("0100", "100"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("9999999999999999999999999999", "9999999999999999999999999999"),
        ("1234567890.123456789012345678", "1234567890.123456789012345678"),
        ("2.500000000000000000000000000000", "2.5"),
    ] {
        assert_eq!(Rate::parse(text).map(|r| r.to_string()), Ok(shown.to_owned()), "{text}");
    }
    assert_eq!(rate("1.50"), rate("1.5"));
}

#[test]
fn anything_else_is_refused_never_rounded() {
    assert_eq!(Rate::parse("0"), Err(MoneyError::NotPositive));
    assert_eq!(Rate::parse("0.000"), Err(MoneyError::NotPositive));
    for bad in ["-1", "+1", "1e5", "", " 1", "1.", ".5", "NaN", "1,5"] {
        assert_eq!(Rate::parse(bad), Err(MoneyError::Malformed), "{bad:?}");
    }
    for too_precise in [
        "0.0000000000000000001",
        "1.0000000000000000001",
        "10000000000000000000000000000",
        "12345678901.123456789012345678",
        "3.14159265358979323846264338327950288",
    ] {
        assert_eq!(
            Rate::parse(too_precise),
            Err(MoneyError::RateTooPrecise),
            "{too_precise}"
        );
    }
}

#[test]
fn serde_is_a_string_only() {
    let r: Rate = serde_json::from_str("\"61234.56789\"").unwrap();
    assert_eq!(r, rate("61234.56789"));
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"61234.56789\"");
    assert!(serde_json::from_str::<Rate>("61234.56789").is_err());
    assert!(serde_json::from_str::<Rate>("1").is_err());
    assert!(serde_json::from_str::<Rate>("\"0\"").is_err());
    assert_eq!(r.as_decimal().to_string(), "61234.56789");
}

#[test]
fn a_quarter_bitcoin_into_euros() {
    // 0.25 BTC × 61234.56789 EUR/BTC = 15308.6419725 EUR.
    let eur_per_btc = rate("61234.56789");
    let convert = |mode| eur_per_btc.convert(25_000_000, p(8), p(2), mode);
    assert_eq!(convert(Down), Ok(1_530_864));
    assert_eq!(convert(Up), Ok(1_530_865));
    assert_eq!(convert(HalfEven), Ok(1_530_864));
}

#[test]
fn ties_and_exact_conversions() {
    let cent_rate = rate("0.01");
    // 0.50 × 0.01 = 0.005: a tie, to the even 0.00.
    assert_eq!(cent_rate.convert(50, p(2), p(2), HalfEven), Ok(0));
    assert_eq!(cent_rate.convert(50, p(2), p(2), Up), Ok(1));
    assert_eq!(cent_rate.convert(50, p(2), p(2), Down), Ok(0));
    // 1.50 × 0.01 = 0.015: a tie, to the even 0.02.
    assert_eq!(cent_rate.convert(150, p(2), p(2), HalfEven), Ok(2));
    for mode in [Down, Up, HalfEven] {
        // 12 × 1.5 = 18, exactly.
        assert_eq!(rate("1.5").convert(1200, p(2), p(2), mode), Ok(1800));
        // Into a finer asset nothing is lost: 1 JPY at 0.0061 USD into 8 places.
        assert_eq!(rate("0.0061").convert(1, p(0), p(8), mode), Ok(610_000));
    }
}

#[test]
fn products_beyond_u128_still_convert_exactly() {
    // 1000 ETH (10^21 wei) × 3456.123456789012345678 USD/ETH = 3456123.456789012345678 USD: the product of the
    // integers is about 3.5 · 10^42, beyond u128.
    let usd_per_eth = rate("3456.123456789012345678");
    let wei = 1_000 * 10u128.pow(18);
    assert_eq!(usd_per_eth.convert(wei, p(18), p(2), Down), Ok(345_612_345));
    assert_eq!(usd_per_eth.convert(wei, p(18), p(2), Up), Ok(345_612_346));
    assert_eq!(usd_per_eth.convert(wei, p(18), p(2), HalfEven), Ok(345_612_346));
}

#[test]
fn overflow_is_an_error() {
    assert_eq!(
        rate("2").convert(u128::MAX, p(2), p(2), Down),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        rate("1").convert(u128::MAX, p(0), p(1), Down),
        Err(MoneyError::Overflow)
    );
    assert_eq!(rate("1").convert(u128::MAX, p(2), p(2), Down), Ok(u128::MAX));
    let largest = rate("9999999999999999999999999999");
    assert_eq!(largest.convert(u128::MAX, p(0), p(18), Up), Err(MoneyError::Overflow));
}

#[test]
fn inverting_rounds_to_eighteen_places() {
    // 1 / 61234.56789 = 0.000016330645164286469…
    let btc_per_eur = |mode| rate("61234.56789").invert(mode).map(|r| r.to_string());
    assert_eq!(btc_per_eur(Down), Ok("0.000016330645164286".to_owned()));
    assert_eq!(btc_per_eur(HalfEven), Ok("0.000016330645164286".to_owned()));
    assert_eq!(btc_per_eur(Up), Ok("0.000016330645164287".to_owned()));
    assert_eq!(
        rate("3").invert(Down).map(|r| r.to_string()),
        Ok(format!("0.{}", "3".repeat(18)))
    );
    assert_eq!(
        rate("3").invert(Up).map(|r| r.to_string()),
        Ok(format!("0.{}4", "3".repeat(17)))
    );
    assert_eq!(rate("0.5").invert(Down), Ok(rate("2")));
    assert_eq!(
        rate("0.000000000000000001").invert(Down),
        Ok(rate("1000000000000000000"))
    );
}

#[test]
fn a_long_integer_part_gives_up_places_to_stay_within_28_digits() {
    // 1 / 0.000000000000000003 = 333333333333333333.333…: 18 integer digits leave 10 places.
    let r = rate("0.000000000000000003").invert(HalfEven).unwrap();
    assert_eq!(r.to_string(), format!("{}.{}", "3".repeat(18), "3".repeat(10)));
    // 1 / 1.000000000000000001 = 0.999999999999999999000…001: rounding it up carries into a digit more, which
    // comes back as trailing zeros.
    let just_above_one = rate("1.000000000000000001");
    assert_eq!(just_above_one.invert(Up), Ok(rate("1")));
    assert_eq!(just_above_one.invert(Down), Ok(rate(&format!("0.{}", "9".repeat(18)))));
    assert_eq!(
        Rate::cross(rate("9999999999999999999999999999"), rate("0.1"), Down),
        Err(MoneyError::RateOutOfRange)
    );
}

#[test]
fn inverting_a_rate_that_rounds_to_zero_is_out_of_range() {
    let huge = rate("9999999999999999999999999999");
    assert_eq!(huge.invert(Down), Err(MoneyError::RateOutOfRange));
    assert_eq!(huge.invert(HalfEven), Err(MoneyError::RateOutOfRange));
    assert_eq!(huge.invert(Up), Ok(rate("0.000000000000000001")));
}

#[test]
fn cross_rates_go_through_a_pivot() {
    // 60000 USD/BTC over 1.08 USD/EUR = 55555.5555… EUR/BTC.
    let (usd_per_btc, usd_per_eur) = (rate("60000"), rate("1.08"));
    let cross = |mode| Rate::cross(usd_per_btc, usd_per_eur, mode).map(|r| r.to_string());
    assert_eq!(cross(Down), Ok(format!("55555.{}", "5".repeat(18))));
    assert_eq!(cross(HalfEven), Ok(format!("55555.{}6", "5".repeat(17))));
    assert_eq!(cross(Up), Ok(format!("55555.{}6", "5".repeat(17))));
    // And the other way: 1.08 / 60000 = 0.000018 exactly.
    assert_eq!(Rate::cross(usd_per_eur, usd_per_btc, Down), Ok(rate("0.000018")));
}

proptest! {
    #[test]
    fn parse_never_panics(text in "[0-9.]{0,45}") {
        let _ = Rate::parse(&text);
    }

    #[test]
    fn display_then_parse_is_the_identity(mantissa in 1u128..10u128.pow(28), places in 0u32..=18) {
        let r = Rate::from_parts(mantissa, places).unwrap();
        prop_assert_eq!(Rate::parse(&r.to_string()), Ok(r));
    }

    #[test]
    fn conversion_is_bracketed_by_down_and_up(
        amount in any::<u64>(),
        mantissa in 1u128..10u128.pow(28),
        places in 0u32..=18,
        from in 0u8..=18,
        to in 0u8..=18,
    ) {
        let r = Rate::from_parts(mantissa, places).unwrap();
        let (from, to) = (p(from), p(to));
        let down = r.convert(amount.into(), from, to, Down);
        let up = r.convert(amount.into(), from, to, Up);
        let even = r.convert(amount.into(), from, to, HalfEven);
        if let (&Ok(down), &Ok(up), &Ok(even)) = (&down, &up, &even) {
            prop_assert!(up - down <= 1);
            prop_assert!(down <= even && even <= up);
        } else {
            prop_assert!(up.is_err());
        }
    }

    #[test]
    fn a_rate_and_its_inverse_bracket_one(mantissa in 1u128..10u128.pow(28), places in 0u32..=18) {
        let r = Rate::from_parts(mantissa, places).unwrap();
        // r · (1/r rounded down) ≤ 1 ≤ r · (1/r rounded up), checked by converting one whole unit.
        if let (Ok(low), Ok(high)) = (r.invert(Down), r.invert(Up)) {
            let unit = |inverse: Rate, mode| inverse.convert(r.mantissa(), p(0), p(0), mode);
            prop_assert!(low <= high);
            prop_assert!(unit(low, Down).is_ok_and(|v| v <= pow10(r.places())));
            prop_assert!(unit(high, Up).is_ok_and(|v| v >= pow10(r.places())));
        }
    }
}
