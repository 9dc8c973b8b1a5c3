//! Sign-in (LOG-07..09, MFA-06): passwords behind the failure counters, third-party
//! identities, login-protection challenges and trusted devices.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use super::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult, accounts,
    audit::{self, LoginAttempt},
    principal_key, security,
    sessions::{self, OpenedSession},
};
use crate::{
    crypto, db,
    domain::{
        CodePurpose, Email, Lifecycle, LoginMethodKind, Site, SitePolicy,
        lockout::{self, FailureCounter, PasswordGate},
    },
};

/// What a successful first step of sign-in yields.
pub enum SignInOutcome {
    Session(OpenedSession),
    /// Login protection wants a second factor first.
    Challenge(IssuedChallenge),
    /// The third-party identity serves several accounts: pick one (LOG-04).
    AccountChoices(Vec<String>),
}

pub struct IssuedChallenge {
    /// The challenge's bearer secret: whoever completes it gets the session.
    pub token: String,
    pub methods: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// Who is signing in, once the credential named them.
pub struct Candidate {
    pub account: entity::accounts::Model,
    pub sub_user_id: Option<i64>,
    pub method: Option<LoginMethodKind>,
}

fn site_of(account: &entity::accounts::Model) -> Site {
    Site::parse(&account.site).unwrap_or(Site::China)
}

/// Password sign-in with the login e-mail (LOG-06, LOG-07).
#[allow(clippy::too_many_arguments)]
pub async fn with_password(
    ctx: &AppContext,
    meta: &RequestMeta,
    site: Site,
    raw_email: &str,
    password: &str,
    captcha: Option<&str>,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let method = Some(LoginMethodKind::Email);
    let email = Email::parse(raw_email).ok();
    let account = match &email {
        Some(email) => find_by_login(ctx, site, LoginMethodKind::Email, email.as_str())
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let Some(account) = account else {
        // Spend the same work as a real check, so timing does not reveal unknown e-mails.
        crypto::verify_password(password.to_owned(), None).await;
        let attempt = LoginAttempt {
            account_id: None,
            sub_user_id: None,
            method,
            failure_reason: Some("INVALID_CREDENTIALS"),
        };
        audit::record_login(&ctx.db, attempt, meta, now).await?;
        return Err(invalid_credentials());
    };
    let key = principal_key(account.id, None);
    let candidate = Candidate {
        sub_user_id: None,
        method,
        account,
    };
    let stored = candidate.account.password_hash.clone();
    match guarded_password_check(ctx, meta, &candidate, &key, password, stored, captcha, now).await
    {
        Ok(()) => finish(ctx, meta, candidate, device_token, now).await,
        Err(err) => Err(err),
    }
}

/// Checks a password behind the day's failure counter. The failure is counted *before*
/// the hash is checked and given back on success, so parallel guesses all see each
/// other and no more than the policy's number are ever tried.
#[allow(clippy::too_many_arguments)]
pub async fn guarded_password_check(
    ctx: &AppContext,
    meta: &RequestMeta,
    candidate: &Candidate,
    key: &str,
    password: &str,
    stored_hash: Option<String>,
    captcha: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let site = site_of(&candidate.account);
    let policy = ctx.policies.for_site(site);
    let captcha_solved = match captcha {
        Some(response) if !response.is_empty() => {
            ctx.captcha
                .verify(response, meta.client_address.as_deref())
                .await
        }
        _ => false,
    };
    let refuse = |reason: &'static str| LoginAttempt {
        account_id: Some(candidate.account.id),
        sub_user_id: candidate.sub_user_id,
        method: candidate.method,
        failure_reason: Some(reason),
    };

    if let Err(err) =
        reserve_attempt(ctx, candidate.account.id, key, captcha_solved, policy, now).await
    {
        let reason = match &err {
            ServiceError::Refused(r) if r.code == ErrorCode::CaptchaRequired => "CAPTCHA_REQUIRED",
            ServiceError::Refused(_) => "ACCOUNT_LOCKED",
            _ => return Err(err),
        };
        audit::record_login(&ctx.db, refuse(reason), meta, now).await?;
        return Err(err);
    }
    if crypto::verify_password(password.to_owned(), stored_hash).await {
        give_back_attempt(ctx, key, policy, now).await?;
        Ok(())
    } else {
        audit::record_login(&ctx.db, refuse("INVALID_CREDENTIALS"), meta, now).await?;
        Err(invalid_credentials())
    }
}

fn invalid_credentials() -> ServiceError {
    ServiceError::refused(
        ErrorCode::InvalidCredentials,
        "the e-mail or password is wrong",
    )
}

/// Counts one failure in advance, or refuses when locked or when a captcha is due.
async fn reserve_attempt(
    ctx: &AppContext,
    account_id: i64,
    key: &str,
    captcha_solved: bool,
    policy: &SitePolicy,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::lockout_counters::{ActiveModel, Column, Entity};
    let day = lockout::day_key(now, policy);
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "lockout", key).await?;
    // A lock set yesterday may still run today (CHINA: 24 hours).
    let rows = Entity::find()
        .filter(Column::PrincipalKey.eq(key))
        .filter(
            Condition::any()
                .add(Column::Day.eq(&day))
                .add(Column::LockedUntil.gt(now)),
        )
        .all(&txn)
        .await?;
    if let Some(until) = rows
        .iter()
        .filter_map(|r| r.locked_until)
        .filter(|u| *u > now)
        .max()
    {
        return Err(locked(until));
    }
    let today = rows.into_iter().find(|r| r.day == day);
    let counter = today.as_ref().map(|r| FailureCounter {
        failures: r.failures,
        first_failure_at: r.first_failure_at,
        locked_until: r.locked_until,
    });
    match lockout::gate(counter.as_ref(), now, policy) {
        PasswordGate::Locked { until } => return Err(locked(until)),
        PasswordGate::CaptchaRequired if !captcha_solved => {
            return Err(ServiceError::refused_at(
                ErrorCode::CaptchaRequired,
                "captcha",
                "too many failed attempts today: solve the captcha",
            ));
        }
        _ => {}
    }
    match today {
        Some(row) => {
            let failures = row.failures + 1;
            let first = if row.failures <= 0 {
                now
            } else {
                row.first_failure_at
            };
            let mut active: ActiveModel = row.into();
            active.failures = Set(failures);
            active.first_failure_at = Set(first);
            active.locked_until = Set(lockout::lock_until_after_failure(failures, first, policy));
            active.update(&txn).await?;
        }
        None => {
            ActiveModel {
                account_id: Set(account_id),
                principal_key: Set(key.to_owned()),
                day: Set(day),
                failures: Set(1),
                first_failure_at: Set(now),
                locked_until: Set(lockout::lock_until_after_failure(1, now, policy)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The password was right: the failure counted in advance did not happen.
async fn give_back_attempt(
    ctx: &AppContext,
    key: &str,
    policy: &SitePolicy,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::lockout_counters::{Column, Entity};
    let day = lockout::day_key(now, policy);
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "lockout", key).await?;
    if let Some(row) = Entity::find()
        .filter(Column::PrincipalKey.eq(key))
        .filter(Column::Day.eq(&day))
        .one(&txn)
        .await?
    {
        let failures = (row.failures - 1).max(0);
        let first = row.first_failure_at;
        let mut active: entity::lockout_counters::ActiveModel = row.into();
        active.failures = Set(failures);
        active.locked_until = Set(lockout::lock_until_after_failure(failures, first, policy));
        active.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

fn locked(until: DateTime<Utc>) -> ServiceError {
    ServiceError::refused(
        ErrorCode::AccountLocked,
        format!(
            "password sign-in is locked after too many failures until {}",
            until.to_rfc3339()
        ),
    )
}

/// Accounts of `site` that a login identifier leads to (several only for WeChat).
async fn find_by_login(
    ctx: &AppContext,
    site: Site,
    kind: LoginMethodKind,
    identifier: &str,
) -> ServiceResult<Vec<entity::accounts::Model>> {
    use entity::login_methods::Column;
    let account_ids: Vec<i64> = entity::login_methods::Entity::find()
        .filter(Column::Site.eq(site.as_str()))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Identifier.eq(identifier))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::accounts::Entity::find()
        .filter(entity::accounts::Column::Id.is_in(account_ids))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .all(&ctx.db)
        .await?)
}

/// Third-party sign-in (LOG-08): WeChat may lead to several accounts (LOG-04).
#[allow(clippy::too_many_arguments)]
pub async fn with_provider(
    ctx: &AppContext,
    meta: &RequestMeta,
    site: Site,
    kind: LoginMethodKind,
    provider_code: &str,
    chosen_account: Option<&str>,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    if !kind.is_third_party() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "kind",
            "use signIn for e-mail and password",
        ));
    }
    let external_id =
        accounts::resolve_provider(ctx, kind, &Some(provider_code.to_owned())).await?;
    let mut matches = find_by_login(ctx, site, kind, &external_id).await?;
    matches.sort_by_key(|a| a.id);
    let account = match (chosen_account, matches.len()) {
        (_, 0) => {
            return Err(ServiceError::refused_at(
                ErrorCode::NotFound,
                "providerCode",
                "no account is bound to this identity: register with it or bind it to an account",
            ));
        }
        (None, 1) => matches.remove(0),
        (None, _) => {
            return Ok(SignInOutcome::AccountChoices(
                matches.into_iter().map(|a| a.account_number).collect(),
            ));
        }
        (Some(number), _) => matches
            .into_iter()
            .find(|a| a.account_number == number.trim())
            .ok_or_else(|| {
                ServiceError::refused_at(
                    ErrorCode::NotFound,
                    "accountId",
                    "this identity is not bound to that account",
                )
            })?,
    };
    let candidate = Candidate {
        account,
        sub_user_id: None,
        method: Some(kind),
    };
    finish(ctx, meta, candidate, device_token, now).await
}

/// The credential is proven: open a session, or ask for the second factor when login
/// protection is on and the device is not trusted (MFA-06).
pub async fn finish(
    ctx: &AppContext,
    meta: &RequestMeta,
    candidate: Candidate,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let site = site_of(&candidate.account);
    let key = principal_key(candidate.account.id, candidate.sub_user_id);
    let protected = candidate.account.login_protection && candidate.sub_user_id.is_none();
    if protected && !is_trusted_device(&ctx.db, &key, device_token, now).await? {
        let challenge = issue_challenge(ctx, meta, &candidate, now).await?;
        return Ok(SignInOutcome::Challenge(challenge));
    }
    let txn = db::begin_write(&ctx.db).await?;
    let session = sessions::open(
        &txn,
        ctx,
        candidate.account.id,
        site,
        candidate.sub_user_id,
        meta,
        now,
    )
    .await?;
    let attempt = LoginAttempt {
        account_id: Some(candidate.account.id),
        sub_user_id: candidate.sub_user_id,
        method: candidate.method,
        failure_reason: None,
    };
    audit::record_login(&txn, attempt, meta, now).await?;
    txn.commit().await?;
    Ok(SignInOutcome::Session(session))
}

async fn is_trusted_device(
    conn: &impl ConnectionTrait,
    key: &str,
    device_token: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    use entity::trusted_devices::{Column, Entity};
    let Some(token) = device_token.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    Ok(Entity::find()
        .filter(Column::TokenHash.eq(crypto::token_hash(token)))
        .filter(Column::PrincipalKey.eq(key))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .is_some())
}

async fn issue_challenge(
    ctx: &AppContext,
    meta: &RequestMeta,
    candidate: &Candidate,
    now: DateTime<Utc>,
) -> ServiceResult<IssuedChallenge> {
    let policy = ctx.policies.for_site(site_of(&candidate.account));
    let methods =
        security::available_factors(&ctx.db, &candidate.account, candidate.sub_user_id).await?;
    let token = crypto::random_token(32);
    let expires_at = now + policy.login_challenge_ttl;
    entity::login_challenges::ActiveModel {
        account_id: Set(candidate.account.id),
        sub_user_id: Set(candidate.sub_user_id),
        token_hash: Set(crypto::token_hash(&token)),
        methods: Set(methods.join(",")),
        login_method: Set(candidate.method.map(|m| m.as_str().to_owned())),
        client_address: Set(meta.client_address.clone()),
        user_agent: Set(meta.user_agent.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        completed_at: Set(None),
        failed_attempts: Set(0),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(IssuedChallenge {
        token,
        methods,
        expires_at,
    })
}

/// What completing a challenge yields: the session, and a device token when asked.
pub struct CompletedChallenge {
    pub session: OpenedSession,
    pub device_token: Option<String>,
}

/// Completes a login challenge with a second factor (MFA-06); optionally trusts the
/// device for the policy's period.
pub async fn complete_challenge(
    ctx: &AppContext,
    meta: &RequestMeta,
    challenge_token: &str,
    factor: &security::SecondFactor,
    trust_device: bool,
    now: DateTime<Utc>,
) -> ServiceResult<CompletedChallenge> {
    use entity::login_challenges::{Column, Entity};
    let gone = || {
        ServiceError::refused_at(
            ErrorCode::NotFound,
            "challengeId",
            "no such challenge, or it has expired",
        )
    };
    let challenge = Entity::find()
        .filter(Column::TokenHash.eq(crypto::token_hash(challenge_token)))
        .one(&ctx.db)
        .await?
        .ok_or_else(gone)?;
    let account = accounts::load(&ctx.db, challenge.account_id).await?;
    let policy = ctx.policies.for_site(site_of(&account));
    if challenge.completed_at.is_some()
        || challenge.expires_at <= now
        || challenge.failed_attempts >= policy.code_max_attempts
    {
        return Err(gone());
    }
    if let Err(err) = security::verify_factor(
        ctx,
        &account,
        challenge.sub_user_id,
        factor,
        CodePurpose::LoginChallenge,
        now,
    )
    .await
    {
        if matches!(&err, ServiceError::Refused(r) if r.code == ErrorCode::InvalidCode) {
            Entity::update_many()
                .col_expr(
                    Column::FailedAttempts,
                    sea_orm::ExprTrait::add(Expr::col(Column::FailedAttempts), 1),
                )
                .filter(Column::Id.eq(challenge.id))
                .exec(&ctx.db)
                .await?;
        }
        return Err(err);
    }
    let txn = db::begin_write(&ctx.db).await?;
    // Single use, even for two requests racing with valid factors.
    let claimed = Entity::update_many()
        .col_expr(Column::CompletedAt, Expr::value(now))
        .filter(Column::Id.eq(challenge.id))
        .filter(Column::CompletedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(gone());
    }
    let site = site_of(&account);
    let session = sessions::open(
        &txn,
        ctx,
        account.id,
        site,
        challenge.sub_user_id,
        meta,
        now,
    )
    .await?;
    let device_token = if trust_device {
        let token = crypto::random_token(32);
        entity::trusted_devices::ActiveModel {
            account_id: Set(account.id),
            sub_user_id: Set(challenge.sub_user_id),
            principal_key: Set(principal_key(account.id, challenge.sub_user_id)),
            token_hash: Set(crypto::token_hash(&token)),
            created_at: Set(now),
            expires_at: Set(now + policy.trusted_device_ttl),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Some(token)
    } else {
        None
    };
    let attempt = LoginAttempt {
        account_id: Some(account.id),
        sub_user_id: challenge.sub_user_id,
        method: challenge
            .login_method
            .as_deref()
            .and_then(LoginMethodKind::parse),
        failure_reason: None,
    };
    audit::record_login(&txn, attempt, meta, now).await?;
    txn.commit().await?;
    Ok(CompletedChallenge {
        session,
        device_token,
    })
}
