//! Binding and unbinding MFA devices (MFA-01..05, MFA-08): virtual devices through a
//! pending binding confirmed by a code, hardware tokens from the inventory, and recovery
//! codes; a lost device is removed through a recovery application (REC-03).

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use totp_rs::{Algorithm, TOTP};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult, accounts,
    audit::{self, AuditEntry},
    hardware_tokens, members, mfa, principal_key, rate_limit, security, sessions,
};
use crate::domain::MessageCategory;
use crate::service::notices::{self, Notice};
use crate::{
    crypto, db,
    domain::{MfaDeviceKind, SitePolicy, member::MemberKind},
};

/// MFA-01: 160-bit secrets, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const ISSUER: &str = "AccountCenter";

/// Whose device a request is about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub account_id: i64,
    pub sub_user_id: Option<i64>,
}

impl Target {
    fn key(self) -> String {
        principal_key(self.account_id, self.sub_user_id)
    }
}

/// The principal itself, or (for the root) one of its sub-users; a sub-user may name only
/// itself (SUB-08).
pub async fn target_for(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    requested: Option<i64>,
) -> ServiceResult<Target> {
    if principal.collaborator_account_id.is_some() {
        // COL-02: a collaborator's MFA device is its own account's, bound there.
        return Err(ServiceError::Forbidden);
    }
    let sub_user_id = match (principal.sub_user_id, requested) {
        (own, None) => own,
        (Some(own), Some(other)) if own == other => Some(own),
        (Some(_), Some(_)) => return Err(ServiceError::Forbidden),
        (None, Some(id)) => {
            let member = members::owned(conn, principal.account_id, id).await?;
            if member.kind != MemberKind::SubUser.as_str() {
                return Err(ServiceError::refused_at(
                    ErrorCode::InvalidInput,
                    "subUserId",
                    msg!("err-only-sub-users-root-have"),
                ));
            }
            Some(member.id)
        }
    };
    Ok(Target {
        account_id: principal.account_id,
        sub_user_id,
    })
}

pub(crate) async fn device_of(
    conn: &impl ConnectionTrait,
    target: Target,
) -> ServiceResult<Option<entity::mfa_devices::Model>> {
    use entity::mfa_devices::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::PrincipalKey.eq(target.key()))
        .one(conn)
        .await?)
}

fn already_bound() -> ServiceError {
    ServiceError::refused(
        ErrorCode::MfaDeviceAlreadyBound,
        msg!("err-mfa-device-already-bound-unbind"),
    )
}

/// A virtual device waiting for its first code: the secret, shown once.
pub struct PendingBinding {
    pub binding_id: i64,
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub qr_code_svg: String,
}

