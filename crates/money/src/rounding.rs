//! How a value that does not fit the places it must be written in is brought to them.
//!
//! Every mode is symmetric around zero: it rounds the magnitude and keeps the sign, so a debit and the matching
//! credit of the same size always round to the same size.
//!
//! | mode | rule | 1.25 → | 1.35 → | −1.25 → | −1.27 → |
//! |---|---|---|---|---|---|
//! | [`RoundingMode::Down`] | toward zero: drop what does not fit | 1.2 | 1.3 | −1.2 | −1.2 |
//! | [`RoundingMode::Up`] | away from zero: any dropped part adds one unit | 1.3 | 1.4 | −1.3 | −1.3 |
//! | [`RoundingMode::HalfEven`] | to the nearest; an exact half goes to the even neighbour | 1.2 | 1.4 | −1.2 | −1.3 |
//!
//! An exact value is never changed by any mode.

use std::num::NonZeroU128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundingMode {
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// To the nearest, ties to even (banker's rounding): no bias over many roundings.
    HalfEven,
}

/// Which way an amount goes for the house, to round it in the house's favour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HouseFlow {
    /// What the house takes or requires: a fee, a minimum the customer must reach. Rounds up.
    Receives,
    /// What the house gives or allows: a payout, a credit, a limit on what the customer may take. Rounds down.
    PaysOut,
}

/// A value brought to a number of places, and whether nothing was dropped to get there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounded {
    pub value: u128,
    pub exact: bool,
}

/// What a truncation dropped, measured against half of the last kept unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    Nothing,
    BelowHalf,
    Half,
    AboveHalf,
}

impl Dropped {
    /// The part dropped by an integer division, from whether the remainder is zero and how it compares with
    /// what the divisor leaves above it (`remainder` against `divisor - remainder`).
    pub(crate) fn classify(remainder_is_zero: bool, against_rest: std::cmp::Ordering) -> Dropped {
        match (remainder_is_zero, against_rest) {
            (true, _) => Dropped::Nothing,
            (false, std::cmp::Ordering::Less) => Dropped::BelowHalf,
            (false, std::cmp::Ordering::Equal) => Dropped::Half,
            (false, std::cmp::Ordering::Greater) => Dropped::AboveHalf,
        }
    }

    /// The part dropped by dividing by `divisor`, leaving `remainder` (below the divisor).
    pub(crate) fn of_remainder(remainder: u128, divisor: u128) -> Dropped {
        Dropped::classify(remainder == 0, remainder.cmp(&(divisor - remainder)))
    }

    /// The part dropped when decimal digits are cut off, given as those digits.
    pub(crate) fn of_digits(digits: &[u8]) -> Dropped {
        let Some((&first, rest)) = digits.split_first() else {
            return Dropped::Nothing;
        };
        let rest_is_zero = rest.iter().all(|&d| d == b'0');
        match first {
            b'0' if rest_is_zero => Dropped::Nothing,
            b'5' if rest_is_zero => Dropped::Half,
            b'0'..=b'4' => Dropped::BelowHalf,
            _ => Dropped::AboveHalf,
        }
    }
}

impl RoundingMode {
    /// The rounding in the house's favour for an amount that goes this way.
    pub fn for_house(flow: HouseFlow) -> RoundingMode {
        match flow {
            HouseFlow::Receives => RoundingMode::Up,
            HouseFlow::PaysOut => RoundingMode::Down,
        }
    }

    /// `numerator / denominator` rounded this way. Never fails: the result is at most the numerator.
    pub fn divide(self, numerator: u128, denominator: NonZeroU128) -> u128 {
        let d = denominator.get();
        let (q, r) = (numerator / d, numerator % d);
        // The bump cannot overflow: a remainder means d > 1, so q < numerator.
        q + u128::from(self.bumps(Dropped::of_remainder(r, d), q))
    }

    /// As [`RoundingMode::divide`] for a signed numerator; the magnitude is rounded and the sign kept.
    pub fn divide_signed(self, numerator: i128, denominator: NonZeroU128) -> i128 {
        let magnitude = self.divide(numerator.unsigned_abs(), denominator);
        // The rounded magnitude never exceeds the numerator's, so it fits back with its sign.
        match numerator < 0 {
            true => 0i128.wrapping_sub_unsigned(magnitude),
            false => magnitude as i128,
        }
    }

