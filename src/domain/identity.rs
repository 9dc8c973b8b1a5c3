//! Real-name verification inputs: ISO dates, resident ID, document and credit-code numbers, ages.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::DomainError;

/// Parses a strict `yyyy-mm-dd` date (after trimming) that exists in the calendar, years 1900..=9999.
pub fn parse_iso_date(field: &'static str, raw: &str) -> Result<NaiveDate, DomainError> {
    let raw = raw.trim();
    let bad_format = || DomainError::new(field, msg!("err-date-written-as-yyyy-mm"));
    let mut parts = raw.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_format());
    };
    let shaped = |part: &str, len: usize| part.len() == len && all_ascii_digits(part);
    if !shaped(year, 4) || !shaped(month, 2) || !shaped(day, 2) {
        return Err(bad_format());
    }
    let (Ok(year), Ok(month), Ok(day)) = (year.parse(), month.parse(), day.parse()) else {
        return Err(bad_format());
    };
    if !(1900..=9999).contains(&year) {
        return Err(DomainError::new(field, msg!("err-year-between-1900-9999")));
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| DomainError::new(field, msg!("err-date-exists-calendar")))
}

fn all_ascii_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads `yyyymmdd` (exactly eight ASCII digits) as a calendar date.
fn compact_date(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !all_ascii_digits(digits) {
        return None;
    }
    let year = digits.get(0..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// GB 11643-1999 weights of the first 17 characters.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// ISO 7064 MOD 11-2 check characters, indexed by the weighted sum mod 11.
const ID_CHECKS: &str = "10X98765432";

/// The check character of a 17-digit body; `None` when the body is not 17 ASCII digits.
fn id_check_char(body: &str) -> Option<char> {
    if body.len() != ID_WEIGHTS.len() || !all_ascii_digits(body) {
        return None;
    }
    let sum: u32 = body
        .chars()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    ID_CHECKS.chars().nth(usize::try_from(sum % 11).ok()?)
}

/// A mainland resident ID number (GB 11643-1999), check character stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentIdNumber(String);

impl ResidentIdNumber {
    /// Trims, checks the shape, the MOD 11-2 check character and that the embedded birth date
    /// (characters 7..14) is real and equal to `birth_date`.
    pub fn parse(
        field: &'static str,
        raw: &str,
        birth_date: NaiveDate,
    ) -> Result<Self, DomainError> {
        let number = Self::parse_any_birth_date(field, raw)?;
        if number.birth_date() != birth_date {
            return Err(DomainError::new(
                field,
                msg!("err-birth-date-inside-does-not"),
            ));
        }
        Ok(number)
    }

    /// As `parse`, for numbers whose holder's birth date is not asked for (an enterprise's
    /// legal person): the embedded date must still be real.
    pub fn parse_any_birth_date(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let err = |message: crate::i18n::Message| Err(DomainError::new(field, message));
        let number = raw.trim().to_ascii_uppercase();
        if number.chars().count() != 18 {
            return err(msg!("err-18-character-mainland-id-number"));
        }
        // 18 characters and, below, all ASCII: byte offsets are character offsets.
        let (Some(body), Some(check)) = (number.get(..17), number.get(17..)) else {
            return err(msg!("err-first-17-characters-must-digits"));
        };
        if !all_ascii_digits(body) {
            return err(msg!("err-first-17-characters-must-digits"));
        }
        let Some(check) = check
            .chars()
            .next()
            .filter(|c| *c == 'X' || c.is_ascii_digit())
        else {
            return err(msg!("err-last-character-must-digit-x"));
        };
        if id_check_char(body) != Some(check) {
            return err(msg!("err-wrong-check-character"));
        }
        if number.get(6..14).and_then(compact_date).is_none() {
            return err(msg!("err-impossible-birth-date-inside"));
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date written inside the number (validated by `parse`).
    pub fn birth_date(&self) -> NaiveDate {
        // `parse` only builds values whose characters 7..14 are a real date; the default is
        // unreachable and only avoids a panic path.
        self.0.get(6..14).and_then(compact_date).unwrap_or_default()
    }
}

impl fmt::Display for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether every character is A-Z, 0-9 or '-'.
fn registry_charset(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// A non-mainland document number (passport, travel permit, foreign ID), upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// Trims and upper-cases; 5..=20 characters of A-Z, 0-9 and '-', at least one digit.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let err = |message: crate::i18n::Message| Err(DomainError::new(field, message));
        // ASCII-only upper-casing: `'ß'.to_uppercase()` would smuggle in "SS".
        let number = raw.trim().to_ascii_uppercase();
        if !(5..=20).contains(&number.chars().count()) {
            return err(msg!("err-document-number-5-20-characters"));
        }
        if !registry_charset(&number) {
            return err(msg!("err-document-number-letters-z-digits"));
        }
        if !number.bytes().any(|b| b.is_ascii_digit()) {
            return err(msg!("err-document-number-least-one-digit"));
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// GB 32100-2015 alphabet: digits and capitals without I, O, S, V and Z (31 characters).
const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 weights of the first 17 characters (3^i mod 31).
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const CREDIT_LEN: usize = 18;

fn credit_value(c: char) -> Option<u32> {
    CREDIT_ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The check character of a 17-character body; `None` when the body is not 17 alphabet characters.
fn credit_check_char(body: &str) -> Option<char> {
    if body.chars().count() != CREDIT_WEIGHTS.len() {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in body.chars().zip(CREDIT_WEIGHTS) {
        sum += credit_value(c)? * w;
    }
    let index = (31 - sum % 31) % 31;
    CREDIT_ALPHABET.chars().nth(usize::try_from(index).ok()?)
}

/// A unified social credit code (GB 32100-2015), upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    /// Trims and upper-cases; exactly 18 characters of the GB 32100 alphabet with the right
    /// check character.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let err = |message: crate::i18n::Message| Err(DomainError::new(field, message));
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() != CREDIT_LEN {
            return err(msg!("err-18-character-unified-social-credit"));
        }
        if !code.chars().all(|c| credit_value(c).is_some()) {
            return err(msg!("err-credit-code-digits-capital-letters"));
        }
        // All ASCII now, so byte offsets are character offsets.
        let (Some(body), Some(check)) = (code.get(..17), code.get(17..)) else {
            return err(msg!("err-18-character-unified-social-credit"));
        };
        if credit_check_char(body) != check.chars().next() {
            return err(msg!("err-wrong-check-character"));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// VER-17: online changes of name or legal person need a code that starts with 9
    /// (registered by the market-regulation authority, i.e. an enterprise).
    pub fn is_enterprise(&self) -> bool {
        self.0.starts_with('9')
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An enterprise's code: a full credit code, or (where allowed) a legacy registration number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnterpriseCode {
    Complete(CreditCode),
    /// A legacy registration number, upper-cased: 6..=30 characters of A-Z, 0-9 and '-'.
    Incomplete(String),
}

impl EnterpriseCode {
    /// An 18-character value must be a valid credit code; any other length is accepted as a
    /// legacy registration number only when `allow_incomplete`.
    pub fn parse(
        field: &'static str,
        raw: &str,
        allow_incomplete: bool,
    ) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() == CREDIT_LEN || !allow_incomplete {
            return CreditCode::parse(field, &code).map(Self::Complete);
        }
        if !(6..=30).contains(&code.chars().count()) || !registry_charset(&code) {
            return Err(DomainError::new(
                field,
                msg!("err-registration-number-6-30-letters"),
            ));
        }
        Ok(Self::Incomplete(code))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Complete(code) => code.as_str(),
            Self::Incomplete(number) => number,
        }
    }
}

impl fmt::Display for EnterpriseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whole years completed on `today`; `None` when `birth` is after `today`.
///
/// A birthday is reached when (month, day) of `today` is not before that of `birth`, so
/// someone born on 29 February has their birthday on 1 March in non-leap years (the day
/// after 28 February): born 2008-02-29, they are 17 on 2026-02-28 and 18 on 2026-03-01.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> Option<u32> {
    if birth > today {
        return None;
    }
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// The number of Monday–Friday days `d` with `from < d <= to`; 0 when `to <= from`.
///
/// VER-07: a licence issued less than 7 working days ago is not yet in the registry.
/// Public holidays are not known here and count as working days.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let days = (to - from).num_days();
    if days <= 0 {
        return 0;
    }
    let full_weeks = days / 7;
    let start = i64::from(from.weekday().num_days_from_monday());
    // Days left after whole weeks: offsets full_weeks*7+1 ..= days, fewer than seven.
    let rest = (full_weeks * 7 + 1..=days)
        .filter(|k| (start + k) % 7 < 5)
        .count();
    full_weeks * 5 + i64::try_from(rest).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A body of 17 digits with its GB 11643 check character appended.
    fn id_with_check(body: &str) -> String {
        format!("{body}{}", id_check_char(body).unwrap())
    }

    /// A body of 17 alphabet characters with its GB 32100 check character appended.
    fn credit_with_check(body: &str) -> String {
        format!("{body}{}", credit_check_char(body).unwrap())
    }

    /// Replaces the last character with a different valid one.
    fn with_wrong_last(number: &str, alphabet: &str) -> String {
        let (body, last) = number.split_at(number.len() - 1);
        let other = alphabet.chars().find(|c| !last.starts_with(*c)).unwrap();
        format!("{body}{other}")
    }

    fn id_err(raw: &str, birth: NaiveDate) -> String {
        let err = ResidentIdNumber::parse("idNumber", raw, birth).expect_err(raw);
        assert_eq!(err.field, "idNumber");
        err.message.to_string()
    }

    fn credit_err(raw: &str) -> String {
        let err = CreditCode::parse("creditCode", raw).expect_err(raw);
        assert_eq!(err.field, "creditCode");
        err.message.to_string()
    }

    #[test]
    fn iso_dates_parse_strictly() {
        let parse = |raw: &str| parse_iso_date("birthDate", raw);
        assert_eq!(parse("2024-02-29").unwrap(), date(2024, 2, 29));
        assert_eq!(parse("  1900-01-01\n").unwrap(), date(1900, 1, 1));
        assert_eq!(parse("9999-12-31").unwrap(), date(9999, 12, 31));
        for bad in [
            "",
            "   ",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-01-00",
            "2024-1-1",
            "2024-01-1",
            "20240101",
            "2024/01/01",
            "2024-01-01T00:00:00",
            "2024-01-01 10:00",
            "2024-01-01-",
            "-2024-01-01",
            "+2024-01-01",
            "2024-+1-01",
            "02024-01-01",
            "1899-12-31",
            "0000-01-01",
            "2024-01-0１",
            "２０２４-01-01",
        ] {
            let err = parse(bad).expect_err(bad);
            assert_eq!(err.field, "birthDate", "{bad:?}");
        }
        assert!(
            parse("1899-12-31")
                .unwrap_err()
                .message
                .to_string()
                .contains("1900")
        );
        assert!(
            parse("2023-02-29")
                .unwrap_err()
                .message
                .to_string()
                .contains("calendar")
        );
        assert!(
            parse("20240101")
                .unwrap_err()
                .message
                .to_string()
                .contains("yyyy-mm-dd")
        );
    }

    #[test]
    fn id_check_character_matches_known_numbers() {
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_with_check("11010519491231002"), "11010519491231002X");
        assert_eq!(id_check_char("1101051949123100"), None);
        assert_eq!(id_check_char("1101051949123100A"), None);
    }

    #[test]
    fn resident_id_accepts_valid_numbers() {
        let birth = date(1949, 12, 31);
        let id = ResidentIdNumber::parse("idNumber", "11010519491231002X", birth).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), birth);
        assert_eq!(id.to_string(), "11010519491231002X");

        let lower = ResidentIdNumber::parse("idNumber", " 11010519491231002x ", birth).unwrap();
        assert_eq!(lower.as_str(), "11010519491231002X");
        assert_eq!(lower, id);

        let leap = id_with_check("44030420000229123");
        let id = ResidentIdNumber::parse("idNumber", &leap, date(2000, 2, 29)).unwrap();
        assert_eq!(id.birth_date(), date(2000, 2, 29));
        assert_eq!(id.as_str(), leap);
    }

    #[test]
    fn resident_id_rejects_wrong_check_character() {
        let birth = date(1949, 12, 31);
        for wrong in [
            "110105194912310020",
            "110105194912310029",
            "110105194912310021",
        ] {
            assert_eq!(id_err(wrong, birth), "wrong check character");
        }
        let valid = id_with_check("32010219800101456");
        let wrong = with_wrong_last(&valid, "0123456789X");
        assert_eq!(id_err(&wrong, date(1980, 1, 1)), "wrong check character");
    }

    #[test]
    fn resident_id_rejects_wrong_length_and_characters() {
        let birth = date(1949, 12, 31);
        let length = "an 18-character mainland ID number";
        assert_eq!(id_err("11010519491231002", birth), length);
        assert_eq!(id_err("11010519491231002X1", birth), length);
        assert_eq!(id_err("110105194912310020X", birth), length);
        assert_eq!(id_err("", birth), length);
        assert_eq!(id_err("1101051949 1231002X", birth), length);
        assert!(id_err("1101051949A231002X", birth).contains("digits"));
        assert!(id_err("11010519491231002-", birth).contains("digit or X"));
        assert!(id_err("11010519491231002Y", birth).contains("digit or X"));
        assert!(id_err("X1010519491231002X", birth).contains("digits"));
    }

    #[test]
    fn resident_id_rejects_impossible_or_mismatched_birth_date() {
        let impossible = id_with_check("11010519990230123");
        assert_eq!(
            id_err(&impossible, date(1999, 2, 28)),
            "impossible birth date inside"
        );
        let month13 = id_with_check("11010519991301123");
        assert_eq!(
            id_err(&month13, date(1999, 1, 13)),
            "impossible birth date inside"
        );
        let not_leap = id_with_check("11010520230229123");
        assert_eq!(
            id_err(&not_leap, date(2023, 2, 28)),
            "impossible birth date inside"
        );
        assert_eq!(
            id_err("11010519491231002X", date(1949, 12, 30)),
            "the birth date inside does not match birthDate"
        );
        assert_eq!(
            id_err("11010519491231002X", date(1950, 12, 31)),
            "the birth date inside does not match birthDate"
        );
    }

    #[test]
    fn resident_id_errors_do_not_echo_the_input() {
        let raw = "110105194912310020";
        assert!(!id_err(raw, date(1949, 12, 31)).contains("1101"));
    }

    #[test]
    fn document_numbers_are_normalised_and_checked() {
        let parse = |raw: &str| DocumentNumber::parse("documentNumber", raw);
        assert_eq!(parse(" e12345678 ").unwrap().as_str(), "E12345678");
        assert_eq!(parse("h1234-5678").unwrap().as_str(), "H1234-5678");
        assert_eq!(parse("12345").unwrap().as_str(), "12345");
        assert_eq!(parse(&"A1".repeat(10)).unwrap().as_str().len(), 20);
        assert!(
            parse("1234")
                .unwrap_err()
                .message
                .to_string()
                .contains("5 to 20")
        );
        assert!(parse(&format!("{}1", "A1".repeat(10))).is_err());
        assert!(
            parse("ABCDEFG")
                .unwrap_err()
                .message
                .to_string()
                .contains("digit")
        );
        assert!(
            parse("-----")
                .unwrap_err()
                .message
                .to_string()
                .contains("digit")
        );
        for bad in [
            "E1234 5678",
            "E1234_5678",
            "É12345678",
            "ß1234",
            "E12345678!",
        ] {
            let err = parse(bad).expect_err(bad);
            assert_eq!(err.field, "documentNumber");
        }
    }

    #[test]
    fn credit_check_character_matches_known_codes() {
        assert_eq!(credit_check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(credit_check_char("9144030071526726X"), Some('G'));
        assert_eq!(credit_check_char("9144030071526726I"), None);
        assert_eq!(CREDIT_ALPHABET.len(), 31);
        // The weights are 3^i mod 31.
        let mut w = 1;
        for weight in CREDIT_WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn credit_codes_accept_valid_values() {
        for (raw, stored) in [
            ("91350100M000100Y43", "91350100M000100Y43"),
            ("9144030071526726XG", "9144030071526726XG"),
            (" 9144030071526726xg\t", "9144030071526726XG"),
            ("91350100m000100y43", "91350100M000100Y43"),
        ] {
            let code = CreditCode::parse("creditCode", raw).unwrap();
            assert_eq!(code.as_str(), stored);
            assert!(code.is_enterprise());
        }
        let institution = credit_with_check("12100000400000012");
        let code = CreditCode::parse("creditCode", &institution).unwrap();
        assert!(!code.is_enterprise());
        assert_eq!(code.to_string(), institution);
    }

    #[test]
    fn credit_codes_reject_bad_values() {
        let length = "an 18-character unified social credit code";
        assert_eq!(credit_err("91350100M000100Y4"), length);
        assert_eq!(credit_err("91350100M000100Y433"), length);
        assert_eq!(credit_err(""), length);
        let wrong = with_wrong_last("91350100M000100Y43", CREDIT_ALPHABET);
        assert_eq!(credit_err(&wrong), "wrong check character");
        assert_eq!(credit_err("9144030071526726XH"), "wrong check character");
        for letter in ['I', 'O', 'S', 'V', 'Z'] {
            let body = format!("91350100{letter}000100Y4");
            assert!(credit_err(&format!("{body}3")).contains("except I, O, S, V and Z"));
        }
        assert!(credit_err("91350100M000100Y4-").contains("except"));
        assert!(credit_err("91350100M000 100Y4").contains("except"));
    }

    #[test]
    fn enterprise_codes() {
        let complete = EnterpriseCode::parse("code", " 91350100m000100Y43 ", false).unwrap();
        assert!(matches!(complete, EnterpriseCode::Complete(_)));
        assert_eq!(complete.as_str(), "91350100M000100Y43");
        assert!(matches!(
            EnterpriseCode::parse("code", "91350100M000100Y43", true).unwrap(),
            EnterpriseCode::Complete(_)
        ));

        let legacy = EnterpriseCode::parse("code", " 440301103-45678a ", true).unwrap();
        assert!(matches!(legacy, EnterpriseCode::Incomplete(_)));
        assert_eq!(legacy.as_str(), "440301103-45678A");
        assert_eq!(
            EnterpriseCode::parse("code", "123456", true).unwrap(),
            EnterpriseCode::Incomplete("123456".to_owned())
        );
        assert!(EnterpriseCode::parse("code", &"7".repeat(30), true).is_ok());

        // 18 characters must be a real credit code, even when incomplete codes are allowed.
        let err = EnterpriseCode::parse("code", "91350100M000100Y44", true).unwrap_err();
        assert_eq!(err.message.to_string(), "wrong check character");
        assert_eq!(err.field, "code");
        // Not allowed: the credit-code error.
        let err = EnterpriseCode::parse("code", "440301103456789", false).unwrap_err();
        assert_eq!(
            err.message.to_string(),
            "an 18-character unified social credit code"
        );
        for bad in [
            "12345",
            &"7".repeat(31),
            "4403 0110345",
            "44030110_345",
            "é44030110345",
        ] {
            let err = EnterpriseCode::parse("code", bad, true).expect_err(bad);
            assert!(err.message.to_string().contains("6 to 30"), "{bad:?}");
        }
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = date(2008, 6, 15);
        assert_eq!(age_on(birth, date(2008, 6, 15)), Some(0));
        assert_eq!(age_on(birth, date(2026, 6, 14)), Some(17));
        assert_eq!(age_on(birth, date(2026, 6, 15)), Some(18));
        assert_eq!(age_on(birth, date(2026, 12, 31)), Some(18));
        assert_eq!(age_on(date(1949, 12, 31), date(2025, 1, 1)), Some(75));
    }

    #[test]
    fn age_of_a_future_birth_date_is_none() {
        assert_eq!(age_on(date(2026, 1, 2), date(2026, 1, 1)), None);
        assert_eq!(age_on(date(2030, 1, 1), date(2026, 1, 1)), None);
    }

    #[test]
    fn leap_day_birthdays_fall_on_the_first_of_march() {
        let birth = date(2008, 2, 29);
        assert_eq!(age_on(birth, date(2026, 2, 28)), Some(17));
        assert_eq!(age_on(birth, date(2026, 3, 1)), Some(18));
        assert_eq!(age_on(birth, date(2028, 2, 28)), Some(19));
        assert_eq!(age_on(birth, date(2028, 2, 29)), Some(20));
    }

    #[test]
    fn working_days_skip_weekends() {
        // 2025-01-03 is a Friday.
        let friday = date(2025, 1, 3);
        assert_eq!(working_days_between(friday, date(2025, 1, 10)), 5);
        assert_eq!(working_days_between(friday, date(2025, 1, 4)), 0);
        assert_eq!(working_days_between(friday, date(2025, 1, 5)), 0);
        assert_eq!(working_days_between(friday, date(2025, 1, 6)), 1);
        assert_eq!(working_days_between(date(2025, 1, 6), date(2025, 1, 10)), 4);
        assert_eq!(working_days_between(date(2025, 1, 4), date(2025, 1, 6)), 1);
        assert_eq!(working_days_between(friday, date(2025, 1, 14)), 7);
        assert_eq!(working_days_between(friday, friday), 0);
        assert_eq!(working_days_between(date(2025, 1, 10), friday), 0);
    }

    #[test]
    fn working_days_match_a_day_by_day_count() {
        let start = date(2024, 12, 1);
        for offset in 0..40 {
            let from = start + chrono::Days::new(offset);
            for len in 0..30 {
                let to = from + chrono::Days::new(len);
                let expected = from
                    .iter_days()
                    .skip(1)
                    .take_while(|d| *d <= to)
                    .filter(|d| d.weekday().num_days_from_monday() < 5)
                    .count();
                assert_eq!(
                    working_days_between(from, to),
                    i64::try_from(expected).unwrap(),
                    "{from} -> {to}"
                );
            }
        }
        assert_eq!(
            working_days_between(date(2000, 1, 1), date(2100, 1, 1)),
            26_090
        );
    }

    #[test]
    fn parsers_never_panic_on_odd_input() {
        let long = "9".repeat(10_000);
        let long_x = format!("{}X", "1".repeat(9_999));
        let odd = [
            String::new(),
            " ".to_owned(),
            "\t\n \u{3000}".to_owned(),
            "１１０１０５１９４９１２３１００２Ｘ".to_owned(),
            "é".repeat(18),
            "é".repeat(17) + "X",
            "1".repeat(17) + "é",
            "€".repeat(9),
            "\u{0}".repeat(18),
            "ß".repeat(5),
            "-".repeat(10),
            long,
            long_x,
        ];
        let birth = date(1949, 12, 31);
        for raw in &odd {
            assert!(parse_iso_date("d", raw).is_err());
            assert!(ResidentIdNumber::parse("id", raw, birth).is_err());
            assert!(DocumentNumber::parse("doc", raw).is_err());
            assert!(CreditCode::parse("cc", raw).is_err());
            assert!(EnterpriseCode::parse("ec", raw, false).is_err());
            let _ = EnterpriseCode::parse("ec", raw, true);
        }
        assert!(EnterpriseCode::parse("ec", &"é".repeat(18), true).is_err());
        assert_eq!(
            age_on(NaiveDate::MIN, NaiveDate::MAX).map(|a| a > 0),
            Some(true)
        );
        assert!(working_days_between(NaiveDate::MIN, NaiveDate::MAX) > 0);
        assert_eq!(working_days_between(NaiveDate::MAX, NaiveDate::MIN), 0);
    }
}