/// MFA-03: a new secret from the CSPRNG, stored sealed, returned once with its otpauth URI
/// and the URI as an SVG QR code.
pub async fn begin_virtual(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<PendingBinding> {
    let target = target_for(&ctx.db, principal, sub_user_id).await?;
    if device_of(&ctx.db, target).await?.is_some() {
        return Err(already_bound());
    }
    let policy = ctx.policies.for_site(principal.site);
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let label = match target.sub_user_id {
        Some(id) => {
            let member = members::owned(&ctx.db, target.account_id, id).await?;
            format!("{}@{}", member.name, principal.account_number)
        }
        None => principal.account_number.clone(),
    };
    let totp = TOTP::new(
        Algorithm::SHA1,
        usize::try_from(policy.mfa_totp_digits).unwrap_or(6),
        1,
        policy.mfa_totp_step_seconds,
        secret.clone(),
        Some(ISSUER.to_owned()),
        label,
    )
    .map_err(ServiceError::internal)?;
    let otpauth_uri = totp.get_url();
    let qr_code_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(ServiceError::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let binding = entity::mfa_bindings::ActiveModel {
        account_id: Set(target.account_id),
        sub_user_id: Set(target.sub_user_id),
        principal_key: Set(target.key()),
        secret_enc: Set(ctx.secret.seal(&secret).map_err(ServiceError::internal)?),
        created_at: Set(now),
        expires_at: Set(now + policy.mfa_binding_ttl),
        consumed_at: Set(None),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    let entry = AuditEntry::by(principal, "mfa.begin_binding");
    audit::record(&ctx.db, entry, meta, now).await?;
    Ok(PendingBinding {
        binding_id: binding.id,
        secret_base32: totp.get_secret_base32(),
        otpauth_uri,
        qr_code_svg,
    })
}

/// A bound device and its recovery codes (shown once).
pub struct BoundDevice {
    pub device: entity::mfa_devices::Model,
    pub serial_number: Option<String>,
    pub recovery_codes: Vec<String>,
}

/// MFA-03, MFA-04: a valid current code binds the pending virtual device.
pub async fn confirm_virtual(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    binding_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<BoundDevice> {
    use entity::mfa_bindings::{Column, Entity};
    if principal.collaborator_account_id.is_some() {
        // COL-02: a collaborator's MFA device is its own account's, bound there.
        return Err(ServiceError::Forbidden);
    }
    let mut query =
        Entity::find_by_id(binding_id).filter(Column::AccountId.eq(principal.account_id));
    if let Some(own) = principal.sub_user_id {
        query = query.filter(Column::SubUserId.eq(own));
    }
    let binding = query
        .one(&ctx.db)
        .await?
        .filter(|b| b.consumed_at.is_none())
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-pending-mfa-binding")))?;
    if binding.expires_at <= now {
        return Err(ServiceError::refused_at(
            ErrorCode::CodeExpired,
            "bindingId",
            msg!("err-binding-expired-begin-again"),
        ));
    }
    let secret = ctx
        .secret
        .open(&binding.secret_enc)
        .map_err(ServiceError::internal)?;
    let policy = ctx.policies.for_site(principal.site);
    let step = checked_step(&secret, code, policy, now)?;
    let target = Target {
        account_id: binding.account_id,
        sub_user_id: binding.sub_user_id,
    };
    let txn = db::begin_write(&ctx.db).await?;
    let claimed = Entity::update_many()
        .col_expr(Column::ConsumedAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::Id.eq(binding.id))
        .filter(Column::ConsumedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::not_found(msg!(
            "not-found-pending-mfa-binding"
        )));
    }
    let device = entity::mfa_devices::ActiveModel {
        kind: Set(MfaDeviceKind::Virtual.as_str().to_owned()),
        hardware_token_id: Set(None),
        secret_enc: Set(binding.secret_enc),
        ..new_device(target, step, now)
    };
    let bound = finish_binding(ctx, &txn, principal, meta, device, None, now).await?;
    let written = device_notice(&txn, target, DeviceChange::Bound, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(bound)
}

/// MFA-04: wrong codes tried against one serial, whoever tries them, so a token in stock
/// cannot be brute-forced by many principals either.
fn wrong_codes_per_serial(policy: &SitePolicy) -> rate_limit::Limit {
    rate_limit::Limit {
        scope: "mfa-wrong-codes-serial",
        max_hits: policy.mfa_wrong_codes_per_serial,
        window: policy.mfa_wrong_code_window,
    }
}

/// MFA-01, MFA-02, MFA-04: a hardware token from the inventory, bound to one principal
/// only. A token bound anywhere is refused before its code is looked at, so binding is no
/// oracle for a bound token's current code; a wrong code counts against the acting
/// principal and against the serial.
pub async fn bind_hardware(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: Option<i64>,
    raw_serial: &str,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<BoundDevice> {
    let target = target_for(&ctx.db, principal, sub_user_id).await?;
    let serial = hardware_tokens::parse_serial(raw_serial)?;
    let policy = ctx.policies.for_site(principal.site);
    let guesser = principal.principal_key();
    mfa::ensure_code_room(ctx, &guesser, policy, now).await?;
    rate_limit::ensure_room(&ctx.db, wrong_codes_per_serial(policy), &serial, now).await?;
    let token = entity::hardware_tokens::Entity::find()
        .filter(entity::hardware_tokens::Column::SerialNumber.eq(serial.as_str()))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| {
            ServiceError::refused_at(
                ErrorCode::NotFound,
                "serialNumber",
                msg!("err-no-hardware-token-serial-number"),
            )
        })?;
    let token_taken = || async {
        let bound = entity::mfa_devices::Entity::find()
            .filter(entity::mfa_devices::Column::HardwareTokenId.eq(token.id))
            .one(&ctx.db)
            .await?;
        ServiceResult::Ok(bound.is_some())
    };
    if token_taken().await? {
        return Err(token_already_bound());
    }
    let secret = ctx
        .secret
        .open(&token.secret_enc)
        .map_err(ServiceError::internal)?;
    let Some(step) = mfa::matching_step(&secret, code, now, policy) else {
        // The serial's count first: the principal's answer is the one the user reads.
        if let Err(ServiceError::Internal(detail)) =
            rate_limit::hit(&ctx.db, wrong_codes_per_serial(policy), &serial, now).await
        {
            return Err(ServiceError::Internal(detail));
        }
        return Err(mfa::wrong_code(ctx, &guesser, policy, "code", now).await);
    };
    let txn = db::begin_write(&ctx.db).await?;
    let device = entity::mfa_devices::ActiveModel {
        kind: Set(MfaDeviceKind::Hardware.as_str().to_owned()),
        hardware_token_id: Set(Some(token.id)),
        secret_enc: Set(token.secret_enc.clone()),
        ..new_device(target, step, now)
    };
    // Two principals racing for one token: the unique token index lets one in.
    let bound = finish_binding(ctx, &txn, principal, meta, device, Some(serial), now).await;
    match bound {
        Ok(bound) => {
            let written = device_notice(&txn, target, DeviceChange::Bound, now).await?;
            txn.commit().await?;
            written.dispatch(ctx, now).await;
            Ok(bound)
        }
        Err(err) => {
            drop(txn);
            if is_already_bound(&err) && token_taken().await? {
                return Err(token_already_bound());
            }
            Err(err)
        }
    }
}

fn token_already_bound() -> ServiceError {
    ServiceError::refused_at(
        ErrorCode::MfaDeviceAlreadyBound,
        "serialNumber",
        msg!("err-hardware-token-already-bound"),
    )
}

fn is_already_bound(err: &ServiceError) -> bool {
    matches!(err, ServiceError::Refused(r) if r.code == ErrorCode::MfaDeviceAlreadyBound)
}

fn new_device(target: Target, step: i64, now: DateTime<Utc>) -> entity::mfa_devices::ActiveModel {
    entity::mfa_devices::ActiveModel {
        account_id: Set(target.account_id),
        sub_user_id: Set(target.sub_user_id),
        principal_key: Set(target.key()),
        bound_at: Set(now),
        last_used_at: Set(Some(now)),
        // The binding code's step is spent: it cannot be replayed (MFA-04).
        last_used_step: Set(step),
        failed_attempts: Set(0),
        ..Default::default()
    }
}

fn checked_step(
    secret: &[u8],
    code: &str,
    policy: &SitePolicy,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    mfa::matching_step(secret, code, now, policy).ok_or_else(|| {
        ServiceError::refused_at(ErrorCode::InvalidCode, "code", msg!("err-mfa-code-wrong"))
    })
}

/// Inserts the device (the unique principal key holds MFA-02 under races) and its
/// recovery codes.
async fn finish_binding(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    principal: &Principal,
    meta: &RequestMeta,
    device: entity::mfa_devices::ActiveModel,
    serial_number: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<BoundDevice> {
    let device = match device.insert(txn).await {
        Ok(device) => device,
        Err(err) if db::is_unique_violation(&err) => return Err(already_bound()),
        Err(err) => return Err(err.into()),
    };
    let policy = ctx.policies.for_site(principal.site);
    let mut recovery_codes = Vec::with_capacity(policy.mfa_recovery_codes);
    for _ in 0..policy.mfa_recovery_codes {
        let code = mfa::new_recovery_code();
        entity::mfa_recovery_codes::ActiveModel {
            mfa_device_id: Set(device.id),
            code_hash: Set(crypto::token_hash(&mfa::normalize_recovery_code(&code))),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        recovery_codes.push(code);
    }
    let entry = AuditEntry::by(principal, "mfa.bind").target(format!("MfaDevice:{}", device.id));
    audit::record(txn, entry, meta, now).await?;
    Ok(BoundDevice {
        device,
        serial_number,
        recovery_codes,
    })
}

/// MFA-05: a valid current code (or an unused recovery code) unbinds; the principal's
/// other sessions and trusted devices end.
pub async fn unbind(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: Option<i64>,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<entity::accounts::Model> {
    let target = target_for(&ctx.db, principal, sub_user_id).await?;
    if device_of(&ctx.db, target).await?.is_none() {
        return Err(ServiceError::refused(
            ErrorCode::NoMfaDevice,
            msg!("err-no-mfa-device-bound"),
        ));
    }
    let policy = ctx.policies.for_site(principal.site);
    mfa::verify_device_code(ctx, &target.key(), code, policy, "code", now).await?;
    let txn = db::begin_write(&ctx.db).await?;
    remove_device(&txn, target, now).await?;
    let keep = (principal.sub_user_id == target.sub_user_id).then_some(principal.session_id);
    sessions::revoke_principal_sessions(&txn, target.account_id, target.sub_user_id, keep, now)
        .await?;
    let entry = AuditEntry::by(principal, "mfa.unbind");
    audit::record(&txn, entry, meta, now).await?;
    let account = accounts::load(&txn, target.account_id).await?;
    let written = device_notice(&txn, target, DeviceChange::Removed, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(account)
}

pub(crate) enum DeviceChange {
    Bound,
    Removed,
}

/// NTF-01: an MFA device was bound or removed: the root account's, or a sub-user's (told
/// to the sub-user, and to the root account's security contacts).
pub(crate) async fn device_notice(
    txn: &DatabaseTransaction,
    target: Target,
    change: DeviceChange,
    now: DateTime<Utc>,
) -> ServiceResult<notices::Written> {
    let (purpose, what) = match change {
        DeviceChange::Bound => ("MFA_DEVICE_BOUND", "bound"),
        DeviceChange::Removed => ("MFA_DEVICE_REMOVED", "removed"),
    };
    let whose = if target.sub_user_id.is_some() {
        msg!("whose-sub-user")
    } else {
        msg!("whose-your-account")
    };
    let notice = Notice::new(
        MessageCategory::Security,
        purpose,
        msg!("notice-title-mfa-device-changed", what = what),
        msg!("notice-body-mfa-device-changed", whose = whose, what = what),
    );
    let account = accounts::load(txn, target.account_id).await?;
    let mut written = notices::to_account(txn, &account, &notice, &[], now).await?;
    // A sub-user subscribed to SECURITY already heard it through the account (NTF-03):
    // once per target (NTF-04).
    if let Some(id) = target.sub_user_id
        && let Some(member) = entity::sub_users::Entity::find_by_id(id).one(txn).await?
        && !notices::receives(&member, MessageCategory::Security)
    {
        written.merge(notices::to_sub_user(txn, &member, &notice, now).await?);
    }
    Ok(written)
}

/// Removes the principal's device, its recovery codes and its trusted devices.
pub(crate) async fn remove_device(
    txn: &DatabaseTransaction,
    target: Target,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::mfa_devices::{Column, Entity};
    if let Some(device) = Entity::find()
        .filter(Column::PrincipalKey.eq(target.key()))
        .one(txn)
        .await?
    {
        entity::mfa_recovery_codes::Entity::delete_many()
            .filter(entity::mfa_recovery_codes::Column::MfaDeviceId.eq(device.id))
            .exec(txn)
            .await?;
        Entity::delete_by_id(device.id).exec(txn).await?;
    }
    security::revoke_trusted_devices(txn, &target.key(), now).await
}
