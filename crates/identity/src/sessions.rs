//! Logging in, refreshing, logging out, and checking an access token on every request.
//!
//! A login creates a session and its first refresh token. Each refresh rotates the token: the presented one is
//! marked used and a new one issued. Presenting a used token again means it was stolen or replayed, so the whole
//! session (every token descended from that login) is revoked.

use crate::accounts::Revoked;
use crate::email::Email;
use crate::lockout::{self, LockoutPolicy};
use crate::model::User;
use crate::model::{Role, Session, UserStatus};
use crate::password::PasswordHasher;
use crate::session_view::{LiveSession, SessionView};
use crate::store::LoginAttempt;
use crate::tokens::{AccessTokens, hash_refresh_token, new_refresh_token};
use crate::two_factor::TwoFactor;
use crate::{IdentityError, api_keys_store, store};
use chrono::{DateTime, Duration, Utc};
use platform::audit::{self, AuditRecord, Outcome};
use platform::{Clock, Db, RequestContext, Tx};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const MAX_USER_AGENT: usize = 256;
/// How long the second step of a login may take, and how many codes it may try.
const CHALLENGE_TTL_SECS: i64 = 300;
const CHALLENGE_ATTEMPTS: i64 = 5;

pub struct Credentials<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub session_id: Uuid,
}

/// The holder of a valid access token, checked against the live session and account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    pub user_id: Uuid,
    /// The session of a bearer token; nil for a caller signed in with an API key (see `via`).
    pub session_id: Uuid,
    pub role: Role,
    pub via: AuthMethod,
}

/// How a caller proved who they are: routes that manage credentials accept only a session, so a leaked API key
/// cannot mint more keys, change the password or turn off 2FA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    ApiKey(Uuid),
}

#[derive(Clone)]
pub struct Sessions {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    tokens: AccessTokens,
    lockout: LockoutPolicy,
    refresh_ttl: Duration,
    two_factor: TwoFactor,
    view: SessionView,
}

/// How sessions are made and kept: token signing, lockout and lifetimes.
pub struct SessionPolicy {
    pub tokens: AccessTokens,
    pub lockout: LockoutPolicy,
    pub refresh_ttl: Duration,
}

