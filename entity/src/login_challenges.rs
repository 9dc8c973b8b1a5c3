//! Second-step challenges issued after a password sign-in that needs MFA or verification.

use sea_orm::entity::prelude::*;

/// A row of `login_challenges`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE CASCADE).
/// - Unique (token_hash).
/// - Index (account_id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_challenges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub methods: String,
    pub login_method: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    pub failed_attempts: i32,
    /// COL-02: a collaborator switching in answers with its own account's second factor.
    pub collaborator_account_id: Option<i64>,
    /// COL-01: the session a switch was asked from; it ends when the challenge opens one.
    pub replaces_session_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
