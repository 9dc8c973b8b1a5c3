//! Registration (ACC-02, ACC-03): an account by any of the five methods, effective at
//! once, with a numeric account ID and an APPID that never change.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{
    AppContext, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry, LoginAttempt},
    identifiers::{self, NewLoginMethod},
    rate_limit,
    sessions::{self, OpenedSession},
};
use crate::{
    crypto, db,
    domain::{CodePurpose, Lifecycle, LoginMethodKind, Nickname, Site},
};

/// What the registration form sends.
#[derive(Debug, Default)]
pub struct Registration {
    pub site: Option<Site>,
    pub method: Option<LoginMethodKind>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub email_code: Option<String>,
    pub provider_code: Option<String>,
    pub nickname: Option<String>,
}

pub struct Registered {
    pub account: entity::accounts::Model,
    pub session: OpenedSession,
}

/// Registers an account by any of the five methods; it is effective at once (ACC-02).
pub async fn register(
    ctx: &AppContext,
    meta: &RequestMeta,
    form: Registration,
    now: DateTime<Utc>,
) -> ServiceResult<Registered> {
    let site = form
        .site
        .ok_or_else(|| ServiceError::BadInput("site is required".into()))?;
    // Every attempt, successful or not: registration answers about codes and identities,
    // and no client may ask without bound.
    let policy = ctx.policies.for_site(site);
    let per_client = rate_limit::Limit {
        scope: "register-per-client",
        max_hits: policy.registrations_per_client,
        window: policy.registration_client_window,
    };
    if let Some(client) = &meta.client_address {
        rate_limit::hit(&ctx.db, per_client, client, now).await?;
    }
    let kind = form
        .method
        .ok_or_else(|| ServiceError::BadInput("method is required".into()))?;
    let nickname = match form.nickname.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(Nickname::parse(n)?.as_str().to_owned()),
        _ => None,
    };
    let (method, password_hash, security_email) = if kind == LoginMethodKind::Email {
        let (email, hash) = identifiers::prove_email_login(
            ctx,
            site,
            &form.email,
            &form.password,
            &form.email_code,
            CodePurpose::Register,
            now,
        )
        .await?;
        let identifier = email.as_str().to_owned();
        (
            NewLoginMethod {
                kind,
                identifier: identifier.clone(),
            },
            Some(hash),
            Some(identifier),
        )
    } else {
        (
            identifiers::provider_method(ctx, kind, &form.provider_code).await?,
            None,
            None,
        )
    };

    let txn = db::begin_write(&ctx.db).await?;
    let account = entity::accounts::ActiveModel {
        account_number: Set(unused_number(&txn, AccountNumber::Account).await?),
        app_id: Set(unused_number(&txn, AccountNumber::AppId).await?),
        site: Set(site.as_str().to_owned()),
        nickname: Set(nickname),
        lifecycle: Set(Lifecycle::Active.as_str().to_owned()),
        freeze_reasons: Set(String::new()),
        registration_method: Set(kind.as_str().to_owned()),
        registered_at: Set(now),
        secure_phone: Set(None),
        security_email: Set(security_email),
        contact_phone: Set(None),
        contact_email: Set(None),
        password_hash: Set(password_hash),
        login_protection: Set(false),
        operation_protection: Set(false),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    identifiers::insert_login_method(&txn, &method, account.id, site, true, now).await?;
    let session = sessions::open(
        &txn,
        ctx,
        sessions::SessionFor::principal(account.id, site, None),
        meta,
        now,
    )
    .await?;
    let entry = AuditEntry {
        account_id: account.id,
        actor: account.account_number.clone(),
        action: "account.register",
        target_id: Some(format!("Account:{}", account.id)),
        detail: Some(format!("method {}", kind.as_str())),
    };
    audit::record(&txn, entry, meta, now).await?;
    let attempt = LoginAttempt {
        account_id: Some(account.id),
        sub_user_id: None,
        method: Some(kind),
        failure_reason: None,
    };
    audit::record_login(&txn, attempt, meta, now).await?;
    txn.commit().await?;
    Ok(Registered { account, session })
}

enum AccountNumber {
    Account,
    AppId,
}

/// A random number not used before. Rows are never deleted, so a cancelled account's
/// number is never handed out again (ACC-03, CAN-03).
async fn unused_number(conn: &impl ConnectionTrait, which: AccountNumber) -> ServiceResult<String> {
    use entity::accounts::{Column, Entity};
    for _ in 0..8 {
        let (candidate, column) = match which {
            AccountNumber::Account => (
                crypto::random_in(100_000_000_000..=999_999_999_999),
                Column::AccountNumber,
            ),
            AccountNumber::AppId => (
                crypto::random_in(1_000_000_000..=1_999_999_999),
                Column::AppId,
            ),
        };
        let candidate = candidate.to_string();
        if Entity::find()
            .filter(column.eq(&candidate))
            .one(conn)
            .await?
            .is_none()
        {
            return Ok(candidate);
        }
    }
    Err(ServiceError::internal(
        "could not draw an unused account number",
    ))
}
