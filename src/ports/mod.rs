//! Traits for the outside world, and the sandbox adapters that stand in for them.

pub mod assembly;
pub mod bank;
pub mod billing;
pub mod captcha;
pub mod clock;
pub mod gateway;
pub mod identity;
pub mod notifier;
pub mod real_name;

pub use bank::{Bank, SandboxBank};
pub use billing::{Billing, BillingStanding, SandboxBilling};
pub use captcha::{Captcha, SandboxCaptcha};
pub use clock::{Clock, SandboxClock, SystemClock};
pub use gateway::{Gateway, GatewayConfigError};
pub use identity::{ExternalIdentity, IdentityProvider, SandboxIdentityProvider};
pub use notifier::{Message, Notifier, SandboxNotifier};
pub use real_name::{RealNameCheck, RealNameDecision, RealNameProvider, SandboxRealNameProvider};

/// An outside system did not answer as it should; the caller reports INTERNAL.
#[derive(Debug, thiserror::Error)]
#[error("outside system failed: {0}")]
pub struct PortError(pub String);
