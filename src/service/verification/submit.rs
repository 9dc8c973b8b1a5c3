//! Submitting a verification (VER-01..12, VER-15..17): input checks, the change rules, the
//! quota place, then the method's own decision path.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set};

use super::{Model, hold_quota_place, identity_hash, lift_failure_freeze, seal, supersede_others};
use crate::{
    crypto, db,
    domain::{
        DomainError, Phone,
        identity::{
            CreditCode, DocumentNumber, EnterpriseCode, ResidentIdNumber, age_on, parse_iso_date,
            working_days_between,
        },
        masking, plain_text,
        verification::{
            ChangeRefusal, ChangeType, InForce, MethodRefusal, Region, Settlement, Subject,
            SubjectKind, VerificationMethod, VerificationState, check_method, classify_change,
        },
    },
    ports::{RealNameCheck, RealNameDecision},
    service::{
        AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult,
        accounts::{self, site_of},
        audit::{self, AuditEntry},
        second_factor::{SecondFactor, guard_protected_operation},
    },
};

const PERSON_NAME_MAX_CHARS: usize = 64;
const ENTERPRISE_NAME_MAX_CHARS: usize = 100;

/// `submitIndividualVerification` as the client sent it.
#[derive(Debug, Clone)]
pub struct IndividualForm {
    pub method: VerificationMethod,
    pub region: Region,
    pub name: String,
    pub id_number: String,
    pub birth_date: String,
    pub second_factor: Option<SecondFactor>,
}

/// `submitEnterpriseVerification` as the client sent it.
#[derive(Debug, Clone)]
pub struct EnterpriseForm {
    pub method: VerificationMethod,
    pub region: Region,
    pub enterprise_name: String,
    pub credit_code: String,
    pub legal_person_name: String,
    pub legal_person_id_number: String,
    pub legal_person_foreign: bool,
    pub license_issued_on: Option<String>,
    pub bank_account: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub change_type: Option<ChangeType>,
    pub second_factor: Option<SecondFactor>,
}

/// A validated request, ready to be decided and stored.
struct Request {
    kind: SubjectKind,
    method: VerificationMethod,
    region: Region,
    requested_change: Option<ChangeType>,
    subject_name: String,
    identity_number: String,
    birth_date: Option<NaiveDate>,
    enterprise: Option<EnterpriseDetails>,
}

