//! Two-factor authentication: TOTP secrets (sealed at rest), ten single-use recovery codes, and the check of a
//! code during login.

use crate::session_view::SessionView;
use crate::{IdentityError, store, totp};
use platform::audit::{self, AuditRecord, Outcome};
use platform::crypto::SecretBox;
use platform::{Clock, Db, RequestContext, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

const RECOVERY_CODES: usize = 10;
/// Unambiguous characters: no 0/O, 1/I/L.
const RECOVERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// What a user needs to add Bourse to an authenticator app. Shown once.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// What turning 2FA on gave: the recovery codes (shown once) and how many other sessions were revoked.
#[derive(Debug, Clone)]
pub struct Enabled {
    pub recovery_codes: Vec<String>,
    pub revoked_sessions: u64,
}

#[derive(Clone)]
pub struct TwoFactor {
    db: Db,
    clock: Arc<dyn Clock>,
    sealer: SecretBox,
    view: SessionView,
}

fn associated_data(user: Uuid) -> Vec<u8> {
    format!("totp:{user}").into_bytes()
}

fn hash_recovery_code(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

fn new_recovery_code() -> Result<String, IdentityError> {
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes).map_err(|e| IdentityError::Internal(format!("randomness: {e}")))?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()]))
        .collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

impl TwoFactor {
    pub fn new(db: Db, clock: Arc<dyn Clock>, sealer: SecretBox) -> TwoFactor {
        TwoFactor {
            db,
            clock,
            sealer,
            view: SessionView::new(),
        }
    }

    /// Shares the process's view of live sessions, so what this service revokes is forgotten at once.
    pub fn with_session_view(mut self, view: SessionView) -> Self {
        self.view = view;
        self
    }

    fn open(&self, user: Uuid, sealed: &[u8]) -> Result<Vec<u8>, IdentityError> {
        self.sealer
            .open(sealed, &associated_data(user))
            .map_err(|e| IdentityError::Internal(format!("TOTP secret of {user}: {e}")))
    }

    /// Starts enrolment: a new secret, kept pending until [`enable`](Self::enable) sees a code from it.
    pub async fn setup(&self, user: Uuid, email: &str) -> Result<TotpSetup, IdentityError> {
        let state = store::totp_state(&self.db, user).await?;
        if state.secret.is_some() {
            return Err(IdentityError::Conflict(
                "two-factor authentication is already enabled".to_owned(),
            ));
        }
        let mut secret = [0u8; totp::SECRET_LEN];
        getrandom::fill(&mut secret).map_err(|e| IdentityError::Internal(format!("randomness: {e}")))?;
        let sealed = self
            .sealer
            .seal(&secret, &associated_data(user))
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        store::set_pending_totp(&mut tx, user, &sealed).await?;
        tx.commit().await?;
        let encoded = totp::base32(&secret);
        let otpauth_uri = totp::otpauth_uri(&encoded, email);
        let qr_svg = totp::qr_svg(&otpauth_uri).ok_or_else(|| IdentityError::Internal("QR code".to_owned()))?;
        Ok(TotpSetup {
            secret: encoded,
            otpauth_uri,
            qr_svg,
        })
    }

    /// Confirms enrolment with a current code and returns the recovery codes (shown once, stored hashed). With
    /// `revoke_others_than` set, every other session of the user is revoked in the same transaction, so a
    /// session opened before 2FA (perhaps by whoever made the user want it) does not outlive it.
    pub async fn enable(
        &self,
        user: Uuid,
        code: &str,
        revoke_others_than: Option<Uuid>,
        origin: &RequestContext,
    ) -> Result<Enabled, IdentityError> {
        let state = store::totp_state(&self.db, user).await?;
        if state.secret.is_some() {
            return Err(IdentityError::Conflict(
                "two-factor authentication is already enabled".to_owned(),
            ));
        }
        let pending = state
            .pending
            .ok_or_else(|| IdentityError::Conflict("start with /v1/auth/2fa/setup".to_owned()))?;
        let secret = self.open(user, &pending)?;
        let now = self.clock.now();
        let step = totp::verify(&secret, code, now.timestamp(), None)
            .ok_or_else(|| IdentityError::invalid("code", "is not the current code"))?;
        let recovery_codes = (0..RECOVERY_CODES)
            .map(|_| new_recovery_code())
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.db.begin().await?;
        store::activate_totp(&mut tx, user, step).await?;
        store::delete_recovery_codes(&mut tx, user).await?;
        for code in &recovery_codes {
            store::insert_recovery_code(&mut tx, user, &hash_recovery_code(code)).await?;
        }
        let revoked_sessions = match revoke_others_than {
            Some(keep) => store::revoke_other_sessions(&mut tx, user, Some(keep), "two_factor_enabled", now).await?,
            None => 0,
        };
        self.audit_with(
            &mut tx,
            user,
            "auth.2fa_enable",
            Outcome::Success,
            origin,
            json!({ "sessions_revoked": revoked_sessions }),
        )
        .await?;
        tx.commit().await?;
        if revoked_sessions > 0 {
            self.view.forget(user, None);
        }
        Ok(Enabled {
            recovery_codes,
            revoked_sessions,
        })
    }

