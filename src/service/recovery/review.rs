//! REC-03, the operator's side: the queue of recovery applications with whether each
//! subject matches the verification in force, and the decision, which lands once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use super::subject::Subject;
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    finders, identifiers, mfa_devices,
    notices::{self, Notice},
    principal_key, security, sessions,
    sign_in::password_guard,
};
use crate::{
    db,
    domain::{
        CodeChannel, Email, LoginMethodKind, MessageCategory, RecoveryApplicationState, Site,
        plain_text,
    },
};

use entity::recovery_applications::{Column, Entity, Model};

const REASON_MAX_CHARS: usize = 500;

/// An application in the operator's queue.
pub struct PendingApplication {
    pub application: Model,
    pub subject_matches: bool,
}

/// The operator's decision.
pub struct Review<'a> {
    pub application_id: i64,
    pub approve: bool,
    pub reason: Option<&'a str>,
}

/// The operator's queue, oldest first, each with whether its subject matches.
pub async fn pending_applications(
    ctx: &AppContext,
    first: u64,
) -> ServiceResult<Vec<PendingApplication>> {
    let rows = Entity::find()
        .filter(Column::State.eq(RecoveryApplicationState::Pending.as_str()))
        .order_by_asc(Column::Id)
        .limit(first)
        .all(&ctx.db)
        .await?;
    let account_ids: Vec<i64> = rows.iter().filter_map(|r| r.account_id).collect();
    let verifications = finders::current_verifications_of(&ctx.db, &account_ids).await?;
    rows.into_iter()
        .map(|application| {
            let in_force = application.account_id.and_then(|id| {
                let mine = verifications
                    .iter()
                    .filter(|v| v.account_id == id)
                    .cloned()
                    .collect();
                crate::service::verification::split_current(mine).0
            });
            let subject_matches = match &in_force {
                Some(v) => Subject::matches(ctx, &application, v)?,
                None => false,
            };
            Ok(PendingApplication {
                application,
                subject_matches,
            })
        })
        .collect()
}

