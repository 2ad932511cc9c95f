//! The audit log: an append-only record of every authentication event, every staff and admin action and every
//! money movement, written in the same transaction as the action. Nothing updates or deletes a record.

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
