//! MFA code checks (MFA-01, MFA-04): RFC 6238 TOTP within ±1 step, each step accepted once.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use totp_rs::{Algorithm, TOTP};

use super::{AppContext, ErrorCode, ServiceError, ServiceResult};
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
    );
    let code = code.trim();
    candidate_steps(now, policy).find(|step| {
        let at = u64::try_from(*step).unwrap_or(0) * policy.mfa_totp_step_seconds.max(1);
        crypto::constant_time_eq(&totp.generate(at), code)
    })
}

/// Checks a code against the principal's device and burns its time step, so the same
/// code cannot be used twice, even by two requests at once.
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
            ServiceError::refused_at(ErrorCode::NoMfaDevice, field, "no MFA device is bound")
        })?;
    let secret = ctx
        .secret
        .open(&device.secret_enc)
        .map_err(ServiceError::internal)?;
    let invalid =
        || ServiceError::refused_at(ErrorCode::InvalidCode, field, "the MFA code is wrong");
    let Some(step) = matching_step(&secret, code, now, policy) else {
        Entity::update_many()
            .col_expr(
                Column::FailedAttempts,
                sea_orm::ExprTrait::add(Expr::col(Column::FailedAttempts), 1),
            )
            .filter(Column::Id.eq(device.id))
            .exec(&ctx.db)
            .await?;
        return Err(invalid());
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
        return Err(invalid());
    }
    Ok(())
}
