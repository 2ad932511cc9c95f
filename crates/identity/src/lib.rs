//! The identity context: who the users are and how they prove it. Accounts with argon2id password hashes,
//! sessions that each own a family of rotating refresh tokens, short-lived access tokens, roles, and the lockout
//! that slows password guessing.

mod accounts;
mod email;
mod error;
mod lockout;
mod model;
mod password;
mod sessions;
mod store;
mod tokens;
mod totp;
mod two_factor;

pub use accounts::{Accounts, NewAccount, Origin, ProfileChange};
pub use email::Email;
pub use error::IdentityError;
pub use lockout::LockoutPolicy;
pub use model::{Role, Session, Tier, User, UserStatus};
pub use password::{PasswordHasher, PasswordPolicy};
pub use sessions::{Authenticated, ClientInfo, Credentials, IssuedTokens, SessionPolicy, Sessions};
pub use tokens::{AccessClaims, AccessTokens};
pub use two_factor::{TotpSetup, TwoFactor};
