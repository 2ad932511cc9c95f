/// Why a piece of money text or arithmetic was refused. The messages are written for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be 2 to 10 upper-case letters, such as BTC")]
    BadAssetCode,
    #[error("precision {0} is more than the {max} decimal places supported", max = crate::Precision::MAX)]
    BadPrecision(u8),
    #[error("must be a decimal string of digits with an optional fraction, such as \"12.50\"")]
    Malformed,
    #[error("has more than the {0} decimal places this asset allows")]
    TooManyDecimals(u8),
    #[error("is larger than the largest amount supported")]
    TooLarge,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("amounts of different precisions cannot be combined")]
    PrecisionMismatch,
    #[error("the result would overflow")]
    Overflow,
    #[error("the result would be negative")]
    Underflow,
    #[error("a rate has at most 18 decimal places and 28 digits")]
    RateTooPrecise,
    #[error("the rate is outside what a rate can hold (28 digits, 18 decimal places)")]
    RateOutOfRange,
}