struct EnterpriseDetails {
    code_is_enterprise: bool,
    legal_person_name: String,
    legal_person_id: String,
    legal_person_foreign: bool,
    license_issued_on: Option<NaiveDate>,
    bank_account: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

fn refused_method(refusal: MethodRefusal) -> ServiceError {
    match refusal {
        MethodRefusal::WrongSite(why) => {
            ServiceError::refused_at(ErrorCode::WrongSite, "region", why)
        }
        MethodRefusal::NotAvailable(why) => {
            ServiceError::refused_at(ErrorCode::MethodNotAvailable, "method", why)
        }
    }
}

fn individual_request(
    site: crate::domain::Site,
    form: &IndividualForm,
    today: NaiveDate,
    minimum_age: u32,
) -> ServiceResult<Request> {
    let subject = Subject {
        kind: SubjectKind::Individual,
        region: form.region,
        foreign_legal_person: false,
    };
    check_method(site, subject, form.method).map_err(refused_method)?;
    let name = plain_text("name", &form.name, PERSON_NAME_MAX_CHARS)?;
    let birth = parse_iso_date("birthDate", &form.birth_date)?;
    let age = age_on(birth, today)
        .ok_or_else(|| DomainError::new("birthDate", msg!("err-birth-date-future")))?;
    if age < minimum_age {
        return Err(ServiceError::refused_at(
            ErrorCode::Underage,
            "birthDate",
            msg!("err-underage", minimum_age = minimum_age),
        ));
    }
    let number = match form.region {
        Region::Mainland => ResidentIdNumber::parse("idNumber", &form.id_number, birth)?
            .as_str()
            .to_owned(),
        _ => DocumentNumber::parse("idNumber", &form.id_number)?
            .as_str()
            .to_owned(),
    };
    Ok(Request {
        kind: SubjectKind::Individual,
        method: form.method,
        region: form.region,
        requested_change: None,
        subject_name: name,
        identity_number: number,
        birth_date: Some(birth),
        enterprise: None,
    })
}

fn enterprise_request(
    site: crate::domain::Site,
    form: &EnterpriseForm,
    today: NaiveDate,
) -> ServiceResult<Request> {
    let subject = Subject {
        kind: SubjectKind::Enterprise,
        region: form.region,
        foreign_legal_person: form.legal_person_foreign,
    };
    check_method(site, subject, form.method).map_err(refused_method)?;
    let name = plain_text(
        "enterpriseName",
        &form.enterprise_name,
        ENTERPRISE_NAME_MAX_CHARS,
    )?;
    let code = EnterpriseCode::parse("creditCode", &form.credit_code, true)?;
    let legal_person_name = plain_text(
        "legalPersonName",
        &form.legal_person_name,
        PERSON_NAME_MAX_CHARS,
    )?;
    let legal_person_id = if form.legal_person_foreign {
        DocumentNumber::parse("legalPersonIdNumber", &form.legal_person_id_number)?
            .as_str()
            .to_owned()
    } else {
        ResidentIdNumber::parse_any_birth_date("legalPersonIdNumber", &form.legal_person_id_number)?
            .as_str()
            .to_owned()
    };
    let license_issued_on = match form.license_issued_on.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => {
            let date = parse_iso_date("licenseIssuedOn", raw)?;
            if date > today {
                return Err(
                    DomainError::new("licenseIssuedOn", msg!("err-issue-date-future")).into(),
                );
            }
            Some(date)
        }
        _ => None,
    };
    if form.method.checks_legal_person() && license_issued_on.is_none() {
        return Err(DomainError::new(
            "licenseIssuedOn",
            msg!("err-registry-check-needs-date-business"),
        )
        .into());
    }
    let bank_account = match form.bank_account.as_deref() {
        Some(raw) if !raw.trim().is_empty() => Some(parse_bank_account(raw)?),
        _ => None,
    };
    if form.method == VerificationMethod::CorporateRemittance && bank_account.is_none() {
        return Err(DomainError::new(
            "bankAccount",
            msg!("err-remittance-needs-corporate-bank-account"),
        )
        .into());
    }
    let contact_name = optional_text("contactName", form.contact_name.as_deref())?;
    let contact_phone = match form.contact_phone.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(parse_contact_phone(raw)?),
        _ => None,
    };
    Ok(Request {
        kind: SubjectKind::Enterprise,
        method: form.method,
        region: form.region,
        requested_change: form.change_type,
        subject_name: name,
        identity_number: code.as_str().to_owned(),
        birth_date: None,
        enterprise: Some(EnterpriseDetails {
            code_is_enterprise: matches!(&code, EnterpriseCode::Complete(c) if c.is_enterprise()),
            legal_person_name,
            legal_person_id,
            legal_person_foreign: form.legal_person_foreign,
            license_issued_on,
            bank_account,
            contact_name,
            contact_phone,
        }),
    })
}

pub(super) fn optional_text(
    field: &'static str,
    raw: Option<&str>,
) -> ServiceResult<Option<String>> {
    match raw {
        Some(raw) if !raw.trim().is_empty() => {
            Ok(Some(plain_text(field, raw, PERSON_NAME_MAX_CHARS)?))
        }
        _ => Ok(None),
    }
}

pub(super) fn parse_contact_phone(raw: &str) -> ServiceResult<String> {
    Phone::parse(raw)
        .map(|p| p.as_str().to_owned())
        .map_err(|e| DomainError::new("contactPhone", e.message).into())
}

/// A corporate account number: 8..=34 letters and digits; spaces and dashes are dropped.
fn parse_bank_account(raw: &str) -> Result<String, DomainError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let len = compact.chars().count();
    if !(8..=34).contains(&len) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(DomainError::new(
            "bankAccount",
            msg!("err-bank-account-number-8-34"),
        ));
    }
    Ok(compact)
}

