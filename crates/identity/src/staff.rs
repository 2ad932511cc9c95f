//! Staff administration: the first admin (from the command line), invites for tellers and admins, and the
//! directory admins use to find, suspend and re-role users. Every change is audited in its own transaction.

use crate::accounts::check_name;
use crate::email::Email;
use crate::model::{Role, Tier, User, UserStatus};
use crate::password::{PasswordHasher, PasswordPolicy};
use crate::session_view::SessionView;
use crate::staff_store::{self, NewInvite, UserQuery};
use crate::tokens::{hash_refresh_token, new_refresh_token};
use crate::{IdentityError, store};
use chrono::{DateTime, Duration, Utc};
use platform::audit::{self, AuditRecord};
use platform::{Clock, Db, RequestContext, Tx, outbox};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Long enough to reach a new colleague by another channel, short enough that a leaked link goes stale.
const INVITE_TTL_HOURS: i64 = 72;

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub role: Role,
}

/// A staff account waiting for its owner to choose a password with `token` (shown once).
#[derive(Debug, Clone)]
pub struct Invite {
    pub user: User,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Staff {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    view: SessionView,
}

impl Staff {
    pub fn new(db: Db, clock: Arc<dyn Clock>, hasher: PasswordHasher) -> Staff {
        Staff {
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

    /// The first admin, created by the operator on the command line: no default password exists anywhere.
    pub async fn create_admin(&self, email: &str, full_name: &str, password: &str) -> Result<User, IdentityError> {
        let email = Email::parse(email)?;
        let full_name = check_name(full_name)?;
        PasswordPolicy.check("password", password, &email)?;
        let hash = self.hasher.hash(password).await?;
        let user = self.new_user(email, full_name, Role::Admin);
        let mut tx = self.db.begin().await?;
        store::insert_user(&mut tx, &user, Some(&hash)).await?;
        self.announce(&mut tx, &user).await?;
        self.audit(
            &mut tx,
            None,
            "admin.create_admin",
            &user.id,
            &RequestContext::SYSTEM,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates a teller or admin with no password, and the one-time token that lets them set one.
    pub async fn invite(
        &self,
        actor: Uuid,
        new: NewStaff<'_>,
        origin: &RequestContext,
    ) -> Result<Invite, IdentityError> {
        if !new.role.is_staff() {
            return Err(IdentityError::invalid("role", "must be TELLER or ADMIN"));
        }
        let email = Email::parse(new.email)?;
        let full_name = check_name(new.full_name)?;
        let user = self.new_user(email, full_name, new.role);
        let (token, token_hash) = new_refresh_token()?;
        let expires_at = user.created_at + Duration::hours(INVITE_TTL_HOURS);
        let mut tx = self.db.begin().await?;
        store::insert_user(&mut tx, &user, None).await?;
        let invite = NewInvite {
            token_hash: &token_hash,
            user: user.id,
            created_by: actor,
            created_at: user.created_at,
            expires_at,
        };
        staff_store::insert_invite(&mut tx, &invite).await?;
        self.announce(&mut tx, &user).await?;
        let details = json!({ "role": user.role.as_str(), "email": user.email.as_str() });
        self.audit(&mut tx, Some(actor), "staff.invite", &user.id, origin, details)
            .await?;
        tx.commit().await?;
        Ok(Invite {
            user,
            token,
            expires_at,
        })
    }

    /// Spends an invite: the staff member's password is set and they can log in (and must then enable 2FA).
    pub async fn accept_invite(
        &self,
        token: &str,
        password: &str,
        origin: &RequestContext,
    ) -> Result<User, IdentityError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(user_id) = staff_store::use_invite(&mut tx, &hash_refresh_token(token), now).await? else {
            tx.rollback().await?;
            return Err(IdentityError::invalid(
                "token",
                "is not a valid, unused, unexpired invite",
            ));
        };
        let user = store::user_by_id(&self.db, user_id)
            .await?
            .ok_or(IdentityError::NotFound)?;
        PasswordPolicy.check("password", password, &user.email)?;
        let hash = self.hasher.hash(password).await?;
        store::update_password(&mut tx, user_id, &hash, now).await?;
        self.audit(
            &mut tx,
            Some(user_id),
            "staff.accept_invite",
            &user_id,
            origin,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Up to `limit` users in id (creation) order, and whether more follow.
    pub async fn list_users(&self, query: &UserQuery, limit: u32) -> Result<(Vec<User>, bool), IdentityError> {
        let mut users = staff_store::list_users(&self.db, query, i64::from(limit) + 1).await?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        Ok((users, more))
    }

    pub async fn user(&self, id: Uuid) -> Result<User, IdentityError> {
        store::user_by_id(&self.db, id).await?.ok_or(IdentityError::NotFound)
    }

    /// Suspends or reinstates a user. Suspension revokes every session, so their tokens stop working at once.
    pub async fn set_status(
        &self,
        actor: Uuid,
        target: Uuid,
        status: UserStatus,
        origin: &RequestContext,
    ) -> Result<User, IdentityError> {
        if actor == target {
            return Err(IdentityError::Conflict("you cannot change your own status".to_owned()));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !staff_store::set_status(&mut tx, target, status, now).await? {
            tx.rollback().await?;
            return Err(IdentityError::NotFound);
        }
        let mut details = json!({ "status": status.as_str() });
        if status == UserStatus::Suspended {
            let revoked = store::revoke_other_sessions(&mut tx, target, None, "suspended", now).await?;
            details["sessions_revoked"] = json!(revoked);
        }
        let action = match status {
            UserStatus::Suspended => "users.suspend",
            UserStatus::Active => "users.unsuspend",
        };
        self.audit(&mut tx, Some(actor), action, &target, origin, details)
            .await?;
        tx.commit().await?;
        self.view.forget(target, None);
        self.user(target).await
    }

    /// Changes a user's role. The role is read from the database on every request, so it applies at once.
    pub async fn set_role(
        &self,
        actor: Uuid,
        target: Uuid,
        role: Role,
        origin: &RequestContext,
    ) -> Result<User, IdentityError> {
        if actor == target {
            return Err(IdentityError::Conflict("you cannot change your own role".to_owned()));
        }
        let before = self.user(target).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        staff_store::set_role(&mut tx, target, role, now).await?;
        let details = json!({ "from": before.role.as_str(), "to": role.as_str() });
        self.audit(&mut tx, Some(actor), "users.role_change", &target, origin, details)
            .await?;
        tx.commit().await?;
        self.view.forget(target, None);
        self.user(target).await
    }

    fn new_user(&self, email: Email, full_name: String, role: Role) -> User {
        let now = self.clock.now();
        User {
            id: Uuid::now_v7(),
            email,
            full_name,
            role,
            status: UserStatus::Active,
            tier: Tier::Basic,
            created_at: now,
            updated_at: now,
        }
    }

    async fn announce(&self, tx: &mut Tx, user: &User) -> Result<(), IdentityError> {
        let payload = json!({ "user_id": user.id, "email": user.email.as_str(), "role": user.role.as_str() });
        outbox::enqueue(tx, "user.registered", &payload, self.clock.now()).await?;
        Ok(())
    }

    async fn audit(
        &self,
        tx: &mut Tx,
        actor: Option<Uuid>,
        action: &str,
        target: &Uuid,
        origin: &RequestContext,
        details: serde_json::Value,
    ) -> Result<(), IdentityError> {
        let record = AuditRecord {
            actor,
            target: Some(target.to_string()),
            details,
            ..AuditRecord::of(origin, action, self.clock.now())
        };
        audit::record(tx, &record).await?;
        Ok(())
    }
}
