use crate::{Amount, MoneyError, Precision};
use serde::{Serialize, Serializer};
use std::fmt;

/// A balance that may be negative: a system account (external deposits, fees paid out) holds the other side of
/// the money users hold, so it goes below zero where a user account never may. Same exactness rules as [`Amount`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignedAmount {
    minor: i128,
    precision: Precision,
}

impl SignedAmount {
    pub fn from_minor(minor: i128, precision: Precision) -> SignedAmount {
        SignedAmount { minor, precision }
    }

    pub fn zero(precision: Precision) -> SignedAmount {
        SignedAmount::from_minor(0, precision)
    }

    pub fn minor(self) -> i128 {
        self.minor
    }

    pub fn precision(self) -> Precision {
        self.precision
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// The amount itself when it is zero or more.
    pub fn to_amount(self) -> Result<Amount, MoneyError> {
        let minor = u128::try_from(self.minor).map_err(|_| MoneyError::Underflow)?;
        Ok(Amount::from_minor(minor, self.precision))
    }

    pub fn checked_add(self, other: Amount) -> Result<SignedAmount, MoneyError> {
        self.apply(other, i128::checked_add)
    }

    pub fn checked_sub(self, other: Amount) -> Result<SignedAmount, MoneyError> {
        self.apply(other, i128::checked_sub)
    }

    fn apply(self, other: Amount, op: fn(i128, i128) -> Option<i128>) -> Result<SignedAmount, MoneyError> {
        if self.precision != other.precision() {
            return Err(MoneyError::PrecisionMismatch);
        }
        let other = i128::try_from(other.minor()).map_err(|_| MoneyError::Overflow)?;
        let minor = op(self.minor, other).ok_or(MoneyError::Overflow)?;
        Ok(SignedAmount { minor, ..self })
    }
}

impl TryFrom<Amount> for SignedAmount {
    type Error = MoneyError;

    fn try_from(amount: Amount) -> Result<SignedAmount, MoneyError> {
        SignedAmount::zero(amount.precision()).checked_add(amount)
    }
}

/// A leading `-` when negative, then every decimal place of the precision, like [`Amount`].
impl fmt::Display for SignedAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor < 0 {
            f.write_str("-")?;
        }
        fmt::Display::fmt(&Amount::from_minor(self.minor.unsigned_abs(), self.precision), f)
    }
}

impl fmt::Debug for SignedAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedAmount({self})")
    }
}

impl Serialize for SignedAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(places: u8) -> Precision {
        Precision::new(places).unwrap()
    }

    #[test]
    fn negative_balances_show_a_minus_sign() {
        assert_eq!(SignedAmount::from_minor(-150, p(2)).to_string(), "-1.50");
        assert_eq!(
            SignedAmount::from_minor(i128::MIN, p(0)).to_string(),
            i128::MIN.to_string()
        );
    }

    #[test]
    fn a_negative_balance_is_not_an_amount() {
        assert_eq!(
            SignedAmount::from_minor(-1, p(2)).to_amount(),
            Err(MoneyError::Underflow)
        );
        assert_eq!(
            SignedAmount::from_minor(5, p(2)).to_amount(),
            Ok(Amount::from_minor(5, p(2)))
        );
    }

    #[test]
    fn amounts_beyond_i128_overflow() {
        let huge = Amount::from_minor(u128::MAX, p(0));
        assert_eq!(SignedAmount::try_from(huge), Err(MoneyError::Overflow));
    }

    proptest! {
        #[test]
        fn credits_and_debits_cancel_out(moves in proptest::collection::vec(any::<u64>(), 0..50)) {
            let mut balance = SignedAmount::zero(p(8));
            for m in &moves {
                balance = balance.checked_sub(Amount::from_minor(u128::from(*m), p(8))).unwrap();
            }
            for m in &moves {
                balance = balance.checked_add(Amount::from_minor(u128::from(*m), p(8))).unwrap();
            }
            prop_assert_eq!(balance, SignedAmount::zero(p(8)));
        }
    }
}
