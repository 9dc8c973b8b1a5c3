//! The enterprise verification after approval: completing the credit code (VER-17), the
//! contact person (VER-18), quotas (VER-09) and the periodic registry check (VER-19).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    Column, Entity, Model, hold_quota_place, identity_hash, in_force_condition, seal,
    submit::{complete_code, optional_text, parse_contact_phone},
};
use crate::{
    db,
    domain::{
        DomainError, FreezeReason, FreezeReasons,
        identity::{CreditCode, EnterpriseCode},
        masking,
        verification::SubjectKind,
    },
    service::{
        AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
        accounts::{self, site_of},
        audit::{self, AuditEntry},
    },
};

const MAX_ENTERPRISE_QUOTA: i32 = 100_000;

fn not_verified() -> ServiceError {
    ServiceError::refused(
        ErrorCode::NotVerified,
        msg!("err-account-no-enterprise-verification-force"),
    )
}

async fn enterprise_in_force(
    conn: &impl sea_orm::ConnectionTrait,
    account_id: i64,
) -> ServiceResult<Model> {
    let (in_force, _) = super::current(conn, account_id).await?;
    in_force
        .filter(|row| row.subject_kind == SubjectKind::Enterprise.as_str())
        .ok_or_else(not_verified)
}

/// VER-17: an incomplete code (a legacy or foreign registration number) becomes the
/// 18-character unified social credit code; the new identity needs a place in its quota.
pub async fn complete_credit_code(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    raw_code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    let code = complete_code(raw_code)?;
    let txn = db::begin_write(&ctx.db).await?;
    let row = enterprise_in_force(&txn, principal.account_id).await?;
    let stored = ctx
        .secret
        .open(&row.identity_enc)
        .map_err(ServiceError::internal)?;
    let stored = String::from_utf8(stored).map_err(ServiceError::internal)?;
    if CreditCode::parse("creditCode", &stored).is_ok() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "creditCode",
            msg!("err-credit-code-verification-already-complete"),
        ));
    }
    let hash = identity_hash(&ctx.secret, SubjectKind::Enterprise, code.as_str());
    let account = accounts::load(&txn, principal.account_id).await?;
    hold_quota_place(
        ctx,
        &txn,
        site_of(&account)?,
        account.id,
        SubjectKind::Enterprise,
        &hash,
    )
    .await?;
    let mut active: entity::verifications::ActiveModel = row.into();
    active.identity_hash = Set(hash);
    active.identity_enc = Set(seal(&ctx.secret, code.as_str())?);
    active.identity_masked = Set(masking::mask_id_number(code.as_str()));
    let row = active.update(&txn).await?;
    let entry = AuditEntry::by(principal, "verification.complete_credit_code")
        .target(format!("Verification:{}", row.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok((row, account))
}

/// VER-18: the contact person's name and mobile number; an empty string clears one.
pub async fn update_contact(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    contact_name: Option<&str>,
    contact_phone: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    if contact_name.is_none() && contact_phone.is_none() {
        return Err(
            DomainError::new("contactName", msg!("err-give-contact-name-phone-change")).into(),
        );
    }
    let name = contact_name
        .map(|raw| optional_text("contactName", Some(raw)))
        .transpose()?;
    let phone = contact_phone
        .map(|raw| match raw.trim() {
            "" => Ok(None),
            raw => parse_contact_phone(raw).map(Some),
        })
        .transpose()?;
    let txn = db::begin_write(&ctx.db).await?;
    let row = enterprise_in_force(&txn, principal.account_id).await?;
    let mut active: entity::verifications::ActiveModel = row.into();
    if let Some(name) = name {
        active.contact_name = Set(name);
    }
    if let Some(phone) = phone {
        active.contact_phone = Set(phone);
    }
    let row = active.update(&txn).await?;
    let entry = AuditEntry::by(principal, "verification.update_contact")
        .target(format!("Verification:{}", row.id));
    audit::record(&txn, entry, meta, now).await?;
    let account = accounts::load(&txn, principal.account_id).await?;
    txn.commit().await?;
    Ok((row, account))
}

fn enterprise_hash(ctx: &AppContext, raw_code: &str) -> ServiceResult<String> {
    let code = EnterpriseCode::parse("creditCode", raw_code, true)?;
    Ok(identity_hash(
        &ctx.secret,
        SubjectKind::Enterprise,
        code.as_str(),
    ))
}

/// VER-09: an operator raises or lowers one enterprise's quota (both sites).
pub async fn set_enterprise_quota(
    ctx: &AppContext,
    raw_code: &str,
    quota: i32,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    use entity::enterprise_quotas::{ActiveModel, Column as QuotaColumn, Entity as Quotas};
    let hash = enterprise_hash(ctx, raw_code)?;
    if !(0..=MAX_ENTERPRISE_QUOTA).contains(&quota) {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "quota",
            msg!("err-quota-range", max = MAX_ENTERPRISE_QUOTA),
        ));
    }
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "real-name-identity", &hash).await?;
    let existing = Quotas::find()
        .filter(QuotaColumn::CreditCodeHash.eq(hash.as_str()))
        .one(&txn)
        .await?;
    let mut row: ActiveModel = match existing {
        Some(row) => row.into(),
        None => ActiveModel {
            credit_code_hash: Set(hash),
            ..Default::default()
        },
    };
    row.quota = Set(quota);
    row.updated_at = Set(now);
    row.save(&txn).await?;
    txn.commit().await?;
    Ok(format!("the enterprise may verify {quota} accounts"))
}

