//! Free display text: `Nickname` (ACC-04).

use std::fmt;

use super::DomainError;

const NICKNAME_MAX_CHARS: usize = 32;

/// ACC-04: display text only; it never follows real-name changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nickname(String);

impl Nickname {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 {
            return Err(DomainError::new("nickname", "nickname must not be empty"));
        }
        if chars > NICKNAME_MAX_CHARS {
            return Err(DomainError::new(
                "nickname",
                format!("nickname must be at most {NICKNAME_MAX_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::new(
                "nickname",
                "nickname must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nickname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn trims_and_accepts_unicode() {
        // RULE ACC-04
        assert_eq!(
            Nickname::parse("  小明的云  ").unwrap().as_str(),
            "小明的云"
        );
        assert_eq!(Nickname::parse("a").unwrap().to_string(), "a");
        let max = "云".repeat(32);
        assert_eq!(Nickname::parse(&max).unwrap().as_str(), max);
    }

    #[test]
    fn rejects_empty_too_long_and_control_characters() {
        for raw in ["", "   ", &"云".repeat(33), "a\u{0}b", "line\nbreak"] {
            let err = Nickname::parse(raw).expect_err(raw);
            assert_eq!(err.field, "nickname");
        }
    }
}
