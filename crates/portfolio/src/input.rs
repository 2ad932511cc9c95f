//! What a client sends, checked against the asset catalogue: asset codes it lists, amounts at their precision,
//! prices as exact rates, RFC 3339 times, short notes. One checker for the JSON routes and every CSV record, so a
//! field is refused for the same reason whichever way it came.

use crate::activity::{Activity, ActivityKind, Currency, Priced};
use chrono::{DateTime, Timelike, Utc};
use ledger::largest_amount;
use money::{Amount, AssetCode, MoneyError, Precision, Rate};
use platform::text::has_hidden_characters;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The catalogue's assets and their precisions.
pub type Precisions = BTreeMap<AssetCode, Precision>;

/// Longest note of an activity and label of a holding, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
pub const MAX_LABEL_CHARS: usize = 64;

/// An activity as sent, each field as text; an empty optional field is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewActivity {
    pub time: String,
    pub kind: String,
    pub asset: String,
    pub amount: String,
    pub price: Option<String>,
    pub price_currency: Option<String>,
    pub fee: Option<String>,
    pub note: Option<String>,
}

/// A refused field and why.
pub type FieldError = (&'static str, String);

fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|t| !t.is_empty())
}

/// A listed asset's code and precision, else why not.
pub fn asset(text: &str, precisions: &Precisions) -> Result<(AssetCode, Precision), String> {
    let code = AssetCode::parse(text).map_err(|_| "must be 2 to 10 upper-case letters, such as BTC".to_owned())?;
    match precisions.get(&code) {
        Some(&precision) => Ok((code, precision)),
        None => Err(format!("{code} is not a listed asset")),
    }
}

/// An amount at `precision` within what the ledger can hold; zero allowed only when `allow_zero`.
pub fn amount(text: &str, code: &AssetCode, precision: Precision, allow_zero: bool) -> Result<Amount, String> {
    let parsed = match allow_zero {
        true => Amount::parse(text, precision),
        false => Amount::parse_positive(text, precision),
    };
    let amount = parsed.map_err(|e| match e {
        MoneyError::TooManyDecimals(places) => format!("has more than the {places} decimal places {code} allows"),
        other => other.to_string(),
    })?;
    if amount.minor() > largest_amount(precision) {
        return Err("is larger than the largest amount supported".to_owned());
    }
    Ok(amount)
}

/// Optional free text of at most `max` characters without hidden characters.
pub fn short_text(text: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(text) = text else { return Ok(None) };
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if has_hidden_characters(text) {
        return Err("must not contain control, bidirectional-override or zero-width characters".to_owned());
    }
    Ok(Some(text.to_owned()))
}

/// `time` cut to whole microseconds: what PostgreSQL stores. The order of activities is checked on the times as
/// they will be stored, so that reading them back cannot order a sale before the purchase it was checked after.
fn to_microseconds(time: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = time.timestamp_subsec_nanos();
    time.with_nanosecond(nanos - nanos % 1_000).unwrap_or(time)
}

