//! Activities in and out as CSV.
//!
//! The import reads a header row, then one activity per record. Columns, in any order: `time`, `type`,
//! `asset`, `amount` (required), `price`, `price_currency`, `fee`, `note` (optional, empty means absent), and
//! `record`, `id`, `label`, `source` (what the export writes: a record whose `record` is `holding` is skipped,
//! and `id`, `label`, `source` are ignored, so an export imports back as its activities). Every record is
//! checked; if any field of any record is refused, nothing is imported and the error lists each refused field
//! with its record number (the header is record 1). At most `portfolio.import_max_rows` records; the body is
//! bounded by `server.body_limit_bytes`.
//!
//! The export writes the header `record,id,time,type,asset,amount,price,price_currency,fee,note,label,source`,
//! the holdings (`record` = `holding`, with their `label` and `source`, `manual` or `bourse`, and the time of
//! their last change), then the activities (`record` = `activity`), amounts at their asset's precision.

use crate::activity::Activity;
use crate::csv;
use crate::error::{PortfolioError, RowError};
use crate::input::{self, NewActivity};
use crate::service::Portfolio;
use chrono::SecondsFormat;
use money::DecimalString;
use std::collections::BTreeMap;
use uuid::Uuid;

const REQUIRED: [&str; 4] = ["time", "type", "asset", "amount"];
const OPTIONAL: [&str; 8] = [
    "price",
    "price_currency",
    "fee",
    "note",
    "record",
    "id",
    "label",
    "source",
];
pub const EXPORT_HEADER: [&str; 12] = [
    "record",
    "id",
    "time",
    "type",
    "asset",
    "amount",
    "price",
    "price_currency",
    "fee",
    "note",
    "label",
    "source",
];

fn row_error(row: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl Portfolio {
    /// Imports every activity of `text` or none; the activities imported.
    pub async fn import(&self, user: Uuid, text: &str) -> Result<Vec<Activity>, PortfolioError> {
        // Spreadsheets often start a UTF-8 file with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let records = csv::read(text)
            .map_err(|(row, reason)| PortfolioError::InvalidRows(vec![row_error(row, "row", reason)]))?;
        let mut records = records.into_iter();
        let Some((_, header)) = records.next() else {
            return Err(PortfolioError::Invalid {
                field: "csv",
                reason: "is empty; send a header row and one row per activity".to_owned(),
            });
        };
        let columns = columns(&header)?;
        let records: Vec<(usize, Vec<String>)> = records.collect();
        let max = self.config.import_max_rows as usize;
        if records.len() > max {
            return Err(PortfolioError::Invalid {
                field: "csv",
                reason: format!("has {} rows; at most {max} are imported at once", records.len()),
            });
        }
        let precisions = self.precisions().await?;
        let now = self.now();
        let (mut activities, mut rows, mut errors) = (Vec::new(), BTreeMap::new(), Vec::new());
        for (row, fields) in records {
            if fields.len() != header.len() {
                errors.push(row_error(
                    row,
                    "row",
                    format!("has {} fields where the header has {}", fields.len(), header.len()),
                ));
                continue;
            }
            let get = |name: &str| columns.get(name).map(|&i| fields[i].clone());
            match get("record").as_deref() {
                None | Some("") | Some("activity") => {}
                Some("holding") => continue,
                Some(_) => {
                    errors.push(row_error(row, "record", "must be activity or holding"));
                    continue;
                }
            }
            let optional = |name: &str| get(name).filter(|v| !v.is_empty());
            let raw = NewActivity {
                time: get("time").unwrap_or_default(),
                kind: get("type").unwrap_or_default(),
                asset: get("asset").unwrap_or_default(),
                amount: get("amount").unwrap_or_default(),
                price: optional("price"),
                price_currency: optional("price_currency"),
                fee: optional("fee"),
                note: optional("note").map(csv::from_sheet_text),
            };
            match input::activity(&raw, &precisions, Uuid::now_v7(), now) {
                Ok(activity) => {
                    rows.insert(activity.id, row);
                    activities.push(activity);
                }
                Err(fields) => errors.extend(fields.into_iter().map(|(field, reason)| row_error(row, field, reason))),
            }
        }
        if !errors.is_empty() {
            return Err(PortfolioError::InvalidRows(errors));
        }
        if activities.is_empty() {
            return Err(PortfolioError::Invalid {
                field: "csv",
                reason: "has no activity rows".to_owned(),
            });
        }
        self.record(user, activities.clone(), |id| rows.get(&id).copied())
            .await?;
        Ok(activities)
    }

    /// `user`'s holdings (tracked and Bourse wallets) and activities as CSV.
    pub async fn export(&self, user: Uuid) -> Result<String, PortfolioError> {
        let mut out = String::new();
        csv::write_record(&mut out, &EXPORT_HEADER);
        let tracked = self.holdings(user).await?;
        let updated: BTreeMap<Uuid, String> = tracked
            .iter()
            .map(|h| (h.id, h.updated_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
            .collect();
        for line in self.lines(user).await? {
            let id = line.id.map(|i| i.to_string()).unwrap_or_default();
            let time = line.id.and_then(|i| updated.get(&i).cloned()).unwrap_or_default();
            let amount = DecimalString::from_scaled(line.amount, line.precision.get());
            let fields = [
                "holding",
                &id,
                &time,
                "",
                line.asset.as_str(),
                amount.as_str(),
                "",
                "",
                "",
                "",
                &csv::sheet_text(line.label.as_deref().unwrap_or("")),
                line.source.as_str(),
            ];
            csv::write_record(&mut out, &fields);
        }
        for a in crate::store::activities(&self.db, user).await? {
            let amount = DecimalString::from_scaled(a.amount.minor(), a.amount.precision().get());
            let fee = a
                .fee
                .map(|f| {
                    DecimalString::from_scaled(f.minor(), f.precision().get())
                        .as_str()
                        .to_owned()
                })
                .unwrap_or_default();
            let fields = [
                "activity".to_owned(),
                a.id.to_string(),
                a.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                a.kind.as_str().to_owned(),
                a.asset.to_string(),
                amount.as_str().to_owned(),
                a.price.map(|p| p.price.to_string()).unwrap_or_default(),
                a.price.map(|p| p.currency.code.to_string()).unwrap_or_default(),
                fee,
                csv::sheet_text(a.note.as_deref().unwrap_or_default()),
                String::new(),
                String::new(),
            ];
            csv::write_record(&mut out, &fields);
        }
        Ok(out)
    }
}

/// Column name to index, from the header; an unknown, repeated or missing column refuses the whole file.
fn columns(header: &[String]) -> Result<BTreeMap<String, usize>, PortfolioError> {
    let mut columns = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            errors.push(row_error(1, "header", format!("unknown column {name:?}")));
        } else if columns.insert(name.clone(), i).is_some() {
            errors.push(row_error(1, "header", format!("column {name:?} appears twice")));
        }
    }
    for required in REQUIRED {
        if !columns.contains_key(required) {
            errors.push(row_error(1, "header", format!("the column {required:?} is missing")));
        }
    }
    match errors.is_empty() {
        true => Ok(columns),
        false => Err(PortfolioError::InvalidRows(errors)),
    }
}
