//! Access tokens: JWTs signed with HMAC-SHA256 under the configured key, with issuer, audience, expiry, subject,
//! role, session id and key id; the algorithm is pinned on verification. Refresh tokens: 256 random bits, handed
//! out once and stored only as their SHA-256.

use crate::IdentityError;
use crate::model::{Role, Tier};
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const ISSUER: &str = "bourse";
const AUDIENCE: &str = "bourse-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    /// The session this token belongs to: revoking it ends the token too.
    pub sid: Uuid,
    pub role: Role,
    /// The rate-limit tier when the token was issued, so the limiter needs no database read; tokens issued
    /// before the claim existed count as BASIC.
    #[serde(default = "basic_tier")]
    pub tier: Tier,
    pub iat: i64,
    pub exp: i64,
}

fn basic_tier() -> Tier {
    Tier::Basic
}

#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    ttl_secs: i64,
}

impl AccessTokens {
    pub fn new(secret: &[u8], ttl_secs: u64) -> AccessTokens {
        // The key id names the key without revealing it, so a rotation can tell tokens apart.
        let kid = hex::encode(&Sha256::digest(secret)[..8]);
        AccessTokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            kid,
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(i64::MAX),
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user: Uuid,
        session: Uuid,
        role: Role,
        tier: Tier,
        now: DateTime<Utc>,
    ) -> Result<String, IdentityError> {
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user,
            sid: session,
            role,
            tier,
            iat: now.timestamp(),
            exp: now.timestamp().saturating_add(self.ttl_secs),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| IdentityError::Internal(format!("token signing: {e}")))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry against `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, IdentityError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the injected clock, not the system's.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|_| IdentityError::Unauthenticated)?;
        if data.header.kid.as_deref() != Some(self.kid.as_str()) || data.claims.exp <= now.timestamp() {
            return Err(IdentityError::Unauthenticated);
        }
        Ok(data.claims)
    }
}

/// A new refresh token: what the client gets, and the hash that is stored.
pub(crate) fn new_refresh_token() -> Result<(String, String), IdentityError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| IdentityError::Internal(format!("randomness: {e}")))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    Ok((token, hash))
}

pub(crate) fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn tokens() -> AccessTokens {
        AccessTokens::new(&[7u8; 32], 900)
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let now = Utc::now();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = tokens().issue(user, session, Role::Teller, Tier::Pro, now).unwrap();
        let claims = tokens().verify(&token, now + Duration::seconds(899)).unwrap();
        assert_eq!(
            (claims.sub, claims.sid, claims.role, claims.tier),
            (user, session, Role::Teller, Tier::Pro)
        );
        assert!(tokens().verify(&token, now + Duration::seconds(900)).is_err());
    }

    #[test]
    fn another_key_or_a_tampered_token_is_refused() {
        let now = Utc::now();
        let token = tokens()
            .issue(Uuid::new_v4(), Uuid::new_v4(), Role::Customer, Tier::Basic, now)
            .unwrap();
        assert!(AccessTokens::new(&[8u8; 32], 900).verify(&token, now).is_err());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let admin_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            String::from_utf8_lossy(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(&parts[1])
                    .unwrap(),
            )
            .replace("CUSTOMER", "ADMIN"),
        );
        parts[1] = admin_claims;
        assert!(tokens().verify(&parts.join("."), now).is_err());
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        let now = Utc::now().timestamp();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = engine.encode(format!(
            r#"{{"iss":"bourse","aud":"bourse-api","sub":"{}","sid":"{}","role":"ADMIN","iat":{now},"exp":{}}}"#,
            Uuid::new_v4(),
            Uuid::new_v4(),
            now + 600
        ));
        assert!(tokens().verify(&format!("{header}.{claims}."), Utc::now()).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let (a, hash_a) = new_refresh_token().unwrap();
        let (b, _) = new_refresh_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a), hash_a);
        assert_ne!(a, hash_a);
    }
}
