//! The password check behind the day's failure counters (LOG-07): captcha after three
//! failures, a lock after ten, shared by every server instance through the database.
//! Counted per attempted identifier: one that names nobody walks the same path, so the
//! answers never tell which e-mails or sub-users exist.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use super::Candidate;
use crate::service::{
    AppContext, ErrorCode, RequestMeta, ServiceError, ServiceResult,
    accounts::site_of,
    audit::{self, LoginAttempt},
};
use crate::{
    crypto, db,
    domain::{
        LoginMethodKind, Site, SitePolicy,
        lockout::{self, FailureCounter, PasswordGate},
    },
};

/// Whom a password attempt names.
pub enum Named<'a> {
    Principal(&'a Candidate),
    /// An identifier that leads to no principal: counted under a keyed hash of it.
    Nobody {
        site: Site,
        method: Option<LoginMethodKind>,
    },
}

/// The counter key of an identifier that names nobody (its parts as typed, normalised by
/// the caller); keyed, so the table holds nothing readable.
pub fn unknown_key(ctx: &AppContext, parts: &[&str]) -> String {
    let mut all = vec!["login-identifier"];
    all.extend_from_slice(parts);
    format!("unknown:{}", ctx.secret.keyed_hash(&all))
}

/// One password attempt: whom it names, the counter it walks (`key`), the password typed,
/// the hash it must match (none for an identifier that names nobody), and a captcha.
pub struct Attempt<'a> {
    pub named: Named<'a>,
    pub key: &'a str,
    pub password: &'a str,
    pub stored_hash: Option<String>,
    pub captcha: Option<&'a str>,
}

/// Checks a password behind the day's failure counter. The failure is counted *before*
/// the hash is checked and given back on success, so parallel guesses all see each
/// other and no more than the policy's number are ever tried.
pub async fn check(
    ctx: &AppContext,
    meta: &RequestMeta,
    attempt: Attempt<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Attempt {
        named,
        key,
        password,
        stored_hash,
        captcha,
    } = attempt;
    let (site, account_id, sub_user_id, method) = match &named {
        Named::Principal(candidate) => (
            site_of(&candidate.account)?,
            Some(candidate.account.id),
            candidate.sub_user_id,
            candidate.method,
        ),
        Named::Nobody { site, method } => (*site, None, None, *method),
    };
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
        account_id,
        sub_user_id,
        method,
        failure_reason: Some(reason),
    };

    if let Err(err) = reserve_attempt(ctx, account_id, key, captcha_solved, policy, now).await {
        let reason = match &err {
            ServiceError::Refused(r) if r.code == ErrorCode::CaptchaRequired => "CAPTCHA_REQUIRED",
            ServiceError::Refused(_) => "ACCOUNT_LOCKED",
            _ => return Err(err),
        };
        audit::record_login(&ctx.db, refuse(reason), meta, now).await?;
        return Err(err);
    }
    // Without a stored hash the same work is spent, so timing does not tell either.
    if crypto::verify_password(password.to_owned(), stored_hash).await {
        give_back_attempt(ctx, key, policy, now).await?;
        Ok(())
    } else {
        audit::record_login(&ctx.db, refuse("INVALID_CREDENTIALS"), meta, now).await?;
        Err(invalid_credentials())
    }
}

pub(super) fn invalid_credentials() -> ServiceError {
    ServiceError::refused(
        ErrorCode::InvalidCredentials,
        msg!("err-email-password-wrong"),
    )
}

/// Counts one failure in advance, or refuses when locked or when a captcha is due.
async fn reserve_attempt(
    ctx: &AppContext,
    account_id: Option<i64>,
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
                msg!("err-too-many-failed-attempts-today"),
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

/// REC-01, REC-02: a reset password starts with a clean slate: no lock, no failures.
pub async fn clear_lock(txn: &DatabaseTransaction, key: &str) -> ServiceResult<()> {
    use entity::lockout_counters::{Column, Entity};
    // The same lock as the counters' readers, so none of them updates a deleted row.
    db::lock_scope(txn, "lockout", key).await?;
    Entity::delete_many()
        .filter(Column::PrincipalKey.eq(key))
        .exec(txn)
        .await?;
    Ok(())
}

fn locked(until: DateTime<Utc>) -> ServiceError {
    ServiceError::refused(
        ErrorCode::AccountLocked,
        msg!("err-account-locked", until = until.to_rfc3339()),
    )
}
