//! HMAC-SHA256 signatures as lowercase hex, shared by every signed request the server checks (API-key requests,
//! provider webhooks), so there is one implementation of the constant-time comparison.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Lowercase hex of HMAC-SHA256 keyed with `key` over `parts` concatenated, with no separators.
pub fn sign_hex(key: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(mac(key, parts).finalize().into_bytes())
}

/// Whether `signature_hex` is the signature of `parts` under `key`. Compares in constant time (through
/// `Mac::verify_slice`), so the time taken says nothing about how many leading bytes of a guess were right.
/// Accepts upper- or lower-case hex; anything that is not hex is simply wrong.
pub fn verify_hex(key: &[u8], parts: &[&[u8]], signature_hex: &str) -> bool {
    let Ok(presented) = hex::decode(signature_hex) else {
        return false;
    };
    mac(key, parts).verify_slice(&presented).is_ok()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; an empty one is the only conceivable failure and keys are never empty.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    for part in parts {
        mac.update(part);
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_their_key_and_parts() {
        // RFC 4231 test case 2.
        let signature = sign_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            signature,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_hex(b"Jefe", &[b"what do ya want for nothing?"], &signature));
        assert!(verify_hex(
            b"Jefe",
            &[b"what do ya want for nothing?"],
            &signature.to_uppercase()
        ));
        assert!(!verify_hex(b"Jeff", &[b"what do ya want for nothing?"], &signature));
        assert!(!verify_hex(b"Jefe", &[b"what do ya want for nothing!"], &signature));
        assert!(!verify_hex(b"Jefe", &[b""], "not hex"));
        assert!(!verify_hex(b"Jefe", &[b""], ""));
    }
}
