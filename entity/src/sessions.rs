//! Console sessions of an account or one of its sub-users (token stored hashed).

use sea_orm::entity::prelude::*;

/// A row of `sessions`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Unique (token_hash).
/// - Index (account_id).
/// - Index (sub_user_id).
/// - Index (collaborator_account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// REC-02: this session may only change the password.
    pub password_change_only: bool,
    /// COL-01: set when a collaborator acts in `account_id` as member `sub_user_id`: the
    /// collaborator's own account.
    pub collaborator_account_id: Option<i64>,
    /// LOG-10: kept coarsely (at most once a minute), never on every request.
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
