//! Registration (ACC-02, ACC-03), account information (ACC-04..06) and find-account (ACC-10).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry, LoginAttempt},
    codes, rate_limit,
    sessions::{self, OpenedSession},
};
use crate::{
    crypto, db,
    domain::{
        CodeChannel, CodePurpose, Email, Lifecycle, LoginMethodKind, Nickname, Password, Phone,
        Site,
    },
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

/// A login method about to be written: its kind and the provider's or e-mail identifier.
pub struct NewLoginMethod {
    pub kind: LoginMethodKind,
    pub identifier: String,
}

impl NewLoginMethod {
    pub fn active_model(
        &self,
        account_id: i64,
        site: Site,
        is_registration_method: bool,
        now: DateTime<Utc>,
    ) -> entity::login_methods::ActiveModel {
        entity::login_methods::ActiveModel {
            account_id: Set(account_id),
            site: Set(site.as_str().to_owned()),
            kind: Set(self.kind.as_str().to_owned()),
            identifier: Set(self.identifier.clone()),
            // LOG-04: a WeChat identity may serve several accounts; the others are unique.
            unique_identifier: Set(self
                .kind
                .is_globally_unique()
                .then(|| self.identifier.clone())),
            is_registration_method: Set(is_registration_method),
            bound_at: Set(now),
            ..Default::default()
        }
    }
}

fn required<'a>(value: &'a Option<String>, field: &str) -> ServiceResult<&'a str> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            field,
            format!("{field} is required"),
        )),
    }
}

fn parse_email(email: &Option<String>) -> ServiceResult<Email> {
    Email::parse(required(email, "email")?)
        .map_err(|e| ServiceError::refused_at(ErrorCode::InvalidInput, "email", e.message))
}

/// Refuses an e-mail that is already a login e-mail on the site (LOG-04), before any
/// code is spent on it.
async fn ensure_email_free(ctx: &AppContext, site: Site, email: &Email) -> ServiceResult<()> {
    use entity::login_methods::{Column, Entity};
    let taken = Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::Kind.eq(LoginMethodKind::Email.as_str()))
        .filter(Column::UniqueIdentifier.eq(email.as_str()))
        .one(&ctx.db)
        .await?;
    match taken {
        Some(_) => Err(identifier_taken(LoginMethodKind::Email)),
        None => Ok(()),
    }
}

/// Checks an e-mail and its code (no password): returns the e-mail.
pub async fn prove_email_only(
    ctx: &AppContext,
    site: Site,
    email: &Option<String>,
    email_code: &Option<String>,
    purpose: CodePurpose,
    now: DateTime<Utc>,
) -> ServiceResult<Email> {
    let email = parse_email(email)?;
    ensure_email_free(ctx, site, &email).await?;
    let code = required(email_code, "emailCode")?;
    codes::consume(
        ctx,
        CodeChannel::Email,
        email.as_str(),
        purpose,
        code,
        "emailCode",
        now,
    )
    .await?;
    Ok(email)
}

/// Checks an e-mail + password + code triple; returns the e-mail and the password hash.
/// The code is spent last, so a refused request leaves it usable.
pub async fn prove_email_login(
    ctx: &AppContext,
    site: Site,
    email: &Option<String>,
    password: &Option<String>,
    email_code: &Option<String>,
    purpose: CodePurpose,
    now: DateTime<Utc>,
) -> ServiceResult<(Email, String)> {
    let email = parse_email(email)?;
    let policy = ctx.policies.for_site(site);
    let password = Password::parse_for(required(password, "password")?, Some(&email), policy)
        .map_err(|e| ServiceError::refused_at(ErrorCode::PasswordTooWeak, "password", e.message))?;
    ensure_email_free(ctx, site, &email).await?;
    let code = required(email_code, "emailCode")?;
    codes::consume(
        ctx,
        CodeChannel::Email,
        email.as_str(),
        purpose,
        code,
        "emailCode",
        now,
    )
    .await?;
    let hash = crypto::hash_password(password.expose().to_owned()).await?;
    Ok((email, hash))
}

/// The provider's identity for an authorization code (LOG-08).
pub async fn resolve_provider(
    ctx: &AppContext,
    kind: LoginMethodKind,
    provider_code: &Option<String>,
) -> ServiceResult<String> {
    let code = required(provider_code, "providerCode")?;
    ctx.identity
        .resolve(kind, code)
        .await
        .map(|identity| identity.external_id)
        .ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::InvalidCode,
                "providerCode",
                "the identity provider refused this authorization code",
            )
        })
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
    let kind = form
        .method
        .ok_or_else(|| ServiceError::BadInput("method is required".into()))?;
    let nickname = match form.nickname.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(Nickname::parse(n)?.as_str().to_owned()),
        _ => None,
    };
    let (method, password_hash, security_email) = if kind == LoginMethodKind::Email {
        let (email, hash) = prove_email_login(
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
        let external_id = resolve_provider(ctx, kind, &form.provider_code).await?;
        (
            NewLoginMethod {
                kind,
                identifier: external_id,
            },
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
    insert_login_method(&txn, &method, account.id, site, true, now).await?;
    let session = sessions::open(&txn, ctx, account.id, site, None, meta, now).await?;
    let entry = AuditEntry {
        account_id: account.id,
        actor: super::principal_key(account.id, None),
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

/// Writes a login method; a taken identifier (LOG-04) or a second method of one kind
/// (LOG-01) is refused by the unique indexes, whatever races.
pub async fn insert_login_method(
    txn: &DatabaseTransaction,
    method: &NewLoginMethod,
    account_id: i64,
    site: Site,
    is_registration_method: bool,
    now: DateTime<Utc>,
) -> ServiceResult<entity::login_methods::Model> {
    use entity::login_methods::{Column, Entity};
    if method.kind.is_globally_unique() {
        let taken = Entity::find()
            .filter(Column::Site.eq(site.as_str()))
            .filter(Column::Kind.eq(method.kind.as_str()))
            .filter(Column::UniqueIdentifier.eq(&method.identifier))
            .one(txn)
            .await?;
        if taken.is_some() {
            return Err(identifier_taken(method.kind));
        }
    }
    let bound_kind = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::Kind.eq(method.kind.as_str()))
        .one(txn)
        .await?;
    if bound_kind.is_some() {
        return Err(ServiceError::refused_at(
            ErrorCode::LoginMethodKindAlreadyBound,
            "kind",
            format!(
                "a {} login method is already bound; unbind it first",
                method.kind.as_str()
            ),
        ));
    }
    method
        .active_model(account_id, site, is_registration_method, now)
        .insert(txn)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                identifier_taken(method.kind)
            } else {
                e.into()
            }
        })
}

fn identifier_taken(kind: LoginMethodKind) -> ServiceError {
    let (field, what) = match kind {
        LoginMethodKind::Email => ("email", "this e-mail already belongs to an account"),
        _ => (
            "providerCode",
            "this identity is already bound to another account",
        ),
    };
    ServiceError::refused_at(ErrorCode::IdentifierTaken, field, what)
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
    )?;
    let phone = cleared_or(
        changes.contact_phone,
        Phone::parse,
        |p| p.as_str().to_owned(),
        "contactPhone",
    )?;
    let email = cleared_or(
        changes.contact_email,
        Email::parse,
        |e| e.as_str().to_owned(),
        "contactEmail",
    )?;
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
    // Keyed by site too: each site counts with its own policy (ACC-01).
    let site_key = |key: &str| format!("{}:{key}", site.as_str());
    rate_limit::hit(&ctx.db, per_target, &site_key(&target), now).await?;
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
