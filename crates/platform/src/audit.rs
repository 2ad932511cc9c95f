//! The audit log: an append-only record of every authentication event, every staff and admin action and every
//! money movement, written in the same transaction as the action. Nothing updates or deletes a record.

use crate::context::RequestContext;
use crate::db::bulk::{Column, Rows, Statement, Value};
use crate::db::{DbError, Tx};
use crate::on_tx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Who did what to what, from where, with which result.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub actor: Option<Uuid>,
    pub action: &'a str,
    pub target: Option<String>,
    pub ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub outcome: Outcome,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl<'a> AuditRecord<'a> {
    /// A successful `action` by the caller of `context`, with no target and no details; the builder methods
    /// below add what the action needs. Every audit record is made here, so each names its caller the same way.
    pub fn of(context: &'a RequestContext, action: &'a str, at: DateTime<Utc>) -> AuditRecord<'a> {
        AuditRecord {
            actor: context.actor,
            action,
            target: None,
            ip: context.ip.as_deref(),
            request_id: context.request_id.as_deref(),
            outcome: Outcome::Success,
            details: serde_json::Value::Object(serde_json::Map::new()),
            at,
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}

pub async fn record(tx: &mut Tx, record: &AuditRecord<'_>) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, target, ip, request_id, outcome, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(record.at)
    .bind(record.actor)
    .bind(record.action)
    .bind(record.target.as_deref())
    .bind(record.ip)
    .bind(record.request_id)
    .bind(record.outcome.as_str())
    .bind(Json(&record.details))
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The audit rows of `records`, in order: what [`record_many`] writes, for a writer on another connection.
pub fn rows<'a>(records: &'a [AuditRecord<'_>]) -> Rows<'a> {
    let values = records
        .iter()
        .flat_map(|r| {
            [
                Value::Time(Some(r.at)),
                Value::Uuid(r.actor),
                Value::Text(Some(r.action)),
                Value::Text(r.target.as_deref()),
                Value::Text(r.ip),
                Value::Text(r.request_id),
                Value::Text(Some(r.outcome.as_str())),
                Value::Json(&r.details),
            ]
        })
        .collect();
    Rows {
        statement: Statement {
            head: "INSERT INTO audit_log (at, actor_id, action, target, ip, request_id, outcome, details) VALUES",
            columns: &[Column::Plain; 8],
            tail: "",
        },
        values,
        events: false,
    }
}

/// Records every entry of `records`, in order, in a few multi-row statements.
pub async fn record_many(tx: &mut Tx, records: &[AuditRecord<'_>]) -> Result<(), DbError> {
    rows(records).execute(tx).await?;
    Ok(())
}

/// Which records a listing returns, newest first; `before` is the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
    pub details: Json<serde_json::Value>,
}

pub async fn list(db: &crate::Db, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    Ok(crate::on_db!(db, pool => sqlx::query_as(
        "SELECT id, at, actor_id, action, target, ip, request_id, outcome, details FROM audit_log \
         WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR target = $3) \
         AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) AND ($6 IS NULL OR id < $6) \
         ORDER BY id DESC LIMIT $7"
    )
    .bind(filter.actor)
    .bind(filter.action.as_deref())
    .bind(filter.target.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}
