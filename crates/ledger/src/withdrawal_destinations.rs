//! The withdrawal allow-list: saved destinations a user may withdraw to, and the per-user mode that makes them the
//! only ones allowed.
//!
//! Both defences are about a stolen session: a newly saved destination is usable only after a cool-down
//! (`usable_from`), and switching the mode off is only scheduled — it takes effect after the same cool-down and
//! the mode stays on until then — while switching it on, or cancelling a scheduled switch-off, is immediate.
//! Destinations are matched by a keyed fingerprint the caller computes, so nothing is decrypted to compare them.

mod store;

use crate::withdrawals::Destination;
use crate::{Ledger, LedgerError, Movement};
use chrono::{DateTime, Duration, Utc};
use money::AssetCode;
use platform::Tx;
use platform::audit::{self, AuditRecord, Outcome};
use platform::outbox;
use serde_json::json;
use uuid::Uuid;

/// Most saved destinations one user may keep; far more than real use, few enough to list on one screen.
pub const MAX_DESTINATIONS: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedDestination {
    pub id: Uuid,
    pub user: Uuid,
    pub asset: AssetCode,
    pub destination: Destination,
    /// Keyed HMAC-SHA256 (hex) of the normalized destination.
    pub fingerprint: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    /// From when a withdrawal may use it.
    pub usable_from: DateTime<Utc>,
}

impl SavedDestination {
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.usable_from
    }
}

/// A destination to save, validated and sealed by the caller (the sealed data's associated data names `id`).
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub id: Uuid,
    pub user: Uuid,
    pub asset: AssetCode,
    pub destination: Destination,
    pub fingerprint: String,
    pub label: Option<String>,
}

/// The allow-list mode as it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowList {
    pub enabled: bool,
    /// When a requested switch-off takes effect; the mode is on until then.
    pub disable_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(crate) struct AllowListRow {
    enabled: bool,
    disable_at: Option<DateTime<Utc>>,
}

impl AllowList {
    const OFF: AllowList = AllowList {
        enabled: false,
        disable_at: None,
    };

    fn at(row: Option<AllowListRow>, now: DateTime<Utc>) -> AllowList {
        match row {
            Some(row) if row.enabled && row.disable_at.is_none_or(|at| now < at) => AllowList {
                enabled: true,
                disable_at: row.disable_at,
            },
            _ => AllowList::OFF,
        }
    }
}

/// Whether a withdrawal to a destination may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// The mode is off: any destination.
    NotRequired,
    /// The mode is on and this saved destination matches.
    Allowed(Uuid),
    /// The mode is on and no saved destination of the asset matches.
    NotSaved,
    /// The mode is on and the matching destination is still cooling down.
    CoolingDown { usable_from: DateTime<Utc> },
}

impl Screening {
    pub fn allows(&self) -> bool {
        matches!(self, Screening::NotRequired | Screening::Allowed(_))
    }
}

/// The withdrawal destination allow-list of each user. Built on the ledger's posting seam: its own rows and
/// the money move in one transaction.
#[derive(Clone)]
pub struct WithdrawalDestinations {
    ledger: Ledger,
}

impl WithdrawalDestinations {
    pub fn new(ledger: Ledger) -> WithdrawalDestinations {
        WithdrawalDestinations { ledger }
    }

