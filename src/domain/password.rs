//! `Password`: a plaintext that passed LOG-06, held only long enough to be hashed or checked.

use std::fmt;
use std::ops::RangeInclusive;

use super::{DomainError, Email, SitePolicy};

const FIELD: &str = "password";
/// LOG-06 default length; the site's `SitePolicy` may override it.
pub const DEFAULT_MIN_CHARS: usize = 8;
pub const DEFAULT_MAX_CHARS: usize = 20;
/// LOG-06: the only special characters a password may (and must) use.
pub const SPECIAL_CHARS: &str = "!@#$%^&*()";

/// Deliberately neither `Display` nor a revealing `Debug`: the plaintext must not reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// LOG-06 with its default length (8–20 characters).
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, DomainError> {
        Self::parse_with_length(raw, email, DEFAULT_MIN_CHARS..=DEFAULT_MAX_CHARS)
    }

    /// LOG-06 with the site's configured length.
    pub fn parse_for(
        raw: &str,
        email: Option<&Email>,
        policy: &SitePolicy,
    ) -> Result<Self, DomainError> {
        Self::parse_with_length(
            raw,
            email,
            policy.password_min_chars..=policy.password_max_chars,
        )
    }

    fn parse_with_length(
        raw: &str,
        email: Option<&Email>,
        length: RangeInclusive<usize>,
    ) -> Result<Self, DomainError> {
        let err = |message: crate::i18n::Message| Err(DomainError::new(FIELD, message));
        // First: '.' is not an allowed character, so a later check would hide this reason.
        if email.is_some_and(|e| raw.to_lowercase() == e.as_str()) {
            return err(msg!("err-password-must-not-same-as"));
        }
        if raw.chars().any(char::is_whitespace) {
            return err(msg!("err-password-must-not-contain-spaces"));
        }
        if !raw.chars().all(is_allowed) {
            return err(msg!("err-password-allowed-chars", specials = SPECIAL_CHARS));
        }
        if !length.contains(&raw.chars().count()) {
            return err(msg!(
                "err-password-length",
                min = *length.start(),
                max = *length.end()
            ));
        }
        let missing: Vec<crate::i18n::Message> = [
            (
                raw.chars().any(|c| c.is_ascii_uppercase()),
                msg!("password-needs-upper"),
            ),
            (
                raw.chars().any(|c| c.is_ascii_lowercase()),
                msg!("password-needs-lower"),
            ),
            (
                raw.chars().any(|c| c.is_ascii_digit()),
                msg!("password-needs-digit"),
            ),
            (raw.chars().any(is_special), msg!("password-needs-special")),
        ]
        .into_iter()
        .filter_map(|(present, what)| (!present).then_some(what))
        .collect();
        if !missing.is_empty() {
            return err(msg!(
                "err-password-needs",
                missing = crate::i18n::Arg::list(msg!("list-comma"), missing),
                specials = SPECIAL_CHARS
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The plaintext, for hashing or verifying only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_special(c: char) -> bool {
    SPECIAL_CHARS.contains(c)
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_special(c)
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::Site;

    fn message(raw: &str) -> String {
        let err = Password::parse(raw, None).expect_err(raw);
        assert_eq!(err.field, "password");
        err.message.to_string()
    }

    #[test]
    fn accepts_a_password_with_every_class() {
        // RULE LOG-06
        for raw in [
            "Abcdef1!",
            "Zz9(Zz9)Zz9(Zz9)Zz9)",
            "aB3$aB3$",
            "Passw0rd^&*",
        ] {
            assert_eq!(Password::parse(raw, None).unwrap().expose(), raw);
        }
    }

    #[test]
    fn enforces_length_8_to_20() {
        // RULE LOG-06
        assert!(message("Abcde1!").contains("8 to 20"));
        assert!(Password::parse("Abcdef1!", None).is_ok());
        assert!(Password::parse("Abcdefghijklmnopq1!x", None).is_ok()); // 20
        assert!(message("Abcdefghijklmnopq1!xy").contains("8 to 20")); // 21
        assert!(message("").contains("8 to 20"));
    }

    #[test]
    fn names_each_missing_class() {
        // RULE LOG-06
        assert!(message("abcdef1!").contains("upper-case"));
        assert!(message("ABCDEF1!").contains("lower-case"));
        assert!(message("Abcdefg!").contains("digit"));
        assert!(message("Abcdefg1").contains("special"));
        let all = message("abcdefgh");
        assert!(all.contains("upper-case") && all.contains("digit") && all.contains("special"));
        assert!(!all.contains("lower-case"));
    }

    #[test]
    fn refuses_spaces() {
        // RULE LOG-06
        assert!(message("Abc def1!").contains("spaces"));
        assert!(message("Abcdef1!\t").contains("spaces"));
    }

    #[test]
    fn refuses_characters_outside_the_allowed_classes() {
        // RULE LOG-06
        for raw in [
            "Abcdef1!.",
            "Abcdef1!_",
            "Abcdef1!~",
            "Abcdéf1!",
            "密码Abcdef1!",
        ] {
            assert!(message(raw).contains("only letters"), "{raw:?}");
        }
    }

    #[test]
    fn refuses_the_accounts_email_case_insensitively() {
        // RULE LOG-06
        let email = Email::parse("Ab1!x@Example.com").unwrap();
        let err = Password::parse("AB1!X@example.COM", Some(&email)).unwrap_err();
        assert!(err.message.to_string().contains("e-mail"));
        let other = Email::parse("someone@example.com").unwrap();
        assert!(Password::parse("Abcdef1!", Some(&other)).is_ok());
    }

    #[test]
    fn site_policy_can_change_the_length() {
        // RULE LOG-06 (numbers come from SitePolicy)
        let mut policy = SitePolicy::default_for(Site::China);
        assert!(Password::parse_for("Abcdef1!", None, &policy).is_ok());
        policy.password_min_chars = 10;
        let err = Password::parse_for("Abcdef1!", None, &policy).unwrap_err();
        assert!(err.message.to_string().contains("10 to 20"));
    }

    #[test]
    fn debug_never_shows_the_plaintext() {
        let p = Password::parse("Secret1!x", None).unwrap();
        assert!(!format!("{p:?}").contains("Secret1!x"));
    }
}