/// The periodic registry check's finding for one enterprise (VER-19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecheckOutcome {
    Ok,
    Deregistered,
    Mismatch,
}

/// VER-19: a failed check notifies each verified account first, then drops it to
/// UNVERIFIED and freezes it with VERIFICATION_FAILED until it verifies again.
pub async fn recheck_enterprise(
    ctx: &AppContext,
    meta: &RequestMeta,
    raw_code: &str,
    outcome: RecheckOutcome,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let hash = enterprise_hash(ctx, raw_code)?;
    let finding = match outcome {
        RecheckOutcome::Ok => return Ok("the enterprise checks out; nothing changed".into()),
        RecheckOutcome::Deregistered => msg!("finding-deregistered"),
        RecheckOutcome::Mismatch => msg!("finding-mismatch"),
    };
    let verified = Entity::find()
        .filter(Column::IdentityHash.eq(hash.as_str()))
        .filter(Column::SubjectKind.eq(SubjectKind::Enterprise.as_str()))
        .filter(in_force_condition())
        .all(&ctx.db)
        .await?;
    let mut dropped = 0;
    for row in verified {
        let Some(account) = entity::accounts::Entity::find_by_id(row.account_id)
            .one(&ctx.db)
            .await?
        else {
            continue;
        };
        let notice = msg!("notice-body-verification-failed", finding = finding.clone());
        let notice = crate::service::notices::Notice::new(
            crate::domain::MessageCategory::Verification,
            "VERIFICATION_FAILED",
            msg!("notice-title-real-name-verification-no-longer"),
            notice,
        );
        crate::service::notices::notify(ctx, &account, &notice, &[], now).await?;
        if revoke(ctx, meta, row.id, &finding.to_string(), now).await? {
            dropped += 1;
        }
    }
    Ok(format!(
        "{dropped} account(s) dropped to UNVERIFIED and frozen"
    ))
}

/// Ends one verification in force and freezes its account; false when it was no longer in force.
async fn revoke(
    ctx: &AppContext,
    meta: &RequestMeta,
    verification_id: i64,
    finding: &str,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let txn = db::begin_write(&ctx.db).await?;
    let revoked = Entity::update_many()
        .col_expr(Column::SupersededAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::Id.eq(verification_id))
        .filter(in_force_condition())
        .exec(&txn)
        .await?
        .rows_affected;
    if revoked == 0 {
        return Ok(false);
    }
    let row = Entity::find_by_id(verification_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-verification")))?;
    let account = accounts::load(&txn, row.account_id).await?;
    let mut reasons = FreezeReasons::from_stored(&account.freeze_reasons)?;
    reasons.insert(FreezeReason::VerificationFailed);
    let account_id = account.id;
    let mut active: entity::accounts::ActiveModel = account.into();
    active.freeze_reasons = Set(reasons.to_csv());
    active.update(&txn).await?;
    let entry = AuditEntry {
        account_id,
        actor: "operator".to_owned(),
        action: "verification.revoked",
        target_id: Some(format!("Verification:{verification_id}")),
        detail: Some(finding.to_owned()),
    };
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(true)
}
