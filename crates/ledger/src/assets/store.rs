//! The catalogue's SQL, written once for both backends.

use super::{Asset, AssetFilter, AssetKind};
use crate::LedgerError;
use money::{AssetCode, Precision};
use platform::{Db, on_db};

#[derive(sqlx::FromRow)]
struct AssetRow {
    code: String,
    name: String,
    kind: String,
    precision: i32,
    enabled: bool,
}

impl TryFrom<AssetRow> for Asset {
    type Error = LedgerError;

    fn try_from(row: AssetRow) -> Result<Self, LedgerError> {
        let corrupt = |what: &str| LedgerError::Corrupt(format!("asset {:?}: {what}", row.code));
        Ok(Asset {
            code: AssetCode::parse(&row.code).map_err(|_| corrupt("bad code"))?,
            kind: AssetKind::parse(&row.kind).ok_or_else(|| corrupt("bad kind"))?,
            precision: u8::try_from(row.precision)
                .ok()
                .and_then(|p| Precision::new(p).ok())
                .ok_or_else(|| corrupt("bad precision"))?,
            name: row.name,
            enabled: row.enabled,
        })
    }
}

pub(super) async fn list(db: &Db, filter: &AssetFilter, limit: i64) -> Result<Vec<Asset>, LedgerError> {
    let kind = filter.kind.map(AssetKind::as_str);
    let after = filter.after.as_ref().map(|c| c.as_str().to_owned());
    let rows: Vec<AssetRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT code, name, kind, precision, enabled FROM assets \
         WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR enabled = $2) AND ($3 IS NULL OR code > $3) \
         ORDER BY code LIMIT $4"
    ).bind(kind).bind(filter.enabled).bind(after).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(Asset::try_from).collect()
}

pub(super) async fn get(db: &Db, code: &AssetCode) -> Result<Option<Asset>, LedgerError> {
    let row: Option<AssetRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT code, name, kind, precision, enabled FROM assets WHERE code = $1"
    ).bind(code.as_str()).fetch_optional(pool).await)?;
    row.map(Asset::try_from).transpose()
}

/// The assets among `codes` that exist, read inside `tx` so a movement sees the catalogue as of its own
/// transaction.
pub(crate) async fn many(tx: &mut platform::Tx, codes: &[AssetCode]) -> Result<Vec<Asset>, LedgerError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT code, name, kind, precision, enabled FROM assets WHERE code IN ({})",
        platform::db::bulk::placeholders(tx.backend(), 1, codes.len())
    ));
    let rows: Vec<AssetRow> = platform::on_tx!(tx, conn => {
        let mut query = sqlx::query_as(sql);
        for code in codes {
            query = query.bind(code.as_str());
        }
        query.fetch_all(conn).await
    })?;
    rows.into_iter().map(Asset::try_from).collect()
}

/// [`many`] on SQLite's direct writer connection, inside its open transaction.
pub(crate) fn many_direct(connection: &rusqlite::Connection, codes: &[AssetCode]) -> Result<Vec<Asset>, LedgerError> {
    let mut select =
        connection.prepare_cached("SELECT code, name, kind, precision, enabled FROM assets WHERE code = ?")?;
    let mut assets = Vec::with_capacity(codes.len());
    for code in codes {
        let row = select.query_row([code.as_str()], |r| {
            Ok(AssetRow {
                code: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                precision: r.get(3)?,
                enabled: r.get(4)?,
            })
        });
        match row {
            Ok(row) => assets.push(Asset::try_from(row)?),
            Err(rusqlite::Error::QueryReturnedNoRows) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(assets)
}
