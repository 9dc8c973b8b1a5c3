//! Names of members and projects (SUB-01, SUB-04, PRJ-01): what is shown, and the
//! case-insensitive key that keeps them unique within one root account.

use super::{DomainError, enums::contract_enum, plain_text};

contract_enum! {
    /// SUB-01.
    MemberKind {
        SubUser => "SUB_USER",
        Collaborator => "COLLABORATOR",
        MessageRecipient => "MESSAGE_RECIPIENT",
    }
}

impl MemberKind {
    /// SUB-02: message recipients do not count towards the member limit.
    pub fn counts_toward_limit(self) -> bool {
        self != Self::MessageRecipient
    }
}

contract_enum! {
    /// SUB-05.
    AccessKeyStatus {
        Active => "ACTIVE",
        Disabled => "DISABLED",
    }
}

contract_enum! {
    /// PRJ-02.
    ProjectStatus {
        Enabled => "ENABLED",
        Disabled => "DISABLED",
    }
}

const USER_NAME_MAX_CHARS: usize = 64;

/// A sub-user's sign-in name (SUB-04): 1–64 letters, digits and `. _ - @`, unique per root
/// account regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > USER_NAME_MAX_CHARS {
            return Err(DomainError::new(
                field,
                msg!("err-user-name-length", max = USER_NAME_MAX_CHARS),
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(DomainError::new(
                field,
                msg!("err-user-name-uses-letters-digits"),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uniqueness key: names differing only in case are the same name.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A project name (PRJ-01): free text of 1 to `max_chars` characters, unique per account
/// regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(field: &'static str, raw: &str, max_chars: usize) -> Result<Self, DomainError> {
        Ok(Self(plain_text(field, raw, max_chars)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_names_are_checked_and_keyed_without_case() {
        let name = UserName::parse("name", " Dev.Ops_1@team ").unwrap();
        assert_eq!(name.as_str(), "Dev.Ops_1@team");
        assert_eq!(name.key(), "dev.ops_1@team");
        for bad in [
            "",
            "   ",
            "with space",
            "名字",
            &"a".repeat(65),
            "tab\there",
        ] {
            assert!(UserName::parse("name", bad).is_err(), "{bad:?}");
        }
        assert!(UserName::parse("name", &"a".repeat(64)).is_ok());
    }

    #[test]
    fn project_names_are_one_to_max_characters_and_keyed_without_case() {
        let name = ProjectName::parse("name", " 生产 Prod ", 64).unwrap();
        assert_eq!(name.key(), "生产 prod");
        assert!(ProjectName::parse("name", &"项".repeat(64), 64).is_ok());
        assert!(ProjectName::parse("name", &"项".repeat(65), 64).is_err());
        assert!(ProjectName::parse("name", "", 64).is_err());
    }

    #[test]
    fn only_recipients_are_outside_the_member_limit() {
        assert!(MemberKind::SubUser.counts_toward_limit());
        assert!(MemberKind::Collaborator.counts_toward_limit());
        assert!(!MemberKind::MessageRecipient.counts_toward_limit());
    }
}
