//! Provider numbers to exact values. A provider's JSON number arrives as its text (serde_json's `RawValue`),
//! never through `f64`, and is read here digit by digit.
//!
//! **Bringing a provider value into range.** A [`Rate`] holds at most 18 decimal places and 28 digits. A
//! provider value with more is rounded **half-even** to the finest places the rule allows: 18, or fewer when the
//! integer part is long (28 digits in all), exactly as [`Rate::invert`] and [`Rate::cross`] round. A value that
//! rounds to zero, or whose integer part alone exceeds 28 digits, is refused, like zero, a negative value and
//! anything that is not a JSON number.

use money::Rate;
use rust_decimal::Decimal;

/// The digits rule of [`Rate`].
const MAX_PLACES: i64 = Rate::MAX_PLACES as i64;
const MAX_DIGITS: i64 = Rate::MAX_DIGITS as i64;
/// Places a 24 h change (percent) keeps.
const CHANGE_PLACES: i64 = 8;

/// A JSON number as `±digits · 10^exponent`, `digits` without leading zeros (empty for zero).
#[derive(Debug, PartialEq, Eq)]
struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || (whole.len() > 1 && whole.starts_with('0')) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let mut exponent_value = match exponent {
        None => 0,
        Some(exponent) => {
            let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            // A bounded exponent keeps every shift below cheap; beyond it no value is a sane rate anyway.
            if !all_digits(unsigned) || unsigned.len() > 6 {
                return None;
            }
            let value: i64 = unsigned.parse().ok()?;
            if exponent.starts_with('-') { -value } else { value }
        }
    };
    let fraction = fraction.unwrap_or("");
    exponent_value -= i64::try_from(fraction.len()).ok()?;
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .skip_while(|&d| d == 0)
        .collect();
    Some(Number {
        negative,
        digits,
        exponent: exponent_value,
    })
}

impl Number {
    fn strip_trailing_zeros(&mut self) {
        while self.digits.last() == Some(&0) {
            self.digits.pop();
            self.exponent += 1;
        }
    }

    /// Digits before the point (zero or negative when the value is below 1).
    fn integer_digits(&self) -> i64 {
        self.digits.len() as i64 + self.exponent
    }

