//! REC-03: the recovery application. An owner who lost the login methods, the secure
//! phone or the MFA device names the account and its verified subject and asks for
//! changes; an operator approves only when the subject matches the verification in force.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};

use super::subject::{Subject, SubjectInput};
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    codes, finders, identifiers, mfa_devices,
    notices::{self, Notice},
    principal_key, security, sessions,
    sign_in::password_guard,
};
use crate::{
    crypto, db,
    domain::{
        CodeChannel, CodePurpose, DomainError, Email, Lifecycle, LoginMethodKind, MessageCategory,
        Phone, RecoveryApplicationState, RecoveryChange, Site, plain_text,
    },
};

use entity::recovery_applications::{ActiveModel, Column, Entity, Model};

const STATUS_TOKEN_BYTES: usize = 32;
const REASON_MAX_CHARS: usize = 500;

/// `submitRecoveryApplication` as the client sent it.
pub struct NewApplication<'a> {
    pub site: Site,
    pub account_number: &'a str,
    pub subject: SubjectInput<'a>,
    pub changes: ApplicationChanges<'a>,
}

/// What the applicant asks to change, with the RECOVERY codes that prove new targets.
#[derive(Default)]
pub struct ApplicationChanges<'a> {
    pub new_login_email: Option<&'a str>,
    pub new_login_email_code: Option<&'a str>,
    pub new_secure_phone: Option<&'a str>,
    pub new_secure_phone_code: Option<&'a str>,
    pub remove_mfa_device: bool,
}

/// The application as filed, and the token that reads it without signing in.
pub struct SubmittedApplication {
    pub application: Model,
    pub status_token: String,
}

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

/// The changes an application row asks for, in the contract's order.
pub fn changes_of(application: &Model) -> Vec<RecoveryChange> {
    let mut changes = Vec::new();
    if application.new_login_email.is_some() {
        changes.push(RecoveryChange::NewLoginEmail);
    }
    if application.new_secure_phone.is_some() {
        changes.push(RecoveryChange::NewSecurePhone);
    }
    if application.remove_mfa_device {
        changes.push(RecoveryChange::RemoveMfaDevice);
    }
    changes
}

fn pending_key(site: Site, account_number: &str) -> String {
    format!("{}:{account_number}", site.as_str())
}

/// A new target and its code, parsed; `None` when not asked for.
fn proven_target<T>(
    raw: Option<&str>,
    code: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, DomainError>,
    code_field: &'static str,
) -> ServiceResult<Option<(T, String)>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let parsed = parse(raw)?;
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::InvalidCode,
                code_field,
                "send a RECOVERY code to the new target and enter it",
            )
        })?;
    Ok(Some((parsed, code.to_owned())))
}

/// REC-03: files an application. The answer is the same whether or not the account ID
/// names an account and whether or not the subject matches; an account without a
/// verification in force is told NOT_VERIFIED.
pub async fn submit(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: NewApplication<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SubmittedApplication> {
    let NewApplication {
        site,
        account_number,
        subject,
        changes,
    } = request;
    let number = account_number.trim();
    super::limit(ctx, meta, site, "recovery-application", number, now).await?;
    let new_email = proven_target(
        changes.new_login_email,
        changes.new_login_email_code,
        |raw| Email::parse(raw).map_err(|e| DomainError::new("newLoginEmail", e.message)),
        "newLoginEmailCode",
    )?;
    let new_phone = proven_target(
        changes.new_secure_phone,
        changes.new_secure_phone_code,
        |raw| Phone::parse(raw).map_err(|e| DomainError::new("newSecurePhone", e.message)),
        "newSecurePhoneCode",
    )?;
    if new_email.is_none() && new_phone.is_none() && !changes.remove_mfa_device {
        return Err(ServiceError::refused(
            ErrorCode::InvalidInput,
            "ask for at least one change: a new login e-mail, a new secure phone or removing the MFA device",
        ));
    }
    let subject = Subject::parse(ctx, &subject)?;
    let account = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(number))
        .filter(entity::accounts::Column::Site.eq(site.as_str()))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .one(&ctx.db)
        .await?;
    if let Some(account) = &account {
        let (in_force, _) = crate::service::verification::current(&ctx.db, account.id).await?;
        if in_force.is_none() {
            return Err(ServiceError::refused(
                ErrorCode::NotVerified,
                "only a verified account can apply; an unverified one recovers through its login methods",
            ));
        }
    }
    let email_code = match &new_email {
        Some((email, code)) => Some(
            codes::check(
                ctx,
                CodeChannel::Email,
                email.as_str(),
                CodePurpose::Recovery,
                code,
                "newLoginEmailCode",
                now,
            )
            .await?,
        ),
        None => None,
    };
    let phone_code = match &new_phone {
        Some((phone, code)) => Some(
            codes::check(
                ctx,
                CodeChannel::Sms,
                phone.as_str(),
                CodePurpose::Recovery,
                code,
                "newSecurePhoneCode",
                now,
            )
            .await?,
        ),
        None => None,
    };
    if let Some((email, _)) = &new_email {
        ensure_email_free(ctx, site, email.as_str(), account.as_ref().map(|a| a.id)).await?;
    }
    let status_token = crypto::random_token(STATUS_TOKEN_BYTES);
    let key = pending_key(site, number);
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "recovery-application", &key).await?;
    ensure_room(ctx, &txn, site, number, now).await?;
    if let Some(matched) = email_code {
        codes::claim_in(&txn, matched, now).await?;
    }
    if let Some(matched) = phone_code {
        codes::claim_in(&txn, matched, now).await?;
    }
    let row = ActiveModel {
        site: Set(site.as_str().to_owned()),
        account_number: Set(number.to_owned()),
        account_id: Set(account.as_ref().map(|a| a.id)),
        subject_kind: Set(subject.kind.as_str().to_owned()),
        subject_name_hash: Set(subject.name_hash),
        identity_hash: Set(subject.identity_hash),
        legal_person_name_hash: Set(subject.legal_person_name_hash),
        new_login_email: Set(new_email.map(|(e, _)| e.as_str().to_owned())),
        new_secure_phone: Set(new_phone.map(|(p, _)| p.as_str().to_owned())),
        remove_mfa_device: Set(changes.remove_mfa_device),
        state: Set(RecoveryApplicationState::Pending.as_str().to_owned()),
        status_token_hash: Set(crypto::token_hash(&status_token)),
        submitted_at: Set(now),
        decided_at: Set(None),
        rejection_reason: Set(None),
        pending_key: Set(Some(key)),
        ..Default::default()
    };
    let application = row.insert(&txn).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            already_pending()
        } else {
            e.into()
        }
    })?;
    let mut written = notices::Written::default();
    if let Some(account) = &account {
        let entry = AuditEntry {
            account_id: account.id,
            actor: "applicant".to_owned(),
            action: "recovery.submitted",
            target_id: Some(format!("RecoveryApplication:{}", application.id)),
            detail: None,
        };
        audit::record(&txn, entry, meta, now).await?;
        let notice = Notice::new(
            MessageCategory::Security,
            "RECOVERY_SUBMITTED",
            "Someone applied to recover your account",
            "A recovery application names your account. If it was not you, sign in and secure the account; nothing changes before an operator reviews it.",
        );
        written = notices::to_account(&txn, account, &notice, &[], now).await?;
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(SubmittedApplication {
        application,
        status_token,
    })
}