impl Sessions {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        policy: SessionPolicy,
        two_factor: TwoFactor,
    ) -> Sessions {
        Sessions {
            db,
            clock,
            hasher,
            tokens: policy.tokens,
            lockout: policy.lockout,
            refresh_ttl: policy.refresh_ttl,
            two_factor,
            view: SessionView::new(),
        }
    }

    /// Shares the process's view of live sessions, so what this service revokes is forgotten at once.
    pub fn with_session_view(mut self, view: SessionView) -> Self {
        self.view = view;
        self
    }

    /// The view of live sessions this service checks tokens against; the process polls it with
    /// [`SessionView::watch`].
    pub fn view(&self) -> &SessionView {
        &self.view
    }

    pub async fn login(
        &self,
        credentials: Credentials<'_>,
        client: &RequestContext,
    ) -> Result<IssuedTokens, IdentityError> {
        // A malformed email cannot match an account: answer exactly as for a wrong password.
        let email = Email::parse(credentials.email).ok();
        let keys = AttemptKeys {
            email: lockout::email_key(email.as_ref().map_or(credentials.email, Email::as_str)),
            ip: client.ip.as_deref().map(lockout::ip_key),
        };
        // The hashing turn comes first: a busy server refuses at once, before counting an attempt or touching
        // the database, which also bounds how many logins contend for one lockout row at a time.
        let turn = self.hasher.turn().await?;
        let lock = self.count_attempt(&keys).await?;

        let found = match &email {
            Some(email) => store::credentials_by_email(&self.db, email).await?,
            None => None,
        };
        let hash = found.as_ref().and_then(|(_, hash)| hash.as_deref());
        let password_ok = self.hasher.verify_in_turn(turn, credentials.password, hash).await?;
        let now = self.clock.now();
        let user = match found {
            Some((user, _)) if password_ok => user,
            found => {
                let actor = found.map(|(user, _)| user.id);
                self.audit_failure(actor, lock, client, now).await?;
                return Err(IdentityError::InvalidCredentials);
            }
        };
        if user.status == UserStatus::Suspended {
            let mut tx = self.db.begin().await?;
            self.give_back_attempt(&mut tx, &keys).await?;
            self.audit(
                &mut tx,
                Some(user.id),
                "auth.login",
                Outcome::Failure,
                client,
                json!({"reason": "suspended"}),
                now,
            )
            .await?;
            tx.commit().await?;
            return Err(IdentityError::Suspended);
        }

        let two_factor = self.two_factor.is_enabled(user.id).await?;
        let mut tx = self.db.begin().await?;
        self.clear_attempts(&mut tx, &keys).await?;
        if two_factor {
            let (challenge, hash) = new_refresh_token()?;
            store::insert_challenge(&mut tx, &hash, user.id, now + Duration::seconds(CHALLENGE_TTL_SECS)).await?;
            tx.commit().await?;
            return Err(IdentityError::TwoFactorRequired { challenge });
        }
        let issued = self.open_session(&mut tx, &user, client, now).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// The second step of a login with 2FA: the challenge from the first step and a TOTP or recovery code.
    pub async fn verify_two_factor(
        &self,
        challenge: &str,
        code: &str,
        client: &RequestContext,
    ) -> Result<IssuedTokens, IdentityError> {
        let hash = hash_refresh_token(challenge);
        let now = self.clock.now();
        // The attempt is counted, and committed, before the code is checked.
        let mut tx = self.db.begin().await?;
        let counted = store::count_challenge_attempt(&mut tx, &hash, now, CHALLENGE_ATTEMPTS).await?;
        tx.commit().await?;
        let Some(user_id) = counted else {
            return Err(IdentityError::Unauthenticated);
        };
        let mut tx = self.db.begin().await?;
        if !self.two_factor.check_code(&mut tx, user_id, code).await? {
            tx.rollback().await?;
            let mut tx = self.db.begin().await?;
            self.audit(
                &mut tx,
                Some(user_id),
                "auth.2fa_verify",
                Outcome::Failure,
                client,
                json!({}),
                now,
            )
            .await?;
            tx.commit().await?;
            return Err(IdentityError::InvalidCredentials);
        }
        let user = store::user_by_id(&self.db, user_id).await?;
        let user = match user {
            Some(user) if user.status == UserStatus::Active => user,
            _ => {
                tx.rollback().await?;
                return Err(IdentityError::Unauthenticated);
            }
        };
        if !store::use_challenge(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        }
        let issued = self.open_session(&mut tx, &user, client, now).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Creates a session with its first refresh token inside `tx`, and the access token for it.
    async fn open_session(
        &self,
        tx: &mut Tx,
        user: &User,
        client: &RequestContext,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, IdentityError> {
        let session = Session {
            id: Uuid::now_v7(),
            user_id: user.id,
            created_at: now,
            last_used_at: now,
            expires_at: now + self.refresh_ttl,
            ip: client.ip.clone(),
            user_agent: client.user_agent.as_deref().map(truncate_user_agent),
        };
        let (refresh_token, refresh_hash) = new_refresh_token()?;
        store::insert_session(tx, &session).await?;
        store::insert_refresh_token(tx, &refresh_hash, session.id, now).await?;
        self.audit(
            tx,
            Some(user.id),
            "auth.login",
            Outcome::Success,
            client,
            json!({"session_id": session.id}),
            now,
        )
        .await?;
        Ok(IssuedTokens {
            access_token: self.tokens.issue(user.id, session.id, user.role, user.tier, now)?,
            refresh_token,
            expires_in: self.tokens.ttl_secs(),
            session_id: session.id,
        })
    }

    /// Counts the attempt for both keys before the password is checked; a key already locked refuses it and
    /// counts nothing. Answers the lock this attempt set, if it reached the limit. Keys are always taken in the
    /// same order (email, then IP), so simultaneous logins on PostgreSQL cannot deadlock on their rows.
    async fn count_attempt(&self, keys: &AttemptKeys) -> Result<Option<DateTime<Utc>>, IdentityError> {
        let now = self.clock.now();
        let window = self.lockout.window_at(now);
        let mut tx = self.db.begin().await?;
        let mut set: Option<DateTime<Utc>> = None;
        let mut locked: Option<DateTime<Utc>> = None;
        for key in keys.all() {
            match store::count_login_attempt(&mut tx, key, &window).await? {
                LoginAttempt::Counted { lock } => set = set.max(lock),
                LoginAttempt::Locked { until } => locked = locked.max(Some(until)),
            }
        }
        let Some(until) = locked else {
            tx.commit().await?;
            return Ok(set);
        };
        tx.rollback().await?;
        Err(IdentityError::LockedOut {
            until,
            retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1),
        })
    }

    async fn give_back_attempt(&self, tx: &mut Tx, keys: &AttemptKeys) -> Result<(), IdentityError> {
        for key in keys.all() {
            store::give_back_login_attempt(tx, key, self.lockout.max_failures).await?;
        }
        Ok(())
    }

    /// After a right password: the email's failures are forgotten, and the IP gets its attempt back (other
    /// failures from that IP still count).
    async fn clear_attempts(&self, tx: &mut Tx, keys: &AttemptKeys) -> Result<(), IdentityError> {
        store::clear_login_failures(tx, &keys.email).await?;
        if let Some(ip) = &keys.ip {
            store::give_back_login_attempt(tx, ip, self.lockout.max_failures).await?;
        }
        Ok(())
    }

    async fn audit_failure(
        &self,
        actor: Option<Uuid>,
        locked_until: Option<DateTime<Utc>>,
        client: &RequestContext,
        now: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        let mut tx = self.db.begin().await?;
        self.audit(
            &mut tx,
            actor,
            "auth.login",
            Outcome::Failure,
            client,
            json!({ "reason": "invalid_credentials", "locked_until": locked_until }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Exchanges a refresh token for a new pair. A token that was already exchanged revokes its session.
    pub async fn refresh(&self, refresh_token: &str, client: &RequestContext) -> Result<IssuedTokens, IdentityError> {
        let hash = hash_refresh_token(refresh_token);
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(found) = store::lookup_refresh_token(&mut tx, &hash).await? else {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        };
        if found.revoked_at.is_some() || found.expires_at <= now {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        }
        let first_use = found.rotated_at.is_none() && store::rotate_refresh_token(&mut tx, &hash, now).await?;
        if !first_use {
            store::revoke_session(&mut tx, found.user_id, found.session_id, "refresh_token_reuse", now).await?;
            self.audit(
                &mut tx,
                Some(found.user_id),
                "auth.refresh_reuse",
                Outcome::Failure,
                client,
                json!({ "session_id": found.session_id }),
                now,
            )
            .await?;
            tx.commit().await?;
            self.view.forget(found.user_id, Some(found.session_id));
            tracing::warn!(session_id = %found.session_id, "refresh token reused; session revoked");
            return Err(IdentityError::Unauthenticated);
        }
        let Some(user) = store::user_by_id(&self.db, found.user_id).await? else {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        };
        if user.status != UserStatus::Active {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        }
        let (refresh_token, refresh_hash) = new_refresh_token()?;
        store::insert_refresh_token(&mut tx, &refresh_hash, found.session_id, now).await?;
        store::touch_session(&mut tx, found.session_id, now, now + self.refresh_ttl).await?;
        tx.commit().await?;
        Ok(IssuedTokens {
            access_token: self
                .tokens
                .issue(user.id, found.session_id, user.role, user.tier, now)?,
            refresh_token,
            expires_in: self.tokens.ttl_secs(),
            session_id: found.session_id,
        })
    }

    /// Checks an access token: signature and expiry, then that its session is live and its user active, so a
    /// revoked session or a suspension takes effect at once. The session comes from memory when this node holds
    /// it (see [`SessionView`]), from the database otherwise.
    pub async fn authenticate(&self, access_token: &str) -> Result<Authenticated, IdentityError> {
        let now = self.clock.now();
        let claims = self.tokens.verify(access_token, now)?;
        if let Some(live) = self.view.get(claims.sid)
            && live.user_id == claims.sub
            && live.expires_at > now
        {
            return Ok(Authenticated {
                user_id: claims.sub,
                session_id: claims.sid,
                role: live.role,
                via: AuthMethod::Session,
            });
        }
        let generation = self.view.generation();
        let state = store::session_state(&self.db, claims.sub, claims.sid)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        let role = Role::parse(&state.role).ok_or(IdentityError::Unauthenticated)?;
        if state.revoked_at.is_some() || state.expires_at <= now || state.status != UserStatus::Active.as_str() {
            return Err(IdentityError::Unauthenticated);
        }
        let live = LiveSession {
            user_id: claims.sub,
            role,
            expires_at: state.expires_at,
        };
        self.view.remember(generation, claims.sid, live);
        Ok(Authenticated {
            user_id: claims.sub,
            session_id: claims.sid,
            role,
            via: AuthMethod::Session,
        })
    }

    pub async fn list(&self, user: Uuid) -> Result<Vec<Session>, IdentityError> {
        store::live_sessions(&self.db, user, self.clock.now()).await
    }

    /// Revokes one of the user's sessions (`reason`: `logout`, `revoked_by_user`).
    pub async fn revoke(
        &self,
        user: Uuid,
        session: Uuid,
        reason: &str,
        client: &RequestContext,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !store::revoke_session(&mut tx, user, session, reason, now).await? {
            tx.rollback().await?;
            return Err(IdentityError::NotFound);
        }
        let action = if reason == "logout" {
            "auth.logout"
        } else {
            "auth.session_revoke"
        };
        self.audit(
            &mut tx,
            Some(user),
            action,
            Outcome::Success,
            client,
            json!({ "session_id": session }),
            now,
        )
        .await?;
        tx.commit().await?;
        self.view.forget(user, Some(session));
        Ok(())
    }

    /// Signs the user out everywhere but `current`: every other session, and every API key unless
    /// `keep_api_keys` (a stolen session must not leave a key behind that outlives the clean-up).
    pub async fn revoke_others(
        &self,
        user: Uuid,
        current: Uuid,
        keep_api_keys: bool,
        client: &RequestContext,
    ) -> Result<Revoked, IdentityError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let revoked = Revoked {
            sessions: store::revoke_other_sessions(&mut tx, user, Some(current), "revoked_by_user", now).await?,
            api_keys: if keep_api_keys {
                0
            } else {
                api_keys_store::revoke_all(&mut tx, user, now).await?
            },
        };
        let details = json!({ "sessions_revoked": revoked.sessions, "api_keys_revoked": revoked.api_keys });
        self.audit(
            &mut tx,
            Some(user),
            "auth.sessions_revoke_others",
            Outcome::Success,
            client,
            details,
            now,
        )
        .await?;
        tx.commit().await?;
        self.view.forget(user, None);
        Ok(revoked)
    }

    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        tx: &mut Tx,
        actor: Option<Uuid>,
        action: &str,
        outcome: Outcome,
        client: &RequestContext,
        details: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        audit::record(
            tx,
            &AuditRecord {
                actor,
                target: actor.map(|a| a.to_string()),
                outcome,
                details,
                ..AuditRecord::of(client, action, at)
            },
        )
        .await?;
        Ok(())
    }
}

/// The lockout keys one login attempt counts against.
struct AttemptKeys {
    email: String,
    ip: Option<String>,
}

impl AttemptKeys {
    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.email.as_str()).chain(self.ip.as_deref())
    }
}

fn truncate_user_agent(agent: &str) -> String {
    agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT).collect()
}
