//! Account cancellation (CAN-01..06): preconditions, the cooling-off period, withdrawal,
//! and completion by the scheduler — claimed by one instance, notified, then erased.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    collaboration,
    second_factor::{SecondFactor, guard_protected_operation},
};
use crate::domain::MessageCategory;
use crate::service::notices::{self, Notice};
use crate::{
    db,
    domain::{
        FreezeReason, FreezeReasons, Lifecycle,
        cancellation::{Blocker, CancellationState, Holdings, blockers},
    },
};

use entity::cancellations::{ActiveModel, Column, Entity, Model};

/// How long a claimed completion may take before another run finishes its erasure.
const STRANDED_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// CAN-01: what stands between the account and a cancellation request, read inside `conn`.
async fn holdings(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    account_id: i64,
) -> ServiceResult<Holdings> {
    let standing = ctx.billing.standing(txn, account_id).await?;
    let members = entity::sub_users::Entity::find()
        .filter(entity::sub_users::Column::AccountId.eq(account_id))
        .count(txn)
        .await?;
    Ok(Holdings {
        open_orders: standing.open_orders,
        amount_owed_cents: standing.amount_owed_cents,
        overdue_payment: standing.overdue_payment,
        cash_balance_cents: standing.cash_balance_cents,
        vouchers: standing.vouchers,
        active_resources: standing.active_resources,
        members,
        pending_complaints: standing.pending_complaints,
    })
}

/// The pre-flight the console shows before the user asks (read-only).
pub async fn readiness(ctx: &AppContext, account_id: i64) -> ServiceResult<Vec<Blocker>> {
    // A read-only transaction, so billing's port sees one consistent snapshot.
    let txn = sea_orm::TransactionTrait::begin(&ctx.db).await?;
    let found = blockers(&holdings(ctx, &txn, account_id).await?);
    txn.rollback().await?;
    Ok(found)
}

/// The newest request of the account (the one in cooling-off, if any).
pub async fn latest(conn: &impl ConnectionTrait, account_id: i64) -> ServiceResult<Option<Model>> {
    use sea_orm::QueryOrder;
    Ok(Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .order_by_desc(Column::Id)
        .one(conn)
        .await?)
}

/// A refused request: the unmet preconditions, in order.
pub struct Refused(pub Vec<Blocker>);

