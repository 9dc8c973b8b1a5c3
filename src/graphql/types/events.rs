//! Login history (ACC-11) and audit log (ACC-12) entries.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use super::enums::LoginMethodKind;
use crate::{
    domain::{self, enums::UnknownStoredValue},
    graphql::node::{NodeKind, encode, encode_raw},
};

/// One sign-in attempt.
#[derive(Debug, Clone, SimpleObject)]
pub struct LoginEvent {
    pub id: ID,
    pub at: Timestamp,
    pub method: Option<LoginMethodKind>,
    pub success: bool,
    pub failure_reason: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// A switch between accounts (COL-01) names the other account: in a root account's
    /// history the collaborator that switched in, in the collaborator's own history the
    /// root account it switched into or came back from.
    pub switched_account_id: Option<String>,
}

impl TryFrom<entity::login_events::Model> for LoginEvent {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::login_events::Model) -> Result<Self, Self::Error> {
        let method = m
            .method
            .as_deref()
            .map(|s| domain::LoginMethodKind::from_stored("login_events.method", s))
            .transpose()?;
        Ok(Self {
            id: encode(NodeKind::LoginEvent, m.id),
            at: m.at.into(),
            method: method.map(Into::into),
            success: m.success,
            failure_reason: m.failure_reason,
            client_address: m.client_address,
            user_agent: m.user_agent,
            switched_account_id: m.switched_account_number,
        })
    }
}

/// One state-changing operation: who, what, when, on which object, from where.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    pub at: Timestamp,
    pub action: String,
    pub target_id: Option<ID>,
    pub actor: String,
    pub client_address: Option<String>,
}

impl From<entity::audit_events::Model> for AuditEvent {
    fn from(m: entity::audit_events::Model) -> Self {
        // The service layer records targets as "Type:pk", the global ID's plain form.
        let target_id = m.target_id.as_deref().map(encode_raw);
        Self {
            id: encode(NodeKind::AuditEvent, m.id),
            at: m.at.into(),
            action: m.action,
            target_id,
            actor: m.actor,
            client_address: m.client_address,
        }
    }
}
