//! VER-22 / ACC-10: how personal data is shown masked (character-based, so Chinese names work).

const PHONE_KEEP_HEAD: usize = 3;
const PHONE_KEEP_TAIL: usize = 4;

fn stars(n: usize) -> String {
    "*".repeat(n)
}

/// First character, then one star per remaining character (at least one, so a one-character
/// name is still visibly masked).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", stars(chars.count().max(1))),
        None => stars(1),
    }
}

/// First and last character; anything of two characters or fewer would be shown whole, so it is
/// fully starred instead.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    match chars.as_slice() {
        [first, middle @ .., last] if !middle.is_empty() => {
            format!("{first}{}{last}", stars(middle.len()))
        }
        _ => stars(chars.len().max(1)),
    }
}

/// First 3 and last 4 digits, a leading '+' kept; too short to hide anything means all stars.
pub fn mask_phone(phone: &str) -> String {
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone),
    };
    let chars: Vec<char> = rest.chars().collect();
    let n = chars.len();
    if n <= PHONE_KEEP_HEAD + PHONE_KEEP_TAIL {
        return format!("{plus}{}", stars(n.max(1)));
    }
    let head: String = chars[..PHONE_KEEP_HEAD].iter().collect();
    let tail: String = chars[n - PHONE_KEEP_TAIL..].iter().collect();
    format!(
        "{plus}{head}{}{tail}",
        stars(n - PHONE_KEEP_HEAD - PHONE_KEEP_TAIL)
    )
}

/// First character of the local part, a fixed "***" (so the length is not revealed), the domain.
pub fn mask_email(email: &str) -> String {
    let (local, domain) = match email.rsplit_once('@') {
        Some((local, domain)) => (local, Some(domain)),
        None => (email, None),
    };
    let first: String = local.chars().take(1).collect();
    match domain {
        Some(domain) => format!("{first}***@{domain}"),
        None => format!("{first}***"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_the_first_character() {
        // RULE VER-22
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("张"), "张*");
        assert_eq!(mask_name("Alice"), "A****");
        assert_eq!(mask_name(""), "*");
    }

    #[test]
    fn id_numbers_keep_first_and_last() {
        // RULE VER-22
        assert_eq!(mask_id_number("11010519491231002X"), "1****************X");
        assert_eq!(mask_id_number("E1234567"), "E******7");
        assert_eq!(mask_id_number("abc"), "a*c");
        assert_eq!(mask_id_number("ab"), "**");
        assert_eq!(mask_id_number("a"), "*");
        assert_eq!(mask_id_number(""), "*");
        assert_eq!(mask_id_number("港澳通行证"), "港***证");
    }

    #[test]
    fn phones_keep_first_three_and_last_four() {
        // RULE VER-22
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+447700900123"), "+447*****0123");
        assert_eq!(mask_phone("12345678"), "123*5678");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone("+123"), "+***");
        assert_eq!(mask_phone(""), "*");
    }

    #[test]
    fn emails_keep_the_first_character_and_domain() {
        // RULE VER-22
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
        assert_eq!(mask_email("a@example.com"), "a***@example.com");
        assert_eq!(mask_email("张三@例子.cn"), "张***@例子.cn");
        assert_eq!(mask_email("@example.com"), "***@example.com");
        assert_eq!(mask_email("not-an-email"), "n***");
    }

    #[test]
    fn masked_values_never_contain_the_hidden_middle() {
        // RULE ACC-10
        assert!(!mask_phone("13812345678").contains("1234"));
        assert!(!mask_email("secretname@example.com").contains("secret"));
        assert!(!mask_id_number("110105194912310021").contains("1949"));
    }
}
