//! Security settings: password (LOG-06), secure phone (ACC-07, ACC-08), security e-mail
//! and the protection switches (MFA-06, MFA-07).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    accounts::{self, site_of},
    audit::{self, AuditEntry},
    codes,
    notices::{self, Notice},
    second_factor::{
        SecondFactor, available_factors, guard_protected_operation, required_factor, verify_factor,
        verify_factor_on,
    },
    sessions, sign_in,
    sign_in::password_guard,
};
use crate::{
    db,
    domain::{
        CodeChannel, CodePurpose, Email, Lifecycle, MessageCategory, Password, Phone, Site, masking,
    },
};

/// LOG-06: a new password takes effect at once and ends the principal's other sessions
/// (LOG-09) and trusted devices. An account without a password (registered by a third
/// party) sets its first one behind operation protection instead of a current password.
pub async fn change_password(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    current: Option<&str>,
    new_password: &str,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    if principal.collaborator_account_id.is_some() {
        // A collaborator's password is its own account's, changed there.
        return Err(ServiceError::Forbidden);
    }
    if let Some(sub_user_id) = principal.sub_user_id {
        return change_sub_user_password(
            ctx,
            principal,
            meta,
            sub_user_id,
            current,
            new_password,
            now,
        )
        .await;
    }
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let login_email = login_email(&ctx.db, account.id).await?;
    if account.password_hash.is_none() {
        guard_protected_operation(ctx, &account, None, factor, now).await?;
    } else {
        let candidate = sign_in::Candidate {
            account: account.clone(),
            sub_user_id: None,
            method: None,
            checked_hash: None,
            switch: None,
        };
        let stored = account.password_hash.clone();
        check_current_password(ctx, principal, meta, &candidate, current, stored, now).await?;
    }
    let policy = ctx.policies.for_site(site_of(&account)?);
    let password =
        Password::parse_for(new_password, login_email.as_ref(), policy).map_err(|e| {
            ServiceError::refused_at(ErrorCode::PasswordTooWeak, "newPassword", e.message)
        })?;
    let hash = crate::crypto::hash_password(password.expose().to_owned()).await?;

    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "credentials", &principal.principal_key()).await?;
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account.id).await?.into();
    active.password_hash = Set(Some(hash));
    let account = active.update(&txn).await?;
    sessions::revoke_principal_sessions(&txn, account.id, None, Some(principal.session_id), now)
        .await?;
    revoke_trusted_devices(&txn, &principal.principal_key(), now).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.change_password"),
        meta,
        now,
    )
    .await?;
    let written = notices::to_account(&txn, &account, &password_changed(), &[], now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

/// NTF-01: the password changed.
fn password_changed() -> Notice {
    Notice::new(
        MessageCategory::Security,
        "PASSWORD_CHANGED",
        msg!("notice-title-password-changed"),
        msg!("notice-body-password-changed-other-sessions-were"),
    )
}

/// LOG-06, LOG-07: the current password, checked behind the principal's failure counter;
/// a wrong one is blamed on `currentPassword`.
async fn check_current_password(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    candidate: &sign_in::Candidate,
    current: Option<&str>,
    stored: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let current = current.filter(|c| !c.is_empty()).ok_or_else(|| {
        ServiceError::refused_at(
            ErrorCode::InvalidCredentials,
            "currentPassword",
            msg!("err-enter-current-password"),
        )
    })?;
    let key = principal.principal_key();
    let attempt = password_guard::Attempt {
        named: password_guard::Named::Principal(candidate),
        key: &key,
        password: current,
        stored_hash: stored,
        captcha: None,
    };
    password_guard::check(ctx, meta, attempt, now)
        .await
        .map_err(|err| match err {
            ServiceError::Refused(mut r) if r.code == ErrorCode::InvalidCredentials => {
                r.field = Some(vec!["input".into(), "currentPassword".into()]);
                r.message = msg!("err-current-password-wrong");
                ServiceError::Refused(r)
            }
            other => other,
        })
}

/// SUB-08: a sub-user changes its own password (LOG-06 rules, the same failure counter);
/// its other sessions end.
async fn change_sub_user_password(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: i64,
    current: Option<&str>,
    new_password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let member = super::members::owned(&ctx.db, account.id, sub_user_id).await?;
    let candidate = sign_in::Candidate {
        account: account.clone(),
        sub_user_id: Some(member.id),
        method: None,
        checked_hash: None,
        switch: None,
    };
    let stored = member.password_hash.clone();
    check_current_password(ctx, principal, meta, &candidate, current, stored, now).await?;
    let policy = ctx.policies.for_site(site_of(&account)?);
    let password = Password::parse_for(new_password, None, policy).map_err(|e| {
        ServiceError::refused_at(ErrorCode::PasswordTooWeak, "newPassword", e.message)
    })?;
    let hash = crate::crypto::hash_password(password.expose().to_owned()).await?;
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "credentials", &principal.principal_key()).await?;
    let member = super::members::owned(&txn, account.id, sub_user_id).await?;
    let mut active: entity::sub_users::ActiveModel = member.into();
    active.password_hash = Set(Some(hash));
    active.password_change_required = Set(false);
    let member = active.update(&txn).await?;
    sessions::lift_password_change_only(&txn, principal.session_id).await?;
    sessions::revoke_principal_sessions(
        &txn,
        account.id,
        Some(sub_user_id),
        Some(principal.session_id),
        now,
    )
    .await?;
    revoke_trusted_devices(&txn, &principal.principal_key(), now).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.change_password"),
        meta,
        now,
    )
    .await?;
    let written = notices::to_sub_user(&txn, &member, &password_changed(), now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

pub(crate) async fn login_email(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> ServiceResult<Option<Email>> {
    use entity::login_methods::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::Kind.eq(crate::domain::LoginMethodKind::Email.as_str()))
        .one(conn)
        .await?
        .and_then(|m| Email::parse(&m.identifier).ok()))
}

