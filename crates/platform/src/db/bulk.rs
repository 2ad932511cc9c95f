//! Multi-row statements: one `INSERT … VALUES (…), (…)` for many rows, so a batch of writes costs a few round trips
//! instead of one per row. Rows go in chunks of a few fixed sizes, which keeps the number of distinct statement texts (and
//! so the drivers' prepared-statement caches) small whatever the batch size.
//!
//! A write is described once, as [`Rows`] (a statement and its values), and run either through sqlx in a [`Tx`]
//! on either backend or on SQLite's direct writer connection ([`super::direct`]): the columns a table is written
//! with are named in one place whichever connection writes them.

use super::{Backend, DbError, Tx};
use crate::on_tx;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use uuid::Uuid;

/// Rows per statement, largest first. 64 rows of 16 columns stay far below both engines' parameter limits.
/// PostgreSQL gets smaller statements: the driver leaves Nagle's algorithm on, and a statement larger than one TLS
/// record (16 KiB) goes out in two writes, the second held back until the server's delayed acknowledgement of
/// the first (about 40 ms each time).
fn chunks(backend: Backend) -> &'static [usize] {
    match backend {
        Backend::Sqlite => &[64, 16, 4, 1],
        Backend::Postgres => &[16, 4, 1],
    }
}

/// One parameter of a row.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Uuid(Option<Uuid>),
    Text(Option<&'a str>),
    OwnedText(String),
    Time(Option<DateTime<Utc>>),
    Json(&'a serde_json::Value),
    Bool(bool),
    Int(i64),
    MaybeInt(Option<i64>),
}

/// How a column's parameter is written: as is, or as an exact amount, which crosses the driver as decimal text
/// and is cast to NUMERIC on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Plain,
    Amount,
}

/// A multi-row statement: `head` (up to and including `VALUES`), one parenthesised group per row, then `tail`
/// (an `ON CONFLICT` clause, say, or a closing `) AS v WHERE …` for an `UPDATE … FROM (VALUES …)`).
#[derive(Debug, Clone, Copy)]
pub struct Statement<'s> {
    pub head: &'s str,
    pub columns: &'s [Column],
    pub tail: &'s str,
}

impl Statement<'_> {
    fn render(&self, backend: Backend, rows: usize) -> String {
        let width = self.columns.len();
        let mut sql = String::with_capacity(self.head.len() + self.tail.len() + rows * width * 8);
        sql.push_str(self.head);
        let mut n = 0;
        for row in 0..rows {
            sql.push_str(if row == 0 { " (" } else { ", (" });
            for (i, column) in self.columns.iter().enumerate() {
                n += 1;
                if i > 0 {
                    sql.push_str(", ");
                }
                match column {
                    Column::Amount if backend == Backend::Postgres => sql.push_str(&format!("CAST(${n} AS NUMERIC)")),
                    _ => sql.push_str(&parameter(backend, n)),
                }
            }
            sql.push(')');
        }
        sql.push_str(self.tail);
        sql
    }

    /// The width of a row, once `values` is known to hold whole rows.
    fn check(&self, values: usize) -> Result<usize, DbError> {
        let width = self.columns.len();
        if width == 0 || !values.is_multiple_of(width) {
            return Err(DbError::Malformed(format!(
                "a multi-row statement got {values} values for rows of {width}"
            )));
        }
        Ok(width)
    }

    /// Runs the statement over `values`, row after row (`columns.len()` values each), in as few chunks as the
    /// chunk sizes allow. Returns the rows affected.
    pub async fn execute(&self, tx: &mut Tx, values: &[Value<'_>]) -> Result<u64, DbError> {
        let width = self.check(values.len())?;
        let backend = tx.backend();
        let mut rest = values;
        let mut affected = 0;
        while !rest.is_empty() {
            let rows = rows_in_next_chunk(backend, width, rest.len());
            let (chunk, tail) = rest.split_at(rows * width);
            rest = tail;
            let sql = self.render(backend, rows);
            affected += on_tx!(&mut *tx, conn => {
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for value in chunk {
                    query = match value {
                        Value::Uuid(v) => query.bind(*v),
                        Value::Text(v) => query.bind(*v),
                        Value::OwnedText(v) => query.bind(v.as_str()),
                        Value::Time(v) => query.bind(*v),
                        Value::Json(v) => query.bind(Json(*v)),
                        Value::Bool(v) => query.bind(*v),
                        Value::Int(v) => query.bind(*v),
                        Value::MaybeInt(v) => query.bind(*v),
                    };
                }
                query.execute(conn).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(affected)
    }
}

/// One write: a statement and the values of its rows, built once and run on whichever connection writes it.
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    pub statement: Statement<'static>,
    pub values: Vec<Value<'a>>,
    /// The rows are outbox events: the transaction that writes them wakes the relay when it commits.
    pub events: bool,
}

impl Rows<'_> {
    /// Runs the write inside `tx`.
    pub async fn execute(&self, tx: &mut Tx) -> Result<u64, DbError> {
        if self.events && !self.values.is_empty() {
            tx.note_events();
        }
        self.statement.execute(tx, &self.values).await
    }

    /// Runs the write on SQLite's direct writer connection, inside its open transaction, with the same chunks
    /// (and so the same few cached statements) as through sqlx.
    pub fn execute_direct(&self, connection: &rusqlite::Connection) -> Result<u64, DbError> {
        let width = self.statement.check(self.values.len())?;
        let mut rest = &self.values[..];
        let mut affected = 0;
        while !rest.is_empty() {
            let rows = rows_in_next_chunk(Backend::Sqlite, width, rest.len());
            let (chunk, tail) = rest.split_at(rows * width);
            rest = tail;
            let mut statement = connection.prepare_cached(&self.statement.render(Backend::Sqlite, rows))?;
            for (i, value) in chunk.iter().enumerate() {
                let at = i + 1;
                match value {
                    Value::Uuid(v) => statement.raw_bind_parameter(at, v)?,
                    Value::Text(v) => statement.raw_bind_parameter(at, v)?,
                    Value::OwnedText(v) => statement.raw_bind_parameter(at, v.as_str())?,
                    Value::Time(v) => statement.raw_bind_parameter(at, v.map(super::direct::time_text))?,
                    Value::Json(v) => statement.raw_bind_parameter(at, v.to_string())?,
                    Value::Bool(v) => statement.raw_bind_parameter(at, v)?,
                    Value::Int(v) => statement.raw_bind_parameter(at, v)?,
                    Value::MaybeInt(v) => statement.raw_bind_parameter(at, v)?,
                }
            }
            affected += statement.raw_execute()? as u64;
        }
        Ok(affected)
    }
}

/// Rows in the next chunk of a statement `width` columns wide with `left` values still to write.
fn rows_in_next_chunk(backend: Backend, width: usize, left: usize) -> usize {
    chunks(backend)
        .iter()
        .copied()
        .find(|size| size * width <= left)
        .unwrap_or(1)
}

/// Parameter `n` (from 1) of a statement. SQLite gets plain `?`s, bound in order: the driver looks a numbered
/// parameter up by name with a linear search, which made binding a many-row statement quadratic.
pub fn parameter(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    }
}

