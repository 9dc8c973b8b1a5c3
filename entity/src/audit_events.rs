//! Audit trail of security-relevant operations on an account.

use sea_orm::entity::prelude::*;

/// A row of `audit_events`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Index (account_id, id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub actor: String,
    pub action: String,
    pub target_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub detail: Option<String>,
    pub client_address: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
