//! Secrets at rest: AES-256-GCM under the configured data-encryption key, a fresh random 96-bit nonce per
//! message, stored as nonce ‖ ciphertext ‖ tag. The associated data binds a ciphertext to its purpose and owner,
//! so one user's sealed secret cannot be swapped in for another's.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("no randomness available")]
    Randomness,
    #[error("encryption failed")]
    Seal,
    /// Wrong key, tampered data, or data sealed for another purpose or owner.
    #[error("sealed data cannot be opened")]
    Open,
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)),
        }
    }

    pub fn seal(&self, plaintext: &[u8], associated: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Randomness)?;
        let payload = Payload {
            msg: plaintext,
            aad: associated,
        };
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| CryptoError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], associated: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Open)?;
        let payload = Payload {
            msg: ciphertext,
            aad: associated,
        };
        self.cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_purpose() {
        let sealer = SecretBox::new(&[1u8; 32]);
        let sealed = sealer.seal(b"totp secret", b"totp:alice").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"totp secret");
        assert_eq!(sealer.open(&sealed, b"totp:alice").unwrap(), b"totp secret");
        assert!(sealer.open(&sealed, b"totp:bob").is_err());
        assert!(SecretBox::new(&[2u8; 32]).open(&sealed, b"totp:alice").is_err());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(sealer.open(&tampered, b"totp:alice").is_err());
        assert!(sealer.open(&sealed[..5], b"totp:alice").is_err());
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let sealer = SecretBox::new(&[1u8; 32]);
        assert_ne!(sealer.seal(b"x", b"").unwrap(), sealer.seal(b"x", b"").unwrap());
    }
}
