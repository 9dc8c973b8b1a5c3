//! Opaque global IDs (base64 of "Type:pk") and the `Node` interface.

use async_graphql::{ID, Interface};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::types::{
    access_key::AccessKey,
    account::Account,
    cancellation::Cancellation,
    device::{Session, TrustedDevice},
    events::{AuditEvent, LoginEvent},
    login_method::LoginMethod,
    member::SubUser,
    message::Message,
    mfa_device::MfaDevice,
    project::Project,
    recovery::RecoveryApplication,
    verification::Verification,
};

/// The kinds of node the console API can resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Account,
    LoginMethod,
    LoginEvent,
    AuditEvent,
    Verification,
    SubUser,
    AccessKey,
    Project,
    MfaDevice,
    /// A pending virtual-device binding: an ID, not a node.
    MfaBinding,
    Cancellation,
    RecoveryApplication,
    Message,
    Session,
    TrustedDevice,
}

impl NodeKind {
    fn name(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::LoginMethod => "LoginMethod",
            Self::LoginEvent => "LoginEvent",
            Self::AuditEvent => "AuditEvent",
            Self::Verification => "Verification",
            Self::SubUser => "SubUser",
            Self::AccessKey => "AccessKey",
            Self::Project => "Project",
            Self::MfaDevice => "MfaDevice",
            Self::MfaBinding => "MfaBinding",
            Self::Cancellation => "Cancellation",
            Self::RecoveryApplication => "RecoveryApplication",
            Self::Message => "Message",
            Self::Session => "Session",
            Self::TrustedDevice => "TrustedDevice",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [
            Self::Account,
            Self::LoginMethod,
            Self::LoginEvent,
            Self::AuditEvent,
            Self::Verification,
            Self::SubUser,
            Self::AccessKey,
            Self::Project,
            Self::MfaDevice,
            Self::MfaBinding,
            Self::Cancellation,
            Self::RecoveryApplication,
            Self::Message,
            Self::Session,
            Self::TrustedDevice,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A node's global ID: base64 of `Type:pk`. Written without `format!`: a console page
/// encodes a few hundred of them.
pub fn encode(kind: NodeKind, pk: i64) -> ID {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(pk);
    let name = kind.name();
    let mut raw = [0_u8; 48];
    let len = name.len() + 1 + digits.len();
    let Some(raw) = raw.get_mut(..len) else {
        return ID(STANDARD.encode(format!("{name}:{digits}")));
    };
    raw[..name.len()].copy_from_slice(name.as_bytes());
    raw[name.len()] = b':';
    raw[name.len() + 1..].copy_from_slice(digits.as_bytes());
    ID(STANDARD.encode(raw))
}

/// The global ID of a "Type:pk" string the service layer wrote (audit targets).
pub fn encode_raw(type_and_pk: &str) -> ID {
    ID(STANDARD.encode(type_and_pk))
}

/// The kind and primary key inside a global ID; `None` for anything malformed.
pub fn decode(id: &str) -> Option<(NodeKind, i64)> {
    let raw = STANDARD.decode(id.trim()).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (kind, pk) = text.split_once(':')?;
    Some((NodeKind::parse(kind)?, pk.parse().ok()?))
}

/// The primary key of a global ID that must be of `kind`; a malformed or foreign-typed ID
/// is a BAD_USER_INPUT top-level error.
pub fn expect(id: &ID, kind: NodeKind, field: &str) -> async_graphql::Result<i64> {
    match decode(id) {
        Some((k, pk)) if k == kind => Ok(pk),
        _ => Err(super::errors::bad_input(format!(
            "{field} is not a valid {} ID",
            kind.name()
        ))),
    }
}

/// An object with a global ID.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "&ID", desc = "The opaque global ID."))]
pub enum Node {
    Account(Account),
    LoginMethod(LoginMethod),
    LoginEvent(LoginEvent),
    AuditEvent(AuditEvent),
    Verification(Verification),
    SubUser(SubUser),
    AccessKey(AccessKey),
    Project(Project),
    MfaDevice(MfaDevice),
    Cancellation(Cancellation),
    RecoveryApplication(RecoveryApplication),
    Message(Message),
    Session(Session),
    TrustedDevice(TrustedDevice),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_garbage() {
        let id = encode(NodeKind::LoginMethod, 42);
        assert_eq!(id.0, STANDARD.encode("LoginMethod:42"));
        assert_eq!(decode(&id), Some((NodeKind::LoginMethod, 42)));
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&STANDARD.encode("Unknown:1")), None);
        assert_eq!(decode(&STANDARD.encode("Account:x")), None);
    }
}