fn already_pending() -> ServiceError {
    ServiceError::refused(
        ErrorCode::ApplicationPending,
        "an application for this account is already waiting for review",
    )
}

/// One pending application per account, and the site's number per window (REC-03).
async fn ensure_room(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    site: Site,
    number: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let policy = ctx.policies.for_site(site);
    let recent = Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::AccountNumber.eq(number))
        .filter(Column::SubmittedAt.gt(now - policy.recovery_applications_window))
        .order_by_asc(Column::SubmittedAt)
        .all(txn)
        .await?;
    let pending = Entity::find()
        .filter(Column::PendingKey.eq(pending_key(site, number)))
        .count(txn)
        .await?;
    if pending > 0 {
        return Err(already_pending());
    }
    let allowed = usize::try_from(policy.recovery_applications_per_account).unwrap_or(0);
    if recent.len() >= allowed {
        let oldest = recent
            .get(recent.len() - allowed)
            .map_or(now, |a| a.submitted_at);
        let retry = (oldest + policy.recovery_applications_window - now).num_seconds();
        return Err(ServiceError::rate_limited(retry.max(1)));
    }
    Ok(())
}

/// A new login e-mail must not sign in to another account of the site (LOG-04).
async fn ensure_email_free(
    ctx: &AppContext,
    site: Site,
    email: &str,
    own_account: Option<i64>,
) -> ServiceResult<()> {
    use entity::login_methods::Column as M;
    let holder = entity::login_methods::Entity::find()
        .filter(M::Site.eq(site.as_str()))
        .filter(M::Kind.eq(LoginMethodKind::Email.as_str()))
        .filter(M::UniqueIdentifier.eq(email))
        .one(&ctx.db)
        .await?;
    match holder {
        Some(m) if Some(m.account_id) != own_account => Err(ServiceError::refused_at(
            ErrorCode::IdentifierTaken,
            "newLoginEmail",
            "this e-mail already signs in to another account",
        )),
        _ => Ok(()),
    }
}

/// `Query.recoveryApplication`: the application a status token reads; None for others.
pub async fn application_by_token(
    ctx: &AppContext,
    status_token: &str,
) -> ServiceResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::StatusTokenHash.eq(crypto::token_hash(status_token.trim())))
        .one(&ctx.db)
        .await?)
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
        .ok_or_else(|| ServiceError::not_found("recovery application"))?;
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
                    "a rejection needs a reason the applicant will read",
                )
            })?;
        reject(ctx, meta, application, reason, now).await
    }
}

fn not_pending() -> ServiceError {
    ServiceError::refused(
        ErrorCode::NotPending,
        "this application has already been decided",
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
            "A recovery application was rejected",
            "A recovery application for your account was rejected; nothing was changed.",
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
            "the subject does not match the account's verification in force: reject the application",
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
            "this e-mail now signs in to another account: reject the application",
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
        "A recovery application was approved",
        "A recovery application for your account was approved: its changes are applied and every session was signed out.",
    );
    notices::to_account(txn, before, &notice, &others, now).await
}
