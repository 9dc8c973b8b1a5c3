//! The `LoginMethod` type (LOG-01): kind and masked identifier.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::LoginMethodKind;
use crate::{
    domain::{self, masking},
    graphql::node::{NodeKind, encode},
};

/// A way to sign in to the account.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
pub struct LoginMethod {
    pub id: ID,
    pub kind: LoginMethodKind,
    /// Masked e-mail or external account name.
    pub identifier: String,
    pub is_registration_method: bool,
    pub bound_at: DateTime<Utc>,
}

impl From<entity::login_methods::Model> for LoginMethod {
    fn from(m: entity::login_methods::Model) -> Self {
        let kind =
            domain::LoginMethodKind::parse(&m.kind).unwrap_or(domain::LoginMethodKind::Email);
        let identifier = match kind {
            domain::LoginMethodKind::Email => masking::mask_email(&m.identifier),
            _ => masking::mask_id_number(&m.identifier),
        };
        Self {
            id: encode(NodeKind::LoginMethod, m.id),
            kind: kind.into(),
            identifier,
            is_registration_method: m.is_registration_method,
            bound_at: m.bound_at,
        }
    }
}
