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

/// The signature a client sends in `X-Api-Signature`: lowercase hex of HMAC-SHA256 keyed with the secret (its
/// text, as shown at creation) over `timestamp ‖ method ‖ path_and_query ‖ body`, with no separators.
pub fn sign(secret: &str, timestamp: &str, method: &str, path_and_query: &str, body: &[u8]) -> String {
    hmac_sha256::sign_hex(
        secret.as_bytes(),
        &[timestamp.as_bytes(), method.as_bytes(), path_and_query.as_bytes(), body],
    )
}

/// Compares in constant time (see [`hmac_sha256::verify_hex`]).
pub(crate) fn signature_matches(
    secret: &[u8],
    timestamp: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    signature_hex: &str,
) -> bool {
    hmac_sha256::verify_hex(
        secret,
        &[timestamp.as_bytes(), method.as_bytes(), path_and_query.as_bytes(), body],
        signature_hex,
    )
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

    /// The worked example of the README; change both together.
    #[test]
    fn the_readme_example_signature() {
        let signature = sign(
            "3f1c8e2a9b7d4f60a5e1c3b2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2",
            "1767225600000",
            "POST",
            "/v1/orders?dry_run=true",
            br#"{"market":"BTC-USD","side":"buy","quantity":"0.5"}"#,
        );
        assert_eq!(
            signature,
            "33d4b7d56ac1f631db6aced39e6fb5f2a223c4175b23d9cac00c2e35a7bfa63c"
        );
        assert!(signature_matches(
            b"3f1c8e2a9b7d4f60a5e1c3b2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2",
            "1767225600000",
            "POST",
            "/v1/orders?dry_run=true",
            br#"{"market":"BTC-USD","side":"buy","quantity":"0.5"}"#,
            &signature,
        ));
        assert!(!signature_matches(
            b"other",
            "1767225600000",
            "POST",
            "/",
            b"",
            &signature
        ));
        assert!(!signature_matches(b"k", "1", "GET", "/", b"", "not hex"));
    }
}
