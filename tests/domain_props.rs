//! Property tests of the domain parsers (hostile input): none panics on any string, what
//! they accept round-trips, and valid numbers built by the published rules are accepted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use account_center::domain::{
    Email, Money, Phone,
    identity::{CreditCode, DocumentNumber, EnterpriseCode, ResidentIdNumber, parse_iso_date},
    member::{ProjectName, UserName},
    plain_text,
};
use chrono::NaiveDate;
use proptest::prelude::*;

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn id_with_check(body: &str) -> String {
    let sum: u32 = body
        .chars()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{body}{check}")
}

fn credit_with_check(body: &str) -> String {
    let sum: usize = body
        .chars()
        .zip(CREDIT_WEIGHTS)
        .map(|(c, w)| CREDIT_ALPHABET.find(c).unwrap() * w)
        .sum();
    let check = CREDIT_ALPHABET.chars().nth((31 - sum % 31) % 31).unwrap();
    format!("{body}{check}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_parser_panics_on_any_string(raw in "\\PC{0,64}|[0-9Xx.\\-+eE ]{0,24}") {
        let birth = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        let _ = ResidentIdNumber::parse("idNumber", &raw, birth);
        let _ = ResidentIdNumber::parse_any_birth_date("idNumber", &raw);
        let _ = DocumentNumber::parse("idNumber", &raw);
        let _ = CreditCode::parse("creditCode", &raw);
        let _ = EnterpriseCode::parse("creditCode", &raw, true);
        let _ = parse_iso_date("birthDate", &raw);
        let _ = Money::parse("amount", &raw);
        let _ = Email::parse(&raw);
        let _ = Phone::parse(&raw);
        let _ = UserName::parse("name", &raw);
        let _ = ProjectName::parse("name", &raw, 64);
        let _ = plain_text("name", &raw, 64);
    }

    #[test]
    fn money_round_trips_through_its_display(cents in 0i64..10_000_000_000) {
        let shown = Money::from_cents(cents).to_string();
        prop_assert_eq!(Money::parse("amount", &shown).unwrap().cents(), cents);
    }

    #[test]
    fn resident_ids_built_by_the_rule_are_accepted(
        year in 1900i32..2024, month in 1u32..=12, day in 1u32..=28, seq in 0u32..1000,
    ) {
        let birth = NaiveDate::from_ymd_opt(year, month, day).unwrap();
        let number = id_with_check(&format!("110105{}{seq:03}", birth.format("%Y%m%d")));
        let parsed = ResidentIdNumber::parse("idNumber", &number.to_lowercase(), birth).unwrap();
        prop_assert_eq!(parsed.as_str(), number.as_str());
        prop_assert_eq!(parsed.birth_date(), birth);
        let wrong = birth.succ_opt().unwrap();
        prop_assert!(ResidentIdNumber::parse("idNumber", &number, wrong).is_err());
    }

    #[test]
    fn one_changed_digit_breaks_the_check_character(seq in 0u32..1000, position in 0usize..17, delta in 1u32..10) {
        let number = id_with_check(&format!("11010519900101{seq:03}"));
        let mut chars: Vec<char> = number.chars().collect();
        let digit = chars[position].to_digit(10).unwrap();
        chars[position] = char::from_digit((digit + delta) % 10, 10).unwrap();
        let changed: String = chars.into_iter().collect();
        prop_assert!(ResidentIdNumber::parse_any_birth_date("idNumber", &changed).is_err());
    }

    #[test]
    fn credit_codes_built_by_the_rule_are_accepted(body in "[0-9A-HJ-NP-RTUWXY]{17}") {
        let code = credit_with_check(&body);
        let parsed = CreditCode::parse("creditCode", &code.to_lowercase()).unwrap();
        prop_assert_eq!(parsed.as_str(), code.as_str());
        prop_assert!(matches!(
            EnterpriseCode::parse("creditCode", &code, false).unwrap(),
            EnterpriseCode::Complete(_)
        ));
    }
}
