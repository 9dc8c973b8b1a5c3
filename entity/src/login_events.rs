//! Sign-in attempts, successful or not, kept for the login history.

use sea_orm::entity::prelude::*;

/// A row of `login_events`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE SET NULL).
/// - Foreign key `sub_user_id` -> `sub_users.id` (ON DELETE SET NULL).
/// - Index (account_id, id).
/// - Index (sub_user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: Option<i64>,
    pub sub_user_id: Option<i64>,
    pub at: DateTimeUtc,
    pub method: Option<String>,
    pub success: bool,
    pub failure_reason: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// COL-01: a switch between accounts names the other account (its account ID).
    pub switched_account_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
