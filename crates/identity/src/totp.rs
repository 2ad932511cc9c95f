//! Time-based one-time passwords (RFC 6238): HMAC-SHA1 over the 30-second step count, six digits. A code is
//! accepted for the current step and one step either side (clock drift), and only for a step later than the
//! last one accepted, so a code cannot be replayed.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

pub(crate) const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
pub(crate) const SECRET_LEN: usize = 20;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The six-digit code for `step`.
pub(crate) fn code_at(secret: &[u8], step: i64) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

pub(crate) fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The step a code matches (current ±1), if it is newer than `last_step`.
pub(crate) fn verify(secret: &[u8], code: &str, unix_secs: i64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_at(unix_secs);
    [now - 1, now, now + 1]
        .into_iter()
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| code_at(secret, *step) == wanted)
}

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub(crate) fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = buffer.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = ((bits >> (35 - i * 5)) & 0x1f) as usize;
            out.push(char::from(BASE32[index]));
        }
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut bits, mut count) = (0u64, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The code an authenticator app shows at `unix_secs` for a base32 secret from `/v1/auth/2fa/setup`: what a
/// client (or a test) computes on its side. `None` for a secret that is not base32.
pub fn code_for(secret_base32: &str, unix_secs: i64) -> Option<String> {
    let secret = base32_decode(secret_base32)?;
    Some(format!("{:06}", code_at(&secret, step_at(unix_secs))))
}

pub(crate) fn otpauth_uri(secret_base32: &str, account: &str) -> String {
    let account: String = account
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("otpauth://totp/Bourse:{account}?secret={secret_base32}&issuer=Bourse&algorithm=SHA1&digits=6&period=30")
}

/// The URI as a QR code in SVG, for scanning from the screen.
pub(crate) fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column, truncated to six digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, 287082),
            (1_111_111_109, 81804),
            (1_111_111_111, 50471),
            (1_234_567_890, 5924),
            (2_000_000_000, 279037),
            (20_000_000_000, 353130),
        ] {
            assert_eq!(code_at(secret, step_at(time)), expected, "t={time}");
        }
    }

    #[test]
    fn codes_are_accepted_within_one_step_and_never_replayed() {
        let secret = [9u8; SECRET_LEN];
        let now = 1_700_000_000;
        let code = format!("{:06}", code_at(&secret, step_at(now)));
        let step = verify(&secret, &code, now, None).expect("current code");
        assert_eq!(step, step_at(now));
        assert_eq!(
            verify(&secret, &code, now + STEP_SECS, None),
            Some(step),
            "one step late"
        );
        assert_eq!(
            verify(&secret, &code, now + 2 * STEP_SECS, None),
            None,
            "two steps late"
        );
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replay");
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn a_base32_secret_gives_the_same_code_as_its_bytes() {
        let secret = [7u8; SECRET_LEN];
        let expected = format!("{:06}", code_at(&secret, step_at(1_700_000_000)));
        assert_eq!(code_for(&base32(&secret), 1_700_000_000), Some(expected));
        assert_eq!(base32_decode(&base32(b"foobar")), Some(b"foobar".to_vec()));
        assert_eq!(code_for("not base32!", 0), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret() {
        let uri = otpauth_uri("MZXW6YTB", "alice+x@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Bourse:alice%2Bx%40example.com?secret=MZXW6YTB&issuer=Bourse&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{}", &svg[..40]);
    }
}
