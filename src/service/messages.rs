//! The message center (NTF-02, NTF-03): a principal's notices, read state, and the
//! categories the root chooses for each member.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    Select, Set, sea_query::Expr,
};

use super::{
    AppContext, ErrorCode, Page, Principal, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
    members, paging,
};
use crate::domain::{MessageCategory, member::MemberKind};

use entity::messages::{Column, Entity, Model};

/// Most messages one `markMessagesRead` names.
pub const MAX_MARKED: usize = 100;

/// NTF-02: a sub-user's own messages; for the root, the account's.
fn of_principal(principal: &Principal) -> Select<Entity> {
    let mine = Entity::find().filter(Column::AccountId.eq(principal.account_id));
    match principal.sub_user_id {
        None => mine.filter(Column::SubUserId.is_null()),
        Some(id) => mine.filter(Column::SubUserId.eq(id)),
    }
}

/// Which messages a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageFilter {
    pub unread_only: bool,
    pub category: Option<MessageCategory>,
}

/// One page of the principal's messages, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    filter: MessageFilter,
    before: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<Model>> {
    let mut query = of_principal(principal);
    if filter.unread_only {
        query = query.filter(Column::ReadAt.is_null());
    }
    if let Some(category) = filter.category {
        query = query.filter(Column::Category.eq(category.as_str()));
    }
    let keyset = paging::Keyset {
        id: Column::Id,
        order: paging::Order::NewestFirst,
        after: before,
        limit,
        total: super::paging::Total::Counted,
    };
    paging::keyset_page(conn, query, keyset).await
}

pub async fn unread_count(
    conn: &impl ConnectionTrait,
    principal: &Principal,
) -> ServiceResult<u64> {
    Ok(of_principal(principal)
        .filter(Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// The principal's messages among `ids` (others are not found).
pub async fn owned(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
) -> ServiceResult<Vec<Model>> {
    Ok(of_principal(principal)
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?)
}

/// Marks the named messages (or all) read; returns the unread count after.
pub async fn mark_read(
    ctx: &AppContext,
    principal: &Principal,
    ids: &[i64],
    all: bool,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    if !all && ids.is_empty() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "messageIds",
            msg!("err-name-messages-mark-read-set"),
        ));
    }
    if ids.len() > MAX_MARKED {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "messageIds",
            msg!("err-too-many-messages", max = MAX_MARKED),
        ));
    }
    if !all {
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        // Another principal's message is not found, and nothing is marked.
        if owned(&ctx.db, principal, &wanted).await?.len() != wanted.len() {
            return Err(ServiceError::not_found(msg!("not-found-message")));
        }
    }
    let mut update = Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(now))
        .filter(Column::AccountId.eq(principal.account_id))
        .filter(Column::ReadAt.is_null());
    update = match principal.sub_user_id {
        None => update.filter(Column::SubUserId.is_null()),
        Some(id) => update.filter(Column::SubUserId.eq(id)),
    };
    if !all {
        update = update.filter(Column::Id.is_in(ids.iter().copied()));
    }
    update.exec(&ctx.db).await?;
    unread_count(&ctx.db, principal).await
}

/// NTF-03: the root chooses the categories a sub-user or message recipient receives.
pub async fn set_categories(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: i64,
    categories: &[MessageCategory],
    now: DateTime<Utc>,
) -> ServiceResult<entity::sub_users::Model> {
    principal.require_root()?;
    let member = members::owned(&ctx.db, principal.account_id, sub_user_id).await?;
    if member.kind == MemberKind::Collaborator.as_str() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "subUserId",
            msg!("err-collaborator-hears-from-own-account"),
        ));
    }
    // Stored in the contract's order, once each.
    let chosen: Vec<&str> = MessageCategory::ALL
        .into_iter()
        .filter(|c| categories.contains(c))
        .map(MessageCategory::as_str)
        .collect();
    let txn = crate::db::begin_write(&ctx.db).await?;
    let mut active: entity::sub_users::ActiveModel = member.into();
    active.message_categories = Set(chosen.join(","));
    let member = active.update(&txn).await?;
    let entry = AuditEntry::by(principal, "member.set_message_categories")
        .target(format!("SubUser:{}", member.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(member)
}

/// The categories a member row receives, read fail-closed.
pub fn categories_of(
    member: &entity::sub_users::Model,
) -> Result<Vec<MessageCategory>, crate::domain::enums::UnknownStoredValue> {
    member
        .message_categories
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| MessageCategory::from_stored("sub_users.message_categories", c))
        .collect()
}
