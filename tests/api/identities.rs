//! Valid (and deliberately broken) mainland ID numbers and credit codes for the
//! verification scenarios, computed with the published check-character rules.

/// GB 11643: an 18-character resident ID for `birth` ("yyyymmdd") and a sequence number.
pub fn resident_id(birth: &str, seq: u32) -> String {
    let body = format!("110105{birth}{:03}", seq % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{body}{check}")
}

/// The same number with a wrong check character.
pub fn with_wrong_check(number: &str) -> String {
    let (body, check) = number.split_at(17);
    let wrong = if check == "0" { "1" } else { "0" };
    format!("{body}{wrong}")
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100: an enterprise credit code (starting with 9) numbered by `seq`.
pub fn credit_code(seq: u32) -> String {
    credit_code_with_prefix("91", seq)
}

/// A credit code with the given registration-authority prefix (e.g. "51" for a social
/// organisation, which cannot change its name online: VER-17).
pub fn credit_code_with_prefix(prefix: &str, seq: u32) -> String {
    let body = format!("{prefix}110000{:09}", seq);
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| CREDIT_ALPHABET.find(c).unwrap() * w)
        .sum();
    let check = CREDIT_ALPHABET.chars().nth((31 - sum % 31) % 31).unwrap();
    format!("{body}{check}")
}
