//! Password rules and argon2id hashing. Hashing is CPU-bound, slow and memory-hungry on purpose, so it runs on
//! the blocking pool, never on the async workers, and only as many hashes at once as [`HashGate`] allows.

use crate::IdentityConfig;
use crate::IdentityError;
use crate::email::Email;
use crate::hash_gate::{HashGate, HashLimits, HashTurn};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::time::Duration;

const MIN_LEN: usize = 12;
/// argon2 accepts any length; this bound keeps a request from making the server hash megabytes.
const MAX_LEN: usize = 128;

/// Passwords too common to allow, whatever their length. The list is short on purpose: the length rule already
/// removes most of the well-known lists.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiopas",
    "qwertyuiop123",
    "qwerty123456",
    "111111111111",
    "000000000000",
    "123123123123",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "administrator",
    "abc123456789",
    "abcdefghijkl",
    "changeme1234",
    "trustno11234",
    "football1234",
    "baseball1234",
    "monkey123456",
    "dragon123456",
    "sunshine1234",
    "princess1234",
    "superman1234",
    "starwars1234",
    "master123456",
    "whatever1234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "qazwsxedcrfv",
    "asdfghjkl123",
    "p@ssw0rd1234",
    "passw0rd1234",
    "correcthorsebatterystaple",
    "password123!",
    "Password123!",
    "P@ssw0rd123!",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordPolicy;

impl PasswordPolicy {
    /// Checks a new password; `field` names it in the error (`password`, `new_password`).
    pub fn check(&self, field: &'static str, password: &str, email: &Email) -> Result<(), IdentityError> {
        let length = password.chars().count();
        if length < MIN_LEN {
            return Err(IdentityError::invalid(
                field,
                format!("must be at least {MIN_LEN} characters"),
            ));
        }
        if length > MAX_LEN {
            return Err(IdentityError::invalid(
                field,
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        let lowered = password.to_lowercase();
        if lowered == email.as_str() || lowered == email.as_str().split('@').next().unwrap_or_default() {
            return Err(IdentityError::invalid(field, "must not be your email address"));
        }
        if COMMON.iter().any(|c| c.eq_ignore_ascii_case(password)) {
            return Err(IdentityError::invalid(field, "is too common; choose another"));
        }
        if password.chars().all(|c| c == password.chars().next().unwrap_or(c)) {
            return Err(IdentityError::invalid(field, "must not repeat one character"));
        }
        Ok(())
    }
}

/// argon2id with parameters from configuration. Clones share one bound on concurrent hashes: every path that
/// hashes or verifies a password goes through [`hash`](Self::hash) or [`verify`](Self::verify).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password with the same parameters, verified against when the email is unknown so a
    /// failed login costs the same time whether or not the account exists.
    decoy: String,
    gate: Arc<HashGate>,
}

impl PasswordHasher {
    pub fn from_config(config: &IdentityConfig) -> Result<PasswordHasher, IdentityError> {
        let params = Params::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            None,
        )
        .map_err(|e| IdentityError::Internal(format!("argon2 parameters: {e}")))?;
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).map_err(|e| IdentityError::Internal(format!("randomness: {e}")))?;
        let decoy = hash_with(&params, &hex::encode(random))?;
        Ok(PasswordHasher {
            params,
            decoy,
            gate: Arc::new(HashGate::new(hash_limits(config))),
        })
    }

    /// A busy server answers [`IdentityError::Busy`] instead of queueing without bound.
    pub async fn hash(&self, password: &str) -> Result<String, IdentityError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.gate.run(move || hash_with(&params, &password)).await?
    }

    /// True when `password` matches `hash`; with no hash (unknown account) it verifies against the decoy and
    /// returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, IdentityError> {
        let turn = self.turn().await?;
        self.verify_in_turn(turn, password, hash).await
    }

    /// Takes a turn ahead of the work that leads to a verification, so a busy server refuses before doing any
    /// of it.
    pub(crate) async fn turn(&self) -> Result<HashTurn, IdentityError> {
        self.gate.admit().await
    }

    /// [`verify`](Self::verify) in a turn already taken.
    pub(crate) async fn verify_in_turn(
        &self,
        turn: HashTurn,
        password: &str,
        hash: Option<&str>,
    ) -> Result<bool, IdentityError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.decoy).to_owned();
        let password = password.to_owned();
        let matches = self
            .gate
            .run_in(turn, move || {
                Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await?;
        Ok(known && matches)
    }

    /// The most hashes that ran at the same moment since start; never above the configured concurrency.
    pub fn peak_in_flight(&self) -> usize {
        self.gate.peak_in_flight()
    }
}

/// The configured bound, or one hash per CPU the process may use: more would only queue inside the kernel while
/// each holds its memory.
fn hash_limits(config: &IdentityConfig) -> HashLimits {
    let machine = std::thread::available_parallelism().map_or(1, usize::from);
    HashLimits {
        concurrency: config
            .password_hash_concurrency
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(machine),
        max_waiting: usize::try_from(config.password_hash_queue).unwrap_or(usize::MAX),
        wait: Duration::from_millis(config.password_hash_wait_ms),
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, IdentityError> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| IdentityError::Internal(format!("argon2: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("alice@example.com").unwrap()
    }

    #[test]
    fn the_policy_refuses_weak_passwords() {
        let policy = PasswordPolicy;
        for weak in [
            "short",
            "alice@example.com",
            "password1234",
            "aaaaaaaaaaaaaaa",
            &"x".repeat(129),
        ] {
            assert!(policy.check("password", weak, &email()).is_err(), "{weak}");
        }
        assert!(policy.check("password", "plum-rain-91-orbit", &email()).is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id() {
        let config = IdentityConfig {
            argon2_memory_kib: 8 * 1024,
            argon2_iterations: 1,
            ..IdentityConfig::default()
        };
        let hasher = PasswordHasher::from_config(&config).unwrap();
        let hash = hasher.hash("plum-rain-91-orbit").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"), "{hash}");
        assert!(hasher.verify("plum-rain-91-orbit", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("plum-rain-91-orbiT", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("plum-rain-91-orbit", None).await.unwrap());
    }
}
