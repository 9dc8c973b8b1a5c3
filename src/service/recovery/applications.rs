//! REC-03: the recovery application as the applicant files and follows it. An owner who
//! lost the login methods, the secure phone or the MFA device names the account and its
//! verified subject and asks for changes (the operator's side is in `review`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::subject::{Subject, SubjectInput};
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
    codes,
    notices::{self, Notice},
};
use crate::{
    crypto, db,
    domain::{
        CodeChannel, CodePurpose, DomainError, Email, Lifecycle, LoginMethodKind, MessageCategory,
        Phone, RecoveryApplicationState, RecoveryChange, Site,
    },
};

use entity::recovery_applications::{ActiveModel, Column, Entity, Model};

const STATUS_TOKEN_BYTES: usize = 32;

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

pub(super) fn pending_key(site: Site, account_number: &str) -> String {
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
                msg!("err-send-recovery-code-new-target"),
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
            msg!("err-ask-least-one-change-new"),
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
                msg!("err-only-verified-account-can-apply"),
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
            msg!("notice-title-someone-applied-recover-account"),
            msg!("notice-body-recovery-application-names-account-if"),
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
        msg!("err-application-account-already-waiting-review"),
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
            msg!("err-email-already-signs-another-account"),
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
