//! Account information (ACC-04..06) and find-account (ACC-10).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
    both, codes, rate_limit,
};
use crate::{
    db,
    domain::{CodeChannel, CodePurpose, Email, Lifecycle, LoginMethodKind, Nickname, Phone, Site},
};

/// The site an account row belongs to (ACC-01).
pub fn site_of(account: &entity::accounts::Model) -> ServiceResult<Site> {
    Ok(Site::from_stored("accounts.site", &account.site)?)
}

/// Refuses with ACCOUNT_NOT_ACTIVE unless the account is ACTIVE (not cancelling or
/// cancelled): `why` says what the account cannot do now.
pub fn require_active(
    account: &entity::accounts::Model,
    why: crate::i18n::Message,
) -> ServiceResult<()> {
    if account.lifecycle == Lifecycle::Active.as_str() {
        Ok(())
    } else {
        Err(ServiceError::refused(ErrorCode::AccountNotActive, why))
    }
}

/// The principal's root account.
pub async fn load(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> ServiceResult<entity::accounts::Model> {
    entity::accounts::Entity::find_by_id(account_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::Unauthenticated)
}

/// Changes to the free-text and notice fields (ACC-04..06); `Some("")` clears a field.
#[derive(Debug, Default)]
pub struct InfoChanges {
    pub nickname: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

fn cleared_or<T>(
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, crate::domain::DomainError>,
    render: impl FnOnce(T) -> String,
    field: &str,
) -> ServiceResult<Option<Option<String>>> {
    match raw {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(Some(None)),
        Some(v) => parse(&v)
            .map(|parsed| Some(Some(render(parsed))))
            .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, field, e.message)),
    }
}

pub async fn update_info(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    changes: InfoChanges,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    principal.require_root()?;
    let nickname = cleared_or(
        changes.nickname,
        Nickname::parse,
        |n| n.as_str().to_owned(),
        "nickname",
    );
    let phone = cleared_or(
        changes.contact_phone,
        Phone::parse,
        |p| p.as_str().to_owned(),
        "contactPhone",
    );
    let email = cleared_or(
        changes.contact_email,
        Email::parse,
        |e| e.as_str().to_owned(),
        "contactEmail",
    );
    // Every invalid field in one answer.
    let ((nickname, phone), email) = both(both(nickname, phone), email)?;
    let txn = db::begin_write(&ctx.db).await?;
    let account = load(&txn, principal.account_id).await?;
    let mut active: entity::accounts::ActiveModel = account.into();
    if let Some(v) = nickname {
        active.nickname = Set(v);
    }
    if let Some(v) = phone {
        active.contact_phone = Set(v);
    }
    if let Some(v) = email {
        active.contact_email = Set(v);
    }
    let account = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::by(principal, "account.update_info"),
        meta,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(account)
}

/// ACC-10: the accounts a proven phone or e-mail leads to, on one site.
pub async fn find(
    ctx: &AppContext,
    meta: &RequestMeta,
    site: Site,
    channel: CodeChannel,
    raw_target: &str,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<entity::accounts::Model>> {
    use entity::accounts::{Column, Entity};
    let target = codes::normalize_target(channel, raw_target)?;
    let policy = ctx.policies.for_site(site);
    let per_target = rate_limit::Limit {
        scope: "find-accounts-target",
        max_hits: policy.find_account_limit_per_target,
        window: policy.find_account_window,
    };
    let per_client = rate_limit::Limit {
        scope: "find-accounts-client",
        max_hits: policy.find_account_limit_per_client,
        window: policy.find_account_window,
    };
    // Keyed by site too: each site counts with its own policy (ACC-01). The target is
    // counted by its keyed hash, so the bucket keeps no address or number.
    let site_key = |key: &str| format!("{}:{key}", site.as_str());
    let target_key = codes::target_key(ctx, channel, &target);
    rate_limit::hit(&ctx.db, per_target, &site_key(&target_key), now).await?;
    if let Some(client) = &meta.client_address {
        rate_limit::hit(&ctx.db, per_client, &site_key(client), now).await?;
    }
    codes::consume(
        ctx,
        channel,
        &target,
        CodePurpose::FindAccount,
        code,
        "code",
        now,
    )
    .await?;
    let live = Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()));
    let accounts = match channel {
        CodeChannel::Sms => live.filter(Column::SecurePhone.eq(&target)),
        // ACC-10: by login e-mail only; a security or contact e-mail finds nothing.
        CodeChannel::Email => {
            let by_login = entity::login_methods::Entity::find()
                .filter(entity::login_methods::Column::Site.eq(site.as_str()))
                .filter(entity::login_methods::Column::Kind.eq(LoginMethodKind::Email.as_str()))
                .filter(entity::login_methods::Column::Identifier.eq(&target))
                .all(&ctx.db)
                .await?
                .into_iter()
                .map(|m| m.account_id);
            live.filter(Column::Id.is_in(by_login))
        }
    }
    .order_by_asc(Column::Id)
    .all(&ctx.db)
    .await?;
    Ok(accounts)
}
