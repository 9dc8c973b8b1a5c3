//! Real-name verification (VER-01..22): what is in force, quotas, decisions; submissions,
//! settlements and the enterprise back office live in the submodules.

mod enterprise;
mod settle;
mod submit;

pub use enterprise::{
    RecheckOutcome, complete_credit_code, recheck_enterprise, set_enterprise_quota, update_contact,
};
pub use settle::{confirm_remittance, expire_due, recharge_received, review, withdraw};
pub use submit::{EnterpriseForm, IndividualForm, submit_enterprise, submit_individual};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set,
};

use super::{AppContext, ErrorCode, Page, ServiceError, ServiceResult, audit};
use crate::{
    crypto::SecretKey,
    db,
    domain::{
        FreezeReason, FreezeReasons, Site,
        verification::{SubjectKind, VerificationMethod, VerificationState},
    },
};

use entity::verifications::{ActiveModel, Column, Entity, Model};

const PENDING: VerificationState = VerificationState::Pending;
const APPROVED: VerificationState = VerificationState::Approved;

/// The approved verification that is in force: approved and not yet replaced or revoked.
fn in_force_condition() -> Condition {
    Condition::all()
        .add(Column::State.eq(APPROVED.as_str()))
        .add(Column::SupersededAt.is_null())
}

/// The account's current rows (in force, or pending a decision); what the console's
/// current-verification loader reads.
pub fn counted_condition() -> Condition {
    Condition::any()
        .add(in_force_condition())
        .add(Column::State.eq(PENDING.as_str()))
}

/// VER-23: methods whose pending request the subject has not proven yet (nothing paid,
/// no amount confirmed); such a request holds no place in the identity's quota.
const UNPROVEN_WHILE_PENDING: [VerificationMethod; 2] = [
    VerificationMethod::Recharge,
    VerificationMethod::CorporateRemittance,
];

/// Rows that hold a place in an identity's quota (VER-08, VER-09, VER-23): in force, or
/// pending with a request the subject has proven.
fn quota_condition() -> Condition {
    let proven_pending = Condition::all()
        .add(Column::State.eq(PENDING.as_str()))
        .add(Column::Method.is_not_in(UNPROVEN_WHILE_PENDING.map(VerificationMethod::as_str)));
    Condition::any()
        .add(in_force_condition())
        .add(proven_pending)
}

/// The account's verification in force and its pending request, in one query.
pub async fn current(
    conn: &impl ConnectionTrait,
    account_id: i64,
) -> ServiceResult<(Option<Model>, Option<Model>)> {
    let rows = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(counted_condition())
        .all(conn)
        .await?;
    Ok(split_current(rows))
}

/// Splits rows of one account into (in force, pending), by VER-14's one rule.
pub fn split_current(rows: Vec<Model>) -> (Option<Model>, Option<Model>) {
    let mut in_force = None;
    let mut pending = None;
    for row in rows {
        let state = VerificationState::parse(&row.state);
        if state == Some(PENDING) {
            pending = Some(row);
        } else if state.is_some_and(|s| {
            crate::domain::verification::is_in_force(s, row.superseded_at.is_some())
        }) {
            in_force = Some(row);
        }
    }
    (in_force, pending)
}

/// Every request of the account, newest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    account_id: i64,
    after: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<Model>> {
    let query = Entity::find().filter(Column::AccountId.eq(account_id));
    audit::newest_first(conn, query, Column::Id, after, limit).await
}

/// One request of the account (owner-scoped: another account's ID is "not found").
pub async fn owned(
    conn: &impl ConnectionTrait,
    account_id: i64,
    verification_id: i64,
) -> ServiceResult<Option<Model>> {
    Ok(Entity::find_by_id(verification_id)
        .filter(Column::AccountId.eq(account_id))
        .one(conn)
        .await?)
}

/// VER-10: the keyed hash that matches one identity across accounts without storing it.
pub fn identity_hash(secret: &SecretKey, kind: SubjectKind, number: &str) -> String {
    secret.keyed_hash(&["real-name identity", kind.as_str(), number])
}

/// The encrypted copy an operator may open (VER-10: never stored in clear).
pub fn seal(secret: &SecretKey, plain: &str) -> ServiceResult<String> {
    secret
        .seal(plain.as_bytes())
        .map_err(ServiceError::internal)
}

