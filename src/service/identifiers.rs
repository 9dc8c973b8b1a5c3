//! Login identifiers (LOG-01, LOG-04, LOG-08): proving an e-mail or a provider identity,
//! and writing a login method under the uniqueness rules.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::{AppContext, ErrorCode, ServiceError, ServiceResult, codes};
use crate::{
    crypto, db,
    domain::{CodeChannel, CodePurpose, Email, LoginMethodKind, Password, Site},
};

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
            msg!("err-field-required", field = field),
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
    spend_email_code(ctx, site, &email, email_code, purpose, now).await?;
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
    spend_email_code(ctx, site, &email, email_code, purpose, now).await?;
    let hash = crypto::hash_password(password.expose().to_owned()).await?;
    Ok((email, hash))
}

/// Spends the e-mail's code once the address is known to be free on the site. The code
/// is checked first: only whoever reads the mailbox learns that the address is taken.
async fn spend_email_code(
    ctx: &AppContext,
    site: Site,
    email: &Email,
    email_code: &Option<String>,
    purpose: CodePurpose,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let code = required(email_code, "emailCode")?;
    let matched = codes::check(
        ctx,
        CodeChannel::Email,
        email.as_str(),
        purpose,
        code,
        "emailCode",
        now,
    )
    .await?;
    ensure_email_free(ctx, site, email).await?;
    codes::claim(ctx, matched, now).await
}

/// The login method a provider's authorization code stands for (LOG-08).
pub async fn provider_method(
    ctx: &AppContext,
    kind: LoginMethodKind,
    provider_code: &Option<String>,
) -> ServiceResult<NewLoginMethod> {
    Ok(NewLoginMethod {
        kind,
        identifier: resolve_provider(ctx, kind, provider_code).await?,
    })
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
                msg!("err-identity-provider-refused-authorization-code"),
            )
        })
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
            msg!("err-login-method-kind-bound", kind = method.kind.as_str()),
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
        LoginMethodKind::Email => ("email", msg!("err-email-taken")),
        _ => ("providerCode", msg!("err-identity-taken")),
    };
    ServiceError::refused_at(ErrorCode::IdentifierTaken, field, what)
}
