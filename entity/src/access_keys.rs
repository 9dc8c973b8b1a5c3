//! API access keys of an account or one of its sub-users (secret stored hashed).

use sea_orm::entity::prelude::*;

/// A row of `access_keys`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Unique (secret_id).
/// - Index (account_id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
    #[sea_orm(unique)]
    pub secret_id: String,
    pub secret_hash: String,
    /// `ACTIVE` | `DISABLED`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