    /// Whether a truncated magnitude `kept` grows by one unit for what was dropped.
    pub(crate) fn bumps(self, dropped: Dropped, kept: u128) -> bool {
        match (self, dropped) {
            (_, Dropped::Nothing) | (RoundingMode::Down, _) => false,
            (RoundingMode::Up, _) => true,
            (RoundingMode::HalfEven, Dropped::BelowHalf) => false,
            (RoundingMode::HalfEven, Dropped::Half) => kept % 2 == 1,
            (RoundingMode::HalfEven, Dropped::AboveHalf) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MODES: [RoundingMode; 3] = [RoundingMode::Down, RoundingMode::Up, RoundingMode::HalfEven];

    fn tenths(mode: RoundingMode, numerator: i128) -> i128 {
        mode.divide_signed(numerator, NonZeroU128::new(10).unwrap())
    }

    #[test]
    fn down_goes_toward_zero() {
        assert_eq!(tenths(RoundingMode::Down, 127), 12);
        assert_eq!(tenths(RoundingMode::Down, -127), -12);
        assert_eq!(tenths(RoundingMode::Down, 125), 12);
        assert_eq!(tenths(RoundingMode::Down, -125), -12);
        assert_eq!(tenths(RoundingMode::Down, 9), 0);
        assert_eq!(tenths(RoundingMode::Down, -9), 0);
    }

    #[test]
    fn up_goes_away_from_zero() {
        assert_eq!(tenths(RoundingMode::Up, 121), 13);
        assert_eq!(tenths(RoundingMode::Up, -121), -13);
        assert_eq!(tenths(RoundingMode::Up, 125), 13);
        assert_eq!(tenths(RoundingMode::Up, -125), -13);
        assert_eq!(tenths(RoundingMode::Up, 1), 1);
        assert_eq!(tenths(RoundingMode::Up, -1), -1);
    }

    #[test]
    fn half_even_goes_to_the_nearest_and_ties_to_even() {
        assert_eq!(tenths(RoundingMode::HalfEven, 124), 12);
        assert_eq!(tenths(RoundingMode::HalfEven, 126), 13);
        assert_eq!(tenths(RoundingMode::HalfEven, -124), -12);
        assert_eq!(tenths(RoundingMode::HalfEven, -126), -13);
        assert_eq!(tenths(RoundingMode::HalfEven, 125), 12);
        assert_eq!(tenths(RoundingMode::HalfEven, 135), 14);
        assert_eq!(tenths(RoundingMode::HalfEven, -125), -12);
        assert_eq!(tenths(RoundingMode::HalfEven, -135), -14);
        assert_eq!(tenths(RoundingMode::HalfEven, 5), 0);
        assert_eq!(tenths(RoundingMode::HalfEven, 15), 2);
    }

    #[test]
    fn exact_values_are_kept_by_every_mode() {
        for mode in MODES {
            assert_eq!(tenths(mode, 120), 12);
            assert_eq!(tenths(mode, -120), -12);
            assert_eq!(tenths(mode, 0), 0);
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let one = NonZeroU128::new(1).unwrap();
        let two = NonZeroU128::new(2).unwrap();
        for mode in MODES {
            assert_eq!(mode.divide_signed(i128::MIN, one), i128::MIN);
            assert_eq!(mode.divide(u128::MAX, one), u128::MAX);
        }
        assert_eq!(RoundingMode::Up.divide(u128::MAX, two), u128::MAX / 2 + 1);
        assert_eq!(RoundingMode::HalfEven.divide(u128::MAX, two), u128::MAX / 2 + 1);
        assert_eq!(RoundingMode::Up.divide(u128::MAX, NonZeroU128::MAX), 1);
    }

    #[test]
    fn the_house_rounds_what_it_receives_up_and_what_it_pays_out_down() {
        assert_eq!(RoundingMode::for_house(HouseFlow::Receives), RoundingMode::Up);
        assert_eq!(RoundingMode::for_house(HouseFlow::PaysOut), RoundingMode::Down);
    }

    #[test]
    fn dropped_digits_are_measured_against_a_half() {
        assert_eq!(Dropped::of_digits(b""), Dropped::Nothing);
        assert_eq!(Dropped::of_digits(b"000"), Dropped::Nothing);
        assert_eq!(Dropped::of_digits(b"001"), Dropped::BelowHalf);
        assert_eq!(Dropped::of_digits(b"4999"), Dropped::BelowHalf);
        assert_eq!(Dropped::of_digits(b"5"), Dropped::Half);
        assert_eq!(Dropped::of_digits(b"5000"), Dropped::Half);
        assert_eq!(Dropped::of_digits(b"5001"), Dropped::AboveHalf);
        assert_eq!(Dropped::of_digits(b"9"), Dropped::AboveHalf);
        assert_eq!(Dropped::of_remainder(0, 10), Dropped::Nothing);
        assert_eq!(Dropped::of_remainder(4, 10), Dropped::BelowHalf);
        assert_eq!(Dropped::of_remainder(5, 10), Dropped::Half);
        assert_eq!(Dropped::of_remainder(6, 10), Dropped::AboveHalf);
        assert_eq!(Dropped::of_remainder(1, 3), Dropped::BelowHalf);
        assert_eq!(Dropped::of_remainder(2, 3), Dropped::AboveHalf);
    }

    proptest! {
        #[test]
        fn rounding_never_moves_a_unit_or_more(n in any::<i64>(), d in 1u64.., mode_index in 0usize..3) {
            let mode = MODES[mode_index];
            let rounded = mode.divide_signed(i128::from(n), NonZeroU128::new(u128::from(d)).unwrap());
            let moved = rounded * i128::from(d) - i128::from(n);
            prop_assert!(moved.unsigned_abs() < u128::from(d));
        }

        #[test]
        fn down_is_at_most_and_up_at_least_the_exact_value(n in any::<u64>(), d in 1u64..) {
            let (n, d) = (u128::from(n), u128::from(d));
            let nz = NonZeroU128::new(d).unwrap();
            let (down, up, even) =
                (RoundingMode::Down.divide(n, nz), RoundingMode::Up.divide(n, nz), RoundingMode::HalfEven.divide(n, nz));
            prop_assert!(down * d <= n && n <= up * d);
            prop_assert!(down <= even && even <= up);
            prop_assert!(up - down <= 1);
            prop_assert_eq!(up == down, n % d == 0);
        }

        #[test]
        fn half_even_is_never_further_than_half_a_unit(n in any::<i64>(), d in 1u64..) {
            let rounded = RoundingMode::HalfEven.divide_signed(i128::from(n), NonZeroU128::new(u128::from(d)).unwrap());
            let moved = (rounded * i128::from(d) - i128::from(n)).unsigned_abs();
            prop_assert!(2 * moved <= u128::from(d));
        }

        #[test]
        fn signs_are_symmetric(n in any::<i64>(), d in 1u64.., mode_index in 0usize..3) {
            let mode = MODES[mode_index];
            let d = NonZeroU128::new(u128::from(d)).unwrap();
            prop_assert_eq!(mode.divide_signed(-i128::from(n), d), -mode.divide_signed(i128::from(n), d));
        }
    }
}
