//! REC-01: a forgotten password is reset with a RESET_PASSWORD code sent to the account's
//! login e-mail, security e-mail or secure phone (and an MFA code when a device is bound).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    codes, mfa, mfa_devices,
    notices::{self, Notice},
    principal_key, security, sessions,
    sign_in::password_guard,
};
use crate::{
    db,
    domain::{
        CodeChannel, CodePurpose, Lifecycle, LoginMethodKind, MessageCategory, Password, Site,
    },
};

/// `resetPassword` as the client sent it.
pub struct PasswordReset<'a> {
    pub site: Site,
    pub channel: CodeChannel,
    pub target: &'a str,
    pub code: &'a str,
    /// The account chosen when the target reaches several.
    pub account_number: Option<&'a str>,
    pub new_password: &'a str,
    pub mfa_code: Option<&'a str>,
}

pub enum ResetOutcome {
    Reset(Box<entity::accounts::Model>),
    /// The target reaches several accounts: the person picks one; the code is not spent.
    Choose(Vec<entity::accounts::Model>),
}

/// REC-01. The code is checked first and spent in the transaction that sets the password,
/// so two resets racing with one code end in exactly one new password.
pub async fn reset_password(
    ctx: &AppContext,
    meta: &RequestMeta,
    request: PasswordReset<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<ResetOutcome> {
    let PasswordReset {
        site,
        channel,
        target,
        code,
        account_number,
        new_password,
        mfa_code,
    } = request;
    let target = codes::normalize_target(channel, target)?;
    let stored_target = codes::target_key(ctx, channel, &target);
    super::limit(ctx, meta, site, "reset-password", &stored_target, now).await?;
    let matched = codes::check(
        ctx,
        channel,
        &target,
        CodePurpose::ResetPassword,
        code,
        "code",
        now,
    )
    .await?;
    let mut reached = accounts_reached(ctx, site, channel, &target).await?;
    let account = match account_number.map(str::trim).filter(|n| !n.is_empty()) {
        None if reached.len() > 1 => return Ok(ResetOutcome::Choose(reached)),
        None => reached.pop().ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::NotFound,
                "target",
                msg!("err-no-account-site-uses-phone"),
            )
        })?,
        Some(number) => reached
            .into_iter()
            .find(|a| a.account_number == number)
            .ok_or_else(|| {
                ServiceError::refused_at(
                    ErrorCode::NotFound,
                    "accountId",
                    msg!("err-phone-email-does-not-reach"),
                )
            })?,
    };
    let Some(login_email) = security::login_email(&ctx.db, account.id).await? else {
        return Err(ServiceError::refused(
            ErrorCode::MethodNotAvailable,
            msg!("err-account-no-password-sign-wechat"),
        ));
    };
    let policy = ctx.policies.for_site(site_of(&account)?);
    let password = Password::parse_for(new_password, Some(&login_email), policy).map_err(|e| {
        ServiceError::refused_at(ErrorCode::PasswordTooWeak, "newPassword", e.message)
    })?;
    let key = principal_key(account.id, None);
    let target_of_device = mfa_devices::Target {
        account_id: account.id,
        sub_user_id: None,
    };
    if mfa_devices::device_of(&ctx.db, target_of_device)
        .await?
        .is_some()
    {
        let mfa_code = mfa_code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ServiceError::refused_at(
                    ErrorCode::SecondFactorRequired,
                    "mfaCode",
                    msg!("err-account-mfa-device-enter-code"),
                )
            })?;
        mfa::verify_device_code(ctx, &key, mfa_code, policy, "mfaCode", now).await?;
    }
    let hash = crate::crypto::hash_password(password.expose().to_owned()).await?;

    let txn = db::begin_write(&ctx.db).await?;
    // Serialised with sign-ins that checked the old password (see `sign_in::finish`).
    db::lock_scope(&txn, "credentials", &key).await?;
    codes::claim_in(&txn, matched, now).await?;
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account.id).await?.into();
    active.password_hash = Set(Some(hash));
    let account = active.update(&txn).await?;
    password_guard::clear_lock(&txn, &key).await?;
    sessions::revoke_principal_sessions(&txn, account.id, None, None, now).await?;
    security::revoke_trusted_devices(&txn, &key, now).await?;
    let entry = AuditEntry {
        account_id: account.id,
        actor: account.account_number.clone(),
        action: "security.reset_password",
        target_id: None,
        detail: Some(format!("proven by a code to the {}", channel.as_str())),
    };
    audit::record(&txn, entry, meta, now).await?;
    let notice = Notice::new(
        MessageCategory::Security,
        "PASSWORD_RESET",
        msg!("notice-title-password-reset"),
        msg!("notice-body-password-reset-code-every-session"),
    );
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(ResetOutcome::Reset(Box::new(account)))
}

/// Live accounts of `site` that a proven target reaches: by secure phone (SMS), or by
/// login e-mail or security e-mail (EMAIL).
async fn accounts_reached(
    ctx: &AppContext,
    site: Site,
    channel: CodeChannel,
    target: &str,
) -> ServiceResult<Vec<entity::accounts::Model>> {
    use entity::accounts::{Column, Entity};
    let by_target = match channel {
        CodeChannel::Sms => Condition::all().add(Column::SecurePhone.eq(target)),
        CodeChannel::Email => {
            let by_login: Vec<i64> = entity::login_methods::Entity::find()
                .filter(entity::login_methods::Column::Site.eq(site.as_str()))
                .filter(entity::login_methods::Column::Kind.eq(LoginMethodKind::Email.as_str()))
                .filter(entity::login_methods::Column::Identifier.eq(target))
                .all(&ctx.db)
                .await?
                .into_iter()
                .map(|m| m.account_id)
                .collect();
            Condition::any()
                .add(Column::SecurityEmail.eq(target))
                .add(Column::Id.is_in(by_login))
        }
    };
    Ok(Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .filter(by_target)
        .order_by_asc(Column::Id)
        .all(&ctx.db)
        .await?)
}