/// Parameters `start` to `start + count - 1`, comma-separated: the inside of an `IN (…)` list.
pub fn placeholders(backend: Backend, start: usize, count: usize) -> String {
    (start..start + count)
        .map(|n| parameter(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most values one `IN (…)` list carries.
pub const IN_LIST_MAX: usize = 256;

/// `values` (at most [`IN_LIST_MAX`]) padded by repeating the last one to the next of a few fixed lengths, which
/// changes nothing an `IN (…)` list matches but keeps the number of distinct statement texts small: every new text
/// is parsed and planned again, and a stream of them pushes the drivers' cached statements out.
pub fn padded_in_list<T: Copy>(values: &[T]) -> Vec<T> {
    let length = [1, 4, 16, 64, IN_LIST_MAX]
        .into_iter()
        .find(|length| *length >= values.len())
        .unwrap_or(values.len());
    let mut padded = values.to_vec();
    if let Some(last) = values.last() {
        padded.resize(length, *last);
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_render_numbered_parameters_with_amount_casts_on_postgres() {
        let statement = Statement {
            head: "INSERT INTO t (a, b) VALUES",
            columns: &[Column::Plain, Column::Amount],
            tail: " ON CONFLICT DO NOTHING",
        };
        assert_eq!(
            statement.render(Backend::Sqlite, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            statement.render(Backend::Postgres, 1),
            "INSERT INTO t (a, b) VALUES ($1, CAST($2 AS NUMERIC)) ON CONFLICT DO NOTHING"
        );
        assert_eq!(placeholders(Backend::Postgres, 3, 3), "$3, $4, $5");
        assert_eq!(placeholders(Backend::Sqlite, 3, 3), "?, ?, ?");
    }

    #[test]
    fn in_lists_are_padded_with_their_last_value_to_a_few_lengths() {
        assert_eq!(padded_in_list::<u8>(&[]), Vec::<u8>::new());
        assert_eq!(padded_in_list(&[7]), vec![7]);
        assert_eq!(padded_in_list(&[1, 2]), vec![1, 2, 2, 2]);
        assert_eq!(padded_in_list(&[0; 17]).len(), 64);
        assert_eq!(padded_in_list(&[0; 256]).len(), 256);
    }
}
