//! How pending requests end (VER-11..13): the user confirms a remittance or withdraws, an
//! operator reviews, the bank reports a recharge, the scheduler expires what ran out.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Set, sea_query::Expr,
};

use super::{Column, Entity, Model, PENDING, Proven, approve_within_quota, decided};
use crate::{
    db,
    domain::{
        MessageCategory, Money, plain_text,
        verification::{ChangeType, Settlement, VerificationMethod, VerificationState},
    },
    service::{
        AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult, accounts,
        audit::{self, AuditEntry},
        notices::{self, Notice},
    },
};

const OPERATOR: &str = "operator";
const REASON_MAX_CHARS: usize = 500;

/// The row, locked until the transaction ends (SQLite's write transaction already is).
async fn lock(txn: &DatabaseTransaction, id: i64, owner: Option<i64>) -> ServiceResult<Model> {
    let mut query = Entity::find_by_id(id);
    if let Some(account_id) = owner {
        query = query.filter(Column::AccountId.eq(account_id));
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-verification")))
}

fn not_pending(what: crate::i18n::Message) -> ServiceError {
    ServiceError::refused(
        ErrorCode::NotPending,
        msg!("err-verification-not", what = what),
    )
}

fn method_of(row: &Model) -> Option<VerificationMethod> {
    VerificationMethod::parse(&row.method)
}

fn is_expired(row: &Model, now: DateTime<Utc>) -> bool {
    row.expires_at.is_some_and(|at| at <= now)
}

/// The window's end is the row's own (VER-11, VER-12 set it from the site's policy).
fn expired_error(row: &Model) -> ServiceError {
    ServiceError::refused(
        ErrorCode::VerificationExpired,
        match row.expires_at {
            Some(at) => msg!("err-window-closed-at", at = at.to_rfc3339()),
            None => msg!("err-window-closed"),
        },
    )
}

/// VER-11: the user enters the amount the provider paid; two wrong amounts end the attempt.
pub async fn confirm_remittance(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    verification_id: i64,
    raw_amount: &str,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    let amount = Money::parse("amount", raw_amount)?;
    let txn = db::begin_write(&ctx.db).await?;
    let row = lock(&txn, verification_id, Some(principal.account_id)).await?;
    // A change submitted with this method waits for an operator: no amount was paid.
    if row.state != PENDING.as_str()
        || method_of(&row) != Some(VerificationMethod::CorporateRemittance)
        || row.remittance_amount_cents.is_none()
    {
        return Err(not_pending(msg!("not-pending-remittance")));
    }
    if is_expired(&row, now) {
        let refusal = expired_error(&row);
        decided(row, VerificationState::Expired, None, now)
            .update(&txn)
            .await?;
        txn.commit().await?;
        return Err(refusal);
    }
    let entry = |action| {
        AuditEntry::by(principal, action).target(format!("Verification:{verification_id}"))
    };
    if row.remittance_amount_cents == Some(amount.cents()) {
        // VER-23: the proof has arrived; the quota is checked now, under the same lock.
        return match approve_within_quota(ctx, &txn, row, now).await? {
            Proven::Approved(row) => {
                audit::record(&txn, entry("verification.remittance_confirmed"), meta, now).await?;
                let account = accounts::load(&txn, principal.account_id).await?;
                txn.commit().await?;
                Ok((row, account))
            }
            Proven::QuotaFull { refusal, .. } => {
                audit::record(&txn, entry("verification.quota_full"), meta, now).await?;
                txn.commit().await?;
                Err(refusal)
            }
        };
    }
    let left = row
        .remittance_attempts_left
        .unwrap_or(0)
        .saturating_sub(1)
        .max(0);
    let refusal = if left == 0 {
        decided(
            row,
            VerificationState::Rejected,
            Some("two wrong amounts: submit the corporate bank account again".to_owned()),
            now,
        )
        .update(&txn)
        .await?;
        ServiceError::refused_at(
            ErrorCode::AttemptsExhausted,
            "amount",
            msg!("err-two-wrong-amounts-attempt-failed"),
        )
    } else {
        let mut active: entity::verifications::ActiveModel = row.into();
        active.remittance_attempts_left = Set(Some(left));
        active.update(&txn).await?;
        ServiceError::refused_at(
            ErrorCode::WrongAmount,
            "amount",
            msg!("err-wrong-amount-left", left = left),
        )
    };
    audit::record(
        &txn,
        entry("verification.remittance_wrong_amount"),
        meta,
        now,
    )
    .await?;
    // The spent attempt must stay spent: commit before answering with the refusal.
    txn.commit().await?;
    Err(refusal)
}

/// VER-13, VER-16: the user withdraws a pending request; what was in force stays.
pub async fn withdraw(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    verification_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    let txn = db::begin_write(&ctx.db).await?;
    let row = lock(&txn, verification_id, Some(principal.account_id)).await?;
    if row.state != PENDING.as_str() {
        return Err(not_pending(msg!("not-pending-pending")));
    }
    let row = decided(row, VerificationState::Withdrawn, None, now)
        .update(&txn)
        .await?;
    let entry = AuditEntry::by(principal, "verification.withdraw")
        .target(format!("Verification:{verification_id}"));
    audit::record(&txn, entry, meta, now).await?;
    let account = accounts::load(&txn, principal.account_id).await?;
    txn.commit().await?;
    Ok((row, account))
}

fn waits_for_review(row: &Model) -> bool {
    let reviewed_method = method_of(row).is_some_and(|m| m.settlement() == Settlement::Review);
    let reviewed_change = ChangeType::parse(&row.change_type).is_some_and(ChangeType::needs_review);
    row.state == PENDING.as_str() && (reviewed_method || reviewed_change)
}

fn operator_entry(row: &Model, action: &'static str) -> AuditEntry<'static> {
    AuditEntry {
        account_id: row.account_id,
        actor: OPERATOR.to_owned(),
        action,
        target_id: Some(format!("Verification:{}", row.id)),
        detail: None,
    }
}

/// VER-03, VER-16: an operator approves, or rejects with the reason the user will read.
pub async fn review(
    ctx: &AppContext,
    meta: &RequestMeta,
    verification_id: i64,
    approved: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let reason = match (approved, reason) {
        (false, Some(raw)) => Some(plain_text("reason", raw, REASON_MAX_CHARS)?),
        (false, None) => {
            return Err(ServiceError::refused_at(
                ErrorCode::InvalidInput,
                "reason",
                msg!("err-rejection-needs-reason-user-will"),
            ));
        }
        (true, _) => None,
    };
    let txn = db::begin_write(&ctx.db).await?;
    let row = lock(&txn, verification_id, None).await?;
    if !waits_for_review(&row) {
        return Err(not_pending(msg!("not-pending-review")));
    }
    let (row, notice) = match reason {
        None => match approve_within_quota(ctx, &txn, row, now).await? {
            Proven::Approved(row) => (row, msg!("notice-body-verification-approved")),
            Proven::QuotaFull { rejected, refusal } => {
                let notice = msg!(
                    "notice-body-verification-rejected",
                    reason = rejected.rejection_reason.clone().unwrap_or_default()
                );
                audit::record(
                    &txn,
                    operator_entry(&rejected, "verification.quota_full"),
                    meta,
                    now,
                )
                .await?;
                let account = accounts::load(&txn, rejected.account_id).await?;
                let mut written =
                    notices::to_account(&txn, &account, &decision_notice(notice), &[], now).await?;
                written.verification_changed(account.id, rejected.id);
                txn.commit().await?;
                written.dispatch(ctx, now).await;
                return Err(refusal);
            }
        },
        Some(reason) => {
            let notice = msg!("notice-body-verification-rejected", reason = &reason);
            let row = decided(row, VerificationState::Rejected, Some(reason), now)
                .update(&txn)
                .await?;
            (row, notice)
        }
    };
    let action = if approved {
        "verification.approve"
    } else {
        "verification.reject"
    };
    audit::record(&txn, operator_entry(&row, action), meta, now).await?;
    let account = accounts::load(&txn, row.account_id).await?;
    let mut written =
        notices::to_account(&txn, &account, &decision_notice(notice), &[], now).await?;
    written.verification_changed(account.id, row.id);
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(format!("verification {}", row.state.to_lowercase()))
}

/// NTF-01: a verification was decided.
fn decision_notice(body: crate::i18n::Message) -> Notice {
    Notice::new(
        MessageCategory::Verification,
        "VERIFICATION_DECISION",
        msg!("notice-title-real-name-verification-decided"),
        body,
    )
}

/// VER-12: the bank reports the enterprise's payment; the right amount verifies and is
/// credited to the balance.
pub async fn recharge_received(
    ctx: &AppContext,
    meta: &RequestMeta,
    verification_id: i64,
    raw_amount: &str,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let amount = Money::parse("amount", raw_amount)?;
    let txn = db::begin_write(&ctx.db).await?;
    let row = lock(&txn, verification_id, None).await?;
    if row.state != PENDING.as_str() || method_of(&row) != Some(VerificationMethod::Recharge) {
        return Err(not_pending(msg!("not-pending-recharge")));
    }
    if is_expired(&row, now) {
        let refusal = expired_error(&row);
        decided(row, VerificationState::Expired, None, now)
            .update(&txn)
            .await?;
        txn.commit().await?;
        return Err(refusal);
    }
    if row.recharge_amount_cents != Some(amount.cents()) {
        return Err(ServiceError::refused_at(
            ErrorCode::WrongAmount,
            "amount",
            msg!("err-payment-not-amount-named-verification"),
        ));
    }
    // VER-23: the payment proves the request; the quota is checked now, under the same
    // lock. Paid money is credited either way (VER-12).
    let (row, action, outcome) = match approve_within_quota(ctx, &txn, row, now).await? {
        Proven::Approved(row) => (row, "verification.recharge_received", "verified"),
        Proven::QuotaFull { rejected, .. } => (
            rejected,
            "verification.quota_full",
            "rejected: the identity's quota is full",
        ),
    };
    ctx.billing
        .credit(
            &txn,
            row.account_id,
            amount.cents(),
            &format!("verification-{}", row.id),
            now,
        )
        .await?;
    audit::record(&txn, operator_entry(&row, action), meta, now).await?;
    let account = accounts::load(&txn, row.account_id).await?;
    let body = match row.rejection_reason.as_deref() {
        Some(reason) => msg!("notice-body-verification-rejected", reason = reason),
        None => msg!("notice-body-verification-approved"),
    };
    let mut written = notices::to_account(&txn, &account, &decision_notice(body), &[], now).await?;
    written.verification_changed(account.id, row.id);
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(format!("{outcome}; {amount} yuan credited to the balance"))
}

/// VER-11, VER-12: remittances and recharges past their window expire. Each by a
/// conditional update, so of two schedulers running at once one expires (and tells) it.
pub async fn expire_due(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<u64> {
    let due = Entity::find()
        .filter(Column::State.eq(PENDING.as_str()))
        .filter(Column::ExpiresAt.lte(now))
        .all(&ctx.db)
        .await?;
    let mut expired = 0;
    for row in due {
        let txn = db::begin_write(&ctx.db).await?;
        let result = Entity::update_many()
            .col_expr(
                Column::State,
                Expr::value(VerificationState::Expired.as_str()),
            )
            .col_expr(Column::PendingAccountId, Expr::value(Option::<i64>::None))
            .col_expr(Column::DecidedAt, Expr::value(now))
            .filter(Column::Id.eq(row.id))
            .filter(Column::State.eq(PENDING.as_str()))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            continue;
        }
        let account = accounts::load(&txn, row.account_id).await?;
        let body = msg!("notice-body-verification-expired");
        let mut written =
            notices::to_account(&txn, &account, &decision_notice(body), &[], now).await?;
        written.verification_changed(account.id, row.id);
        txn.commit().await?;
        written.dispatch(ctx, now).await;
        expired += 1;
    }
    Ok(expired)
}
