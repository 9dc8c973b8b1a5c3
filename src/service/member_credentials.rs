//! REC-02: the root account manages its sub-users' credentials: a new (or generated)
//! password, optionally to be changed at the next sign-in, and removing a lost MFA device.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    members, mfa_devices,
    notices::{self, Notice},
    principal_key,
    second_factor::{SecondFactor, guard_protected_operation},
    security, sessions,
    sign_in::password_guard,
};
use crate::{
    crypto, db,
    domain::{MessageCategory, Password, SitePolicy, member::MemberKind, password::SPECIAL_CHARS},
};

const GENERATED_PASSWORD_CHARS: usize = 16;

/// `resetSubUserPassword` as the client sent it.
pub struct SubUserPasswordReset<'a> {
    pub sub_user_id: i64,
    /// None: one is generated and shown once.
    pub new_password: Option<&'a str>,
    pub require_change: bool,
    pub factor: Option<&'a SecondFactor>,
}

/// The sub-user after the reset, and the generated password when one was made.
pub struct PasswordSet {
    pub member: entity::sub_users::Model,
    pub generated_password: Option<String>,
}

/// A password that meets LOG-06, drawn until one does (a draw misses a character class
/// about one time in ten).
fn generated_password(policy: &SitePolicy) -> Password {
    let alphabet =
        format!("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789{SPECIAL_CHARS}");
    let len = GENERATED_PASSWORD_CHARS.clamp(policy.password_min_chars, policy.password_max_chars);
    loop {
        if let Ok(password) =
            Password::parse_for(&crypto::random_from(&alphabet, len), None, policy)
        {
            return password;
        }
    }
}

/// The member as REC-02 may touch it: a sub-user of the principal's root account.
async fn own_sub_user(
    ctx: &AppContext,
    principal: &Principal,
    sub_user_id: i64,
) -> ServiceResult<(entity::accounts::Model, entity::sub_users::Model)> {
    principal.require_root()?;
    let member = members::owned(&ctx.db, principal.account_id, sub_user_id).await?;
    if member.kind != MemberKind::SubUser.as_str() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "subUserId",
            msg!("err-only-sub-user-password-mfa"),
        ));
    }
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    Ok((account, member))
}

/// REC-02: sets or generates a sub-user's password (a protected operation, MFA-07); its
/// sessions and trusted devices end and its password lock is cleared.
pub async fn reset_password(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: SubUserPasswordReset<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<PasswordSet> {
    let (account, member) = own_sub_user(ctx, principal, request.sub_user_id).await?;
    let policy = ctx.policies.for_site(site_of(&account)?);
    let (password, generated) = match request.new_password.filter(|p| !p.is_empty()) {
        Some(raw) => {
            let parsed = Password::parse_for(raw, None, policy).map_err(|e| {
                ServiceError::refused_at(ErrorCode::PasswordTooWeak, "newPassword", e.message)
            })?;
            (parsed, false)
        }
        None => (generated_password(policy), true),
    };
    guard_protected_operation(ctx, &account, None, request.factor, now).await?;
    let hash = crypto::hash_password(password.expose().to_owned()).await?;

    let txn = db::begin_write(&ctx.db).await?;
    let key = principal_key(account.id, Some(member.id));
    // Serialised with sign-ins that checked the old password (see `sign_in::finish`).
    db::lock_scope(&txn, "credentials", &key).await?;
    let member = members::owned(&txn, account.id, member.id).await?;
    let mut active: entity::sub_users::ActiveModel = member.into();
    active.password_hash = Set(Some(hash));
    active.password_change_required = Set(request.require_change);
    let member = active.update(&txn).await?;
    password_guard::clear_lock(&txn, &key).await?;
    sessions::revoke_principal_sessions(&txn, account.id, Some(member.id), None, now).await?;
    security::revoke_trusted_devices(&txn, &key, now).await?;
    let entry =
        AuditEntry::by(principal, "member.reset_password").target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    let body = if request.require_change {
        msg!("notice-body-sub-user-password-reset-change")
    } else {
        msg!("notice-body-sub-user-password-reset")
    };
    let notice = Notice::new(
        MessageCategory::Security,
        "SUB_USER_PASSWORD_RESET",
        msg!("notice-title-password-reset"),
        body,
    );
    let written = notices::to_sub_user(&txn, &member, &notice, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(PasswordSet {
        member,
        generated_password: generated.then(|| password.expose().to_owned()),
    })
}

/// REC-02: removes a sub-user's lost MFA device (a protected operation, MFA-07); its
/// sessions end.
pub async fn remove_mfa_device(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: i64,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::sub_users::Model> {
    let (account, member) = own_sub_user(ctx, principal, sub_user_id).await?;
    let target = mfa_devices::Target {
        account_id: account.id,
        sub_user_id: Some(member.id),
    };
    if mfa_devices::device_of(&ctx.db, target).await?.is_none() {
        return Err(ServiceError::refused(
            ErrorCode::NoMfaDevice,
            msg!("err-sub-user-no-mfa-device"),
        ));
    }
    guard_protected_operation(ctx, &account, None, factor, now).await?;
    let txn = db::begin_write(&ctx.db).await?;
    mfa_devices::remove_device(&txn, target, now).await?;
    sessions::revoke_principal_sessions(&txn, account.id, Some(member.id), None, now).await?;
    let entry = AuditEntry::by(principal, "member.remove_mfa_device")
        .target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    let notice = Notice::new(
        MessageCategory::Security,
        "SUB_USER_MFA_REMOVED",
        msg!("notice-title-mfa-device-removed"),
        msg!("notice-body-root-account-removed-mfa-device"),
    );
    let written = notices::to_sub_user(&txn, &member, &notice, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(member)
}
