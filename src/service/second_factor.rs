//! Second factors (ACC-08, MFA-06, MFA-07): an MFA code or a code sent to the secure
//! phone or security e-mail, and the one guard every protected operation calls.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{
    AppContext, ErrorCode, Principal, ServiceError, ServiceResult, accounts::site_of, codes, mfa,
    principal_key,
};
use crate::domain::{CodeChannel, CodePurpose};

/// A second factor as the client sends it: an MFA code, or a code sent to the secure
/// phone (SMS) or security e-mail (EMAIL).
#[derive(Debug, Clone, Default)]
pub struct SecondFactor {
    pub mfa_code: Option<String>,
    pub channel: Option<CodeChannel>,
    pub code: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl SecondFactor {
    /// True when the factor is an MFA code (checked before any channel code).
    pub fn is_mfa_code(&self) -> bool {
        present(&self.mfa_code).is_some()
    }
}

pub(super) fn required_factor() -> ServiceError {
    ServiceError::refused_at(
        ErrorCode::SecondFactorRequired,
        "secondFactor",
        msg!("err-operation-needs-second-factor-mfa"),
    )
}

/// The second factors a principal can use, in the order a console offers them.
pub async fn available_factors(
    conn: &impl ConnectionTrait,
    account: &entity::accounts::Model,
    sub_user_id: Option<i64>,
) -> ServiceResult<Vec<String>> {
    let mut methods = Vec::new();
    let has_device = entity::mfa_devices::Entity::find()
        .filter(
            entity::mfa_devices::Column::PrincipalKey.eq(principal_key(account.id, sub_user_id)),
        )
        .count(conn)
        .await?
        > 0;
    if has_device {
        methods.push("MFA".to_owned());
    }
    if sub_user_id.is_none() {
        if account.secure_phone.is_some() {
            methods.push(CodeChannel::Sms.as_str().to_owned());
        }
        if account.security_email.is_some() {
            methods.push(CodeChannel::Email.as_str().to_owned());
        }
    }
    Ok(methods)
}

/// Checks one second factor for `purpose`. `only_channel` narrows the code channel
/// (ACC-08: the *old* phone for a phone change); an MFA code is always accepted.
pub async fn verify_factor_on(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    sub_user_id: Option<i64>,
    factor: &SecondFactor,
    purpose: CodePurpose,
    only_channel: Option<CodeChannel>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let policy = ctx.policies.for_site(site_of(account)?);
    if let Some(code) = present(&factor.mfa_code) {
        let key = principal_key(account.id, sub_user_id);
        return mfa::verify_device_code(ctx, &key, code, policy, "secondFactor", now).await;
    }
    let (Some(channel), Some(code)) = (factor.channel, present(&factor.code)) else {
        return Err(required_factor());
    };
    if only_channel.is_some_and(|only| only != channel) || sub_user_id.is_some() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "secondFactor",
            msg!("err-channel-cannot-confirm-operation"),
        ));
    }
    let target = match channel {
        CodeChannel::Sms => account.secure_phone.as_deref(),
        CodeChannel::Email => account.security_email.as_deref(),
    }
    .ok_or_else(|| {
        ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "secondFactor",
            msg!("err-no-secure-phone-security-email"),
        )
    })?;
    codes::consume(ctx, channel, target, purpose, code, "secondFactor", now).await
}

pub async fn verify_factor(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    sub_user_id: Option<i64>,
    factor: &SecondFactor,
    purpose: CodePurpose,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    verify_factor_on(ctx, account, sub_user_id, factor, purpose, None, now).await
}

/// MFA-07 for what a principal does for itself (its own access keys): the root's
/// operation protection, answered by the principal's own factor — a switched-in
/// collaborator's comes from its own account (COL-02).
pub async fn guard_own_operation(
    ctx: &AppContext,
    root: &entity::accounts::Model,
    principal: &Principal,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if !root.operation_protection {
        return Ok(());
    }
    let factor = factor.ok_or_else(required_factor)?;
    match principal.collaborator_account_id {
        Some(own) => {
            let own = super::accounts::load(&ctx.db, own).await?;
            verify_factor(ctx, &own, None, factor, CodePurpose::Operation, now).await
        }
        None => {
            let sub_user = principal.sub_user_id;
            verify_factor(ctx, root, sub_user, factor, CodePurpose::Operation, now).await
        }
    }
}

/// MFA-07 in one place: with operation protection on, a protected operation needs a
/// fresh second factor. Every protected mutation calls this before it changes anything.
pub async fn guard_protected_operation(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    sub_user_id: Option<i64>,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if !account.operation_protection {
        return Ok(());
    }
    let factor = factor.ok_or_else(required_factor)?;
    verify_factor(
        ctx,
        account,
        sub_user_id,
        factor,
        CodePurpose::Operation,
        now,
    )
    .await
}
