//! The one place a context's SQL differs by dialect: exact integer columns (amounts in minor units). They are TEXT
//! on SQLite (its NUMERIC keeps 15 significant digits) and NUMERIC(39,0) on PostgreSQL, and always cross the driver
//! as decimal text, so a parameter needs a cast on PostgreSQL and a column needs one when read. Everything else in
//! a statement can be the same text on both backends.

use crate::Backend;

/// An amount parameter: `$n` on SQLite, `CAST($n AS NUMERIC)` on PostgreSQL.
pub fn amount_param(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("${n}"),
        Backend::Postgres => format!("CAST(${n} AS NUMERIC)"),
    }
}

/// An amount column read as decimal text: `col` on SQLite, `col::text` on PostgreSQL (aliased back to `col`).
pub fn amount_column(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => column.to_owned(),
        Backend::Postgres => format!("{column}::text AS {column}"),
    }
}

/// Several amount columns, comma-separated, for a select list.
pub fn amount_columns(backend: Backend, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| amount_column(backend, c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `FOR UPDATE` where row locks exist. SQLite has none: its write transactions are `BEGIN IMMEDIATE`, which
/// already serialises every writer.
pub fn lock_rows(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

/// A stored amount back to minor units, exactly; `None` for anything but plain digits within `u128`, which only
/// a damaged row holds.
pub fn parse_amount(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u128>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_columns_render_per_dialect() {
        assert_eq!(amount_param(Backend::Sqlite, 3), "$3");
        assert_eq!(amount_param(Backend::Postgres, 3), "CAST($3 AS NUMERIC)");
        assert_eq!(amount_column(Backend::Sqlite, "amount"), "amount");
        assert_eq!(amount_column(Backend::Postgres, "amount"), "amount::text AS amount");
    }

    #[test]
    fn stored_amounts_parse_exactly_or_not_at_all() {
        assert_eq!(parse_amount(&u128::MAX.to_string()), Some(u128::MAX));
        assert_eq!(parse_amount("0"), Some(0));
        for bad in ["", "-1", "1.5", "1e3", " 1", "340282366920938463463374607431768211456"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }
}
