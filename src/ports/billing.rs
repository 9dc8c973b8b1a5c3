//! Billing: what the account owes and holds (VER-12 credit, VER-15 overdue, CAN-01).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::PortError;

/// Billing's record of one account; amounts in cents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingStanding {
    pub cash_balance_cents: i64,
    pub amount_owed_cents: i64,
    pub overdue_payment: bool,
    pub vouchers: i32,
    pub active_resources: i32,
    pub open_orders: i32,
    pub pending_complaints: i32,
}

/// The sandbox's calls run inside the caller's transaction, so a credit and the approval
/// that earns it commit together; the gateway adapter sends `reference` as idempotency key.
#[async_trait]
pub trait Billing: Send + Sync {
    async fn standing(
        &self,
        txn: &DatabaseTransaction,
        account_id: i64,
    ) -> Result<BillingStanding, PortError>;

    /// Adds `cents` to the cash balance (the recharge payment of VER-12). `reference`
    /// names what earned it, so a remote billing service can refuse a retried duplicate.
    async fn credit(
        &self,
        txn: &DatabaseTransaction,
        account_id: i64,
        cents: i64,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;
}

/// Reads and writes `account_standings`, the record operators set with `setAccountStanding`.
#[derive(Debug, Default)]
pub struct SandboxBilling;

fn port(err: sea_orm::DbErr) -> PortError {
    PortError(err.to_string())
}

#[async_trait]
impl Billing for SandboxBilling {
    async fn standing(
        &self,
        txn: &DatabaseTransaction,
        account_id: i64,
    ) -> Result<BillingStanding, PortError> {
        use entity::account_standings::{Column, Entity};
        let row = Entity::find()
            .filter(Column::AccountId.eq(account_id))
            .one(txn)
            .await
            .map_err(port)?;
        Ok(row
            .map(|r| BillingStanding {
                cash_balance_cents: r.cash_balance_cents,
                amount_owed_cents: r.amount_owed_cents,
                overdue_payment: r.overdue_payment,
                vouchers: r.vouchers,
                active_resources: r.active_resources,
                open_orders: r.open_orders,
                pending_complaints: r.pending_complaints,
            })
            .unwrap_or_default())
    }

    async fn credit(
        &self,
        txn: &DatabaseTransaction,
        account_id: i64,
        cents: i64,
        _reference: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        use entity::account_standings::{ActiveModel, Column, Entity};
        let existing = Entity::find()
            .filter(Column::AccountId.eq(account_id))
            .one(txn)
            .await
            .map_err(port)?;
        let mut row: ActiveModel = match existing {
            Some(row) => {
                let balance = row.cash_balance_cents.saturating_add(cents);
                let mut active: ActiveModel = row.into();
                active.cash_balance_cents = Set(balance);
                active
            }
            None => ActiveModel {
                account_id: Set(account_id),
                cash_balance_cents: Set(cents),
                amount_owed_cents: Set(0),
                overdue_payment: Set(false),
                vouchers: Set(0),
                active_resources: Set(0),
                open_orders: Set(0),
                pending_complaints: Set(0),
                ..Default::default()
            },
        };
        row.updated_at = Set(now);
        row.save(txn).await.map_err(port)?;
        Ok(())
    }
}
