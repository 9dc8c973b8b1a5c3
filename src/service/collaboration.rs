//! Collaborators at work (COL-01..04): the root accounts a collaborator works in,
//! switching into one as its member and back, leaving, and the memberships a cancelled
//! account gives up. Each use-case takes one request struct and `now`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult, accounts,
    accounts::site_of,
    audit::{self, AuditEntry},
    members, notices,
    notices::{Notice, Written},
    principal_key, sessions,
    sign_in::{self, Candidate, SignInOutcome, Switch},
};
use crate::{
    db,
    domain::{Lifecycle, MessageCategory, member::MemberKind},
};

/// One root account the signed-in account collaborates on.
pub struct Collaboration {
    pub root: entity::accounts::Model,
    /// The collaborator's member record in that root account.
    pub member: entity::sub_users::Model,
}

/// COL-01: the root accounts `own_account_id` collaborates on, oldest membership first.
pub async fn list(
    conn: &impl ConnectionTrait,
    own_account_id: i64,
) -> ServiceResult<Vec<Collaboration>> {
    use entity::sub_users::{Column, Entity};
    let root = Entity::belongs_to(entity::accounts::Entity)
        .from(Column::AccountId)
        .to(entity::accounts::Column::Id)
        .into();
    let rows = Entity::find()
        .select_also(entity::accounts::Entity)
        .join(JoinType::InnerJoin, root)
        .filter(Column::CollaboratorAccountId.eq(own_account_id))
        .filter(Column::Kind.eq(MemberKind::Collaborator.as_str()))
        .filter(entity::accounts::Column::Lifecycle.ne(Lifecycle::Cancelled.as_str()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(member, root)| root.map(|root| Collaboration { root, member }))
        .collect())
}

fn not_a_collaborator() -> ServiceError {
    ServiceError::refused_at(
        ErrorCode::NotACollaborator,
        "rootAccountId",
        msg!("err-you-are-not-collaborator-account"),
    )
}

/// A member that is gone is a membership that is not there; a database failure stays one.
fn gone_means_not_a_collaborator(err: ServiceError) -> ServiceError {
    match err {
        ServiceError::Refused(_) => not_a_collaborator(),
        other => other,
    }
}

/// The signed-in account's own root account: a sub-user has none and cannot collaborate
/// (SUB-03).
fn own_account_of(principal: &Principal) -> ServiceResult<i64> {
    principal.own_root_account().ok_or(ServiceError::Forbidden)
}

/// The membership of `own_account_id` in the root account numbered `root_number`; an
/// unknown or cancelled account answers the same as one it does not collaborate on.
async fn membership(
    conn: &impl ConnectionTrait,
    own_account_id: i64,
    root_number: &str,
) -> ServiceResult<Collaboration> {
    use entity::sub_users::{Column, Entity};
    let root = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(root_number.trim()))
        .one(conn)
        .await?
        .filter(|root| root.lifecycle != Lifecycle::Cancelled.as_str())
        .ok_or_else(not_a_collaborator)?;
    let member = Entity::find()
        .filter(Column::AccountId.eq(root.id))
        .filter(Column::CollaboratorAccountId.eq(own_account_id))
        .filter(Column::Kind.eq(MemberKind::Collaborator.as_str()))
        .one(conn)
        .await?
        .ok_or_else(not_a_collaborator)?;
    Ok(Collaboration { root, member })
}

/// `switchAccount`: into a root account as its collaborator, or back home.
pub struct SwitchRequest<'a> {
    /// The root account to act in; `None` returns to the collaborator's own account.
    pub root_account_number: Option<&'a str>,
    /// A device trusted earlier for this membership (MFA-06).
    pub device_token: Option<&'a str>,
}

/// COL-01, COL-02: a session acting in the root account as the collaborator's member
/// record, behind the root's login protection answered with the collaborator's own
/// second factor; or, with no root named, a session of the collaborator's own account.
/// The session the request came with ends once the new one opens.
pub async fn switch(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: SwitchRequest<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    let own_id = own_account_of(principal)?;
    let own = accounts::load(&ctx.db, own_id).await?;
    let Some(root_number) = request.root_account_number else {
        return switch_back(ctx, principal, &own, meta, now).await;
    };
    let Collaboration { root, member } = membership(&ctx.db, own_id, root_number).await?;
    let candidate = Candidate {
        account: root,
        sub_user_id: Some(member.id),
        method: None,
        checked_hash: None,
        switch: Some(Switch {
            own,
            from_session: principal.session_id,
        }),
    };
    sign_in::finish(ctx, meta, candidate, request.device_token, now).await
}

async fn switch_back(
    ctx: &AppContext,
    principal: &Principal,
    own: &entity::accounts::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<SignInOutcome> {
    if principal.collaborator_account_id.is_none() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "rootAccountId",
            msg!("err-session-already-acts-own-account"),
        ));
    }
    let root = accounts::load(&ctx.db, principal.account_id).await?;
    let txn = db::begin_write(&ctx.db).await?;
    let whom = sessions::SessionFor::principal(own.id, site_of(own)?, None);
    let session = sessions::open(&txn, ctx, whom, meta, now).await?;
    if !sessions::revoke(&txn, principal.session_id, now).await? {
        return Err(ServiceError::Unauthenticated);
    }
    audit::record_switch_login(&txn, own.id, None, &root.account_number, meta, now).await?;
    let home = AuditEntry {
        account_id: own.id,
        actor: own.account_number.clone(),
        action: "collaboration.switch_back",
        target_id: Some(format!("Account:{}", own.id)),
        detail: Some(root.account_number.clone()),
    };
    audit::record(&txn, home, meta, now).await?;
    let left = AuditEntry::by(principal, "collaborator.switch_out").target(format!(
        "SubUser:{}",
        principal.sub_user_id.unwrap_or_default()
    ));
    audit::record(&txn, left, meta, now).await?;
    txn.commit().await?;
    Ok(SignInOutcome::Session(session))
}

