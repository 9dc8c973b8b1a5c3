//! Projects of an account.

use sea_orm::entity::prelude::*;

/// A row of `projects`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Unique (account_id, name_key).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    /// Lower-cased `name`.
    pub name_key: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// `ENABLED` | `DISABLED`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
