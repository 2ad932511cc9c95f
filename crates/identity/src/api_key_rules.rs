//! The pieces of an API key that are plain values: scopes, IP allow-list rules, and the request signature.
//! Kept apart from the service so they are unit-tested without a database.

use platform::hmac_sha256;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// What a key may do. Scopes are independent: `trade` does not imply `read`, so a key holds exactly what its
/// owner ticked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Trade,
    Withdraw,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Trade, Scope::Withdraw];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
            Scope::Withdraw => "withdraw",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of an IP allow-list: an address (`203.0.113.7`, a /32 or /128) or a network in CIDR notation
/// (`10.0.0.0/8`, `2001:db8::/32`). A network with host bits set (`10.0.0.1/8`) is refused rather than
/// silently widened: in an allow-list a typo should not grant more than was meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRule {
    network: IpAddr,
    prefix: u8,
}

impl IpRule {
    pub fn parse(text: &str) -> Result<IpRule, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a prefix length over {max}"))?,
            Some(_) => return Err(format!("{text:?} has a malformed prefix length")),
        };
        let rule = IpRule { network, prefix };
        if mask(network, prefix) != bits(network) {
            return Err(format!(
                "{text:?} has host bits set; did you mean {}?",
                rule.normalised()
            ));
        }
        Ok(rule)
    }

    /// Whether `ip` is inside this rule. IPv4 addresses seen as IPv4-mapped IPv6 (`::ffff:a.b.c.d`, as a
    /// dual-stack listener reports them) match IPv4 rules.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == bits(self.network)
    }

    fn normalised(&self) -> IpRule {
        let network = match self.network {
            IpAddr::V4(_) => IpAddr::from(
                u32::try_from(mask(self.network, self.prefix))
                    .unwrap_or(0)
                    .to_be_bytes(),
            ),
            IpAddr::V6(_) => IpAddr::from(mask(self.network, self.prefix).to_be_bytes()),
        };
        IpRule {
            network,
            prefix: self.prefix,
        }
    }
}

impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn mask(ip: IpAddr, prefix: u8) -> u128 {
    let width: u32 = if ip.is_ipv4() { 32 } else { 128 };
    let host_bits = width - u32::from(prefix).min(width);
    let keep = if host_bits >= 128 { 0 } else { u128::MAX << host_bits };
    bits(ip) & keep
}

/// What a signature covers: every part of a request that decides what it does. The `Idempotency-Key` is
/// among them, so a captured request cannot be sent again under a new key to run a second time.
#[derive(Debug, Clone, Copy)]
pub struct SignedParts<'a> {
    /// Unix milliseconds, as sent in `X-Api-Timestamp`.
    pub timestamp: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    /// The `Idempotency-Key` header, or empty when the request has none.
    pub idempotency_key: &'a str,
    pub body: &'a [u8],
}

impl<'a> SignedParts<'a> {
    /// `timestamp \n method \n path_and_query \n idempotency_key \n body`. None of the first four can hold a
    /// line feed (header values and request targets cannot), so no two requests share a message.
    fn message(&self) -> [&'a [u8]; 9] {
        [
            self.timestamp.as_bytes(),
            b"\n",
            self.method.as_bytes(),
            b"\n",
            self.path_and_query.as_bytes(),
            b"\n",
            self.idempotency_key.as_bytes(),
            b"\n",
            self.body,
        ]
    }
}

/// The signature a client sends in `X-Api-Signature`: lowercase hex of HMAC-SHA256 keyed with the secret (its
/// text, as shown at creation) over [`SignedParts`]' message.
pub fn sign(secret: &str, parts: &SignedParts<'_>) -> String {
    hmac_sha256::sign_hex(secret.as_bytes(), &parts.message())
}

/// Compares in constant time (see [`hmac_sha256::verify_hex`]).
pub(crate) fn signature_matches(secret: &[u8], parts: &SignedParts<'_>, signature_hex: &str) -> bool {
    hmac_sha256::verify_hex(secret, &parts.message(), signature_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_only_their_names() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("READ"), None);
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn rules_match_their_networks() {
        let net = IpRule::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.255.1.2".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let host = IpRule::parse("127.0.0.1").unwrap();
        assert_eq!(host.to_string(), "127.0.0.1/32");
        assert!(host.contains("127.0.0.1".parse().unwrap()));
        assert!(!host.contains("127.0.0.2".parse().unwrap()));
        let any = IpRule::parse("0.0.0.0/0").unwrap();
        assert!(any.contains("192.0.2.1".parse().unwrap()));
        let v6 = IpRule::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::5".parse().unwrap()));
        assert!(IpRule::parse("::/0").unwrap().contains("::1".parse().unwrap()));
    }

    #[test]
    fn malformed_rules_are_refused_with_a_reason() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "10.0.0.0/8/8",
            "::/129",
            "host",
            "10.0.0.1/8",
            "10.0.0.0/0008",
        ] {
            assert!(IpRule::parse(bad).is_err(), "{bad:?}");
        }
        assert!(IpRule::parse("10.0.0.1/8").unwrap_err().contains("10.0.0.0/8"));
    }

    const SECRET: &str = "3f1c8e2a9b7d4f60a5e1c3b2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2";
    const EXAMPLE: SignedParts<'static> = SignedParts {
        timestamp: "1767225600000",
        method: "POST",
        path_and_query: "/v1/wallets/transfers",
        idempotency_key: "pay-bob-2026-01-01",
        body: br#"{"to":"bob@example.com","asset":"USD","amount":"25.00"}"#,
    };

    /// The worked example of the README; change both together.
    #[test]
    fn the_readme_example_signature() {
        let signature = sign(SECRET, &EXAMPLE);
        assert_eq!(
            signature,
            "3d0cd2729c694270f12533225950df9f38b909bc9973702f3dd1ceaab8f5ba13"
        );
        assert!(signature_matches(SECRET.as_bytes(), &EXAMPLE, &signature));
        assert!(!signature_matches(b"other", &EXAMPLE, &signature));
        let get = SignedParts {
            method: "GET",
            path_and_query: "/v1/wallets",
            idempotency_key: "",
            body: b"",
            ..EXAMPLE
        };
        assert!(!signature_matches(b"k", &get, "not hex"));
    }

    #[test]
    fn the_signature_covers_the_idempotency_key_and_where_each_part_ends() {
        let signature = sign(SECRET, &EXAMPLE);
        let other_key = SignedParts {
            idempotency_key: "pay-bob-again",
            ..EXAMPLE
        };
        assert!(!signature_matches(SECRET.as_bytes(), &other_key, &signature));
        let no_key = SignedParts {
            idempotency_key: "",
            ..EXAMPLE
        };
        assert!(!signature_matches(SECRET.as_bytes(), &no_key, &signature));
        // Bytes moved from the path into the body (or the key) change the message.
        let a = SignedParts {
            path_and_query: "/a",
            idempotency_key: "",
            body: b"b",
            ..EXAMPLE
        };
        let b = SignedParts {
            path_and_query: "/ab",
            idempotency_key: "",
            body: b"",
            ..EXAMPLE
        };
        assert_ne!(sign(SECRET, &a), sign(SECRET, &b));
        let c = SignedParts {
            path_and_query: "/a",
            idempotency_key: "b",
            body: b"",
            ..EXAMPLE
        };
        assert_ne!(sign(SECRET, &a), sign(SECRET, &c));
    }
}
