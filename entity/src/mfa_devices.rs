//! MFA devices (virtual or hardware) bound to a principal, at most one per principal.

use sea_orm::entity::prelude::*;

/// A row of `mfa_devices`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Foreign key `hardware_token_id` -> `hardware_tokens.id` (ON DELETE CASCADE).
/// - Unique (principal_key).
/// - Unique (hardware_token_id).
/// - Index (account_id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
    #[sea_orm(unique)]
    pub principal_key: String,
    /// `VIRTUAL` | `HARDWARE`.
    pub kind: String,
    #[sea_orm(unique)]
    pub hardware_token_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub secret_enc: String,
    pub bound_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    /// Highest TOTP step accepted so far (replay guard).
    pub last_used_step: i64,
    pub failed_attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