    /// Rounds half-even to at most `places` decimal places.
    fn round_to(&mut self, places: i64) {
        if -self.exponent <= places {
            return;
        }
        let drop = -self.exponent - places;
        let keep = self.digits.len() as i64 - drop;
        self.exponent = -places;
        if keep < 0 {
            self.digits.clear();
            return;
        }
        let keep = keep as usize;
        let (kept, dropped) = self.digits.split_at(keep);
        let mut kept = kept.to_vec();
        let first = dropped.first().copied().unwrap_or(0);
        let rest_nonzero = dropped.iter().skip(1).any(|&d| d != 0);
        let last_odd = kept.last().is_some_and(|d| d % 2 == 1);
        let up = first > 5 || (first == 5 && (rest_nonzero || last_odd));
        if up {
            let mut carry = true;
            for digit in kept.iter_mut().rev() {
                if *digit == 9 {
                    *digit = 0;
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                kept.insert(0, 1);
            }
        }
        self.digits = kept;
        // A carry through the last kept digits leaves zeros behind it.
        self.strip_trailing_zeros();
    }

    fn to_text(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_owned();
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.negative { "-" } else { "" };
        if self.exponent >= 0 {
            return format!("{sign}{digits}{}", "0".repeat(self.exponent as usize));
        }
        let places = (-self.exponent) as usize;
        if digits.len() > places {
            let (whole, fraction) = digits.split_at(digits.len() - places);
            format!("{sign}{whole}.{fraction}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(places - digits.len()))
        }
    }
}

/// A provider's rate from its JSON number text, rounded into the [`Rate`] budget as the module says.
pub fn rate_from_provider(text: &str) -> Result<Rate, String> {
    let mut number = parse_number(text).ok_or_else(|| format!("{text:?} is not a number"))?;
    number.strip_trailing_zeros();
    if number.digits.is_empty() {
        return Err("the rate is zero".to_owned());
    }
    if number.negative {
        return Err(format!("the rate {text} is negative"));
    }
    let too_large = || format!("the rate {text} is beyond the largest rate");
    if number.integer_digits() > MAX_DIGITS {
        return Err(too_large());
    }
    number.round_to(MAX_PLACES.min(MAX_DIGITS - number.integer_digits().max(0)));
    if number.digits.is_empty() {
        return Err(format!("the rate {text} rounds to zero"));
    }
    if number.integer_digits() > MAX_DIGITS {
        return Err(too_large());
    }
    Rate::parse(&number.to_text()).map_err(|e| format!("the rate {text} is out of range: {e}"))
}

/// A 24 h change in percent from its JSON number text, rounded half-even to 8 places.
pub fn change_from_provider(text: &str) -> Result<Decimal, String> {
    let mut number = parse_number(text).ok_or_else(|| format!("{text:?} is not a number"))?;
    number.strip_trailing_zeros();
    // A change of a billion percent or more is no market move; refusing it keeps the value in range.
    if number.integer_digits() > 9 {
        return Err(format!("the 24 h change {text} is out of range"));
    }
    number.round_to(CHANGE_PLACES);
    Decimal::from_str_exact(&number.to_text()).map_err(|e| format!("the 24 h change {text}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> String {
        rate_from_provider(text)
            .map(|r| r.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn plain_provider_numbers_are_read_exactly() {
        assert_eq!(rate("61234.56789"), "61234.56789");
        assert_eq!(rate("1"), "1");
        assert_eq!(rate("1.0842000"), "1.0842");
        assert_eq!(rate("0.000000000000000001"), "0.000000000000000001");
        // The float nearest 0.1 is 0.1000000000000000055…; the text is what counts.
        assert_eq!(rate("0.1"), "0.1");
    }

    #[test]
    fn exponent_notation_is_read_exactly() {
        assert_eq!(rate("6.1e-05"), "0.000061");
        assert_eq!(rate("6.1E-05"), "0.000061");
        assert_eq!(rate("1.5e3"), "1500");
        assert_eq!(rate("1.5e+3"), "1500");
        assert_eq!(rate("12345e-2"), "123.45");
    }

    #[test]
    fn over_long_values_round_half_even_into_the_rate_budget() {
        // 19 places: the 19th digit decides, ties go to the even neighbour.
        assert_eq!(rate("0.0000000000000000015"), "0.000000000000000002");
        assert_eq!(rate("0.0000000000000000025"), "0.000000000000000002");
        assert_eq!(rate("0.00000000000000000251"), "0.000000000000000003");
        assert_eq!(rate("1.1234567890123456784"), "1.123456789012345678");
        assert_eq!(rate("1.1234567890123456785"), "1.123456789012345678");
        assert_eq!(rate("1.1234567890123456795"), "1.12345678901234568");
        // A long integer part leaves fewer places: 20 integer digits keep 8.
        assert_eq!(rate("12345678901234567890.123456785"), "12345678901234567890.12345678");
        assert_eq!(rate("12345678901234567890.123456795"), "12345678901234567890.1234568");
        // Carry through every digit.
        assert_eq!(rate("9.9999999999999999999"), "10");
        assert_eq!(rate("6.1e-25"), "error: the rate 6.1e-25 rounds to zero");
    }

    #[test]
    fn absurd_values_are_refused() {
        for text in [
            "0",
            "0.000",
            "-1",
            "-0.5",
            "1e29",
            "12345678901234567890123456789",
            "\"1\"",
            "null",
            "abc",
            "1.",
            ".5",
            "01",
            "1e",
            "1e1234567",
            "NaN",
            "",
        ] {
            assert!(rate_from_provider(text).is_err(), "{text} was accepted");
        }
        assert_eq!(rate("9999999999999999999999999999"), "9999999999999999999999999999");
        assert!(rate_from_provider("9999999999999999999999999999.5").is_err());
    }

    #[test]
    fn changes_keep_their_sign_and_round_to_eight_places() {
        assert_eq!(
            change_from_provider("-1.23456789012").unwrap().to_string(),
            "-1.23456789"
        );
        assert_eq!(change_from_provider("2.5").unwrap().to_string(), "2.5");
        assert_eq!(change_from_provider("1.2e-9").unwrap().to_string(), "0");
        assert!(change_from_provider("1e12").is_err());
        assert!(change_from_provider("true").is_err());
    }
}