/// CAN-01, CAN-02, MFA-07: a request with every precondition met enters cooling-off; the
/// account becomes CANCELLING and frozen with CANCELLATION_PENDING.
pub async fn request(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<Result<Model, Refused>> {
    principal.require_root()?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    guard_protected_operation(ctx, &account, None, factor, now).await?;

    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "cancellation", &account.id.to_string()).await?;
    // Members are counted below: no member may be added until this request is decided.
    db::lock_scope(&txn, "members", &account.id.to_string()).await?;
    let account = accounts::load(&txn, account.id).await?;
    accounts::require_active(&account, msg!("err-cancellation-already-cooling-off"))?;
    let unmet = blockers(&holdings(ctx, &txn, account.id).await?);
    if !unmet.is_empty() {
        return Ok(Err(Refused(unmet)));
    }
    let cooling_off = ctx
        .policies
        .for_site(site_of(&account)?)
        .cancellation_cooling_off;
    let cancellation = ActiveModel {
        account_id: Set(account.id),
        state: Set(CancellationState::CoolingOff.as_str().to_owned()),
        requested_at: Set(now),
        cooling_off_ends_at: Set(now + cooling_off),
        withdrawn_at: Set(None),
        completed_at: Set(None),
        active_account_id: Set(Some(account.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let notice = Notice::new(
        MessageCategory::Cancellation,
        "CANCELLATION_REQUESTED",
        msg!("notice-title-account-being-cancelled"),
        msg!(
            "notice-body-cancellation-requested",
            account = &account.account_number,
            ends_at = cancellation.cooling_off_ends_at.to_rfc3339()
        ),
    );
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    set_cancelling(&txn, account, true).await?;
    let entry = AuditEntry::by(principal, "cancellation.request")
        .target(format!("Cancellation:{}", cancellation.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(Ok(cancellation))
}

async fn set_cancelling(
    txn: &DatabaseTransaction,
    account: entity::accounts::Model,
    cancelling: bool,
) -> ServiceResult<()> {
    let mut reasons = FreezeReasons::from_stored(&account.freeze_reasons)?;
    let lifecycle = if cancelling {
        reasons.insert(FreezeReason::CancellationPending);
        Lifecycle::Cancelling
    } else {
        reasons.remove(FreezeReason::CancellationPending);
        Lifecycle::Active
    };
    let mut active: entity::accounts::ActiveModel = account.into();
    active.lifecycle = Set(lifecycle.as_str().to_owned());
    active.freeze_reasons = Set(reasons.to_csv());
    active.update(txn).await?;
    Ok(())
}

/// CAN-02: the owner withdraws during cooling-off; the account is ACTIVE again.
pub async fn withdraw(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    cancellation_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "cancellation", &principal.account_id.to_string()).await?;
    let cancellation = Entity::find_by_id(cancellation_id)
        .filter(Column::AccountId.eq(principal.account_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-cancellation")))?;
    if cancellation.state != CancellationState::CoolingOff.as_str() {
        return Err(ServiceError::refused(
            ErrorCode::NotCancelling,
            msg!("err-cancellation-not-cooling-off-period"),
        ));
    }
    // Conditional, like the scheduler's claim: whichever commits first wins, never both.
    let withdrawn = Entity::update_many()
        .col_expr(
            Column::State,
            Expr::value(CancellationState::Withdrawn.as_str()),
        )
        .col_expr(Column::WithdrawnAt, Expr::value(now))
        .col_expr(Column::ActiveAccountId, Expr::value(Option::<i64>::None))
        .filter(Column::Id.eq(cancellation.id))
        .filter(Column::State.eq(CancellationState::CoolingOff.as_str()))
        .exec(&txn)
        .await?;
    if withdrawn.rows_affected != 1 {
        return Err(ServiceError::refused(
            ErrorCode::NotCancelling,
            msg!("err-cancellation-just-been-completed"),
        ));
    }
    let cancellation = Entity::find_by_id(cancellation.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-cancellation")))?;
    let account = accounts::load(&txn, principal.account_id).await?;
    let notice = Notice::new(
        MessageCategory::Cancellation,
        "CANCELLATION_WITHDRAWN",
        msg!("notice-title-cancellation-withdrawn"),
        msg!("notice-body-cancellation-account-withdrawn-account-active"),
    );
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    set_cancelling(&txn, account, false).await?;
    let entry = AuditEntry::by(principal, "cancellation.withdraw")
        .target(format!("Cancellation:{}", cancellation.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(cancellation)
}

/// CAN-03, CAN-04: completes every cancellation past its cooling-off. Each is claimed by a
/// conditional update, so of several schedulers running at once exactly one completes it;
/// the winner notifies, then erases. An erasure that failed half-way is redone on the
/// next run (it is idempotent). Returns how many were completed by this run.
pub async fn complete_due(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<u64> {
    let due = Entity::find()
        .filter(Column::State.eq(CancellationState::CoolingOff.as_str()))
        .filter(Column::CoolingOffEndsAt.lte(now))
        .all(&ctx.db)
        .await?;
    let mut completed = 0;
    for cancellation in due {
        if delayed_by_late_bills(ctx, &cancellation, now).await? {
            continue;
        }
        let claimed = Entity::update_many()
            .col_expr(
                Column::State,
                Expr::value(CancellationState::Completed.as_str()),
            )
            .col_expr(Column::CompletedAt, Expr::value(now))
            .col_expr(Column::ActiveAccountId, Expr::value(Option::<i64>::None))
            .filter(Column::Id.eq(cancellation.id))
            .filter(Column::State.eq(CancellationState::CoolingOff.as_str()))
            .exec(&ctx.db)
            .await?;
        crate::meters::claim("cancellation", claimed.rows_affected == 1);
        if claimed.rows_affected != 1 {
            continue;
        }
        let account = accounts::load(&ctx.db, cancellation.account_id).await?;
        notify_completion(ctx, &account, now).await?;
        erase(ctx, account.id, now).await?;
        completed += 1;
    }
    // Completed but not yet erased: a run that stopped between claim and erasure. Only
    // claims older than a grace period, so an instance still notifying is left alone.
    let stranded = Entity::find()
        .filter(Column::State.eq(CancellationState::Completed.as_str()))
        .filter(Column::CompletedAt.lt(now - STRANDED_AFTER))
        .filter(
            Column::AccountId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::accounts::Column::Id)
                    .from(entity::accounts::Entity)
                    .and_where(
                        entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()),
                    )
                    .to_owned(),
            ),
        )
        .all(&ctx.db)
        .await?;
    for cancellation in stranded {
        erase(ctx, cancellation.account_id, now).await?;
    }
    Ok(completed)
}

/// CAN-07: at the end of cooling-off the preconditions are checked again. While one is
/// unmet the account stays CANCELLING and the owner is told, once per set of unmet
/// preconditions (a conditional update, so once across instances too).
async fn delayed_by_late_bills(
    ctx: &AppContext,
    cancellation: &Model,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let txn = db::begin_write(&ctx.db).await?;
    let unmet = blockers(&holdings(ctx, &txn, cancellation.account_id).await?);
    if unmet.is_empty() {
        return Ok(false);
    }
    let codes = unmet.iter().map(|b| b.code).collect::<Vec<_>>().join(",");
    let told = Entity::update_many()
        .col_expr(Column::DelayedBy, Expr::value(codes.clone()))
        .filter(Column::Id.eq(cancellation.id))
        .filter(Column::State.eq(CancellationState::CoolingOff.as_str()))
        .filter(
            sea_orm::Condition::any()
                .add(Column::DelayedBy.is_null())
                .add(Column::DelayedBy.ne(codes.as_str())),
        )
        .exec(&txn)
        .await?;
    let mut written = notices::Written::default();
    if told.rows_affected == 1 {
        let account = accounts::load(&txn, cancellation.account_id).await?;
        let reasons: Vec<crate::i18n::Message> = unmet.into_iter().map(|b| b.message).collect();
        let notice = Notice::new(
            MessageCategory::Cancellation,
            "CANCELLATION_DELAYED",
            msg!("notice-title-cancellation-waiting"),
            msg!(
                "notice-body-cancellation-delayed",
                reasons = crate::i18n::Arg::list(msg!("list-semicolon"), reasons)
            ),
        );
        written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(true)
}

/// CAN-04: the result goes to the secure phone and security e-mail before they are erased.
async fn notify_completion(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let body = msg!(
        "notice-body-cancellation-completed",
        account = &account.account_number
    );
    let notice = super::notices::Notice::new(
        crate::domain::MessageCategory::Cancellation,
        "CANCELLATION_COMPLETED",
        msg!("notice-title-account-been-cancelled"),
        body,
    );
    notices::notify(ctx, account, &notice, &[], now).await
}

/// CAN-03, CAN-05: one account only — its sign-in methods, sessions, keys, devices and
/// personal data go; its ID and its audit trail (without personal data) stay.
async fn erase(ctx: &AppContext, account_id: i64, now: DateTime<Utc>) -> ServiceResult<()> {
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "cancellation", &account_id.to_string()).await?;
    let account = accounts::load(&txn, account_id).await?;
    let completed = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::State.eq(CancellationState::Completed.as_str()))
        .one(&txn)
        .await?
        .is_some();
    if account.lifecycle == Lifecycle::Cancelled.as_str() || !completed {
        // Erased by another run already, or no completed request: erasing is done once,
        // and only for a completed cancellation.
        return Ok(());
    }
    let login_identifiers: Vec<String> = entity::login_methods::Entity::find()
        .filter(entity::login_methods::Column::AccountId.eq(account_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.identifier)
        .collect();

    macro_rules! delete_owned {
        ($($table:ident),*) => {$(
            entity::$table::Entity::delete_many()
                .filter(entity::$table::Column::AccountId.eq(account_id))
                .exec(&txn)
                .await?;
        )*};
    }
    // Children before parents, so no foreign key depends on the database's cascades.
    let members: Vec<i64> = entity::sub_users::Entity::find()
        .filter(entity::sub_users::Column::AccountId.eq(account_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    entity::project_members::Entity::delete_many()
        .filter(entity::project_members::Column::SubUserId.is_in(members))
        .exec(&txn)
        .await?;
    entity::mfa_recovery_codes::Entity::delete_many()
        .filter(
            entity::mfa_recovery_codes::Column::MfaDeviceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::mfa_devices::Column::Id)
                    .from(entity::mfa_devices::Entity)
                    .and_where(entity::mfa_devices::Column::AccountId.eq(account_id))
                    .to_owned(),
            ),
        )
        .exec(&txn)
        .await?;
    delete_owned!(
        sessions,
        login_challenges,
        trusted_devices,
        access_keys,
        mfa_devices,
        mfa_bindings,
        login_methods,
        verifications,
        sub_users
    );
    // The audit trail stays, without where the requests came from.
    entity::audit_events::Entity::update_many()
        .col_expr(
            entity::audit_events::Column::ClientAddress,
            Expr::value(Option::<String>::None),
        )
        .filter(entity::audit_events::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    entity::login_events::Entity::update_many()
        .col_expr(
            entity::login_events::Column::ClientAddress,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::login_events::Column::UserAgent,
            Expr::value(Option::<String>::None),
        )
        .filter(entity::login_events::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    // COL-04: its memberships in other root accounts go, and their owners are told.
    let written =
        collaboration::remove_all_memberships(&txn, &account, &RequestMeta::default(), now).await?;
    let mut active: entity::accounts::ActiveModel = account.into();
    active.lifecycle = Set(Lifecycle::Cancelled.as_str().to_owned());
    active.cancelled_at = Set(Some(now));
    active.freeze_reasons = Set(String::new());
    active.nickname = Set(None);
    active.secure_phone = Set(None);
    active.secure_phone_release_at = Set(None);
    active.security_email = Set(None);
    active.contact_phone = Set(None);
    active.contact_email = Set(None);
    active.password_hash = Set(None);
    active.login_protection = Set(false);
    active.operation_protection = Set(false);
    active.update(&txn).await?;
    let entry = AuditEntry {
        account_id,
        actor: "scheduler".to_owned(),
        action: "cancellation.complete",
        target_id: Some(format!("Account:{account_id}")),
        detail: Some(format!(
            "released {} login method(s); erased personal data",
            login_identifiers.len()
        )),
    };
    audit::record(&txn, entry, &RequestMeta::default(), now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(())
}
