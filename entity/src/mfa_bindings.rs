//! Pending virtual MFA bindings awaiting confirmation with a first code.

use sea_orm::entity::prelude::*;

/// A row of `mfa_bindings`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Index (account_id).
/// - Index (sub_user_id).
/// - Index (principal_key).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_bindings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
    pub principal_key: String,
    #[sea_orm(column_type = "Text")]
    pub secret_enc: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
