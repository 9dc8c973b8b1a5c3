//! Billing and resource standing of an account, checked before cancellation.

use sea_orm::entity::prelude::*;

/// A row of `account_standings`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Unique (account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_standings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub account_id: i64,
    /// Amounts are in cents (fen).
    pub cash_balance_cents: i64,
    pub amount_owed_cents: i64,
    pub overdue_payment: bool,
    pub vouchers: i32,
    pub active_resources: i32,
    pub open_orders: i32,
    pub pending_complaints: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
