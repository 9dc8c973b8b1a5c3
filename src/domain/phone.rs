//! `Phone`: a mobile number, mainland numbers as bare 11 digits, others as E.164 `+<digits>`.

use std::fmt;

use super::DomainError;

const FIELD: &str = "phone";
const MAINLAND_DIGITS: usize = 11;
const E164_MIN_DIGITS: usize = 8;
const E164_MAX_DIGITS: usize = 15;

/// One spelling per number, so that the ACC-07 count of accounts per number cannot be dodged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if digits.is_empty() {
            return Err(DomainError::new(FIELD, msg!("err-phone-number-required")));
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::new(
                FIELD,
                msg!("err-phone-number-may-contain-only"),
            ));
        }
        // 86 is China's country code; mainland numbers are stored without it.
        match digits.strip_prefix("86") {
            Some(national) if plus || national.len() == MAINLAND_DIGITS => {
                return mainland(national);
            }
            _ if !plus => return mainland(digits),
            _ => {}
        }
        if digits.starts_with('0') || !(E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&digits.len()) {
            return Err(DomainError::new(
                FIELD,
                msg!("err-international-number-must-country-code"),
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn mainland(digits: &str) -> Result<Phone, DomainError> {
    let bytes = digits.as_bytes();
    let valid =
        bytes.len() == MAINLAND_DIGITS && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
    if valid {
        Ok(Phone(digits.to_owned()))
    } else {
        Err(DomainError::new(
            FIELD,
            msg!("err-mainland-mobile-number-11-digits"),
        ))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ok(raw: &str) -> String {
        Phone::parse(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn normalises_mainland_numbers_to_eleven_digits() {
        // RULE ACC-07 (one spelling per number, so the per-number count is exact)
        for raw in [
            "13812345678",
            "+8613812345678",
            "8613812345678",
            "+86 138 1234 5678",
            "138-1234-5678",
            " +86-138-1234-5678 ",
        ] {
            assert_eq!(ok(raw), "13812345678", "{raw:?}");
        }
    }

    #[test]
    fn keeps_international_numbers_in_e164() {
        assert_eq!(ok("+44 7700 900123"), "+447700900123");
        assert_eq!(ok("+1-415-555-2671"), "+14155552671");
        assert_eq!(ok("+85291234567"), "+85291234567");
        assert_eq!(ok("+12345678"), "+12345678");
        assert_eq!(ok("+123456789012345"), "+123456789012345");
    }

    #[test]
    fn rejects_bad_numbers() {
        for raw in [
            "",
            " + ",
            "1381234567",        // 10 digits
            "138123456789",      // 12 digits
            "12812345678",       // second digit 2
            "23812345678",       // not starting with 1
            "+86 12812345678",   // +86 but not a mobile
            "+861012345678",     // +86 landline
            "+1234567",          // 7 digits
            "+1234567890123456", // 16 digits
            "+0441234567",       // country code cannot start with 0
            "447700900123",      // international without +
            "138abc45678",
            "+86 138 1234 567x",
            "(138)12345678",
            "++8613812345678",
        ] {
            let err = Phone::parse(raw).expect_err(raw);
            assert_eq!(err.field, "phone", "{raw:?}");
        }
    }

    #[test]
    fn messages_explain_the_expected_shape() {
        assert!(
            Phone::parse("abc")
                .unwrap_err()
                .message
                .to_string()
                .contains("digits")
        );
        assert!(
            Phone::parse("12345")
                .unwrap_err()
                .message
                .to_string()
                .contains("11 digits")
        );
        assert!(
            Phone::parse("+123")
                .unwrap_err()
                .message
                .to_string()
                .contains("8 to 15")
        );
    }
}