/// VER-02..05: an individual's request.
pub async fn submit_individual(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    form: IndividualForm,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    let policy = ctx.policies.for_site(principal.site);
    let request = individual_request(
        principal.site,
        &form,
        policy.local_date(now),
        policy.minimum_age_years,
    )?;
    submit(
        ctx,
        principal,
        meta,
        request,
        form.second_factor.as_ref(),
        now,
    )
    .await
}

/// VER-02, VER-03, VER-06, VER-07, VER-11, VER-12, VER-16: an enterprise's request.
pub async fn submit_enterprise(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    form: EnterpriseForm,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    principal.require_root()?;
    let today = ctx.policies.for_site(principal.site).local_date(now);
    let request = enterprise_request(principal.site, &form, today)?;
    submit(
        ctx,
        principal,
        meta,
        request,
        form.second_factor.as_ref(),
        now,
    )
    .await
}

fn in_force_summary(row: &Model) -> Option<InForce> {
    Some(InForce {
        kind: SubjectKind::parse(&row.subject_kind)?,
        region: Region::parse(&row.region)?,
        decided_at: row.decided_at.unwrap_or(row.submitted_at),
    })
}

fn already_verified() -> ServiceError {
    ServiceError::refused(
        ErrorCode::AlreadyVerified,
        msg!("err-account-already-verified-identity"),
    )
}

/// The change rules against what is in force (VER-14..17); `Ok` carries the change type.
fn check_change(
    ctx: &AppContext,
    account: &entity::accounts::Model,
    in_force: Option<&Model>,
    pending: Option<&Model>,
    request: &Request,
    hash: &str,
    now: DateTime<Utc>,
) -> ServiceResult<ChangeType> {
    accounts::require_active(account, msg!("err-cancelling-cannot-verify"))?;
    if pending.is_some() {
        return Err(ServiceError::refused(
            ErrorCode::VerificationInProgress,
            msg!("err-verification-request-already-pending-withdraw"),
        ));
    }
    let same_identity = in_force.is_some_and(|row| row.identity_hash == hash);
    // A person is verified for their one identity whenever they ask again; an enterprise
    // with its own code may be asking for a name or legal-person change (below).
    if same_identity && request.kind == SubjectKind::Individual {
        return Err(already_verified());
    }
    let policy = ctx.policies.for_site(site_of(account)?);
    let change = classify_change(
        in_force.and_then(in_force_summary),
        request.kind,
        request.region,
        request.requested_change,
        policy.verification_change_interval,
        now,
    )
    .map_err(|refusal| match refusal {
        ChangeRefusal::NotSupported(why) => {
            ServiceError::refused(ErrorCode::ChangeNotSupported, why)
        }
        ChangeRefusal::TooSoon(next) => ServiceError::refused(
            ErrorCode::ChangeTooSoon,
            msg!(
                "err-change-too-soon",
                days = policy.verification_change_interval.num_days(),
                next = next.to_rfc3339()
            ),
        ),
        ChangeRefusal::TypeRequired => ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "changeType",
            msg!("err-say-which-change-change-subject"),
        ),
        ChangeRefusal::TypeMismatch(why) => {
            ServiceError::refused_at(ErrorCode::InvalidInput, "changeType", why)
        }
    })?;
    if change.keeps_enterprise() {
        if !same_identity {
            return Err(ServiceError::refused_at(
                ErrorCode::InvalidInput,
                "creditCode",
                msg!("err-name-legal-person-change-keeps"),
            ));
        }
        if !request
            .enterprise
            .as_ref()
            .is_some_and(|e| e.code_is_enterprise)
        {
            return Err(ServiceError::refused(
                ErrorCode::ChangeNotSupported,
                msg!("err-online-name-legal-person-changes"),
            ));
        }
    } else if same_identity {
        return Err(already_verified());
    }
    Ok(change)
}

