//! The `AccessKey` type (SUB-05): the SecretId and state; the secret is never shown again.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::AccessKeyStatus;
use crate::{
    domain::member,
    graphql::node::{NodeKind, encode},
};

/// An API access key of the root account or of a sub-user.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
pub struct AccessKey {
    pub id: ID,
    pub secret_id: String,
    pub status: AccessKeyStatus,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<entity::access_keys::Model> for AccessKey {
    fn from(m: entity::access_keys::Model) -> Self {
        Self {
            id: encode(NodeKind::AccessKey, m.id),
            secret_id: m.secret_id,
            status: member::AccessKeyStatus::parse(&m.status)
                .unwrap_or(member::AccessKeyStatus::Disabled)
                .into(),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
        }
    }
}
