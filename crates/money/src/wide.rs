//! A 256-bit unsigned integer, only as wide as exact conversions need: an 18-decimal amount (up to 2^128) times a
//! rate's 28 digits overflows a `u128` long before the result does, so the product is kept whole and divided once.

use crate::rounding::{Dropped, RoundingMode};
use std::cmp::Ordering;

/// `hi · 2^128 + lo`. Field order makes the derived ordering numeric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct U256 {
    hi: u128,
    lo: u128,
}

const LOW_64: u128 = u64::MAX as u128;

impl U256 {
    pub const ZERO: U256 = U256 { hi: 0, lo: 0 };

    pub fn from_u128(lo: u128) -> U256 {
        U256 { hi: 0, lo }
    }

    /// The full product of two `u128`s, which always fits.
    pub fn product(a: u128, b: u128) -> U256 {
        let (a1, a0) = (a >> 64, a & LOW_64);
        let (b1, b0) = (b >> 64, b & LOW_64);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        // Each term is below 2^64, so three of them cannot overflow.
        let middle = (p00 >> 64) + (p01 & LOW_64) + (p10 & LOW_64);
        U256 {
            hi: p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64),
            lo: (p00 & LOW_64) | (middle << 64),
        }
    }

    pub fn checked_mul(self, b: u128) -> Option<U256> {
        let low = U256::product(self.lo, b);
        let high = self.hi.checked_mul(b)?;
        Some(U256 {
            hi: low.hi.checked_add(high)?,
            lo: low.lo,
        })
    }

    pub fn to_u128(self) -> Option<u128> {
        (self.hi == 0).then_some(self.lo)
    }

    fn bit(self, i: u32) -> bool {
        match i {
            128.. => (self.hi >> (i - 128)) & 1 == 1,
            _ => (self.lo >> i) & 1 == 1,
        }
    }

    fn set_bit(&mut self, i: u32) {
        match i {
            128.. => self.hi |= 1 << (i - 128),
            _ => self.lo |= 1 << i,
        }
    }

    /// `self · 2 + bit`, and the bit shifted out at the top.
    fn shift_in(self, bit: bool) -> (U256, bool) {
        let out = self.hi >> 127 == 1;
        let shifted = U256 {
            hi: (self.hi << 1) | (self.lo >> 127),
            lo: (self.lo << 1) | u128::from(bit),
        };
        (shifted, out)
    }

    fn wrapping_sub(self, other: U256) -> U256 {
        let (lo, borrow) = self.lo.overflowing_sub(other.lo);
        U256 {
            hi: self.hi.wrapping_sub(other.hi).wrapping_sub(u128::from(borrow)),
            lo,
        }
    }

    fn wrapping_add_one(self) -> U256 {
        let (lo, carry) = self.lo.overflowing_add(1);
        U256 {
            hi: self.hi.wrapping_add(u128::from(carry)),
            lo,
        }
    }

    /// Quotient and remainder by long division, one bit at a time: conversions are rare next to the integer
    /// arithmetic of the ledger and the engine, so simple beats fast here. `divisor` is not zero.
    fn div_rem(self, divisor: U256) -> (U256, U256) {
        let (mut quotient, mut remainder) = (U256::ZERO, U256::ZERO);
        for i in (0..256).rev() {
            // The remainder stays below the divisor, so after the shift one subtraction brings it back.
            let (shifted, overflowed) = remainder.shift_in(self.bit(i));
            remainder = shifted;
            if overflowed || remainder >= divisor {
                remainder = remainder.wrapping_sub(divisor);
                quotient.set_bit(i);
            }
        }
        (quotient, remainder)
    }

    /// `self / divisor`, truncated.
    pub fn div_floor(self, divisor: U256) -> U256 {
        self.div_rem(divisor).0
    }

    /// `self / divisor` rounded by `mode`. `divisor` is not zero.
    pub fn div_rounded(self, divisor: U256, mode: RoundingMode) -> U256 {
        let (quotient, remainder) = self.div_rem(divisor);
        let against_rest: Ordering = remainder.cmp(&divisor.wrapping_sub(remainder));
        let dropped = Dropped::classify(remainder == U256::ZERO, against_rest);
        // A remainder means a divisor of at least 2, so the quotient is below 2^255 and one more fits.
        match mode.bumps(dropped, quotient.lo) {
            true => quotient.wrapping_add_one(),
            false => quotient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn products_beyond_u128_are_kept_whole() {
        let max = U256::product(u128::MAX, u128::MAX);
        assert_eq!(
            max,
            U256 {
                hi: u128::MAX - 1,
                lo: 1
            }
        );
        assert_eq!(max.div_floor(U256::from_u128(u128::MAX)), U256::from_u128(u128::MAX));
        assert_eq!(
            U256::from_u128(u128::MAX).checked_mul(2),
            Some(U256 {
                hi: 1,
                lo: u128::MAX - 1
            })
        );
        assert_eq!(max.checked_mul(2), None);
    }

    #[test]
    fn division_rounds_as_asked() {
        let n = U256::product(10u128.pow(30), 25);
        let d = U256::from_u128(10u128.pow(31));
        assert_eq!(n.div_rounded(d, RoundingMode::Down), U256::from_u128(2));
        assert_eq!(n.div_rounded(d, RoundingMode::Up), U256::from_u128(3));
        assert_eq!(n.div_rounded(d, RoundingMode::HalfEven), U256::from_u128(2));
    }

    proptest! {
        #[test]
        fn agrees_with_u128_where_that_fits(a in any::<u64>(), b in any::<u64>(), d in 1u128.., mode in 0usize..3) {
            let mode = [RoundingMode::Down, RoundingMode::Up, RoundingMode::HalfEven][mode];
            let n = u128::from(a) * u128::from(b);
            prop_assert_eq!(U256::product(a.into(), b.into()), U256::from_u128(n));
            let expected = mode.divide(n, std::num::NonZeroU128::new(d).unwrap());
            prop_assert_eq!(U256::from_u128(n).div_rounded(U256::from_u128(d), mode).to_u128(), Some(expected));
        }

        #[test]
        fn quotient_times_divisor_plus_remainder_is_the_dividend(a in any::<u128>(), b in any::<u128>(), d in 1u128..) {
            let n = U256::product(a, b);
            let (q, r) = n.div_rem(U256::from_u128(d));
            prop_assert!(r < U256::from_u128(d));
            let back = U256::product(q.lo, d);
            let carried = q.hi.checked_mul(d).and_then(|h| h.checked_add(back.hi));
            let (lo, carry) = back.lo.overflowing_add(r.lo);
            prop_assert_eq!(carried.map(|h| U256 { hi: h + u128::from(carry), lo }), Some(n));
        }
    }
}