/// COL-01: what a switch into a root account leaves behind, in the transaction that
/// opens its session: the login history and audit log of both accounts, and the session
/// it replaces revoked.
pub(super) async fn record_switch_in(
    txn: &DatabaseTransaction,
    root: &entity::accounts::Model,
    member_id: i64,
    switch: &Switch,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    // The member may have been removed while the switch was checked: nothing opens then.
    db::lock_scope(txn, "access-keys", &principal_key(root.id, Some(member_id))).await?;
    members::owned(txn, root.id, member_id)
        .await
        .map_err(gone_means_not_a_collaborator)?;
    // The session asked for the switch: signed out meanwhile, it opens nothing.
    if !sessions::revoke(txn, switch.from_session, now).await? {
        return Err(ServiceError::Unauthenticated);
    }
    let own = &switch.own;
    audit::record_switch_login(
        txn,
        root.id,
        Some(member_id),
        &own.account_number,
        meta,
        now,
    )
    .await?;
    audit::record_switch_login(txn, own.id, None, &root.account_number, meta, now).await?;
    let in_root = AuditEntry {
        account_id: root.id,
        actor: super::actor(&root.account_number, Some(member_id)),
        action: "collaborator.switch_in",
        target_id: Some(format!("SubUser:{member_id}")),
        detail: Some(own.account_number.clone()),
    };
    audit::record(txn, in_root, meta, now).await?;
    let at_home = AuditEntry {
        account_id: own.id,
        actor: own.account_number.clone(),
        action: "collaboration.switch_in",
        target_id: None,
        detail: Some(root.account_number.clone()),
    };
    audit::record(txn, at_home, meta, now).await
}

/// `leaveCollaboration`: the collaborator leaves a root account on its own.
pub struct LeaveRequest<'a> {
    pub root_account_number: &'a str,
}

/// COL-03: the membership goes with everything hanging off it (its switched sessions
/// end at once, SUB-02 counts one fewer); the root account is told.
pub async fn leave(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: LeaveRequest<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let own_id = own_account_of(principal)?;
    let own = accounts::load(&ctx.db, own_id).await?;
    let found = membership(&ctx.db, own_id, request.root_account_number).await?;
    let txn = db::begin_write(&ctx.db).await?;
    let written = remove_membership(&txn, &found, &own, Departure::Left, meta, now).await?;
    let at_home = AuditEntry {
        account_id: own.id,
        actor: own.account_number.clone(),
        action: "collaboration.leave",
        target_id: None,
        detail: Some(found.root.account_number.clone()),
    };
    audit::record(&txn, at_home, meta, now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(())
}

/// COL-04: a cancelled account's memberships in other root accounts go, in the
/// transaction that erases it (CAN-03).
pub async fn remove_all_memberships(
    txn: &DatabaseTransaction,
    own: &entity::accounts::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let mut written = Written::default();
    for found in list(txn, own.id).await? {
        let notice = remove_membership(txn, &found, own, Departure::Cancelled, meta, now).await?;
        written.merge(notice);
    }
    Ok(written)
}

/// Why a collaborator is no longer a member.
#[derive(Clone, Copy)]
enum Departure {
    /// It left on its own (COL-03).
    Left,
    /// Its own account was cancelled (COL-04).
    Cancelled,
}

/// Removes one membership under the member's lock (a switch into it waits or finds it
/// gone), records it in the root's audit log and tells the root.
async fn remove_membership(
    txn: &DatabaseTransaction,
    found: &Collaboration,
    own: &entity::accounts::Model,
    departure: Departure,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<Written> {
    let (action, why) = match departure {
        Departure::Left => ("collaborator.left", msg!("collaborator-why-left")),
        Departure::Cancelled => ("collaborator.cancelled", msg!("collaborator-why-cancelled")),
    };
    let Collaboration { root, member } = found;
    db::lock_scope(txn, "members", &root.id.to_string()).await?;
    db::lock_scope(txn, "access-keys", &principal_key(root.id, Some(member.id))).await?;
    let member = members::owned(txn, root.id, member.id)
        .await
        .map_err(gone_means_not_a_collaborator)?;
    members::remove_everything_of(txn, &member).await?;
    let entry = AuditEntry {
        account_id: root.id,
        actor: own.account_number.clone(),
        action,
        target_id: Some(format!("SubUser:{}", member.id)),
        detail: Some(own.account_number.clone()),
    };
    audit::record(txn, entry, meta, now).await?;
    let notice = Notice::new(
        MessageCategory::Members,
        "COLLABORATOR_LEFT",
        msg!("notice-title-collaborator-no-longer-member"),
        msg!(
            "notice-body-collaborator-left",
            collaborator = &own.account_number,
            account = &root.account_number,
            why = why
        ),
    );
    notices::to_account(txn, root, &notice, &[], now).await
}
