//! API keys for programmatic clients: created by a signed-in user, shown once, and then used to sign requests
//! with HMAC-SHA256 (see [`crate::api_key_rules::sign`]).
//!
//! The secret has to be recoverable, since the server recomputes each signature, so it is sealed with
//! AES-256-GCM under the data-encryption key rather than hashed; the associated data names the key id, so a
//! sealed secret copied onto another key row does not open.

use crate::api_key_rules::{IpRule, Scope, SignedParts, signature_matches};
use crate::model::{Role, UserStatus};
use crate::sessions::{AuthMethod, Authenticated};
use crate::two_factor::TwoFactor;
use crate::{IdentityError, api_keys_store as store};
use chrono::{DateTime, Duration, Utc};
use platform::audit::{self, AuditRecord};
use platform::crypto::SecretBox;
use platform::replay::ReplayGuard;
use platform::text::has_hidden_characters;
use platform::{Clock, Db, RequestContext, Tx};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

/// Live (unrevoked, unexpired) keys one user may hold.
pub const MAX_KEYS_PER_USER: i64 = 20;
pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_ALLOWLIST_ENTRIES: usize = 32;
const SECRET_BYTES: usize = 32;
/// `last_used_at` is refreshed at most this often per key.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// A key as its owner sees it: never the secret.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub label: String,
    /// Sorted, without duplicates.
    pub scopes: Vec<Scope>,
    /// Empty: any source address.
    pub ip_allowlist: Vec<IpRule>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a user asks for; checked field by field.
pub struct NewApiKey<'a> {
    pub label: &'a str,
    pub scopes: &'a [String],
    pub ip_allowlist: &'a [String],
    pub expires_at: Option<DateTime<Utc>>,
    /// A current TOTP code: a key outlives the session that made it, so making one needs the second factor
    /// when the owner has 2FA on.
    pub code: Option<&'a str>,
}

/// A new key and its secret: the only time the secret leaves the server.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

/// A request as signed by its client: the key and signature headers and what the signature covers.
pub struct SignedRequest<'a> {
    pub key_id: &'a str,
    pub signature: &'a str,
    pub parts: SignedParts<'a>,
}

/// The caller behind a correctly signed request with a live key of an active user. What the key may do here
/// (scope, source address) is for the caller of [`ApiKeys::verify`] to check, since it depends on the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyPrincipal {
    pub key_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub ip_allowlist: Vec<IpRule>,
}

