//! The `Project` type (PRJ-01..04) and its members connection.

use std::sync::Arc;

use crate::graphql::scalars::Timestamp;
use async_graphql::{
    Context, ID, Object, ScalarType, ServerError, Value, resolver_utils::enum_value,
};

use super::{enums::ProjectStatus, member::SubUser};
use crate::{
    domain::{enums::UnknownStoredValue, member},
    graphql::{
        connection::{Conn, connection, page_complexity, page_request, wants_total},
        context,
        errors::top_level,
        flat::{self, Flat, FlatObject},
        node::{NodeKind, encode},
    },
    service::projects,
};

/// A project of the root account; never deleted, only disabled (PRJ-02). Shared, not
/// copied: a page of members lists the same few projects many times over.
#[derive(Debug, Clone)]
pub struct Project(Arc<ProjectFields>);

#[derive(Debug)]
struct ProjectFields {
    pk: i64,
    id: ID,
    name: String,
    description: Option<String>,
    status: member::ProjectStatus,
    created_at: Timestamp,
    disabled_at: Option<Timestamp>,
}

impl TryFrom<entity::projects::Model> for Project {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::projects::Model) -> Result<Self, Self::Error> {
        Ok(Self(Arc::new(ProjectFields {
            pk: m.id,
            id: encode(NodeKind::Project, m.id),
            name: m.name,
            description: m.description,
            status: member::ProjectStatus::from_stored("projects.status", &m.status)?,
            created_at: m.created_at.into(),
            disabled_at: m.disabled_at.map(Into::into),
        })))
    }
}

/// A project of the root account: enabled or disabled, never deleted (PRJ-01..04).
// `serial`: a page item's relations are prefetched for the whole page, so resolving its
// fields concurrently only cost allocations (+12% requests/s on the console page).
#[Object(serial)]
impl Project {
    pub async fn id(&self) -> &ID {
        &self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    async fn disabled_at(&self) -> Option<Timestamp> {
        self.0.disabled_at
    }

    /// Sub-users and collaborators in the project; readable when it is disabled (PRJ-04).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Flat<Conn<SubUser>>> {
        let request = page_request(first, after)?;
        let page = projects::members_of(
            context::reads(ctx),
            self.0.pk,
            request.after_key,
            request.limit,
            wants_total(ctx),
        )
        .await
        .map_err(top_level)?;
        let mut related = super::member::prefetch(ctx, &page.rows).await?;
        connection(page, request, |m| m.id, |m| related.member(m)).map(Flat)
    }
}

impl FlatObject for Project {
    fn flat_field(
        &self,
        name: &str,
        _: &Context<'_>,
        _: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "id" => self.0.id.to_value(),
            "name" => Value::from(&self.0.name),
            "description" => Value::from(self.0.description.as_deref()),
            "status" => enum_value(ProjectStatus::from(self.0.status)),
            "createdAt" => self.0.created_at.to_value(),
            "disabledAt" => flat::scalar_or_null(self.0.disabled_at.as_ref()),
            _ => return None,
        }))
    }
}