    /// Turns 2FA off; needs a current code.
    pub async fn disable(&self, user: Uuid, code: &str, origin: &RequestContext) -> Result<(), IdentityError> {
        let mut tx = self.db.begin().await?;
        if !self.check_totp(&mut tx, user, code).await? {
            tx.rollback().await?;
            let mut tx = self.db.begin().await?;
            self.audit(&mut tx, user, "auth.2fa_disable", Outcome::Failure, origin)
                .await?;
            tx.commit().await?;
            return Err(IdentityError::invalid("code", "is not the current code"));
        }
        store::clear_totp(&mut tx, user).await?;
        store::delete_recovery_codes(&mut tx, user).await?;
        self.audit(&mut tx, user, "auth.2fa_disable", Outcome::Success, origin)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn is_enabled(&self, user: Uuid) -> Result<bool, IdentityError> {
        Ok(store::totp_state(&self.db, user).await?.secret.is_some())
    }

    /// The step-up every sensitive action asks for (money leaving the account, a new API key, a withdrawal
    /// destination): nothing when 2FA is off; otherwise `code` must be a current, unused TOTP code —
    /// [`IdentityError::CodeRequired`] without one, `Invalid { field: "code" }` when it is wrong or replayed.
    pub async fn step_up(&self, user: Uuid, code: Option<&str>) -> Result<(), IdentityError> {
        if !self.is_enabled(user).await? {
            return Ok(());
        }
        let code = code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(IdentityError::CodeRequired)?;
        if !self.confirm_code(user, code).await? {
            return Err(IdentityError::invalid("code", "is wrong or was already used"));
        }
        Ok(())
    }

    /// Confirms a sensitive action (a withdrawal) with a current TOTP code, replay-safe like a login: a code is
    /// accepted once. False when 2FA is off or the code is wrong or replayed.
    pub async fn confirm_code(&self, user: Uuid, code: &str) -> Result<bool, IdentityError> {
        let mut tx = self.db.begin().await?;
        let accepted = self.check_totp(&mut tx, user, code).await?;
        tx.commit().await?;
        Ok(accepted)
    }

    /// Accepts a TOTP code newer than the last one used, recording its step. False when 2FA is off or the code
    /// is wrong or replayed.
    pub(crate) async fn check_totp(&self, tx: &mut Tx, user: Uuid, code: &str) -> Result<bool, IdentityError> {
        let state = store::totp_state_in(tx, user).await?;
        let Some(sealed) = state.secret else {
            return Ok(false);
        };
        let secret = self.open(user, &sealed)?;
        let Some(step) = totp::verify(&secret, code, self.clock.now().timestamp(), state.last_step) else {
            return Ok(false);
        };
        // Conditional on the step still being newer: two requests with one code cannot both pass.
        store::advance_totp_step(tx, user, step).await
    }

    /// A TOTP code or an unused recovery code (which is then spent).
    pub(crate) async fn check_code(&self, tx: &mut Tx, user: Uuid, code: &str) -> Result<bool, IdentityError> {
        if code.trim().len() == 6 && code.trim().bytes().all(|b| b.is_ascii_digit()) {
            return self.check_totp(tx, user, code).await;
        }
        store::use_recovery_code(tx, user, &hash_recovery_code(code), self.clock.now()).await
    }

    async fn audit(
        &self,
        tx: &mut Tx,
        user: Uuid,
        action: &str,
        outcome: Outcome,
        origin: &RequestContext,
    ) -> Result<(), IdentityError> {
        self.audit_with(tx, user, action, outcome, origin, json!({})).await
    }

    async fn audit_with(
        &self,
        tx: &mut Tx,
        user: Uuid,
        action: &str,
        outcome: Outcome,
        origin: &RequestContext,
        details: serde_json::Value,
    ) -> Result<(), IdentityError> {
        audit::record(
            tx,
            &AuditRecord {
                actor: Some(user),
                target: Some(user.to_string()),
                outcome,
                details,
                ..AuditRecord::of(origin, action, self.clock.now())
            },
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_readable_and_match_however_typed() {
        let code = new_recovery_code().unwrap();
        assert_eq!(code.len(), 11);
        assert_eq!(code.as_bytes()[5], b'-');
        assert_eq!(
            hash_recovery_code(&code),
            hash_recovery_code(&code.to_lowercase().replace('-', " "))
        );
        assert_ne!(
            hash_recovery_code(&code),
            hash_recovery_code(&new_recovery_code().unwrap())
        );
    }
}