pub async fn revoke_trusted_devices(
    conn: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::trusted_devices::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::PrincipalKey.eq(key))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Accounts of one site, other than `except`, whose secure phone is `phone` (ACC-07).
async fn accounts_on_phone(
    conn: &impl ConnectionTrait,
    site: Site,
    phone: &str,
    except: i64,
) -> ServiceResult<u64> {
    use entity::accounts::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::SecurePhone.eq(phone))
        .filter(Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .filter(Column::Id.ne(except))
        .count(conn)
        .await?)
}

/// Serialises every transaction that binds, counts or releases `phone` as a secure phone
/// of `site` (ACC-07, REC-06).
pub(crate) async fn lock_phone(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    site: Site,
    phone: &str,
) -> ServiceResult<()> {
    // Keyed: the lock row outlives the account and must not keep the number readable.
    let phone_key = ctx
        .secret
        .keyed_hash(&["secure-phone", site.as_str(), phone]);
    db::lock_scope(txn, "secure-phone", &phone_key).await?;
    Ok(())
}

/// ACC-07 under the number's lock: refuses when `phone` is already the secure phone of
/// the site's limit of accounts other than `account_id`.
pub(crate) async fn hold_phone_place(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    site: Site,
    phone: &str,
    account_id: i64,
    field: &str,
) -> ServiceResult<()> {
    let limit = ctx.policies.for_site(site).phone_binding_limit;
    lock_phone(ctx, txn, site, phone).await?;
    if accounts_on_phone(txn, site, phone, account_id).await? >= u64::try_from(limit).unwrap_or(0) {
        return Err(ServiceError::refused_at(
            ErrorCode::PhoneBindingLimit,
            field,
            msg!("err-phone-binding-limit", limit = limit),
        ));
    }
    Ok(())
}

/// What ACC-08 asks of a new secure phone or security e-mail.
struct NewContactProof<'a> {
    channel: CodeChannel,
    /// An old target is set: its code (or an MFA code) must confirm the change.
    old_is_set: bool,
    new_target: &'a str,
    new_code: &'a str,
    code_field: &'a str,
}

/// ACC-08's proofs: the code sent to the new target and, when an old target is set or
/// operation protection is on, a second factor from the old target or an MFA code. The new
/// code is checked first and spent last, so a refusal of either leaves the other usable.
async fn prove_new_contact(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    proof: NewContactProof<'_>,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let purpose = match proof.channel {
        CodeChannel::Sms => CodePurpose::BindPhone,
        CodeChannel::Email => CodePurpose::BindEmail,
    };
    let new_code = codes::check(
        ctx,
        proof.channel,
        proof.new_target,
        purpose,
        proof.new_code,
        proof.code_field,
        now,
    )
    .await?;
    if proof.old_is_set || account.operation_protection {
        let factor = factor.ok_or_else(required_factor)?;
        let only = proof.old_is_set.then_some(proof.channel);
        verify_factor_on(
            ctx,
            account,
            None,
            factor,
            CodePurpose::Operation,
            only,
            now,
        )
        .await?;
    }
    codes::claim(ctx, new_code, now).await
}

