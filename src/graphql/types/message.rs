//! The `Message` type (NTF-02): a notice kept for the console.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use super::enums::MessageCategory;
use crate::{
    domain::{self, enums::UnknownStoredValue},
    graphql::node::{NodeKind, encode},
};

/// A notice in the message center.
#[derive(Debug, Clone, SimpleObject)]
pub struct Message {
    pub id: ID,
    pub category: MessageCategory,
    pub title: String,
    /// Plain text; personal data masked, never a secret (NTF-04).
    pub body: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

impl TryFrom<entity::messages::Model> for Message {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::messages::Model) -> Result<Self, Self::Error> {
        let category = domain::MessageCategory::from_stored("messages.category", &m.category)?;
        Ok(Self {
            id: encode(NodeKind::Message, m.id),
            category: category.into(),
            title: m.title,
            body: m.body,
            created_at: m.created_at.into(),
            read_at: m.read_at.map(Into::into),
        })
    }
}
