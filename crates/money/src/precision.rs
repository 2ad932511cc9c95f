use crate::MoneyError;

/// How many decimal places an asset's amounts have: the number of minor units in one whole unit is `10^places`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Precision(u8);

impl Precision {
    /// 18 places (ETH, BNB) is the most any asset needs; 10^18 minor units per unit still leaves twenty integer
    /// digits of headroom in a `u128`.
    pub const MAX: u8 = 18;

    pub fn new(places: u8) -> Result<Precision, MoneyError> {
        if places > Self::MAX {
            return Err(MoneyError::BadPrecision(places));
        }
        Ok(Precision(places))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Minor units in one whole unit.
    pub fn scale(self) -> u128 {
        10u128.pow(u32::from(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_above_eighteen_is_refused() {
        assert_eq!(Precision::new(19), Err(MoneyError::BadPrecision(19)));
        assert_eq!(Precision::new(18).map(Precision::scale), Ok(1_000_000_000_000_000_000));
        assert_eq!(Precision::new(0).map(Precision::scale), Ok(1));
    }
}
