//! The identity context: who the users are and how they prove it. Accounts with argon2id password hashes,
//! sessions that each own a family of rotating refresh tokens, short-lived access tokens, roles, and the lockout
//! that slows password guessing.

mod accounts;
mod api_key_rules;
mod api_keys;
mod api_keys_store;
mod config;
mod email;
mod error;
mod hash_gate;
mod lockout;
mod model;
mod password;
mod permissions;
mod revocations_store;
mod session_view;
mod sessions;
mod staff;
mod staff_store;
mod store;
mod tokens;
mod totp;
mod two_factor;

pub use accounts::{Accounts, NewAccount, ProfileChange, Revoked};
pub use api_key_rules::{IpRule, Scope, SignedParts, sign as sign_api_request};
pub use api_keys::{ApiKey, ApiKeyPrincipal, ApiKeys, CreatedApiKey, NewApiKey, SignedRequest};
pub use config::IdentityConfig;
pub use email::Email;
pub use error::IdentityError;
pub use lockout::LockoutPolicy;
pub use model::{Role, Session, Tier, User, UserStatus};
pub use password::{PasswordHasher, PasswordPolicy};
pub use permissions::Permission;
pub use session_view::{POLL_INTERVAL as SESSION_POLL_INTERVAL, SessionView};
pub use sessions::{AuthMethod, Authenticated, Credentials, IssuedTokens, SessionPolicy, Sessions};
pub use staff::{Invite, NewStaff, Staff};
pub use staff_store::UserQuery;
pub use tokens::{AccessClaims, AccessTokens};
pub use totp::code_for as totp_code;
pub use two_factor::{Enabled, TotpSetup, TwoFactor};
