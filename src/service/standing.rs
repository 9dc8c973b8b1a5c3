//! What operators and billing say of an account: freezes (ACC-09) and the billing
//! standing record that cancellation and the overdue rule read.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    AppContext, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
};
use crate::{
    db,
    domain::{FreezeReason, FreezeReasons},
};

const OPERATOR: &str = "operator";

async fn by_number(
    conn: &impl sea_orm::ConnectionTrait,
    account_number: &str,
) -> ServiceResult<entity::accounts::Model> {
    entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(account_number.trim()))
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-account")))
}

/// Adds or removes one freeze reason; the account's status follows from the set.
pub async fn set_freeze(
    ctx: &AppContext,
    meta: &RequestMeta,
    account_number: &str,
    reason: FreezeReason,
    frozen: bool,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let txn = db::begin_write(&ctx.db).await?;
    let account = by_number(&txn, account_number).await?;
    let mut reasons = FreezeReasons::from_stored(&account.freeze_reasons)?;
    let changed = if frozen {
        reasons.insert(reason)
    } else {
        reasons.remove(reason)
    };
    if changed {
        let account_id = account.id;
        let mut active: entity::accounts::ActiveModel = account.into();
        active.freeze_reasons = Set(reasons.to_csv());
        active.update(&txn).await?;
        let entry = AuditEntry {
            account_id,
            actor: OPERATOR.to_owned(),
            action: if frozen {
                "account.freeze"
            } else {
                "account.unfreeze"
            },
            target_id: Some(format!("Account:{account_id}")),
            detail: Some(reason.as_str().to_owned()),
        };
        audit::record(&txn, entry, meta, now).await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// Billing's view of an account, as the ops API sets it.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub cash_balance_cents: i64,
    pub amount_owed_cents: i64,
    pub overdue_payment: bool,
    pub vouchers: i32,
    pub active_resources: i32,
    pub open_orders: i32,
    pub pending_complaints: i32,
}

/// Replaces the standing record; an overdue payment freezes with OVERDUE_PAYMENT and
/// settling it lifts that reason.
pub async fn set_standing(
    ctx: &AppContext,
    meta: &RequestMeta,
    account_number: &str,
    standing: Standing,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::account_standings::{ActiveModel, Column, Entity};
    let txn = db::begin_write(&ctx.db).await?;
    let account = by_number(&txn, account_number).await?;
    let existing = Entity::find()
        .filter(Column::AccountId.eq(account.id))
        .one(&txn)
        .await?;
    let mut row: ActiveModel = match existing {
        Some(row) => row.into(),
        None => ActiveModel {
            account_id: Set(account.id),
            ..Default::default()
        },
    };
    row.cash_balance_cents = Set(standing.cash_balance_cents);
    row.amount_owed_cents = Set(standing.amount_owed_cents);
    row.overdue_payment = Set(standing.overdue_payment);
    row.vouchers = Set(standing.vouchers);
    row.active_resources = Set(standing.active_resources);
    row.open_orders = Set(standing.open_orders);
    row.pending_complaints = Set(standing.pending_complaints);
    row.updated_at = Set(now);
    row.save(&txn).await?;

    let mut reasons = FreezeReasons::from_stored(&account.freeze_reasons)?;
    let changed = if standing.overdue_payment {
        reasons.insert(FreezeReason::OverduePayment)
    } else {
        reasons.remove(FreezeReason::OverduePayment)
    };
    let account_id = account.id;
    if changed {
        let mut active: entity::accounts::ActiveModel = account.into();
        active.freeze_reasons = Set(reasons.to_csv());
        active.update(&txn).await?;
    }
    let entry = AuditEntry {
        account_id,
        actor: OPERATOR.to_owned(),
        action: "billing.set_standing",
        target_id: Some(format!("Account:{account_id}")),
        detail: None,
    };
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(())
}