/// The operator decides. Two decisions racing on one application: exactly one lands.
pub async fn review(
    ctx: &AppContext,
    meta: &RequestMeta,
    decision: Review<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let application = Entity::find_by_id(decision.application_id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-recovery-application")))?;
    if application.state != RecoveryApplicationState::Pending.as_str() {
        return Err(not_pending());
    }
    if decision.approve {
        approve(ctx, meta, application, now).await
    } else {
        let reason = decision
            .reason
            .map(|r| plain_text("reason", r, REASON_MAX_CHARS))
            .transpose()?
            .ok_or_else(|| {
                ServiceError::refused_at(
                    ErrorCode::InvalidInput,
                    "reason",
                    msg!("err-rejection-needs-reason-applicant-will"),
                )
            })?;
        reject(ctx, meta, application, reason, now).await
    }
}

fn not_pending() -> ServiceError {
    ServiceError::refused(
        ErrorCode::NotPending,
        msg!("err-application-already-been-decided"),
    )
}

/// Moves a pending application to `state`: the first statement of the decision, so the
/// loser of a race changes nothing.
async fn decide(
    txn: &DatabaseTransaction,
    application_id: i64,
    state: RecoveryApplicationState,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let decided = Entity::update_many()
        .col_expr(Column::State, Expr::value(state.as_str()))
        .col_expr(Column::DecidedAt, Expr::value(now))
        .col_expr(Column::RejectionReason, Expr::value(reason))
        .col_expr(Column::PendingKey, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(application_id))
        .filter(Column::State.eq(RecoveryApplicationState::Pending.as_str()))
        .exec(txn)
        .await?;
    if decided.rows_affected != 1 {
        return Err(not_pending());
    }
    Ok(())
}

async fn reject(
    ctx: &AppContext,
    meta: &RequestMeta,
    application: Model,
    reason: String,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let txn = db::begin_write(&ctx.db).await?;
    decide(
        &txn,
        application.id,
        RecoveryApplicationState::Rejected,
        Some(reason),
        now,
    )
    .await?;
    let mut written = notices::Written::default();
    if let Some(account_id) = application.account_id {
        let entry = operator_entry(account_id, "recovery.rejected", application.id);
        audit::record(&txn, entry, meta, now).await?;
        let account = accounts::load(&txn, account_id).await?;
        let notice = Notice::new(
            MessageCategory::Security,
            "RECOVERY_REJECTED",
            msg!("notice-title-recovery-application-rejected"),
            msg!("notice-body-recovery-application-account-rejected-nothing"),
        );
        written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok("the application is rejected; the applicant reads the reason with the status token".into())
}

fn operator_entry(
    account_id: i64,
    action: &'static str,
    application_id: i64,
) -> AuditEntry<'static> {
    AuditEntry {
        account_id,
        actor: "operator".to_owned(),
        action,
        target_id: Some(format!("RecoveryApplication:{application_id}")),
        detail: None,
    }
}

async fn approve(
    ctx: &AppContext,
    meta: &RequestMeta,
    application: Model,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let mismatch = || {
        ServiceError::refused(
            ErrorCode::InvalidInput,
            msg!("err-subject-does-not-match-account"),
        )
    };
    let account_id = application.account_id.ok_or_else(mismatch)?;
    let before = accounts::load(&ctx.db, account_id).await?;
    let (in_force, _) = crate::service::verification::current(&ctx.db, account_id).await?;
    match &in_force {
        Some(v) if Subject::matches(ctx, &application, v)? => {}
        _ => return Err(mismatch()),
    }
    let site = site_of(&before)?;
    let old_login_email = security::login_email(&ctx.db, account_id).await?;

    let txn = db::begin_write(&ctx.db).await?;
    decide(
        &txn,
        application.id,
        RecoveryApplicationState::Approved,
        None,
        now,
    )
    .await?;
    if let Some(email) = &application.new_login_email {
        replace_login_email(&txn, account_id, site, email, now).await?;
    }
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account_id).await?.into();
    if let Some(phone) = &application.new_secure_phone {
        security::hold_phone_place(ctx, &txn, site, phone, account_id, "newSecurePhone").await?;
        active.secure_phone = Set(Some(phone.clone()));
        active.secure_phone_release_at = Set(None);
    }
    active.update(&txn).await?;
    let root = mfa_devices::Target {
        account_id,
        sub_user_id: None,
    };
    if application.remove_mfa_device {
        mfa_devices::remove_device(&txn, root, now).await?;
    }
    let key = principal_key(account_id, None);
    password_guard::clear_lock(&txn, &key).await?;
    sessions::revoke_principal_sessions(&txn, account_id, None, None, now).await?;
    security::revoke_trusted_devices(&txn, &key, now).await?;
    let entry = operator_entry(account_id, "recovery.approved", application.id);
    audit::record(&txn, entry, meta, now).await?;
    let written = notify_old_and_new(&txn, &before, old_login_email, &application, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok("the application is approved: its changes are applied and every session has ended".into())
}

/// A new login e-mail replaces the account's e-mail login method, or becomes its first one
/// (the password is then set through REC-01).
async fn replace_login_email(
    txn: &DatabaseTransaction,
    account_id: i64,
    site: Site,
    email: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::login_methods::{Column as M, Entity as Methods};
    let taken = || {
        ServiceError::refused_at(
            ErrorCode::IdentifierTaken,
            "newLoginEmail",
            msg!("err-email-now-signs-another-account"),
        )
    };
    let existing = Methods::find()
        .filter(M::AccountId.eq(account_id))
        .filter(M::Kind.eq(LoginMethodKind::Email.as_str()))
        .one(txn)
        .await?;
    match existing {
        Some(method) => {
            let mut active: entity::login_methods::ActiveModel = method.into();
            active.identifier = Set(email.to_owned());
            active.unique_identifier = Set(Some(email.to_owned()));
            active.update(txn).await.map_err(|e| {
                if db::is_unique_violation(&e) {
                    taken()
                } else {
                    e.into()
                }
            })?;
        }
        None => {
            let method = identifiers::NewLoginMethod {
                kind: LoginMethodKind::Email,
                identifier: email.to_owned(),
            };
            identifiers::insert_login_method(txn, &method, account_id, site, false, now)
                .await
                .map_err(|e| match e {
                    ServiceError::Refused(r) if r.code == ErrorCode::IdentifierTaken => taken(),
                    other => other,
                })?;
        }
    }
    Ok(())
}

/// The old contacts hear that the account changed hands; the new ones that they now
/// reach it (NTF-01).
async fn notify_old_and_new(
    txn: &DatabaseTransaction,
    before: &entity::accounts::Model,
    old_login_email: Option<Email>,
    application: &Model,
    now: DateTime<Utc>,
) -> ServiceResult<notices::Written> {
    let mut others = Vec::new();
    if let Some(old) = old_login_email {
        others.push((CodeChannel::Email, old.as_str().to_owned()));
    }
    if let Some(email) = &application.new_login_email {
        others.push((CodeChannel::Email, email.clone()));
    }
    if let Some(phone) = &application.new_secure_phone {
        others.push((CodeChannel::Sms, phone.clone()));
    }
    let notice = Notice::new(
        MessageCategory::Security,
        "RECOVERY_APPROVED",
        msg!("notice-title-recovery-application-approved"),
        msg!("notice-body-recovery-application-account-approved-changes"),
    );
    notices::to_account(txn, before, &notice, &others, now).await
}