    /// Saves a destination, usable from now + `cooldown`. Refused with `Conflict` when the user already saved it
    /// for this asset and `LimitExceeded` beyond [`MAX_DESTINATIONS`].
    pub async fn save_withdrawal_destination(
        &self,
        new: NewDestination,
        cooldown: Duration,
        movement: Movement<'_>,
    ) -> Result<SavedDestination, LedgerError> {
        self.ledger.movable_asset(&new.asset).await?;
        let mut tx = self.ledger.db().begin().await?;
        let now = self.ledger.now();
        let duplicate = || LedgerError::Conflict(format!("this destination is already saved for {}", new.asset));
        if store::exists(&mut tx, new.user, &new.asset, &new.fingerprint).await? {
            tx.rollback().await?;
            return Err(duplicate());
        }
        if store::count(&mut tx, new.user).await? >= MAX_DESTINATIONS {
            tx.rollback().await?;
            return Err(LedgerError::LimitExceeded(format!(
                "at most {MAX_DESTINATIONS} withdrawal destinations may be saved; delete one first"
            )));
        }
        let saved = SavedDestination {
            id: new.id,
            user: new.user,
            asset: new.asset,
            destination: new.destination.clone(),
            fingerprint: new.fingerprint.clone(),
            label: new.label.clone(),
            created_at: now,
            usable_from: now + cooldown,
        };
        if !store::insert(&mut tx, &saved).await? {
            tx.rollback().await?;
            return Err(duplicate());
        }
        let details = destination_details(&saved);
        record(
            &mut tx,
            movement,
            "withdrawal_destination.add",
            Some(saved.id),
            Outcome::Success,
            details.clone(),
            now,
        )
        .await?;
        outbox::enqueue(&mut tx, "withdrawal_destination.added", &details, now).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Up to `limit` of the user's saved destinations, newest first, older than `before`; and whether more follow.
    pub async fn withdrawal_destinations(
        &self,
        user: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<SavedDestination>, bool), LedgerError> {
        let mut items = store::list(self.ledger.db(), user, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    /// Deletes the user's saved destination `id`; `None` when there is none of that user's (another user's is not
    /// found either).
    pub async fn remove_withdrawal_destination(
        &self,
        user: Uuid,
        id: Uuid,
        movement: Movement<'_>,
    ) -> Result<Option<SavedDestination>, LedgerError> {
        let mut tx = self.ledger.db().begin().await?;
        let now = self.ledger.now();
        let Some(found) = store::lock_owned(&mut tx, user, id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        store::delete(&mut tx, id).await?;
        let details = destination_details(&found);
        record(
            &mut tx,
            movement,
            "withdrawal_destination.delete",
            Some(id),
            Outcome::Success,
            details.clone(),
            now,
        )
        .await?;
        outbox::enqueue(&mut tx, "withdrawal_destination.removed", &details, now).await?;
        tx.commit().await?;
        Ok(Some(found))
    }

    /// The user's allow-list mode now.
    pub async fn withdrawal_allow_list(&self, user: Uuid) -> Result<AllowList, LedgerError> {
        Ok(AllowList::at(
            store::mode(self.ledger.db(), user).await?,
            self.ledger.now(),
        ))
    }

    /// Switches the mode on at once (cancelling a scheduled switch-off), or schedules the switch-off for now +
    /// `cooldown`. A request that changes nothing (on when on, off when off or already scheduled) writes nothing.
    pub async fn set_withdrawal_allow_list(
        &self,
        user: Uuid,
        enabled: bool,
        cooldown: Duration,
        movement: Movement<'_>,
    ) -> Result<AllowList, LedgerError> {
        let mut tx = self.ledger.db().begin().await?;
        let now = self.ledger.now();
        let current = AllowList::at(store::lock_mode(&mut tx, user).await?, now);
        let (next, action) = match (enabled, current.enabled, current.disable_at) {
            (true, true, None) | (false, false, _) | (false, true, Some(_)) => {
                tx.rollback().await?;
                return Ok(current);
            }
            (true, _, _) => (
                AllowList {
                    enabled: true,
                    disable_at: None,
                },
                "withdrawal_allowlist.enable",
            ),
            (false, true, None) => (
                AllowList {
                    enabled: true,
                    disable_at: Some(now + cooldown),
                },
                "withdrawal_allowlist.disable",
            ),
        };
        store::put_mode(&mut tx, user, next.enabled, next.disable_at, now).await?;
        let details = json!({
            "user_id": user,
            "enabled": next.enabled,
            "disable_at": next.disable_at,
            "cancelled_disable_at": if enabled { current.disable_at } else { None },
        });
        record(
            &mut tx,
            movement,
            action,
            Some(user),
            Outcome::Success,
            details.clone(),
            now,
        )
        .await?;
        outbox::enqueue(&mut tx, "withdrawal_allowlist.changed", &details, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Whether the user may withdraw `asset` to the destination with `fingerprint` now. A refusal is audited
    /// (with the destination's masked form) and nothing else is written.
    pub async fn screen_withdrawal_destination(
        &self,
        user: Uuid,
        asset: &AssetCode,
        fingerprint: &str,
        masked: &str,
        movement: Movement<'_>,
    ) -> Result<Screening, LedgerError> {
        let now = self.ledger.now();
        if !AllowList::at(store::mode(self.ledger.db(), user).await?, now).enabled {
            return Ok(Screening::NotRequired);
        }
        let screening = match store::find(self.ledger.db(), user, asset, fingerprint).await? {
            Some(saved) if saved.usable_at(now) => return Ok(Screening::Allowed(saved.id)),
            Some(saved) => Screening::CoolingDown {
                usable_from: saved.usable_from,
            },
            None => Screening::NotSaved,
        };
        let (reason, usable_from) = match &screening {
            Screening::CoolingDown { usable_from } => ("destination_cooling_down", Some(*usable_from)),
            _ => ("destination_not_allowed", None),
        };
        let mut tx = self.ledger.db().begin().await?;
        let details = json!({
            "user_id": user,
            "asset": asset.as_str(),
            "destination": masked,
            "reason": reason,
            "usable_from": usable_from,
        });
        record(
            &mut tx,
            movement,
            "withdrawal.request",
            None,
            Outcome::Failure,
            details,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(screening)
    }
}

fn destination_details(d: &SavedDestination) -> serde_json::Value {
    json!({
        "destination_id": d.id,
        "user_id": d.user,
        "asset": d.asset.as_str(),
        "kind": d.destination.kind,
        "destination": d.destination.masked,
        "label": d.label,
        "usable_from": d.usable_from,
    })
}

async fn record(
    tx: &mut Tx,
    movement: Movement<'_>,
    action: &str,
    target: Option<Uuid>,
    outcome: Outcome,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), LedgerError> {
    audit::record(
        tx,
        &AuditRecord {
            actor: movement.actor,
            target: target.map(|t| t.to_string()),
            outcome,
            details,
            ..AuditRecord::of(movement.context, action, at)
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_scheduled_switch_off_keeps_the_mode_on_until_it_is_due() {
        let now = at("2026-11-25T10:00:00Z");
        let row = |enabled, disable_at| Some(AllowListRow { enabled, disable_at });
        assert_eq!(AllowList::at(None, now), AllowList::OFF);
        assert_eq!(AllowList::at(row(false, None), now), AllowList::OFF);
        assert_eq!(
            AllowList::at(row(true, None), now),
            AllowList {
                enabled: true,
                disable_at: None
            }
        );
        let due = at("2026-11-26T10:00:00Z");
        assert_eq!(
            AllowList::at(row(true, Some(due)), now),
            AllowList {
                enabled: true,
                disable_at: Some(due)
            }
        );
        assert_eq!(AllowList::at(row(true, Some(due)), due), AllowList::OFF);
    }

    #[test]
    fn only_the_off_mode_and_usable_matches_allow() {
        assert!(Screening::NotRequired.allows());
        assert!(Screening::Allowed(Uuid::nil()).allows());
        assert!(!Screening::NotSaved.allows());
        assert!(
            !Screening::CoolingDown {
                usable_from: Utc::now()
            }
            .allows()
        );
    }
}
