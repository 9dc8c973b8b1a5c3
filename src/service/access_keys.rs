//! Access keys (SUB-05): at most two per principal, the secret shown once and kept only as
//! a hash; a sub-user manages its own keys, the root every key of its account (SUB-08).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::{
    AppContext, ErrorCode, Principal, RequestMeta, ServiceError, ServiceResult, accounts,
    audit::{self, AuditEntry},
    members, principal_key,
    second_factor::{SecondFactor, guard_own_operation},
};
use crate::domain::MessageCategory;
use crate::service::notices::{self, Notice};
use crate::{
    crypto, db,
    domain::member::{AccessKeyStatus, MemberKind},
};

use entity::access_keys::{ActiveModel, Column, Entity, Model};

/// 18 random bytes: a 24-character SecretId after its prefix.
const SECRET_ID_BYTES: usize = 18;
/// 30 random bytes (240 bits): a 40-character SecretKey.
const SECRET_KEY_BYTES: usize = 30;
const SECRET_ID_PREFIX: &str = "AKID";

/// A new key and its secret, which exists nowhere else once this is returned.
pub struct CreatedKey {
    pub key: Model,
    pub secret_key: String,
}

/// Whose keys a request is about: the root account (`None`) or one member.
async fn owner_for(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    requested: Option<i64>,
) -> ServiceResult<Option<i64>> {
    match (principal.sub_user_id, requested) {
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(other)) if own == other => Ok(Some(own)),
        (Some(_), Some(_)) => Err(ServiceError::Forbidden),
        (None, None) => Ok(None),
        (None, Some(sub_user_id)) => {
            let member = members::owned(conn, principal.account_id, sub_user_id).await?;
            // A collaborator holds keys in the root account like a sub-user (SUB-05).
            if member.kind == MemberKind::MessageRecipient.as_str() {
                return Err(ServiceError::refused_at(
                    ErrorCode::InvalidInput,
                    "subUserId",
                    msg!("err-only-sub-users-collaborators-root"),
                ));
            }
            Ok(Some(member.id))
        }
    }
}

/// SUB-05, MFA-07.
pub async fn create(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    sub_user_id: Option<i64>,
    factor: Option<&SecondFactor>,
    now: DateTime<Utc>,
) -> ServiceResult<CreatedKey> {
    let owner = owner_for(&ctx.db, principal, sub_user_id).await?;
    let account = accounts::load(&ctx.db, principal.account_id).await?;
    accounts::require_active(&account, msg!("err-cancelling-cannot-create-access-keys"))?;
    guard_own_operation(ctx, &account, principal, factor, now).await?;

    let limit = ctx.policies.for_site(principal.site).access_key_limit;
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_scope(&txn, "access-keys", &principal_key(account.id, owner)).await?;
    if let Some(id) = owner {
        // The sub-user may have been deleted since the check above.
        members::owned(&txn, account.id, id).await?;
    }
    let held = Entity::find()
        .filter(Column::AccountId.eq(account.id))
        .filter(match owner {
            Some(id) => Column::SubUserId.eq(id),
            None => Column::SubUserId.is_null(),
        })
        .count(&txn)
        .await?;
    if held >= u64::try_from(limit.max(0)).unwrap_or(0) {
        return Err(ServiceError::refused(
            ErrorCode::AccessKeyLimit,
            msg!("err-access-key-limit", limit = limit),
        ));
    }
    let secret_key = crypto::random_token(SECRET_KEY_BYTES);
    let key = ActiveModel {
        account_id: Set(account.id),
        sub_user_id: Set(owner),
        secret_id: Set(format!(
            "{SECRET_ID_PREFIX}{}",
            crypto::random_token(SECRET_ID_BYTES)
        )),
        secret_hash: Set(crypto::token_hash(&secret_key)),
        status: Set(AccessKeyStatus::Active.as_str().to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let entry =
        AuditEntry::by(principal, "access_key.create").target(format!("AccessKey:{}", key.id));
    audit::record(&txn, entry, meta, now).await?;
    let notice = Notice::new(
        MessageCategory::Security,
        "ACCESS_KEY_CREATED",
        msg!("notice-title-access-key-created"),
        msg!(
            "notice-body-access-key-created",
            key = &key.secret_id,
            actor = principal.actor()
        ),
    );
    let written = notices::to_account(&txn, &account, &notice, &[], now).await?;
    txn.commit().await?;
    written.dispatch(ctx, now).await;
    Ok(CreatedKey { key, secret_key })
}

/// A key the principal may manage: any key of the account for the root, its own for a
/// sub-user; anything else is "not found".
async fn manageable(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    key_id: i64,
) -> ServiceResult<Model> {
    let mut query = Entity::find_by_id(key_id).filter(Column::AccountId.eq(principal.account_id));
    if let Some(own) = principal.sub_user_id {
        query = query.filter(Column::SubUserId.eq(own));
    }
    query
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-access-key")))
}

/// SUB-05: disable or enable a key.
pub async fn set_status(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    key_id: i64,
    status: AccessKeyStatus,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    let txn = db::begin_write(&ctx.db).await?;
    let key = manageable(&txn, principal, key_id).await?;
    // SUB-06: the owner's key lock, which deleting a sub-user takes too.
    db::lock_scope(
        &txn,
        "access-keys",
        &principal_key(key.account_id, key.sub_user_id),
    )
    .await?;
    let mut row: ActiveModel = key.into();
    row.status = Set(status.as_str().to_owned());
    let key = row.update(&txn).await?;
    let entry = AuditEntry {
        detail: Some(status.as_str().to_owned()),
        ..AuditEntry::by(principal, "access_key.set_status").target(format!("AccessKey:{}", key.id))
    };
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(key)
}

/// SUB-05: delete a key.
pub async fn delete(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    key_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    let txn = db::begin_write(&ctx.db).await?;
    let key = manageable(&txn, principal, key_id).await?;
    Entity::delete_by_id(key.id).exec(&txn).await?;
    let entry =
        AuditEntry::by(principal, "access_key.delete").target(format!("AccessKey:{}", key.id));
    audit::record(&txn, entry, meta, now).await?;
    txn.commit().await?;
    Ok(key.id)
}
