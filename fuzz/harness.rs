//! Fuzz harness of the domain parsers, shared by the cargo-fuzz targets and `tests/fuzz_corpus.rs`.
//!
//! Each `pub fn` takes raw bytes, reads them as UTF-8 (other input is skipped), runs one parser
//! family and asserts its invariants: parsing never panics, accepted values are canonical fixed
//! points that re-parse to equal values, and surrounding whitespace or ASCII case (where the
//! parser normalises it) never changes the outcome. Plain Rust: no libfuzzer types here.

use account_center::domain::identity::{
    CreditCode, DocumentNumber, EnterpriseCode, ResidentIdNumber, parse_iso_date,
};
use account_center::domain::{Email, Money, Phone};
use chrono::NaiveDate;

/// The input as text; `None` (skip) when it is not UTF-8.
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The same input with whitespace the parsers trim around it.
fn padded(s: &str) -> String {
    format!(" \t{s}\n ")
}

const ID_FIELD: &str = "idNumber";
const DATE_FIELD: &str = "birthDate";
const CREDIT_FIELD: &str = "creditCode";
const MONEY_FIELD: &str = "amount";

/// `ResidentIdNumber` (both constructors), `DocumentNumber` and `parse_iso_date`.
pub fn resident_id(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let canonical = s.trim().to_ascii_uppercase();

    let any = ResidentIdNumber::parse_any_birth_date(ID_FIELD, s);
    assert_eq!(
        any,
        ResidentIdNumber::parse_any_birth_date(ID_FIELD, &padded(s))
    );
    assert_eq!(
        any,
        ResidentIdNumber::parse_any_birth_date(ID_FIELD, &s.to_ascii_lowercase())
    );
    let fixed_birth = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default();
    let fixed = ResidentIdNumber::parse(ID_FIELD, s, fixed_birth);
    match &any {
        Ok(number) => {
            let id = number.as_str();
            assert_eq!(id, canonical);
            assert_eq!(number.to_string(), id);
            assert_eq!(id.len(), 18);
            assert!(id.bytes().take(17).all(|b| b.is_ascii_digit()), "{id:?}");
            assert!(
                id.ends_with(|c: char| c == 'X' || c.is_ascii_digit()),
                "{id:?}"
            );
            let again = ResidentIdNumber::parse_any_birth_date(ID_FIELD, id);
            assert_eq!(again.as_ref(), Ok(number));
            let birth = number.birth_date();
            assert_eq!(
                birth.format("%Y%m%d").to_string(),
                id.get(6..14).unwrap_or("")
            );
            assert_eq!(
                ResidentIdNumber::parse(ID_FIELD, s, birth).as_ref(),
                Ok(number)
            );
            if let Some(next) = birth.succ_opt() {
                assert!(ResidentIdNumber::parse(ID_FIELD, s, next).is_err(), "{s:?}");
            }
            assert_eq!(fixed.is_ok(), birth == fixed_birth);
        }
        Err(err) => {
            assert_eq!(err.field, ID_FIELD);
            assert_eq!(fixed.as_ref().err(), Some(err));
        }
    }
    if let Err(err) = &fixed {
        assert_eq!(err.field, ID_FIELD);
    }

    let document = DocumentNumber::parse(ID_FIELD, s);
    assert_eq!(document, DocumentNumber::parse(ID_FIELD, &padded(s)));
    assert_eq!(
        document,
        DocumentNumber::parse(ID_FIELD, &s.to_ascii_lowercase())
    );
    match &document {
        Ok(number) => {
            let doc = number.as_str();
            assert_eq!(doc, canonical);
            assert_eq!(number.to_string(), doc);
            assert!((5..=20).contains(&doc.len()), "{doc:?}");
            assert!(
                doc.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
                "{doc:?}"
            );
            assert!(doc.bytes().any(|b| b.is_ascii_digit()), "{doc:?}");
            assert_eq!(DocumentNumber::parse(ID_FIELD, doc).as_ref(), Ok(number));
        }
        Err(err) => assert_eq!(err.field, ID_FIELD),
    }

    iso_date(s);
}

