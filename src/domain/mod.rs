//! Pure business rules of RULES.md: parsing newtypes, site policy, status and lockout logic.

pub mod cancellation;
pub mod client;
pub mod email;
pub mod enums;
pub mod identity;
pub mod lockout;
pub mod masking;
pub mod member;
pub mod money;
pub mod network;
pub mod password;
pub mod phone;
pub mod policy;
pub mod status;
pub mod text;
pub mod verification;

pub use email::Email;
pub use enums::{
    AccountStatus, CodeChannel, CodePurpose, FreezeReason, Lifecycle, LoginMethodKind,
    MessageCategory, MfaDeviceKind, RecoveryApplicationState, RecoveryChange, Site,
};
pub use lockout::{FailureCounter, PasswordGate};
pub use money::Money;
pub use password::Password;
pub use phone::Phone;
pub use policy::{Policies, PoliciesOverlay, SitePolicy, SitePolicyOverlay};
pub use status::{FreezeReasons, account_status, can_buy_or_create, can_sign_in};
pub use text::{Nickname, plain_text};

/// An input that breaks a rule; `field` names the logical input so the API can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    pub field: &'static str,
    pub message: crate::i18n::Message,
}

impl DomainError {
    pub fn new(field: &'static str, message: crate::i18n::Message) -> Self {
        Self { field, message }
    }
}
