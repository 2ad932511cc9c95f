//! An email address, normalised (trimmed, lower-cased) and checked for the shape mail systems accept.

use crate::IdentityError;
use std::fmt;

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, IdentityError> {
        let bad = |reason: &str| IdentityError::invalid("email", reason);
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(bad("must not be empty"));
        }
        if email.len() > MAX_LEN {
            return Err(bad("must be at most 254 characters"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(bad("must look like name@example.com"));
        };
        let local_ok = !local.is_empty()
            && local.len() <= MAX_LOCAL_LEN
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(bad("must look like name@example.com"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only for values read back from the database, which were parsed on the way in.
    pub(crate) fn from_stored(value: String) -> Email {
        Email(value)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        assert_eq!(
            Email::parse("a.b+tag@mail.example.co.uk").unwrap().as_str(),
            "a.b+tag@mail.example.co.uk"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        let long = format!("{}@example.com", "a".repeat(65));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
            ".a@b.com",
            "a..b@c.com",
            "a@b.com'; DROP TABLE users; --",
            "ä@b.com",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