impl ApiKeyPrincipal {
    /// The caller as routes see them; `session_id` is nil because no session stands behind a key.
    pub fn authenticated(&self) -> Authenticated {
        Authenticated {
            user_id: self.user_id,
            session_id: Uuid::nil(),
            role: self.role,
            via: AuthMethod::ApiKey(self.key_id),
        }
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// An empty allow-list admits any address; otherwise an unknown source address is refused.
    pub fn allows_ip(&self, ip: Option<IpAddr>) -> bool {
        self.ip_allowlist.is_empty() || ip.is_some_and(|ip| self.ip_allowlist.iter().any(|rule| rule.contains(ip)))
    }
}

#[derive(Clone)]
pub struct ApiKeys {
    db: Db,
    clock: Arc<dyn Clock>,
    sealer: SecretBox,
    window: Duration,
    replay: ReplayGuard,
    two_factor: TwoFactor,
}

fn associated_data(key: Uuid) -> Vec<u8> {
    format!("api_key:{key}").into_bytes()
}

fn check_label(label: &str) -> Result<String, IdentityError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(IdentityError::invalid("label", "must not be empty"));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(IdentityError::invalid(
            "label",
            format!("must be at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    if has_hidden_characters(label) {
        return Err(IdentityError::invalid(
            "label",
            "must not contain control, bidirectional-override or zero-width characters",
        ));
    }
    Ok(label.to_owned())
}

fn check_scopes(scopes: &[String]) -> Result<Vec<Scope>, IdentityError> {
    if scopes.is_empty() {
        return Err(IdentityError::invalid(
            "scopes",
            "must name at least one of read, trade, withdraw",
        ));
    }
    let mut parsed = scopes
        .iter()
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                let shown: String = s.chars().take(32).collect();
                IdentityError::invalid("scopes", format!("{shown:?} is not one of read, trade, withdraw"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

fn check_allowlist(entries: &[String]) -> Result<Vec<IpRule>, IdentityError> {
    if entries.len() > MAX_ALLOWLIST_ENTRIES {
        return Err(IdentityError::invalid(
            "ip_allowlist",
            format!("must have at most {MAX_ALLOWLIST_ENTRIES} entries"),
        ));
    }
    let mut rules = Vec::with_capacity(entries.len());
    for entry in entries {
        let shown: String = entry.chars().take(64).collect();
        let rule = IpRule::parse(entry.trim()).map_err(|_| {
            IdentityError::invalid(
                "ip_allowlist",
                format!("{shown:?} is not an IP address or a CIDR network such as 10.0.0.0/8"),
            )
        })?;
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    Ok(rules)
}

fn new_secret() -> Result<String, IdentityError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| IdentityError::Internal(format!("randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

impl ApiKeys {
    /// `window`: how far a request's timestamp may be from the server's clock, either way.
    /// `replay` remembers the signatures accepted; shared through Redis, it makes the once-only rule hold
    /// across nodes.
    /// `two_factor` asks the owner's second factor before a key is made.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        sealer: SecretBox,
        window: Duration,
        replay: ReplayGuard,
        two_factor: TwoFactor,
    ) -> ApiKeys {
        ApiKeys {
            db,
            clock,
            sealer,
            window,
            replay,
            two_factor,
        }
    }

    /// A signature stays valid while its timestamp is within the window either side of the clock, so it is
    /// remembered for twice the window (and a second for clocks that tick between the two checks).
    async fn refuse_replay(&self, key: Uuid, signature: &str) -> Result<(), IdentityError> {
        let window = self.window.to_std().unwrap_or_default();
        let remember = window * 2 + std::time::Duration::from_secs(1);
        let token = format!("{key}:{}", signature.to_ascii_lowercase());
        match self.replay.first_sight(&token, remember).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(IdentityError::Replayed),
            Err(error) => Err(IdentityError::Unavailable(format!("API-key replay check: {error}"))),
        }
    }

    pub async fn create(
        &self,
        user: Uuid,
        request: NewApiKey<'_>,
        origin: &RequestContext,
    ) -> Result<CreatedApiKey, IdentityError> {
        let label = check_label(request.label)?;
        let scopes = check_scopes(request.scopes)?;
        let ip_allowlist = check_allowlist(request.ip_allowlist)?;
        let now = self.clock.now();
        if let Some(expires_at) = request.expires_at
            && expires_at <= now
        {
            return Err(IdentityError::invalid("expires_at", "must be in the future"));
        }
        // After the fields are checked, so a request refused for its input does not spend the code.
        self.two_factor.step_up(user, request.code).await?;
        let key = ApiKey {
            id: Uuid::now_v7(),
            user_id: user,
            label,
            scopes,
            ip_allowlist,
            created_at: now,
            expires_at: request.expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let secret = new_secret()?;
        let sealed = self
            .sealer
            .seal(secret.as_bytes(), &associated_data(key.id))
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        if !store::lock_owner(&mut tx, user).await? {
            tx.rollback().await?;
            return Err(IdentityError::Unauthenticated);
        }
        if store::count_live(&mut tx, user, now).await? >= MAX_KEYS_PER_USER {
            tx.rollback().await?;
            return Err(IdentityError::Conflict(format!(
                "at most {MAX_KEYS_PER_USER} live API keys are allowed; revoke one first"
            )));
        }
        store::insert(&mut tx, &key, &sealed).await?;
        let details = json!({
            "label": key.label,
            "scopes": store::join(&key.scopes),
            "ip_allowlist": store::join(&key.ip_allowlist),
            "expires_at": key.expires_at,
        });
        self.audit(&mut tx, user, "auth.api_key_create", key.id, details, origin)
            .await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret })
    }

    /// A page of the user's keys, newest first, revoked ones included; `true` when more follow.
    pub async fn list(
        &self,
        user: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<ApiKey>, bool), IdentityError> {
        let mut keys = store::page(&self.db, user, before, limit.saturating_add(1)).await?;
        let more = keys.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        keys.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((keys, more))
    }

    /// Revokes one of the user's live keys; [`IdentityError::NotFound`] for anyone else's.
    pub async fn revoke(&self, user: Uuid, key: Uuid, origin: &RequestContext) -> Result<(), IdentityError> {
        let mut tx = self.db.begin().await?;
        if !store::revoke(&mut tx, user, key, self.clock.now()).await? {
            tx.rollback().await?;
            return Err(IdentityError::NotFound);
        }
        self.audit(&mut tx, user, "auth.api_key_revoke", key, json!({}), origin)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a signed request: timestamp within the window, a live key of an active user, and a signature made
    /// with that key's secret. Every failure is the same [`IdentityError::Unauthenticated`], so a caller learns
    /// nothing about which part was wrong.
    ///
    /// A correctly signed request is accepted once: the same signature again within the window is
    /// [`IdentityError::Replayed`], on every node sharing the replay guard.
    pub async fn verify(&self, request: &SignedRequest<'_>) -> Result<ApiKeyPrincipal, IdentityError> {
        let now = self.clock.now();
        let key_id = Uuid::parse_str(request.key_id).map_err(|_| IdentityError::Unauthenticated)?;
        let timestamp = parse_millis(request.parts.timestamp).ok_or(IdentityError::Unauthenticated)?;
        let skew = now.timestamp_millis().abs_diff(timestamp);
        if skew > u64::try_from(self.window.num_milliseconds()).unwrap_or(0) {
            return Err(IdentityError::Unauthenticated);
        }
        let found = store::presented(&self.db, key_id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        let (sealed, owner_status, owner_role) = (found.secret_sealed, found.owner_status, found.owner_role);
        let key = ApiKey::try_from(found.key)?;
        let live = key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now);
        if !live || owner_status != UserStatus::Active.as_str() {
            return Err(IdentityError::Unauthenticated);
        }
        let role = Role::parse(&owner_role).ok_or(IdentityError::Unauthenticated)?;
        let secret = self
            .sealer
            .open(&sealed, &associated_data(key.id))
            .map_err(|e| IdentityError::Internal(format!("API key {}: {e}", key.id)))?;
        if !signature_matches(&secret, &request.parts, request.signature) {
            return Err(IdentityError::Unauthenticated);
        }
        self.refuse_replay(key.id, request.signature).await?;
        let stale_before = now - Duration::seconds(LAST_USED_GRANULARITY_SECS);
        if key.last_used_at.is_none_or(|at| at < stale_before) {
            store::touch(&self.db, key.id, now, stale_before).await?;
        }
        Ok(ApiKeyPrincipal {
            key_id: key.id,
            user_id: key.user_id,
            role,
            scopes: key.scopes,
            ip_allowlist: key.ip_allowlist,
        })
    }

    async fn audit(
        &self,
        tx: &mut Tx,
        user: Uuid,
        action: &str,
        key: Uuid,
        details: serde_json::Value,
        origin: &RequestContext,
    ) -> Result<(), IdentityError> {
        audit::record(
            tx,
            &AuditRecord {
                actor: Some(user),
                target: Some(key.to_string()),
                details,
                ..AuditRecord::of(origin, action, self.clock.now())
            },
        )
        .await?;
        Ok(())
    }
}

/// Unix milliseconds as plain digits: no sign, no spaces, at most 16 digits (far beyond any real clock).
fn parse_millis(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_and_normalised() {
        assert_eq!(check_label("  bot  ").unwrap(), "bot");
        assert!(check_label("").is_err());
        assert!(check_label(&"x".repeat(MAX_LABEL_CHARS + 1)).is_err());
        assert!(check_label("a\nb").is_err());
        let scopes = check_scopes(&["trade".into(), "read".into(), "trade".into()]).unwrap();
        assert_eq!(scopes, vec![Scope::Read, Scope::Trade]);
        assert!(check_scopes(&[]).is_err());
        assert!(check_scopes(&["admin".into()]).is_err());
        let rules = check_allowlist(&["10.0.0.0/8".into(), " 127.0.0.1 ".into(), "10.0.0.0/8".into()]).unwrap();
        assert_eq!(store_join(&rules), "10.0.0.0/8,127.0.0.1/32");
        assert!(check_allowlist(&["10.0.0.0/40".into()]).is_err());
        assert!(check_allowlist(&vec!["::1".to_owned(); MAX_ALLOWLIST_ENTRIES + 1]).is_err());
    }

    fn store_join(rules: &[IpRule]) -> String {
        store::join(rules)
    }

    #[test]
    fn timestamps_are_plain_digits() {
        assert_eq!(parse_millis("1767225600000"), Some(1_767_225_600_000));
        for bad in ["", "-1", "+1", " 1", "1.5", "12345678901234567", "1e3"] {
            assert_eq!(parse_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_allowlist_admits_only_its_networks() {
        let principal = |rules: &[&str]| ApiKeyPrincipal {
            key_id: Uuid::nil(),
            user_id: Uuid::nil(),
            role: Role::Customer,
            scopes: vec![Scope::Read],
            ip_allowlist: rules.iter().map(|r| IpRule::parse(r).unwrap()).collect(),
        };
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(principal(&[]).allows_ip(Some(local)));
        assert!(principal(&[]).allows_ip(None));
        assert!(principal(&["127.0.0.1/32"]).allows_ip(Some(local)));
        assert!(!principal(&["10.0.0.0/8"]).allows_ip(Some(local)));
        assert!(!principal(&["10.0.0.0/8"]).allows_ip(None));
        assert!(principal(&["10.0.0.0/8"]).has_scope(Scope::Read));
        assert!(!principal(&["10.0.0.0/8"]).has_scope(Scope::Trade));
    }
}
