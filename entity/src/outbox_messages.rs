//! Sandbox outbox: every SMS and e-mail the service would have delivered.

use sea_orm::entity::prelude::*;

/// A row of `outbox_messages`.
///
/// - Index (target, id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub purpose: String,
    pub code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