/// The common path: change rules, second factor, quota place, decision, storage.
async fn submit(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: Request,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<(Model, entity::accounts::Model)> {
    let hash = identity_hash(&ctx.secret, request.kind, &request.identity_number);
    // Cheap refusals and the second factor before the write transaction: the factor check
    // writes on its own connection.
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    let (in_force, pending) = super::current(&ctx.db, account.id).await?;
    let change = check_change(
        ctx,
        &account,
        in_force.as_ref(),
        pending.as_ref(),
        &request,
        &hash,
        now,
    )?;
    if change != ChangeType::Initial {
        // MFA-07: changing the verification is a protected operation.
        guard_protected_operation(ctx, &account, None, factor, now).await?;
    }

    let txn = db::begin_write(&ctx.db).await?;
    // One request at a time per account (VER-13: at most one pending).
    db::lock_scope(
        &txn,
        "verification-account",
        &principal.account_id.to_string(),
    )
    .await?;
    let account = accounts::load(&txn, principal.account_id).await?;
    let (in_force, pending) = super::current(&txn, account.id).await?;
    let change = check_change(
        ctx,
        &account,
        in_force.as_ref(),
        pending.as_ref(),
        &request,
        &hash,
        now,
    )?;
    if change != ChangeType::Initial
        && ctx
            .billing
            .standing(&txn, account.id)
            .await?
            .overdue_payment
    {
        return Err(ServiceError::refused(
            ErrorCode::OverduePayment,
            msg!("err-change-verification-cannot-start-while"),
        ));
    }
    let site = site_of(&account)?;
    hold_quota_place(ctx, &txn, site, account.id, request.kind, &hash).await?;
    let row = decide_and_store(ctx, &txn, &account, &request, change, hash, now).await?;
    let entry =
        AuditEntry::by(principal, "verification.submit").target(format!("Verification:{}", row.id));
    let entry = AuditEntry {
        detail: Some(format!("{} {} {}", row.method, row.change_type, row.state)),
        ..entry
    };
    audit::record(&txn, entry, meta, now).await?;
    let account = accounts::load(&txn, account.id).await?;
    txn.commit().await?;
    Ok((row, account))
}

async fn decide_and_store(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    account: &entity::accounts::Model,
    request: &Request,
    change: ChangeType,
    hash: String,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    let policy = ctx.policies.for_site(site_of(account)?);
    let settlement = if change.needs_review() {
        Settlement::Review
    } else {
        request.method.settlement()
    };
    let mut row = new_row(ctx, account.id, request, change, hash, now)?;
    let mut state = VerificationState::Pending;
    match settlement {
        Settlement::Instant => {
            let decision = match registry_delay(
                request,
                policy.license_registry_delay_working_days,
                policy.local_date(now),
            ) {
                Some(reason) => RealNameDecision::Rejected(reason),
                None => {
                    let check = RealNameCheck {
                        kind: request.kind,
                        method: request.method,
                        subject_name: &request.subject_name,
                        identity_number: &request.identity_number,
                        legal_person_name: request
                            .enterprise
                            .as_ref()
                            .map(|e| e.legal_person_name.as_str()),
                    };
                    ctx.real_name.decide(check).await?
                }
            };
            state = match decision {
                RealNameDecision::Approved => VerificationState::Approved,
                RealNameDecision::Rejected(reason) => {
                    row.rejection_reason = Set(Some(reason));
                    VerificationState::Rejected
                }
            };
        }
        Settlement::Review => {}
        Settlement::Remittance => {
            let bank_account = request
                .enterprise
                .as_ref()
                .and_then(|e| e.bank_account.as_deref())
                .ok_or_else(|| ServiceError::internal("remittance without a bank account"))?;
            let paid = ctx
                .bank
                .pay_remittance(
                    bank_account,
                    policy.remittance_min_cents,
                    policy.remittance_max_cents,
                )
                .await?;
            row.remittance_amount_cents = Set(Some(paid));
            row.remittance_attempts_left = Set(Some(policy.remittance_attempts));
            row.expires_at = Set(Some(now + policy.remittance_window));
        }
        Settlement::Recharge => {
            let low = u64::try_from(policy.recharge_min_cents.max(1)).unwrap_or(1);
            let high = u64::try_from(policy.recharge_max_cents)
                .unwrap_or(low)
                .max(low);
            let amount =
                i64::try_from(crypto::random_in(low..=high)).map_err(ServiceError::internal)?;
            row.recharge_amount_cents = Set(Some(amount));
            row.expires_at = Set(Some(now + policy.recharge_window));
        }
    }
    row.state = Set(state.as_str().to_owned());
    if state == VerificationState::Pending {
        row.pending_account_id = Set(Some(account.id));
    } else {
        row.decided_at = Set(Some(now));
    }
    let row = row.insert(txn).await?;
    if state == VerificationState::Approved {
        supersede_others(txn, &row, now).await?;
        lift_failure_freeze(txn, account.id).await?;
    }
    Ok(row)
}

/// VER-07: a legal-person check on a license younger than the registry delay fails.
fn registry_delay(request: &Request, delay_days: u32, today: NaiveDate) -> Option<String> {
    let issued = request.enterprise.as_ref()?.license_issued_on?;
    if !request.method.checks_legal_person() {
        return None;
    }
    (working_days_between(issued, today) < i64::from(delay_days)).then(|| {
        format!(
            "the business license is not yet in the registry (issued fewer than {delay_days} working days ago); retry later"
        )
    })
}

fn new_row(
    ctx: &AppContext,
    account_id: i64,
    request: &Request,
    change: ChangeType,
    hash: String,
    now: DateTime<Utc>,
) -> ServiceResult<entity::verifications::ActiveModel> {
    let secret = &ctx.secret;
    let mut row = entity::verifications::ActiveModel {
        account_id: Set(account_id),
        subject_kind: Set(request.kind.as_str().to_owned()),
        method: Set(request.method.as_str().to_owned()),
        change_type: Set(change.as_str().to_owned()),
        region: Set(request.region.as_str().to_owned()),
        subject_name_enc: Set(seal(secret, &request.subject_name)?),
        subject_name_masked: Set(masking::mask_name(&request.subject_name)),
        identity_hash: Set(hash),
        identity_enc: Set(seal(secret, &request.identity_number)?),
        identity_masked: Set(masking::mask_id_number(&request.identity_number)),
        birth_date: Set(request.birth_date),
        legal_person_name_enc: Set(None),
        legal_person_id_hash: Set(None),
        legal_person_id_enc: Set(None),
        legal_person_foreign: Set(false),
        license_issued_on: Set(None),
        bank_account_enc: Set(None),
        contact_name: Set(None),
        contact_phone: Set(None),
        rejection_reason: Set(None),
        submitted_at: Set(now),
        decided_at: Set(None),
        expires_at: Set(None),
        remittance_amount_cents: Set(None),
        remittance_attempts_left: Set(None),
        recharge_amount_cents: Set(None),
        superseded_at: Set(None),
        pending_account_id: Set(None),
        ..Default::default()
    };
    if let Some(e) = &request.enterprise {
        row.legal_person_name_enc = Set(Some(seal(secret, &e.legal_person_name)?));
        row.legal_person_id_hash = Set(Some(identity_hash(
            secret,
            SubjectKind::Individual,
            &e.legal_person_id,
        )));
        row.legal_person_id_enc = Set(Some(seal(secret, &e.legal_person_id)?));
        row.legal_person_foreign = Set(e.legal_person_foreign);
        row.license_issued_on = Set(e.license_issued_on);
        row.bank_account_enc = Set(e
            .bank_account
            .as_deref()
            .map(|b| seal(secret, b))
            .transpose()?);
        row.contact_name = Set(e.contact_name.clone());
        row.contact_phone = Set(e.contact_phone.clone());
    }
    Ok(row)
}

/// Whether an 18-character code is a valid credit code (used by VER-17 completion).
pub(super) fn complete_code(raw: &str) -> ServiceResult<CreditCode> {
    Ok(CreditCode::parse("creditCode", raw)?)
}