/// `parse_iso_date`: an accepted date is the trimmed input, written back as `yyyy-mm-dd`.
fn iso_date(s: &str) {
    let date = parse_iso_date(DATE_FIELD, s);
    assert_eq!(date, parse_iso_date(DATE_FIELD, &padded(s)));
    match date {
        Ok(date) => {
            let shown = date.format("%Y-%m-%d").to_string();
            assert_eq!(shown, s.trim());
            assert_eq!(parse_iso_date(DATE_FIELD, &shown), Ok(date));
            assert!(
                (1900..=9999).contains(&chrono::Datelike::year(&date)),
                "{date}"
            );
        }
        Err(err) => assert_eq!(err.field, DATE_FIELD),
    }
}

/// Whether `code` is 18 characters of the GB 32100 alphabet (checked independently of src).
fn credit_shaped(code: &str) -> bool {
    code.len() == 18
        && code
            .chars()
            .all(|c| "0123456789ABCDEFGHJKLMNPQRTUWXY".contains(c))
}

/// `CreditCode` and `EnterpriseCode` (with and without legacy registration numbers).
pub fn credit_code(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let canonical = s.trim().to_ascii_uppercase();

    let credit = CreditCode::parse(CREDIT_FIELD, s);
    assert_eq!(credit, CreditCode::parse(CREDIT_FIELD, &padded(s)));
    assert_eq!(
        credit,
        CreditCode::parse(CREDIT_FIELD, &s.to_ascii_lowercase())
    );
    match &credit {
        Ok(code) => {
            let c = code.as_str();
            assert_eq!(c, canonical);
            assert_eq!(code.to_string(), c);
            assert!(credit_shaped(c), "{c:?}");
            assert_eq!(code.is_enterprise(), c.starts_with('9'));
            assert_eq!(CreditCode::parse(CREDIT_FIELD, c).as_ref(), Ok(code));
        }
        Err(err) => assert_eq!(err.field, CREDIT_FIELD),
    }

    for allow_incomplete in [false, true] {
        let parse = |raw: &str| EnterpriseCode::parse(CREDIT_FIELD, raw, allow_incomplete);
        let enterprise = parse(s);
        assert_eq!(enterprise, parse(&padded(s)));
        assert_eq!(enterprise, parse(&s.to_ascii_lowercase()));
        match &enterprise {
            Ok(code) => {
                let c = code.as_str();
                assert_eq!(c, canonical);
                assert_eq!(code.to_string(), c);
                assert_eq!(parse(c).as_ref(), Ok(code));
                match code {
                    EnterpriseCode::Complete(inner) => {
                        assert_eq!(credit.as_ref(), Ok(inner));
                    }
                    EnterpriseCode::Incomplete(number) => {
                        assert!(allow_incomplete, "{s:?}");
                        assert_ne!(number.chars().count(), 18, "{number:?}");
                        assert!((6..=30).contains(&number.len()), "{number:?}");
                        assert!(
                            number
                                .bytes()
                                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
                            "{number:?}"
                        );
                    }
                }
            }
            Err(err) => {
                assert_eq!(err.field, CREDIT_FIELD);
                assert!(credit.is_err(), "{s:?}");
            }
        }
        if !allow_incomplete || canonical.chars().count() == 18 {
            assert_eq!(enterprise.is_ok(), credit.is_ok(), "{s:?}");
        }
    }
}

/// `Money::parse` (checked against an independent reading of the digits) and
/// `Money::from_cents` (the first eight bytes as a little-endian `i64`).
pub fn money(data: &[u8]) {
    if let Some(bytes) = data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        let cents = i64::from_le_bytes(bytes);
        let money = Money::from_cents(cents);
        assert_eq!(money.cents(), cents.max(0));
        assert_eq!(Money::from_cents(money.cents()), money);
        let shown = money.to_string();
        // Parsing takes at most 13 digits of yuan.
        if money.cents() < 1_000_000_000_000_000 {
            assert_eq!(Money::parse(MONEY_FIELD, &shown), Ok(money), "{shown:?}");
        } else {
            assert!(Money::parse(MONEY_FIELD, &shown).is_err(), "{shown:?}");
        }
    }

    let Some(s) = text(data) else { return };
    let parsed = Money::parse(MONEY_FIELD, s);
    assert_eq!(parsed, Money::parse(MONEY_FIELD, &padded(s)));
    match parsed {
        Ok(money) => {
            assert!(money.cents() >= 0);
            assert_eq!(Some(money.cents()), reference_cents(s.trim()), "{s:?}");
            let shown = money.to_string();
            assert_eq!(Money::parse(MONEY_FIELD, &shown), Ok(money), "{shown:?}");
            assert_eq!(Money::from_cents(money.cents()), money);
            // Display is canonical: two decimals, so showing the re-parsed value is a fixed point.
            let (_, frac) = shown.split_once('.').unwrap_or((shown.as_str(), ""));
            assert_eq!(frac.len(), 2, "{shown:?}");
        }
        Err(err) => assert_eq!(err.field, MONEY_FIELD),
    }
}

