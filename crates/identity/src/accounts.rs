//! Registering and managing one's own account.

use crate::email::Email;
use crate::model::{Role, Tier, User, UserStatus};
use crate::password::{PasswordHasher, PasswordPolicy};
use crate::session_view::SessionView;
use crate::{IdentityError, api_keys_store, store};
use platform::audit::{self, AuditRecord, Outcome};
use platform::text::has_hidden_characters;
use platform::{Clock, Db, RequestContext, outbox};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const MAX_NAME_CHARS: usize = 100;

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub full_name: &'a str,
}

pub struct ProfileChange<'a> {
    pub full_name: Option<&'a str>,
}

/// What a credential change revoked along with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    pub sessions: u64,
    pub api_keys: u64,
}

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    view: SessionView,
}

pub(crate) fn check_name(name: &str) -> Result<String, IdentityError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(IdentityError::invalid("full_name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(IdentityError::invalid(
            "full_name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if has_hidden_characters(name) {
        return Err(IdentityError::invalid(
            "full_name",
            "must not contain control, bidirectional-override or zero-width characters",
        ));
    }
    Ok(name.to_owned())
}

impl Accounts {
    pub fn new(db: Db, clock: Arc<dyn Clock>, hasher: PasswordHasher) -> Accounts {
        Accounts {
            db,
            clock,
            hasher,
            view: SessionView::new(),
        }
    }

    /// Shares the process's view of live sessions, so what this service revokes is forgotten at once.
    pub fn with_session_view(mut self, view: SessionView) -> Self {
        self.view = view;
        self
    }

    /// Creates a customer account and emits `user.registered`.
    pub async fn register(&self, account: NewAccount<'_>, origin: &RequestContext) -> Result<User, IdentityError> {
        let email = Email::parse(account.email)?;
        let full_name = check_name(account.full_name)?;
        PasswordPolicy.check("password", account.password, &email)?;
        let hash = self.hasher.hash(account.password).await?;
        let now = self.clock.now();
        let user = User {
            id: Uuid::now_v7(),
            email,
            full_name,
            role: Role::Customer,
            status: UserStatus::Active,
            tier: Tier::Basic,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        store::insert_user(&mut tx, &user, Some(&hash)).await?;
        outbox::enqueue(
            &mut tx,
            "user.registered",
            &json!({ "user_id": user.id, "email": user.email.as_str(), "role": user.role.as_str() }),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            &AuditRecord {
                actor: Some(user.id),
                target: Some(user.id.to_string()),
                details: json!({}),
                ..AuditRecord::of(origin, "auth.register", now)
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn get(&self, user: Uuid) -> Result<User, IdentityError> {
        store::user_by_id(&self.db, user).await?.ok_or(IdentityError::NotFound)
    }

    /// Sets the user's tier (rate limits and trading fees); it reaches the rate limiter with the next access
    /// token the user is issued.
    pub async fn set_tier(&self, user: Uuid, tier: Tier) -> Result<(), IdentityError> {
        let now = self.clock.now();
        if store::set_tier(&self.db, user, tier, now).await? {
            Ok(())
        } else {
            Err(IdentityError::NotFound)
        }
    }

    /// Every user of `tier`.
    pub async fn users_of_tier(&self, tier: Tier) -> Result<Vec<Uuid>, IdentityError> {
        store::users_of_tier(&self.db, tier).await
    }

    /// A user named the way people name each other in requests: by id or by email. Anything that is neither,
    /// or names nobody, is `NotFound`.
    pub async fn find(&self, email_or_id: &str) -> Result<User, IdentityError> {
        let text = email_or_id.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return self.get(id).await;
        }
        let email = Email::parse(text).map_err(|_| IdentityError::NotFound)?;
        let found = store::credentials_by_email(&self.db, &email).await?;
        found.map(|(user, _)| user).ok_or(IdentityError::NotFound)
    }

    pub async fn update_profile(&self, user: Uuid, change: ProfileChange<'_>) -> Result<User, IdentityError> {
        if let Some(name) = change.full_name {
            let name = check_name(name)?;
            let mut tx = self.db.begin().await?;
            store::update_full_name(&mut tx, user, &name, self.clock.now()).await?;
            tx.commit().await?;
        }
        self.get(user).await
    }

    /// Changes the password after checking the current one, and revokes every other session.
    pub async fn change_password(
        &self,
        user: Uuid,
        session: Uuid,
        current: &str,
        new: &str,
        keep_api_keys: bool,
        origin: &RequestContext,
    ) -> Result<Revoked, IdentityError> {
        let account = self.get(user).await?;
        let hash = store::password_hash(&self.db, user).await?;
        if !self.hasher.verify(current, hash.as_deref()).await? {
            self.audit_only(user, "auth.password_change", Outcome::Failure, origin)
                .await?;
            return Err(IdentityError::invalid("current_password", "is not correct"));
        }
        PasswordPolicy.check("new_password", new, &account.email)?;
        if current == new {
            return Err(IdentityError::invalid(
                "new_password",
                "must differ from the current password",
            ));
        }
        let new_hash = self.hasher.hash(new).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        store::update_password(&mut tx, user, &new_hash, now).await?;
        let revoked = Revoked {
            sessions: store::revoke_other_sessions(&mut tx, user, Some(session), "password_changed", now).await?,
            api_keys: if keep_api_keys {
                0
            } else {
                api_keys_store::revoke_all(&mut tx, user, now).await?
            },
        };
        audit::record(
            &mut tx,
            &AuditRecord {
                actor: Some(user),
                target: Some(user.to_string()),
                details: json!({ "sessions_revoked": revoked.sessions, "api_keys_revoked": revoked.api_keys }),
                ..AuditRecord::of(origin, "auth.password_change", now)
            },
        )
        .await?;
        tx.commit().await?;
        self.view.forget(user, None);
        Ok(revoked)
    }

    async fn audit_only(
        &self,
        user: Uuid,
        action: &str,
        outcome: Outcome,
        origin: &RequestContext,
    ) -> Result<(), IdentityError> {
        let mut tx = self.db.begin().await?;
        audit::record(
            &mut tx,
            &AuditRecord {
                actor: Some(user),
                target: Some(user.to_string()),
                outcome,
                ..AuditRecord::of(origin, action, self.clock.now())
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
