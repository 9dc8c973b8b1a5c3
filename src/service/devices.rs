//! Sessions and trusted devices the owner can see and end (LOG-10): a principal's live
//! sessions and the devices it trusted (MFA-06), listed newest first, ended one by one,
//! and each session's last use kept coarsely. Each use-case takes one request and `now`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Select,
    sea_query::{Expr, ExprTrait},
};

use super::{
    AppContext, ErrorCode, Page, Principal, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
    events::LiveEvent,
    paging::{Keyset, Order, keyset_page},
};
use crate::db;

/// How stale `last_used_at` may get before a request writes it again: the console page
/// costs no write while its session is in steady use.
pub const LAST_USE_GRANULARITY: Duration = Duration::seconds(60);

/// The principal's own sessions that still stand.
fn own_live_sessions(principal: &Principal, now: DateTime<Utc>) -> Condition {
    use entity::sessions::Column;
    let whose = match principal.sub_user_id {
        None => Column::SubUserId.is_null(),
        Some(id) => Column::SubUserId.eq(id),
    };
    Condition::all()
        .add(Column::AccountId.eq(principal.account_id))
        .add(whose)
        .add(Column::RevokedAt.is_null())
        .add(Column::ExpiresAt.gt(now))
}

fn live_sessions(principal: &Principal, now: DateTime<Utc>) -> Select<entity::sessions::Entity> {
    entity::sessions::Entity::find().filter(own_live_sessions(principal, now))
}

/// The devices the principal trusted that still skip its login protection.
fn own_live_devices(principal: &Principal, now: DateTime<Utc>) -> Condition {
    use entity::trusted_devices::Column;
    Condition::all()
        .add(Column::PrincipalKey.eq(principal.principal_key()))
        .add(Column::RevokedAt.is_null())
        .add(Column::ExpiresAt.gt(now))
}

fn live_devices(
    principal: &Principal,
    now: DateTime<Utc>,
) -> Select<entity::trusted_devices::Entity> {
    entity::trusted_devices::Entity::find().filter(own_live_devices(principal, now))
}

/// LOG-10: one page of the principal's live sessions, newest first.
pub async fn sessions(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    after: Option<i64>,
    limit: u64,
    now: DateTime<Utc>,
) -> ServiceResult<Page<entity::sessions::Model>> {
    let query = live_sessions(principal, now);
    let id = entity::sessions::Column::Id;
    let keyset = Keyset {
        id,
        order: Order::NewestFirst,
        after,
        limit,
        total: super::paging::Total::Counted,
    };
    keyset_page(conn, query, keyset).await
}

/// The principal's live sessions among `ids` (node lookups): nobody else's.
pub async fn owned_sessions(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<entity::sessions::Model>> {
    Ok(live_sessions(principal, now)
        .filter(entity::sessions::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?)
}

/// LOG-10: the devices the principal trusts, newest first.
pub async fn trusted_devices(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<entity::trusted_devices::Model>> {
    Ok(live_devices(principal, now)
        .order_by_desc(entity::trusted_devices::Column::Id)
        .all(conn)
        .await?)
}

/// The principal's live trusted devices among `ids` (node lookups).
pub async fn owned_devices(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<entity::trusted_devices::Model>> {
    Ok(live_devices(principal, now)
        .filter(entity::trusted_devices::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?)
}

/// `revokeSession`: one of the principal's sessions, possibly the current one.
pub struct RevokeSession {
    pub session_id: i64,
}

/// LOG-10: ends one of the principal's own sessions at once (its open subscriptions
/// close on every instance) and records it; another principal's session is not found.
/// Returns how many live sessions remain.
pub async fn revoke_session(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: RevokeSession,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    use entity::sessions::{Column, Entity};
    let txn = db::begin_write(&ctx.db).await?;
    let ended = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.eq(request.session_id))
        .filter(own_live_sessions(principal, now))
        .exec(&txn)
        .await?;
    if ended.rows_affected != 1 {
        return Err(ServiceError::refused_at(
            ErrorCode::NotFound,
            "sessionId",
            msg!("err-no-such-live-session-yours"),
        ));
    }
    let entry = AuditEntry::by(principal, "session.revoke")
        .target(format!("Session:{}", request.session_id));
    audit::record(&txn, entry, meta, now).await?;
    let remaining = live_sessions(principal, now).count(&txn).await?;
    txn.commit().await?;
    let event = LiveEvent::session_ended(principal.account_id, request.session_id);
    ctx.events.publish(&ctx.db, event).await;
    Ok(remaining)
}

/// `forgetTrustedDevice`: one of the principal's trusted devices.
pub struct ForgetDevice {
    pub device_id: i64,
}

/// LOG-10: the device's next sign-in asks for the second factor again (MFA-06).
pub async fn forget_device(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    request: ForgetDevice,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::trusted_devices::{Column, Entity};
    let txn = db::begin_write(&ctx.db).await?;
    let forgotten = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.eq(request.device_id))
        .filter(own_live_devices(principal, now))
        .exec(&txn)
        .await?;
    if forgotten.rows_affected != 1 {
        return Err(ServiceError::refused_at(
            ErrorCode::NotFound,
            "deviceId",
            msg!("err-no-such-trusted-device-yours"),
        ));
    }
    let entry = AuditEntry::by(principal, "trusted_device.forget")
        .target(format!("TrustedDevice:{}", request.device_id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(())
}

/// LOG-10: notes that a session was used, at most once per `LAST_USE_GRANULARITY`, so a
/// session in steady use costs no write per request.
pub async fn note_use(
    conn: &impl ConnectionTrait,
    session: &entity::sessions::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if !is_stale(session, now) {
        return Ok(());
    }
    note_use_of(conn, [session.id], now).await
}

/// Whether a session's last use is older than LOG-10's granularity (or never noted).
pub fn is_stale(session: &entity::sessions::Model, now: DateTime<Utc>) -> bool {
    session
        .last_used_at
        .is_none_or(|at| at <= now - LAST_USE_GRANULARITY)
}

/// Notes the use of these sessions; only rows still stale are written, so one of
/// several requests racing on a stale session writes.
pub async fn note_use_of(
    conn: &impl ConnectionTrait,
    session_ids: impl IntoIterator<Item = i64>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use entity::sessions::{Column, Entity};
    let stale_before = now - LAST_USE_GRANULARITY;
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.is_in(session_ids))
        .filter(
            Column::LastUsedAt
                .is_null()
                .or(Column::LastUsedAt.lte(stale_before)),
        )
        .exec(conn)
        .await?;
    Ok(())
}