/// Cents of `1..=13` ASCII digits optionally followed by `.` and one or two digits.
fn reference_cents(s: &str) -> Option<i64> {
    let (whole, frac) = match s.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() => (whole, frac),
        Some(_) => return None,
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac)
}

/// `Email::parse`: accepted addresses are trimmed, lower-cased, well-formed fixed points.
pub fn email(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let parsed = Email::parse(s);
    assert_eq!(parsed, Email::parse(&padded(s)));
    match &parsed {
        Ok(email) => {
            let e = email.as_str();
            assert_eq!(email.to_string(), e);
            assert_eq!(e, s.trim().to_lowercase());
            assert_eq!(Email::parse(e).as_ref(), Ok(email));
            assert!((3..=254).contains(&e.chars().count()), "{e:?}");
            assert!(
                !e.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{e:?}"
            );
            assert_eq!(e.matches('@').count(), 1, "{e:?}");
            let (local, domain) = e.split_once('@').unwrap_or_default();
            assert!((1..=64).contains(&local.chars().count()), "{e:?}");
            assert!(!local.starts_with('.') && !local.ends_with('.'), "{e:?}");
            assert!(!local.contains(".."), "{e:?}");
            assert!(domain.contains('.'), "{e:?}");
            for label in domain.split('.') {
                assert!((1..=63).contains(&label.len()), "{e:?}");
                assert!(!label.starts_with('-') && !label.ends_with('-'), "{e:?}");
                assert!(
                    label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{e:?}"
                );
            }
            // ASCII upper-casing of the input changes nothing after normalisation.
            assert_eq!(Email::parse(&s.to_ascii_uppercase()).as_ref(), Ok(email));
        }
        Err(err) => assert_eq!(err.field, "email"),
    }
}

/// `Phone::parse`: one spelling per number, whatever spaces, dashes or `+86` surround it.
pub fn phone(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let parsed = Phone::parse(s);
    assert_eq!(parsed, Phone::parse(&padded(s)));
    match &parsed {
        Ok(phone) => {
            let p = phone.as_str();
            assert_eq!(phone.to_string(), p);
            assert_eq!(Phone::parse(p).as_ref(), Ok(phone));
            match p.strip_prefix('+') {
                None => {
                    assert!(!phone.as_str().starts_with('+'));
                    let b = p.as_bytes();
                    assert_eq!(b.len(), 11, "{p:?}");
                    assert!(b.iter().all(u8::is_ascii_digit), "{p:?}");
                    assert!(b.first() == Some(&b'1'), "{p:?}");
                    assert!(b.get(1).is_some_and(|d| (b'3'..=b'9').contains(d)), "{p:?}");
                    for spelling in [
                        format!("+86{p}"),
                        format!("86{p}"),
                        format!("+86 {}", grouped(p)),
                        grouped(p).replace(' ', "-"),
                    ] {
                        assert_eq!(Phone::parse(&spelling).as_ref(), Ok(phone), "{spelling:?}");
                    }
                }
                Some(digits) => {
                    assert!(phone.as_str().starts_with('+'));
                    assert!((8..=15).contains(&digits.len()), "{p:?}");
                    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{p:?}");
                    assert!(
                        !digits.starts_with('0') && !digits.starts_with("86"),
                        "{p:?}"
                    );
                    let spelling = format!("+ {}", grouped(digits).replace(' ', " - "));
                    assert_eq!(Phone::parse(&spelling).as_ref(), Ok(phone), "{spelling:?}");
                }
            }
        }
        Err(err) => assert_eq!(err.field, "phone"),
    }
}

/// ASCII digits in groups of four separated by spaces.
fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
