//! Request and response schemas that more than one identity route uses.

use chrono::{DateTime, Utc};
use identity::{IssuedTokens, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub full_name: String,
    /// CUSTOMER, TELLER or ADMIN.
    #[schema(example = "CUSTOMER")]
    pub role: &'static str,
    /// ACTIVE or SUSPENDED.
    #[schema(example = "ACTIVE")]
    pub status: &'static str,
    /// Rate-limit tier: BASIC or PRO.
    #[schema(example = "BASIC")]
    pub tier: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            email: user.email.to_string(),
            full_name: user.full_name,
            role: user.role.as_str(),
            status: user.status.as_str(),
            tier: user.tier.as_str(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RoleName {
    Customer,
    Teller,
    Admin,
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::Customer => Role::Customer,
            RoleName::Teller => Role::Teller,
            RoleName::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Single use: exchange it at `/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub session_id: Uuid,
}

impl From<IssuedTokens> for TokenPair {
    fn from(t: IssuedTokens) -> Self {
        TokenPair {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_in: t.expires_in,
            token_type: "Bearer",
            session_id: t.session_id,
        }
    }
}
