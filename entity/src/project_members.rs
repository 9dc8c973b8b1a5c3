//! Membership of sub-users in projects.

use sea_orm::entity::prelude::*;

/// A row of `project_members`.
///
/// - Foreign key `project_id` -> `projects.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Unique (project_id, sub_user_id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub sub_user_id: i64,
    pub added_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
