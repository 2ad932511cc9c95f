//! The withdrawal allow-list: saved destinations a user may withdraw to, and the per-user mode that makes them the
//! only ones allowed.
//!
//! Both defences are about a stolen session: a newly saved destination is usable only after a cool-down
//! (`usable_from`), and switching the mode off is only scheduled — it takes effect after the same cool-down and
//! the mode stays on until then — while switching it on, or cancelling a scheduled switch-off, is immediate.
//! Destinations are matched by a keyed fingerprint the caller computes, so nothing is decrypted to compare them.

mod store;

use crate::destination::{self, Destination, DestinationInput, DestinationVault};
use crate::{FundingConfig, FundingError};
use chrono::{DateTime, Duration, Utc};
use identity::TwoFactor;
use ledger::{Asset, Ledger, Movement};
use money::AssetCode;
use platform::audit::{self, AuditRecord, Outcome};
use platform::text::has_hidden_characters;
use platform::{Db, Tx, outbox};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Most saved destinations one user may keep; far more than real use, few enough to list on one screen.
pub const MAX_DESTINATIONS: i64 = 100;
const MAX_LABEL_CHARS: usize = 64;

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

/// A destination a user asks to save. `asset` is parsed by the caller against the catalogue; the rest is
/// checked here.
#[derive(Debug, Clone)]
pub struct NewDestination<'a> {
    pub user: Uuid,
    pub asset: &'a Asset,
    pub destination: DestinationInput,
    /// Optional, at most 64 characters without control characters.
    pub label: Option<String>,
    /// A current TOTP code; needed when the user has two-factor authentication on.
    pub code: Option<&'a str>,
}

/// A destination to save, checked and sealed (the sealed data's associated data names `id`).
struct Sealed {
    id: Uuid,
    user: Uuid,
    asset: AssetCode,
    destination: Destination,
    fingerprint: String,
    label: Option<String>,
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

/// Binds a sealed saved destination to its row and owner.
fn associated_data(id: Uuid, user: Uuid) -> Vec<u8> {
    format!("withdrawal-allowlist-destination:{id}:{user}").into_bytes()
}

/// A label trimmed, or refused naming `label`.
fn label(label: Option<String>) -> Result<Option<String>, FundingError> {
    let Some(label) = label else {
        return Ok(None);
    };
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || has_hidden_characters(label) {
        return Err(FundingError::Invalid {
            field: "label",
            reason: format!(
                "must be 1 to {MAX_LABEL_CHARS} characters without control, bidirectional-override or zero-width characters"
            ),
        });
    }
    Ok(Some(label.to_owned()))
}

/// The withdrawal destination allow-list of each user. Its changes are audited and announced on the outbox in
/// their transaction.
#[derive(Clone)]
pub struct WithdrawalDestinations {
    ledger: Ledger,
    db: Db,
    config: Arc<FundingConfig>,
    vault: DestinationVault,
    two_factor: TwoFactor,
}

impl WithdrawalDestinations {
    pub fn new(
        ledger: Ledger,
        db: Db,
        config: Arc<FundingConfig>,
        vault: DestinationVault,
        two_factor: TwoFactor,
    ) -> WithdrawalDestinations {
        WithdrawalDestinations {
            ledger,
            db,
            config,
            vault,
            two_factor,
        }
    }

    /// How long a new destination waits before use, and a switch-off before it takes effect, in seconds.
    pub fn cooldown_secs(&self) -> u64 {
        self.config.withdrawal_destination_cooldown_secs
    }

    fn cooldown(&self) -> Duration {
        const MONTH_SECS: u64 = 30 * 24 * 3600;
        Duration::seconds(self.cooldown_secs().min(MONTH_SECS) as i64)
    }

