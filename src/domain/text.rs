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
            return Err(DomainError::new(
                "nickname",
                msg!("err-nickname-must-not-empty"),
            ));
        }
        if chars > NICKNAME_MAX_CHARS {
            return Err(DomainError::new(
                "nickname",
                msg!("err-nickname-too-long", max = NICKNAME_MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::new(
                "nickname",
                msg!("err-nickname-must-not-contain-control"),
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

/// Trimmed free text of 1..=`max_chars` characters without control characters (names of
/// people and enterprises, reasons): the checks every stored human-typed string needs.
pub fn plain_text(field: &'static str, raw: &str, max_chars: usize) -> Result<String, DomainError> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars == 0 {
        return Err(DomainError::new(field, msg!("err-must-not-empty")));
    }
    if chars > max_chars {
        return Err(DomainError::new(
            field,
            msg!("err-text-too-long", max = max_chars),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(DomainError::new(
            field,
            msg!("err-must-not-contain-control-invisible"),
        ));
    }
    Ok(text.to_owned())
}

/// Zero-width and bidirectional-override characters, which make a displayed name lie.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
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
    fn plain_text_bounds_length_and_refuses_control_characters() {
        assert_eq!(plain_text("name", " 张三 ", 4).unwrap(), "张三");
        for raw in ["", "  ", "abcde", "a\u{7}b", "a\u{202e}b", "a\u{200b}"] {
            assert_eq!(
                plain_text("name", raw, 4).unwrap_err().field,
                "name",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn rejects_empty_too_long_and_control_characters() {
        for raw in ["", "   ", &"云".repeat(33), "a\u{0}b", "line\nbreak"] {
            let err = Nickname::parse(raw).expect_err(raw);
            assert_eq!(err.field, "nickname");
        }
    }
}