/// VER-08..10, VER-23: refuses when `identity_hash` already holds its quota of *other*
/// accounts of the site (in force, or pending and proven). Serialised per identity, so
/// parallel submissions and proofs queue. The refusal says neither which nor how many
/// accounts use the identity.
async fn hold_quota_place(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    site: Site,
    account_id: i64,
    kind: SubjectKind,
    identity_hash: &str,
) -> ServiceResult<()> {
    db::lock_scope(txn, "real-name-identity", identity_hash).await?;
    let policy = ctx.policies.for_site(site);
    let quota = match kind {
        SubjectKind::Individual => policy.individual_identity_quota,
        SubjectKind::Enterprise => entity::enterprise_quotas::Entity::find()
            .filter(entity::enterprise_quotas::Column::CreditCodeHash.eq(identity_hash))
            .one(txn)
            .await?
            .map_or(policy.enterprise_identity_quota, |row| row.quota),
    };
    let site_accounts = sea_orm::sea_query::Query::select()
        .column(entity::accounts::Column::Id)
        .from(entity::accounts::Entity)
        .and_where(entity::accounts::Column::Site.eq(site.as_str()))
        .to_owned();
    let holders: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::AccountId)
        .distinct()
        .filter(Column::IdentityHash.eq(identity_hash))
        .filter(Column::AccountId.ne(account_id))
        .filter(Column::AccountId.in_subquery(site_accounts))
        .filter(quota_condition())
        .into_tuple()
        .all(txn)
        .await?;
    if i32::try_from(holders.len()).unwrap_or(i32::MAX) >= quota {
        let what = match kind {
            SubjectKind::Individual => msg!("quota-this-identity"),
            SubjectKind::Enterprise => msg!("quota-this-enterprise"),
        };
        return Err(ServiceError::refused(
            ErrorCode::IdentityQuotaExceeded,
            msg!("err-identity-quota", what = what),
        ));
    }
    Ok(())
}

/// What becomes of a proof that arrives (VER-23): the request is approved, or it found
/// the identity's quota full and was rejected; either way the caller commits.
pub(super) enum Proven {
    Approved(Model),
    QuotaFull {
        rejected: Model,
        refusal: ServiceError,
    },
}

/// VER-23: a pending request is approved only if its identity still has a place, checked
/// under the identity's lock; otherwise it is rejected with the reason the user reads.
async fn approve_within_quota(
    ctx: &AppContext,
    txn: &DatabaseTransaction,
    row: Model,
    now: DateTime<Utc>,
) -> ServiceResult<Proven> {
    let account = entity::accounts::Entity::find_by_id(row.account_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-account")))?;
    let site = super::accounts::site_of(&account)?;
    let kind = SubjectKind::parse(&row.subject_kind).ok_or_else(|| {
        ServiceError::internal(format!("verification {}: unknown subject kind", row.id))
    })?;
    let identity = row.identity_hash.clone();
    match hold_quota_place(ctx, txn, site, row.account_id, kind, &identity).await {
        Ok(()) => Ok(Proven::Approved(approve(txn, row, now).await?)),
        Err(refusal @ ServiceError::Refused(_)) => {
            // Stored once, read by the account's owner: in the site's language.
            let reason = refusal_message(&refusal, crate::i18n::Lang::for_site(site));
            let rejected = decided(row, VerificationState::Rejected, Some(reason), now)
                .update(txn)
                .await?;
            Ok(Proven::QuotaFull { rejected, refusal })
        }
        Err(other) => Err(other),
    }
}

fn refusal_message(err: &ServiceError, lang: crate::i18n::Lang) -> String {
    match err {
        ServiceError::Refused(r) => r.message.render(lang),
        other => other.to_string(),
    }
}

/// Marks a pending request decided; `pending_account_id` is cleared so a new request may start.
fn decided(
    row: Model,
    state: VerificationState,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ActiveModel {
    let mut active: ActiveModel = row.into();
    active.state = Set(state.as_str().to_owned());
    active.pending_account_id = Set(None);
    active.decided_at = Set(Some(now));
    if reason.is_some() {
        active.rejection_reason = Set(reason);
    }
    active
}

/// VER-14, VER-16: once `approved` takes effect, the verification in force before it is
/// superseded (it stays in the history).
async fn supersede_others(
    txn: &DatabaseTransaction,
    approved: &Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    Entity::update_many()
        .col_expr(Column::SupersededAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::AccountId.eq(approved.account_id))
        .filter(Column::Id.ne(approved.id))
        .filter(in_force_condition())
        .exec(txn)
        .await?;
    Ok(())
}

/// Approves a pending `row`: it supersedes what was in force and lifts a
/// VERIFICATION_FAILED freeze (VER-19).
async fn approve(
    txn: &DatabaseTransaction,
    row: Model,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    let approved = decided(row, VerificationState::Approved, None, now)
        .update(txn)
        .await?;
    supersede_others(txn, &approved, now).await?;
    lift_failure_freeze(txn, approved.account_id).await?;
    Ok(approved)
}

async fn lift_failure_freeze(txn: &DatabaseTransaction, account_id: i64) -> ServiceResult<()> {
    let account = entity::accounts::Entity::find_by_id(account_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-account")))?;
    let mut reasons = FreezeReasons::from_stored(&account.freeze_reasons)?;
    if reasons.remove(FreezeReason::VerificationFailed) {
        let mut active: entity::accounts::ActiveModel = account.into();
        active.freeze_reasons = Set(reasons.to_csv());
        active.update(txn).await?;
    }
    Ok(())
}
