//! MFA code checks (MFA-01, MFA-04): RFC 6238 TOTP within ±1 step, each step accepted once;
//! the last accepted code sent again answers CODE_ALREADY_USED.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use totp_rs::{Algorithm, TOTP};

use super::{AppContext, ErrorCode, ServiceError, ServiceResult, rate_limit};
use crate::{crypto, domain::SitePolicy};

/// The TOTP steps a code may match now, oldest first.
fn candidate_steps(now: DateTime<Utc>, policy: &SitePolicy) -> impl Iterator<Item = i64> {
    let step_seconds = i64::try_from(policy.mfa_totp_step_seconds)
        .unwrap_or(30)
        .max(1);
    let step = now.timestamp().div_euclid(step_seconds);
    let skew = i64::try_from(policy.mfa_allowed_skew_steps).unwrap_or(1);
    (step - skew)..=(step + skew)
}

/// The step at which `code` is valid for `secret`, if any.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now: DateTime<Utc>,
    policy: &SitePolicy,
) -> Option<i64> {
    let totp = TOTP::new_unchecked(
        Algorithm::SHA1,
        usize::try_from(policy.mfa_totp_digits).unwrap_or(6),
        0,
        policy.mfa_totp_step_seconds.max(1),
        secret.to_vec(),
        None,
        String::new(),
    );
    let code = code.trim();
    candidate_steps(now, policy).find(|step| {
        let at = u64::try_from(*step).unwrap_or(0) * policy.mfa_totp_step_seconds.max(1);
        crypto::constant_time_eq(&totp.generate(at), code)
    })
}

/// Recovery codes: 10 characters without look-alikes, shown as two groups of five.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new single-use recovery code, e.g. `K7QXM-2HDPA`.
pub fn new_recovery_code() -> String {
    let raw: String = (0..10)
        .map(|_| {
            let i = usize::try_from(crypto::random_in(0..=31)).unwrap_or(0);
            char::from(RECOVERY_ALPHABET.get(i).copied().unwrap_or(b'A'))
        })
        .collect();
    format!(
        "{}-{}",
        raw.get(..5).unwrap_or_default(),
        raw.get(5..).unwrap_or_default()
    )
}

/// What is hashed: upper-case, without the dash or spaces a user may type.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn looks_like_recovery_code(code: &str) -> bool {
    normalize_recovery_code(code).len() == 10 && code.chars().any(|c| c.is_ascii_alphabetic())
}

/// Spends one unused recovery code of `device_id`; false when none matches. The
/// conditional update makes it single-use even under parallel requests.
async fn spend_recovery_code(
    ctx: &AppContext,
    device_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    use entity::mfa_recovery_codes::{Column, Entity};
    let spent = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::MfaDeviceId.eq(device_id))
        .filter(Column::CodeHash.eq(crypto::token_hash(&normalize_recovery_code(code))))
        .filter(Column::UsedAt.is_null())
        .exec(&ctx.db)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// MFA-04: wrong MFA codes a principal may give in a window, across every instance:
/// operation protection must hold against a stolen session guessing codes (10^6 of them).
fn wrong_codes_per_principal(policy: &SitePolicy) -> rate_limit::Limit {
    rate_limit::Limit {
        scope: "mfa-wrong-codes",
        max_hits: policy.mfa_wrong_code_limit,
        window: policy.mfa_wrong_code_window,
    }
}

/// Refuses with RATE_LIMITED once the principal has spent its wrong codes (MFA-04).
pub async fn ensure_code_room(
    ctx: &AppContext,
    principal_key: &str,
    policy: &SitePolicy,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    rate_limit::ensure_room(
        &ctx.db,
        wrong_codes_per_principal(policy),
        principal_key,
        now,
    )
    .await
}

/// Counts a wrong code and answers INVALID_CODE (the limit refuses the next check).
pub async fn wrong_code(
    ctx: &AppContext,
    principal_key: &str,
    policy: &SitePolicy,
    field: &str,
    now: DateTime<Utc>,
) -> ServiceError {
    let limit = wrong_codes_per_principal(policy);
    match rate_limit::hit(&ctx.db, limit, principal_key, now).await {
        Err(ServiceError::Internal(detail)) => ServiceError::Internal(detail),
        _ => ServiceError::refused_at(ErrorCode::InvalidCode, field, msg!("err-mfa-code-wrong")),
    }
}

/// Checks a code against the principal's device and burns its time step, so the same
/// code cannot be used twice, even by two requests at once. An unused recovery code
/// (shown once at binding) is accepted instead, once.
pub async fn verify_device_code(
    ctx: &AppContext,
    principal_key: &str,
    code: &str,
    policy: &SitePolicy,
    field: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::mfa_devices::{Column, Entity};
    let device = Entity::find()
        .filter(Column::PrincipalKey.eq(principal_key))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::NoMfaDevice,
                field,
                msg!("err-no-mfa-device-bound"),
            )
        })?;
    let secret = ctx
        .secret
        .open(&device.secret_enc)
        .map_err(ServiceError::internal)?;
    ensure_code_room(ctx, principal_key, policy, now).await?;
    let invalid =
        || ServiceError::refused_at(ErrorCode::InvalidCode, field, msg!("err-mfa-code-wrong"));
    if looks_like_recovery_code(code) {
        return match spend_recovery_code(ctx, device.id, code, now).await? {
            true => Ok(()),
            false => Err(wrong_code(ctx, principal_key, policy, field, now).await),
        };
    }
    let Some(step) = matching_step(&secret, code, now, policy) else {
        Entity::update_many()
            .col_expr(
                Column::FailedAttempts,
                sea_orm::ExprTrait::add(Expr::col(Column::FailedAttempts), 1),
            )
            .filter(Column::Id.eq(device.id))
            .exec(&ctx.db)
            .await?;
        return Err(wrong_code(ctx, principal_key, policy, field, now).await);
    };
    let claimed = Entity::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .col_expr(Column::FailedAttempts, Expr::value(0))
        .filter(Column::Id.eq(device.id))
        .filter(Column::LastUsedStep.lt(step))
        .exec(&ctx.db)
        .await?;
    if claimed.rows_affected != 1 {
        // The last accepted code, sent again (or by a request that lost the race for it):
        // the client is told, which reveals nothing it did not send. Any other spent step
        // stays a wrong code. Neither is counted against the principal, as before.
        let last_step = Entity::find_by_id(device.id)
            .one(&ctx.db)
            .await?
            .map(|d| d.last_used_step);
        if last_step == Some(step) {
            return Err(ServiceError::refused_at(
                ErrorCode::CodeAlreadyUsed,
                field,
                msg!("err-mfa-code-already-used"),
            ));
        }
        return Err(invalid());
    }
    Ok(())
}
