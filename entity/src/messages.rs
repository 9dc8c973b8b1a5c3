//! The message center (NTF-02): every notice to an account or one of its members.

use sea_orm::entity::prelude::*;

/// A row of `messages`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Index (account_id, sub_user_id, id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// NULL: the root account's own message; else the sub-user's.
    pub sub_user_id: Option<i64>,
    /// `SECURITY` | `VERIFICATION` | `ACCOUNT` | `MEMBERS` | `CANCELLATION`.
    pub category: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
