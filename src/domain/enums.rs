//! The closed vocabularies shared by the contract and the database (SCREAMING_CASE names).

/// One definition per enum keeps the Rust variant, the contract name and the DB value in step.
macro_rules! contract_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $s:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: [Self; [$($s),+].len()] = [$(Self::$variant),+];

            /// The contract / database spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $s,)+
                }
            }

            /// Exact (case-sensitive) inverse of `as_str`.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($s => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// A value read back from `column`: a spelling this version does not know (a
            /// corrupted row, or one a newer version wrote) fails closed, never a default.
            pub fn from_stored(
                column: &'static str,
                s: &str,
            ) -> Result<Self, $crate::domain::enums::UnknownStoredValue> {
                Self::parse(s).ok_or($crate::domain::enums::UnknownStoredValue { column })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use contract_enum;

/// A stored column held a value outside its vocabulary: an internal fault, never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{column} holds a value this version does not know")]
pub struct UnknownStoredValue {
    pub column: &'static str,
}

contract_enum! {
    /// MFA-01: the two kinds of device.
    MfaDeviceKind {
        Virtual => "VIRTUAL",
        Hardware => "HARDWARE",
    }
}

contract_enum! {
    /// ACC-01: the site an account belongs to; data never crosses sites.
    Site {
        China => "CHINA",
        International => "INTERNATIONAL",
    }
}

contract_enum! {
    /// LOG-01: the ways to sign in.
    LoginMethodKind {
        Email => "EMAIL",
        Wechat => "WECHAT",
        Qq => "QQ",
        Wecom => "WECOM",
        WechatOfficialAccount => "WECHAT_OFFICIAL_ACCOUNT",
    }
}

impl LoginMethodKind {
    /// LOG-04: one WeChat identity may manage several accounts; every other identity is unique.
    pub fn is_globally_unique(self) -> bool {
        self != Self::Wechat
    }

    /// LOG-08: everything but e-mail goes through an identity provider.
    pub fn is_third_party(self) -> bool {
        self != Self::Email
    }
}

contract_enum! {
    CodeChannel {
        Sms => "SMS",
        Email => "EMAIL",
    }
}

contract_enum! {
    /// What a verification code was issued for; a code only proves the purpose it was sent for.
    CodePurpose {
        Register => "REGISTER",
        BindPhone => "BIND_PHONE",
        BindEmail => "BIND_EMAIL",
        FindAccount => "FIND_ACCOUNT",
        LoginChallenge => "LOGIN_CHALLENGE",
        Operation => "OPERATION",
        ResetPassword => "RESET_PASSWORD",
        Recovery => "RECOVERY",
        PhoneRelease => "PHONE_RELEASE",
    }
}

contract_enum! {
    /// NTF-02: what a notice is about; members receive notices by category (NTF-03).
    MessageCategory {
        Security => "SECURITY",
        Verification => "VERIFICATION",
        Account => "ACCOUNT",
        Members => "MEMBERS",
        Cancellation => "CANCELLATION",
    }
}

contract_enum! {
    /// REC-03: what a recovery application asks to change.
    RecoveryChange {
        NewLoginEmail => "NEW_LOGIN_EMAIL",
        NewSecurePhone => "NEW_SECURE_PHONE",
        RemoveMfaDevice => "REMOVE_MFA_DEVICE",
    }
}

contract_enum! {
    /// REC-03: where a recovery application stands.
    RecoveryApplicationState {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
    }
}

impl CodePurpose {
    /// The purposes a stranger may ask for to get back in (REC): limited per target.
    pub fn is_recovery(self) -> bool {
        matches!(
            self,
            Self::ResetPassword | Self::Recovery | Self::PhoneRelease
        )
    }
}

contract_enum! {
    /// ACC-09: why an account is frozen; several may hold at once.
    FreezeReason {
        Violation => "VIOLATION",
        VerificationFailed => "VERIFICATION_FAILED",
        OverduePayment => "OVERDUE_PAYMENT",
        CancellationPending => "CANCELLATION_PENDING",
    }
}

contract_enum! {
    /// The stored lifecycle; freezing is kept apart (as reasons) so that it composes with it.
    Lifecycle {
        Active => "ACTIVE",
        Cancelling => "CANCELLING",
        Cancelled => "CANCELLED",
    }
}

contract_enum! {
    /// ACC-09: the status shown to the user, derived from lifecycle and freeze reasons.
    AccountStatus {
        Active => "ACTIVE",
        Frozen => "FROZEN",
        Cancelling => "CANCELLING",
        Cancelled => "CANCELLED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for &v in all {
            assert_eq!(parse(as_str(v)), Some(v), "{v:?}");
        }
    }

    #[test]
    fn every_enum_round_trips_through_its_contract_name() {
        round_trips(&Site::ALL, Site::as_str, Site::parse);
        round_trips(
            &LoginMethodKind::ALL,
            LoginMethodKind::as_str,
            LoginMethodKind::parse,
        );
        round_trips(&CodeChannel::ALL, CodeChannel::as_str, CodeChannel::parse);
        round_trips(&CodePurpose::ALL, CodePurpose::as_str, CodePurpose::parse);
        round_trips(
            &FreezeReason::ALL,
            FreezeReason::as_str,
            FreezeReason::parse,
        );
        round_trips(&Lifecycle::ALL, Lifecycle::as_str, Lifecycle::parse);
        round_trips(
            &AccountStatus::ALL,
            AccountStatus::as_str,
            AccountStatus::parse,
        );
    }

    #[test]
    fn names_match_the_contract() {
        assert_eq!(
            LoginMethodKind::WechatOfficialAccount.as_str(),
            "WECHAT_OFFICIAL_ACCOUNT"
        );
        assert_eq!(Site::China.to_string(), "CHINA");
        assert_eq!(CodePurpose::LoginChallenge.as_str(), "LOGIN_CHALLENGE");
        assert_eq!(
            FreezeReason::CancellationPending.as_str(),
            "CANCELLATION_PENDING"
        );
        assert_eq!(AccountStatus::ALL.len(), 4);
        assert_eq!(LoginMethodKind::ALL.len(), 5);
    }

    #[test]
    fn parse_rejects_unknown_and_wrong_case() {
        assert_eq!(Site::parse("china"), None);
        assert_eq!(Site::parse(""), None);
        assert_eq!(LoginMethodKind::parse("WEIBO"), None);
    }

    #[test]
    fn only_wechat_may_be_shared_between_accounts() {
        // RULE LOG-04
        let shared: Vec<_> = LoginMethodKind::ALL
            .into_iter()
            .filter(|k| !k.is_globally_unique())
            .collect();
        assert_eq!(shared, vec![LoginMethodKind::Wechat]);
    }

    #[test]
    fn only_email_is_first_party() {
        // RULE LOG-08
        let first_party: Vec<_> = LoginMethodKind::ALL
            .into_iter()
            .filter(|k| !k.is_third_party())
            .collect();
        assert_eq!(first_party, vec![LoginMethodKind::Email]);
    }
}
