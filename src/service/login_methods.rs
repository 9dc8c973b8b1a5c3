//! Binding and unbinding login methods (LOG-01..05).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult, accounts,
    audit::{self, AuditEntry},
    identifiers::{self, NewLoginMethod},
    second_factor::{self, SecondFactor},
    sign_in,
    sign_in::password_guard,
};
use crate::domain::MessageCategory;
use crate::service::notices::{self, Notice};
use crate::{
    db,
    domain::{CodePurpose, LoginMethodKind},
};

/// The login methods of one account, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> ServiceResult<Vec<entity::login_methods::Model>> {
    use entity::login_methods::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

/// What the bind form sends.
#[derive(Debug, Default)]
pub struct Binding {
    pub kind: Option<LoginMethodKind>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub email_code: Option<String>,
    pub provider_code: Option<String>,
    pub second_factor: Option<SecondFactor>,
}

/// Binds a login method of a kind the account lacks (LOG-01). An e-mail needs its code;
/// its password becomes the account's password when it has none, and must be the
/// current one otherwise. A new way in is a protected operation (MFA-07): a stolen
/// session must not be able to turn itself into a permanent login.
pub async fn bind(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    form: Binding,
    now: DateTime<Utc>,
) -> ServiceResult<(entity::login_methods::Model, entity::accounts::Model)> {
    principal.require_root()?;
    let kind = form
        .kind
        .ok_or_else(|| ServiceError::BadInput("kind is required".into()))?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let site = accounts::site_of(&account)?;
    if list(&ctx.db, account.id)
        .await?
        .iter()
        .any(|m| m.kind == kind.as_str())
    {
        return Err(ServiceError::refused_at(
            ErrorCode::LoginMethodKindAlreadyBound,
            "kind",
            msg!("err-login-method-kind-bound", kind = kind.as_str()),
        ));
    }
    second_factor::guard_protected_operation(ctx, &account, None, form.second_factor.as_ref(), now)
        .await?;
    let (method, new_password_hash) = if kind == LoginMethodKind::Email {
        if let Some(stored) = &account.password_hash {
            // An account that has a password proves it: leaving it out is no way around.
            let given = form
                .password
                .as_deref()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    ServiceError::refused_at(
                        ErrorCode::InvalidCredentials,
                        "password",
                        msg!("err-enter-account-s-current-password"),
                    )
                })?;
            // A password check like sign-in's: behind the day's failure counter (LOG-07),
            // or a session would be an unlimited password oracle.
            let candidate = sign_in::Candidate {
                account: account.clone(),
                sub_user_id: None,
                method: None,
                checked_hash: None,
                switch: None,
            };
            let attempt = password_guard::Attempt {
                named: password_guard::Named::Principal(&candidate),
                key: &principal.principal_key(),
                password: given,
                stored_hash: Some(stored.clone()),
                captcha: None,
            };
            password_guard::check(ctx, meta, attempt, now)
                .await
                .map_err(|err| match err {
                    ServiceError::Refused(mut r) if r.code == ErrorCode::InvalidCredentials => {
                        r.field = Some(vec!["input".into(), "password".into()]);
                        r.message = msg!("err-enter-account-s-current-password");
                        ServiceError::Refused(r)
                    }
                    other => other,
                })?;
        }
        let has_password = account.password_hash.is_some();
        let password = if has_password { &None } else { &form.password };
        let (email, hash) = if has_password {
            let email = identifiers::prove_email_only(
                ctx,
                site,
                &form.email,
                &form.email_code,
                CodePurpose::BindEmail,
                now,
            )
            .await?;
            (email, None)
        } else {
            let (email, hash) = identifiers::prove_email_login(
                ctx,
                site,
                &form.email,
                password,
                &form.email_code,
                CodePurpose::BindEmail,
                now,
            )
            .await?;
            (email, Some(hash))
        };
        (
            NewLoginMethod {
                kind,
                identifier: email.as_str().to_owned(),
            },
            hash,
        )
    } else {
        (
            identifiers::provider_method(ctx, kind, &form.provider_code).await?,
            None,
        )
    };

    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "login-methods", &account.id.to_string()).await?;
    let bound =
        identifiers::insert_login_method(&txn, &method, account.id, site, false, now).await?;
    let mut account = accounts::load(&txn, account.id).await?;
    if let Some(hash) = new_password_hash {
        let mut active: entity::accounts::ActiveModel = account.into();
        active.password_hash = Set(Some(hash));
        account = active.update(&txn).await?;
    }
    let entry =
        AuditEntry::by(principal, "login_method.bind").target(format!("LoginMethod:{}", bound.id));
    audit::record(&txn, entry, meta, now).await?;
    let notice = method_notice("LOGIN_METHOD_BOUND", "bound", &bound.kind);
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok((bound, account))
}

/// Unbinds one login method; the last one stays (LOG-02). A registration method unbinds
/// like any other (LOG-03). Operation protection applies (MFA-07); an MFA device is not
/// touched (MFA-08).
pub async fn unbind(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    login_method_id: i64,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    use entity::login_methods::{Column, Entity};
    principal.require_root()?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let owned = || {
        Entity::find()
            .filter(Column::Id.eq(login_method_id))
            .filter(Column::AccountId.eq(account.id))
    };
    if owned().one(&ctx.db).await?.is_none() {
        return Err(ServiceError::refused_at(
            ErrorCode::NotFound,
            "loginMethodId",
            msg!("err-login-method-not-found"),
        ));
    }
    second_factor::guard_protected_operation(ctx, &account, None, factor, now).await?;

    let txn = db::begin_write(&ctx.db).await?;
    // Two unbinds racing for the last two methods must not leave none.
    db::lock_scope(&txn, "login-methods", &account.id.to_string()).await?;
    let method = owned().one(&txn).await?.ok_or_else(|| {
        ServiceError::refused_at(
            ErrorCode::NotFound,
            "loginMethodId",
            msg!("err-login-method-not-found"),
        )
    })?;
    let remaining = Entity::find()
        .filter(Column::AccountId.eq(account.id))
        .count(&txn)
        .await?;
    if remaining <= 1 {
        return Err(ServiceError::refused_at(
            ErrorCode::LastLoginMethod,
            "loginMethodId",
            msg!("err-account-keeps-least-one-login"),
        ));
    }
    let target = format!("LoginMethod:{}", method.id);
    let notice = method_notice("LOGIN_METHOD_UNBOUND", "unbound", &method.kind);
    method.delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "login_method.unbind").target(target),
        meta,
        now,
    )
    .await?;
    let account = accounts::load(&txn, account.id).await?;
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

/// NTF-01: a login method was bound or unbound (its kind only: no identifier).
fn method_notice(purpose: &'static str, what: &str, kind: &str) -> Notice {
    Notice::new(
        MessageCategory::Security,
        purpose,
        msg!("notice-title-login-method-changed", what = what),
        msg!("notice-body-login-method-changed", kind = kind, what = what),
    )
}