/// `raw` checked into an activity with id `id`, or every field refused. Times after `now` are refused: a cost
/// basis is a record of what happened.
pub fn activity(
    raw: &NewActivity,
    precisions: &Precisions,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Activity, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let time = match DateTime::parse_from_rfc3339(raw.time.trim()).map(|t| to_microseconds(t.with_timezone(&Utc))) {
        Ok(t) if t <= now => Some(t),
        Ok(_) => {
            errors.push(("time", "must not be in the future".to_owned()));
            None
        }
        Err(_) => {
            errors.push((
                "time",
                "must be an RFC 3339 time such as 2026-01-31T12:00:00Z".to_owned(),
            ));
            None
        }
    };
    let kind = ActivityKind::parse(&raw.kind);
    if kind.is_none() {
        errors.push((
            "type",
            "must be one of buy, sell, transfer_in, transfer_out, fee".to_owned(),
        ));
    }
    let asset = asset(&raw.asset, precisions)
        .map_err(|e| errors.push(("asset", e)))
        .ok();
    let quantity = asset.as_ref().and_then(|(code, p)| {
        amount(&raw.amount, code, *p, false)
            .map_err(|e| errors.push(("amount", e)))
            .ok()
    });
    let currency = present(&raw.price_currency).and_then(|text| match self::asset(text, precisions) {
        Ok((code, precision)) => Some(Currency { code, precision }),
        Err(e) => {
            errors.push(("price_currency", e));
            None
        }
    });
    let rate = present(&raw.price).and_then(|text| {
        Rate::parse(text)
            .map_err(|e| errors.push(("price", format!("must be a positive decimal string: {e}"))))
            .ok()
    });
    if let Some(kind) = kind {
        if kind.needs_price() && present(&raw.price).is_none() {
            errors.push(("price", format!("a {} needs a price", kind.as_str())));
        }
        if !kind.takes_fee() && present(&raw.fee).is_some() {
            errors.push(("fee", "only a buy or a sell has a fee in the price currency".to_owned()));
        }
    }
    let needs_currency = present(&raw.price).is_some() || present(&raw.fee).is_some();
    if needs_currency && present(&raw.price_currency).is_none() {
        errors.push(("price_currency", "a price or a fee needs its currency".to_owned()));
    }
    let fee = match (present(&raw.fee), currency) {
        (Some(text), Some(c)) => amount(text, &c.code, c.precision, true)
            .map_err(|e| errors.push(("fee", e)))
            .ok(),
        _ => None,
    };
    let note = short_text(present(&raw.note), MAX_NOTE_CHARS)
        .map_err(|e| errors.push(("note", e)))
        .ok()
        .flatten();
    match (time, kind, asset, quantity) {
        (Some(time), Some(kind), Some((asset, _)), Some(amount)) if errors.is_empty() => Ok(Activity {
            id,
            kind,
            asset,
            amount,
            price: rate.zip(currency).map(|(price, currency)| Priced { price, currency }),
            fee: fee.filter(|f| !f.is_zero()),
            time,
            note,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn precisions() -> Precisions {
        [("BTC", 8), ("USD", 2), ("EUR", 2)]
            .into_iter()
            .map(|(c, p)| (AssetCode::parse(c).unwrap(), Precision::new(p).unwrap()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn raw(kind: &str, amount: &str, price: Option<&str>) -> NewActivity {
        NewActivity {
            time: "2026-01-02T03:04:05Z".into(),
            kind: kind.into(),
            asset: "BTC".into(),
            amount: amount.into(),
            price: price.map(Into::into),
            price_currency: price.map(|_| "USD".into()),
            fee: None,
            note: None,
        }
    }

    fn fields(raw: &NewActivity) -> Vec<&'static str> {
        activity(raw, &precisions(), Uuid::nil(), now())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_valid_buy_is_checked_into_exact_values() {
        let mut buy = raw("buy", "0.5", Some("30000.5"));
        buy.fee = Some("1.25".into());
        let a = activity(&buy, &precisions(), Uuid::nil(), now()).unwrap();
        assert_eq!(a.amount.minor(), 50_000_000);
        assert_eq!(a.fee.map(|f| f.minor()), Some(125));
        assert_eq!(a.price.map(|p| p.price.to_string()), Some("30000.5".into()));
    }

    #[test]
    fn times_are_kept_to_the_microsecond_as_they_are_stored() {
        let mut buy = raw("buy", "1", Some("1"));
        buy.time = "2026-01-01T12:00:00.1234567Z".into();
        let a = activity(&buy, &precisions(), Uuid::nil(), now()).unwrap();
        assert_eq!(a.time.to_rfc3339(), "2026-01-01T12:00:00.123456+00:00");
    }

    #[test]
    fn every_bad_field_of_an_activity_is_reported() {
        assert_eq!(fields(&raw("buy", "0.123456789", Some("1"))), vec!["amount"]);
        assert_eq!(fields(&raw("sell", "1", None)), vec!["price"]);
        assert_eq!(fields(&raw("swap", "-1", Some("0"))), vec!["type", "amount", "price"]);
        let mut unknown = raw("buy", "1", Some("1"));
        unknown.asset = "XYZ".into();
        unknown.price_currency = Some("usd".into());
        unknown.time = "yesterday".into();
        assert_eq!(fields(&unknown), vec!["time", "asset", "price_currency"]);
        let mut future = raw("transfer_out", "1", None);
        future.time = "2027-01-01T00:00:00Z".into();
        future.fee = Some("1".into());
        assert_eq!(fields(&future), vec!["time", "fee", "price_currency"]);
        let mut note = raw("transfer_in", "1", None);
        note.note = Some("a\u{202e}b".into());
        assert_eq!(fields(&note), vec!["note"]);
    }
}
