//! The audit log (ACC-12) and the login history (ACC-11): writing and keyset listing.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select, Set,
};

use super::{Page, Principal, RequestMeta, ServiceResult};
use crate::domain::LoginMethodKind;

/// One state-changing operation, as the audit log keeps it.
pub struct AuditEntry<'a> {
    pub account_id: i64,
    pub actor: String,
    pub action: &'a str,
    pub target_id: Option<String>,
    pub detail: Option<String>,
}

impl<'a> AuditEntry<'a> {
    /// An action by the signed-in principal on its own account.
    /// Its target is the account until `target` names another object.
    pub fn by(principal: &Principal, action: &'a str) -> Self {
        Self {
            account_id: principal.account_id,
            actor: principal.actor(),
            action,
            target_id: Some(format!("Account:{}", principal.account_id)),
            detail: None,
        }
    }

    pub fn target(mut self, target_id: impl Into<String>) -> Self {
        self.target_id = Some(target_id.into());
        self
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    entry: AuditEntry<'_>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    entity::audit_events::ActiveModel {
        account_id: Set(entry.account_id),
        actor: Set(entry.actor),
        action: Set(entry.action.to_owned()),
        target_id: Set(entry.target_id),
        detail: Set(entry.detail),
        client_address: Set(meta.client_address.clone()),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// One sign-in attempt, successful or not.
pub struct LoginAttempt<'a> {
    pub account_id: Option<i64>,
    pub sub_user_id: Option<i64>,
    pub method: Option<LoginMethodKind>,
    pub failure_reason: Option<&'a str>,
}

pub async fn record_login(
    conn: &impl ConnectionTrait,
    attempt: LoginAttempt<'_>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    insert_login_event(conn, attempt, None, meta, now).await
}

/// COL-01: a switch between accounts, in the login history of the account switched into
/// (or back to), naming the account it came from.
pub async fn record_switch_login(
    conn: &impl ConnectionTrait,
    account_id: i64,
    sub_user_id: Option<i64>,
    other_account_number: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let attempt = LoginAttempt {
        account_id: Some(account_id),
        sub_user_id,
        method: None,
        failure_reason: None,
    };
    insert_login_event(conn, attempt, Some(other_account_number), meta, now).await
}

async fn insert_login_event(
    conn: &impl ConnectionTrait,
    attempt: LoginAttempt<'_>,
    switched_account_number: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    entity::login_events::ActiveModel {
        account_id: Set(attempt.account_id),
        sub_user_id: Set(attempt.sub_user_id),
        at: Set(now),
        method: Set(attempt.method.map(|m| m.as_str().to_owned())),
        success: Set(attempt.failure_reason.is_none()),
        failure_reason: Set(attempt.failure_reason.map(str::to_owned)),
        client_address: Set(meta.client_address.clone()),
        user_agent: Set(meta.user_agent.clone()),
        switched_account_number: Set(switched_account_number.map(str::to_owned)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn login_history(
    conn: &impl ConnectionTrait,
    account_id: i64,
    before: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<entity::login_events::Model>> {
    use entity::login_events::{Column, Entity};
    let owned = Entity::find().filter(Column::AccountId.eq(account_id));
    newest_first(conn, owned, Column::Id, before, limit).await
}

pub async fn audit_log(
    conn: &impl ConnectionTrait,
    account_id: i64,
    before: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<entity::audit_events::Model>> {
    use entity::audit_events::{Column, Entity};
    let owned = Entity::find().filter(Column::AccountId.eq(account_id));
    newest_first(conn, owned, Column::Id, before, limit).await
}

/// One page of `query`, newest first by the `id` key, continuing below `before`; the
/// total counts the whole list.
pub async fn newest_first<E>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    id: E::Column,
    before: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let keyset = super::paging::Keyset {
        id,
        order: super::paging::Order::NewestFirst,
        after: before,
        limit,
        total: super::paging::Total::Counted,
    };
    super::paging::keyset_page(conn, query, keyset).await
}
