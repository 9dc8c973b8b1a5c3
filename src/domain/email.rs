//! `Email`: a normalised (trimmed, lower-cased) e-mail address that is known to be well formed.

use std::fmt;

use super::DomainError;

const FIELD: &str = "email";
const MAX_CHARS: usize = 254;
const MAX_LOCAL_CHARS: usize = 64;
const MAX_LABEL_CHARS: usize = 63;

/// Lower-cased so that uniqueness (LOG-04) and the password rule (LOG-06) compare like with like.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
        let err = |message: crate::i18n::Message| Err(DomainError::new(FIELD, message));
        if email.is_empty() {
            return err(msg!("err-email-required"));
        }
        if email.chars().count() > MAX_CHARS {
            return err(msg!("err-email-must-most-254-characters"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err(msg!("err-email-must-not-contain-spaces"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return err(msg!("err-email-must-contain"));
        };
        if domain.contains('@') {
            return err(msg!("err-email-must-contain-exactly-one"));
        }
        check_local(local).and_then(|()| check_domain(domain))?;
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_local(local: &str) -> Result<(), DomainError> {
    if local.is_empty() {
        return Err(DomainError::new(FIELD, msg!("err-email-needs-name-before")));
    }
    if local.chars().count() > MAX_LOCAL_CHARS {
        return Err(DomainError::new(
            FIELD,
            msg!("err-part-before-must-most-64"),
        ));
    }
    // Mail servers refuse unquoted dots at the ends or doubled; accepting them would strand codes.
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(DomainError::new(
            FIELD,
            msg!("err-part-before-must-not-start"),
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), DomainError> {
    if !domain.contains('.') {
        return Err(DomainError::new(
            FIELD,
            msg!("err-domain-after-must-contain-dot"),
        ));
    }
    for label in domain.split('.') {
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL_CHARS
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(DomainError::new(
                FIELD,
                msg!("err-domain-after-must-dot-separated"),
            ));
        }
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ok(raw: &str) -> String {
        Email::parse(raw).unwrap().as_str().to_owned()
    }

    fn rejected(raw: &str) -> DomainError {
        Email::parse(raw).expect_err(raw)
    }

    #[test]
    fn trims_and_lower_cases() {
        assert_eq!(
            ok("  Alice.Smith@Example.COM \n"),
            "alice.smith@example.com"
        );
        assert_eq!(
            ok("a+tag@mail.example-host.cn"),
            "a+tag@mail.example-host.cn"
        );
        assert_eq!(Email::parse("x@y.io").unwrap().to_string(), "x@y.io");
    }

    #[test]
    fn accepts_length_limits_exactly() {
        let local = "a".repeat(64);
        assert_eq!(ok(&format!("{local}@b.cn")).len(), 69);
        // 254 in total: 64 + "@" + 189 (three 61-char labels, three dots, "com").
        let domain = format!("{0}.{0}.{0}.com", "d".repeat(61));
        let at_limit = format!("{local}@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert_eq!(ok(&at_limit).len(), 254);
        assert!(Email::parse(&format!("{local}@x{domain}")).is_err());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for raw in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "a@@example.com",
            "a@b@example.com",
            "a@localhost",
            "a@.example.com",
            "a@example..com",
            "a@example.com.",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a b@example.com",
            "a@exam ple.com",
            "a\u{7}@example.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
        ] {
            let err = rejected(raw);
            assert_eq!(err.field, "email", "{raw:?}");
        }
    }

    #[test]
    fn rejects_too_long_parts() {
        assert!(
            rejected(&format!("{}@b.cn", "a".repeat(65)))
                .message
                .to_string()
                .contains("64")
        );
        assert!(
            rejected(&format!("a@{}.cn", "b".repeat(64)))
                .message
                .to_string()
                .contains("domain")
        );
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        assert!(rejected("a@localhost").message.to_string().contains("dot"));
        assert!(rejected("plain").message.to_string().contains("@"));
        assert!(
            rejected("a@b@c.com")
                .message
                .to_string()
                .contains("exactly one")
        );
    }
}
