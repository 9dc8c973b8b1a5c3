//! REC-06: a recycled mobile number. Whoever proves control of a number that is the secure
//! phone of other accounts may ask for its release; each holder may keep it within the
//! waiting period, else it is released and no longer counts toward ACC-07.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use crate::service::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    codes,
    notices::{self, Notice},
    security,
};
use crate::{
    db,
    domain::{CodeChannel, CodePurpose, Lifecycle, MessageCategory, Phone, Site},
};

/// Due releases handled per scheduler run; the rest wait for the next one.
const RELEASES_PER_RUN: u64 = 500;

/// `requestPhoneRelease` as the client sent it.
pub struct PhoneRelease<'a> {
    pub site: Site,
    pub phone: &'a str,
    pub code: &'a str,
}

/// How many accounts hold the number, and when it leaves those that do not keep it.
pub struct ReleaseRequested {
    pub holders: u64,
    pub release_at: Option<DateTime<Utc>>,
}

/// REC-06: starts the waiting period on every holder that is not already waiting, and
/// tells each at its security (or login) e-mail. Serialised with bindings of the number.
pub async fn request(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: PhoneRelease<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<ReleaseRequested> {
    let site = request.site;
    let phone = Phone::parse(request.phone)
        .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "phone", e.message))?;
    let phone = phone.as_str();
    let stored_target = codes::target_key(ctx, CodeChannel::Sms, phone);
    super::limit(ctx, meta, site, "phone-release", &stored_target, now).await?;
    let matched = codes::check(
        ctx,
        CodeChannel::Sms,
        phone,
        CodePurpose::PhoneRelease,
        request.code,
        "code",
        now,
    )
    .await?;
    let wait = ctx.policies.for_site(site).phone_release_wait;

    let txn = db::begin_write(&ctx.db).await?;
    security::lock_phone(ctx, &txn, site, phone).await?;
    codes::claim_in(&txn, matched, now).await?;
    use entity::accounts::{Column, Entity};
    let holders = Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::SecurePhone.eq(phone))
        .filter(Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .all(&txn)
        .await?;
    let mut written = notices::Written::default();
    let mut release_at = None;
    for holder in &holders {
        let deadline = match holder.secure_phone_release_at {
            Some(deadline) => deadline,
            None => {
                // Microseconds, as every backend stores them: the answer equals the field.
                let deadline = (now + wait).trunc_subsecs(6);
                let mut active: entity::accounts::ActiveModel = holder.clone().into();
                active.secure_phone_release_at = Set(Some(deadline));
                active.update(&txn).await?;
                let body = msg!(
                    "notice-body-phone-release-requested",
                    deadline = deadline.to_rfc3339()
                );
                let notice = Notice::new(
                    MessageCategory::Security,
                    "PHONE_RELEASE_REQUESTED",
                    msg!("notice-title-keep-secure-phone"),
                    body,
                );
                let targets = email_of(&txn, holder).await?;
                written.merge(notices::to_account_at(&txn, holder, &notice, &targets, now).await?);
                let entry = AuditEntry {
                    account_id: holder.id,
                    actor: "the person holding the number".to_owned(),
                    action: "security.phone_release_requested",
                    target_id: None,
                    detail: Some(format!("released on {} unless kept", deadline.to_rfc3339())),
                };
                audit::record(&txn, entry, meta, now).await?;
                deadline
            }
        };
        release_at = release_at.max(Some(deadline));
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(ReleaseRequested {
        holders: u64::try_from(holders.len()).unwrap_or(u64::MAX),
        release_at,
    })
}

/// Where a holder hears of its number: its security e-mail, else its login e-mail. Never
/// its secure phone, which is the very number in question.
async fn email_of(
    conn: &impl ConnectionTrait,
    account: &entity::accounts::Model,
) -> ServiceResult<Vec<(CodeChannel, String)>> {
    let target = match &account.security_email {
        Some(email) => Some(email.clone()),
        None => security::login_email(conn, account.id)
            .await?
            .map(|e| e.as_str().to_owned()),
    };
    Ok(target
        .map(|t| (CodeChannel::Email, t))
        .into_iter()
        .collect())
}

/// REC-06: the holder proves it still has the number (a BIND_PHONE code to it) and keeps
/// it. Exactly one of this and the scheduled release lands.
pub async fn keep_secure_phone(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    principal.require_root()?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let not_waiting = || {
        ServiceError::refused(
            ErrorCode::NotPending,
            msg!("err-no-release-secure-phone-waiting"),
        )
    };
    let (Some(phone), Some(_)) = (&account.secure_phone, account.secure_phone_release_at) else {
        return Err(not_waiting());
    };
    codes::consume(
        ctx,
        CodeChannel::Sms,
        phone,
        CodePurpose::BindPhone,
        code,
        "code",
        now,
    )
    .await?;
    let txn = db::begin_write(&ctx.db).await?;
    use entity::accounts::{Column, Entity};
    let kept = Entity::update_many()
        .col_expr(
            Column::SecurePhoneReleaseAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(account.id))
        .filter(Column::SecurePhone.eq(phone.as_str()))
        .filter(Column::SecurePhoneReleaseAt.gt(now))
        .exec(&txn)
        .await?;
    if kept.rows_affected != 1 {
        return Err(not_waiting());
    }
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.keep_secure_phone"),
        meta,
        now,
    )
    .await?;
    let account = accounts::load(&txn, account.id).await?;
    txn.commit().await?;
    Ok(account)
}

/// Scheduled: releases numbers whose waiting period ended. Each release is a conditional
/// update, so several instances running this at once release (and notify) once.
pub async fn release_due(ctx: &AppContext, now: DateTime<Utc>) -> ServiceResult<u64> {
    use entity::accounts::{Column, Entity};
    let due = Entity::find()
        .filter(Column::SecurePhoneReleaseAt.lte(now))
        .filter(Column::SecurePhone.is_not_null())
        .order_by_asc(Column::SecurePhoneReleaseAt)
        .limit(RELEASES_PER_RUN)
        .all(&ctx.db)
        .await?;
    let mut released = 0;
    for account in due {
        let (Some(phone), Some(deadline)) =
            (&account.secure_phone, account.secure_phone_release_at)
        else {
            continue;
        };
        let txn = db::begin_write(&ctx.db).await?;
        let done = Entity::update_many()
            .col_expr(Column::SecurePhone, Expr::value(Option::<String>::None))
            .col_expr(
                Column::SecurePhoneReleaseAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(Column::Id.eq(account.id))
            .filter(Column::SecurePhone.eq(phone.as_str()))
            .filter(Column::SecurePhoneReleaseAt.eq(deadline))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            continue;
        }
        let entry = AuditEntry {
            account_id: account.id,
            actor: "scheduler".to_owned(),
            action: "security.secure_phone_released",
            target_id: None,
            detail: None,
        };
        audit::record(&txn, entry, &RequestMeta::default(), now).await?;
        let site = site_of(&account)?;
        let body = msg!("notice-body-secure-phone-released", site = site.as_str());
        let notice = Notice::new(
            MessageCategory::Security,
            "SECURE_PHONE_RELEASED",
            msg!("notice-title-secure-phone-released"),
            body,
        );
        let targets = email_of(&txn, &account).await?;
        let written = notices::to_account_at(&txn, &account, &notice, &targets, now).await?;
        txn.commit().await?;
        written.dispatch(ctx, now).await;
        released += 1;
    }
    Ok(released)
}