    /// Checks, seals and saves a destination, usable after the cool-down; the 2FA code is checked after the
    /// input. Refused with `Conflict` when the user already saved it for this asset and `LimitExceeded` beyond
    /// [`MAX_DESTINATIONS`].
    pub async fn save(
        &self,
        new: NewDestination<'_>,
        movement: Movement<'_>,
    ) -> Result<SavedDestination, FundingError> {
        let checked = destination::check(new.destination, new.asset)?;
        let label = label(new.label)?;
        self.two_factor.step_up(new.user, new.code).await?;
        let id = Uuid::now_v7();
        let sealed = Sealed {
            id,
            user: new.user,
            asset: new.asset.code,
            fingerprint: self.vault.fingerprint(&checked),
            destination: self.vault.seal(&checked, &associated_data(id, new.user))?,
            label,
        };
        self.insert(sealed, movement).await
    }

    async fn insert(&self, new: Sealed, movement: Movement<'_>) -> Result<SavedDestination, FundingError> {
        let cooldown = self.cooldown();
        let mut tx = self.ledger.begin().await?;
        let now = self.ledger.now();
        let duplicate = || FundingError::Conflict(format!("this destination is already saved for {}", new.asset));
        if store::exists(&mut tx, new.user, &new.asset, &new.fingerprint).await? {
            tx.rollback().await?;
            return Err(duplicate());
        }
        if store::count(&mut tx, new.user).await? >= MAX_DESTINATIONS {
            tx.rollback().await?;
            return Err(FundingError::LimitExceeded(format!(
                "at most {MAX_DESTINATIONS} withdrawal destinations may be saved; delete one first"
            )));
        }
        let saved = SavedDestination {
            id: new.id,
            user: new.user,
            asset: new.asset,
            destination: new.destination,
            fingerprint: new.fingerprint,
            label: new.label,
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
    pub async fn list(
        &self,
        user: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<SavedDestination>, bool), FundingError> {
        let mut items = store::list(&self.db, user, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    /// Deletes the user's saved destination `id`; another user's is not found.
    pub async fn remove(&self, user: Uuid, id: Uuid, movement: Movement<'_>) -> Result<SavedDestination, FundingError> {
        let mut tx = self.ledger.begin().await?;
        let now = self.ledger.now();
        let Some(found) = store::lock_owned(&mut tx, user, id).await? else {
            tx.rollback().await?;
            return Err(FundingError::NotFound("Withdrawal destination"));
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
        Ok(found)
    }

    /// The user's allow-list mode now.
    pub async fn mode(&self, user: Uuid) -> Result<AllowList, FundingError> {
        Ok(AllowList::at(store::mode(&self.db, user).await?, self.ledger.now()))
    }

    /// Switches the mode on at once (cancelling a scheduled switch-off), or schedules the switch-off for after
    /// the cool-down. Only a switch-off that would actually be scheduled widens what may be withdrawn, so only
    /// that needs the 2FA code. A request that changes nothing (on when on, off when off or already scheduled)
    /// writes nothing.
    pub async fn set_mode(
        &self,
        user: Uuid,
        enabled: bool,
        code: Option<&str>,
        movement: Movement<'_>,
    ) -> Result<AllowList, FundingError> {
        let current = self.mode(user).await?;
        if !enabled && current.enabled && current.disable_at.is_none() {
            self.two_factor.step_up(user, code).await?;
        }
        let cooldown = self.cooldown();
        let mut tx = self.ledger.begin().await?;
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
    pub(crate) async fn screen(
        &self,
        user: Uuid,
        asset: &AssetCode,
        fingerprint: &str,
        masked: &str,
        movement: Movement<'_>,
    ) -> Result<Screening, FundingError> {
        let now = self.ledger.now();
        if !AllowList::at(store::mode(&self.db, user).await?, now).enabled {
            return Ok(Screening::NotRequired);
        }
        let screening = match store::find(&self.db, user, asset, fingerprint).await? {
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
        let mut tx = self.ledger.begin().await?;
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
) -> Result<(), FundingError> {
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