/// ACC-07, ACC-08: a code to the new phone, and a code to the old one (or an MFA code)
/// when one is set. The 5-accounts limit holds under concurrency (locked per number).
pub async fn change_secure_phone(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    new_phone: &str,
    new_phone_code: &str,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    principal.require_root()?;
    let phone = Phone::parse(new_phone)
        .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "newPhone", e.message))?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let site = site_of(&account)?;
    let limit = ctx.policies.for_site(site).phone_binding_limit;
    let over_limit = || {
        ServiceError::refused_at(
            ErrorCode::PhoneBindingLimit,
            "newPhone",
            msg!("err-phone-binding-limit", limit = limit),
        )
    };
    // Checked before any code is spent, and again under the lock below.
    if accounts_on_phone(&ctx.db, site, phone.as_str(), account.id).await?
        >= u64::try_from(limit).unwrap_or(0)
    {
        return Err(over_limit());
    }
    let proof = NewContactProof {
        channel: CodeChannel::Sms,
        old_is_set: account.secure_phone.is_some(),
        new_target: phone.as_str(),
        new_code: new_phone_code,
        code_field: "newPhoneCode",
    };
    prove_new_contact(ctx, &account, proof, factor, now).await?;

    let txn = db::begin_write(&ctx.db).await?;
    hold_phone_place(ctx, &txn, site, phone.as_str(), account.id, "newPhone").await?;
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account.id).await?.into();
    active.secure_phone = Set(Some(phone.as_str().to_owned()));
    // A new number ends any wait for the old one's release (REC-06).
    active.secure_phone_release_at = Set(None);
    let before = account;
    let account = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.change_secure_phone"),
        meta,
        now,
    )
    .await?;
    let notice = Notice::new(
        MessageCategory::Security,
        "SECURE_PHONE_CHANGED",
        msg!("notice-title-secure-phone-changed"),
        msg!(
            "notice-body-secure-phone-changed",
            phone = masking::mask_phone(phone.as_str())
        ),
    );
    // To the old number (still on `before`) and the new one.
    let new_target = [(CodeChannel::Sms, phone.as_str().to_owned())];
    let written = notices::to_account(&txn, &before, &notice, &new_target, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

/// ACC-06, ACC-08: the security e-mail, confirmed by a code to the new address and, when
/// one is set, a code to the old address or an MFA code.
pub async fn change_security_email(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    new_email: &str,
    new_email_code: &str,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    principal.require_root()?;
    let email = Email::parse(new_email)
        .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "newEmail", e.message))?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let proof = NewContactProof {
        channel: CodeChannel::Email,
        old_is_set: account.security_email.is_some(),
        new_target: email.as_str(),
        new_code: new_email_code,
        code_field: "newEmailCode",
    };
    prove_new_contact(ctx, &account, proof, factor, now).await?;
    let txn = db::begin_write(&ctx.db).await?;
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account.id).await?.into();
    active.security_email = Set(Some(email.as_str().to_owned()));
    let before = account;
    let account = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.change_security_email"),
        meta,
        now,
    )
    .await?;
    let notice = Notice::new(
        MessageCategory::Security,
        "SECURITY_EMAIL_CHANGED",
        msg!("notice-title-security-email-changed"),
        msg!(
            "notice-body-security-email-changed",
            email = masking::mask_email(email.as_str())
        ),
    );
    let new_target = [(CodeChannel::Email, email.as_str().to_owned())];
    let written = notices::to_account(&txn, &before, &notice, &new_target, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

/// Login protection (MFA-06) and operation protection (MFA-07) switches. Any change needs
/// a fresh second factor, and turning one on needs a factor to exist.
pub async fn update_protection(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    login_protection: Option<bool>,
    operation_protection: Option<bool>,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    principal.require_root()?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let changes_login = login_protection.is_some_and(|v| v != account.login_protection);
    let changes_operation = operation_protection.is_some_and(|v| v != account.operation_protection);
    if !changes_login && !changes_operation {
        return Ok(account);
    }
    if available_factors(&ctx.db, &account, None).await?.is_empty() {
        return Err(ServiceError::refused(
            ErrorCode::InvalidInput,
            msg!("err-set-secure-phone-security-email"),
        ));
    }
    let factor = factor.ok_or_else(required_factor)?;
    verify_factor(ctx, &account, None, factor, CodePurpose::Operation, now).await?;
    let txn = db::begin_write(&ctx.db).await?;
    let mut active: entity::accounts::ActiveModel = accounts::load(&txn, account.id).await?.into();
    if let Some(v) = login_protection {
        active.login_protection = Set(v);
    }
    if let Some(v) = operation_protection {
        active.operation_protection = Set(v);
    }
    let account = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "security.update_protection"),
        meta,
        now,
    )
    .await?;
    // NTF-01: turning a protection off is what an intruder would do first.
    let mut turned_off = Vec::new();
    if login_protection == Some(false) && changes_login {
        turned_off.push(msg!("protection-login"));
    }
    if operation_protection == Some(false) && changes_operation {
        turned_off.push(msg!("protection-operation"));
    }
    let mut written = notices::Written::default();
    if !turned_off.is_empty() {
        let notice = Notice::new(
            MessageCategory::Security,
            "PROTECTION_OFF",
            msg!("notice-title-protection-turned-off"),
            msg!(
                "notice-body-protection-turned-off",
                protections = crate::i18n::Arg::list(msg!("list-and"), turned_off)
            ),
        );
        written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    }
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}
