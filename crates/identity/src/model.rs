use crate::email::Email;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Customer,
    Teller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "CUSTOMER",
            Role::Teller => "TELLER",
            Role::Admin => "ADMIN",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "CUSTOMER" => Some(Role::Customer),
            "TELLER" => Some(Role::Teller),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum UserStatus {
    Active,
    Suspended,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Suspended => "SUSPENDED",
        }
    }

    pub fn parse(text: &str) -> Option<UserStatus> {
        match text {
            "ACTIVE" => Some(UserStatus::Active),
            "SUSPENDED" => Some(UserStatus::Suspended),
            _ => None,
        }
    }
}

/// Rate-limit tier (CurrencyEx: Basic 60/min, Pro 300/min).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tier {
    Basic,
    Pro,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Basic => "BASIC",
            Tier::Pro => "PRO",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        match text {
            "BASIC" => Some(Tier::Basic),
            "PRO" => Some(Tier::Pro),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: Email,
    pub full_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub tier: Tier,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One login and the refresh tokens descended from it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
