//! A principal's sessions and trusted devices as its owner sees them (LOG-10): masked
//! client address, user agent shortened to browser and system.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use crate::{
    domain::client::{describe_agent, mask_address},
    graphql::node::{NodeKind, encode},
};

/// A live session of the signed-in principal.
#[derive(Debug, Clone, SimpleObject)]
pub struct Session {
    pub id: ID,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    /// Kept coarsely: at most a minute behind.
    pub last_used_at: Option<Timestamp>,
    /// Masked client address of the sign-in.
    pub client_address: Option<String>,
    /// The browser and system it signed in with.
    pub user_agent: Option<String>,
    /// True for the session that sent this request.
    pub current: bool,
}

impl Session {
    pub fn new(row: entity::sessions::Model, current_session_id: i64) -> Self {
        Self {
            id: encode(NodeKind::Session, row.id),
            expires_at: row.expires_at.into(),
            created_at: row.created_at.into(),
            last_used_at: row.last_used_at.map(Into::into),
            client_address: row.client_address.as_deref().map(mask_address),
            user_agent: row.user_agent.as_deref().map(describe_agent),
            current: row.id == current_session_id,
        }
    }
}

/// A device that skips login protection for a while (MFA-06).
#[derive(Debug, Clone, SimpleObject)]
pub struct TrustedDevice {
    pub id: ID,
    pub trusted_at: Timestamp,
    pub expires_at: Timestamp,
    /// The browser and system it was trusted with.
    pub user_agent: Option<String>,
    /// Masked client address where it was trusted.
    pub client_address: Option<String>,
}

impl From<entity::trusted_devices::Model> for TrustedDevice {
    fn from(row: entity::trusted_devices::Model) -> Self {
        Self {
            id: encode(NodeKind::TrustedDevice, row.id),
            trusted_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            user_agent: row.user_agent.as_deref().map(describe_agent),
            client_address: row.client_address.as_deref().map(mask_address),
        }
    }
}
