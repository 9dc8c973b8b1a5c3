//! Sessions (LOG-09): random tokens stored hashed, with an expiry; revocation.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set, sea_query::Expr,
};

use super::{AppContext, Principal, RequestMeta, ServiceResult};
use crate::{
    crypto,
    domain::{Lifecycle, Site},
};

const TOKEN_BYTES: usize = 32;

/// A session just opened: the token exists only here and in the client's hands.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// REC-02: a sub-user whose password the root reset must change it before anything else.
    pub password_change_required: bool,
}

/// Who a new session acts as: a root account, one of its sub-users, or a collaborator
/// switched in as its member (COL-01).
#[derive(Debug, Clone, Copy)]
pub struct SessionFor {
    pub account_id: i64,
    pub site: Site,
    pub sub_user_id: Option<i64>,
    pub collaborator_account_id: Option<i64>,
}

impl SessionFor {
    pub fn principal(account_id: i64, site: Site, sub_user_id: Option<i64>) -> Self {
        Self {
            account_id,
            site,
            sub_user_id,
            collaborator_account_id: None,
        }
    }
}

pub async fn open(
    conn: &impl ConnectionTrait,
    ctx: &AppContext,
    whom: SessionFor,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ServiceResult<OpenedSession> {
    let SessionFor {
        account_id,
        site,
        sub_user_id,
        collaborator_account_id,
    } = whom;
    let token = crypto::random_token(TOKEN_BYTES);
    let password_change_only = match sub_user_id {
        Some(id) => entity::sub_users::Entity::find_by_id(id)
            .one(conn)
            .await?
            .is_some_and(|member| member.password_change_required),
        None => false,
    };
    // Microseconds, as every backend stores them: the client sees the expiry `viewer` shows.
    let expires_at = (now + ctx.policies.for_site(site).session_ttl).trunc_subsecs(6);
    entity::sessions::ActiveModel {
        token_hash: Set(crypto::token_hash(&token)),
        account_id: Set(account_id),
        sub_user_id: Set(sub_user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        client_address: Set(meta.client_address.clone()),
        user_agent: Set(meta.user_agent.clone()),
        password_change_only: Set(password_change_only),
        collaborator_account_id: Set(collaborator_account_id),
        last_used_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(OpenedSession {
        token,
        expires_at,
        password_change_required: password_change_only,
    })
}

/// Whom a token stands for, with the rows authentication read.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    /// The root account the session acts in.
    pub account: entity::accounts::Model,
    pub session: entity::sessions::Model,
}

/// Sessions with their root account rows.
pub fn with_account() -> sea_orm::SelectTwo<entity::sessions::Entity, entity::accounts::Entity> {
    use entity::{accounts, sessions};
    let owner = sessions::Entity::belongs_to(accounts::Entity)
        .from(sessions::Column::AccountId)
        .to(accounts::Column::Id)
        .into();
    sessions::Entity::find()
        .select_also(accounts::Entity)
        .join(JoinType::InnerJoin, owner)
}

/// Whether a session still stands: not revoked, not expired, its account not cancelled.
/// Its account's site when it does. Read fail-closed: an unknown stored value is an
/// error, never an active account.
pub fn standing_site(
    session: &entity::sessions::Model,
    account: &entity::accounts::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Site>> {
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(None);
    }
    let lifecycle = Lifecycle::from_stored("accounts.lifecycle", &account.lifecycle)?;
    let site = Site::from_stored("accounts.site", &account.site)?;
    Ok((lifecycle != Lifecycle::Cancelled).then_some(site))
}

/// The principal a bearer token or cookie stands for, with its root account row (one
/// statement, and a second at most once a minute to note the session's use, LOG-10);
/// `None` when the session is unknown, expired, revoked, or its account can no longer
/// sign in.
pub async fn authenticate(
    ctx: &AppContext,
    reads: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<SignedIn>> {
    let found = with_account()
        .filter(entity::sessions::Column::TokenHash.eq(crypto::token_hash(token)))
        .one(reads)
        .await?;
    let Some((session, Some(account))) = found else {
        return Ok(None);
    };
    let Some(site) = standing_site(&session, &account, now)? else {
        return Ok(None);
    };
    let principal = Principal {
        account_id: account.id,
        account_number: account.account_number.clone(),
        site,
        sub_user_id: session.sub_user_id,
        session_id: session.id,
        session_expires_at: session.expires_at,
        password_change_only: session.password_change_only,
        collaborator_account_id: session.collaborator_account_id,
    };
    // A missed note of use is no reason to refuse the request.
    if let Err(err) = super::devices::note_use(&ctx.db, &session, now).await {
        tracing::warn!(error = %err, "could not note a session's use");
    }
    Ok(Some(SignedIn {
        principal,
        account,
        session,
    }))
}

/// REC-02: the password is changed; the session may do everything again.
pub async fn lift_password_change_only(
    conn: &impl ConnectionTrait,
    session_id: i64,
) -> ServiceResult<()> {
    use entity::sessions::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::PasswordChangeOnly, Expr::value(false))
        .filter(Column::Id.eq(session_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes one session; false when it had already ended (revoked or expired).
pub async fn revoke(
    conn: &impl ConnectionTrait,
    session_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    use entity::sessions::{Column, Entity};
    let ended = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.eq(session_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(ended.rows_affected == 1)
}

/// Revokes every live session of one principal (the root's own sessions when
/// `sub_user_id` is None, with the sessions it switched into other root accounts as a
/// collaborator, COL-01), except `keep`, and voids its half-finished sign-ins: a login
/// challenge answered after a password reset must not open a session either.
pub async fn revoke_principal_sessions(
    conn: &impl ConnectionTrait,
    account_id: i64,
    sub_user_id: Option<i64>,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    use entity::sessions::{Column, Entity};
    {
        use entity::login_challenges::{Column, Entity};
        let pending = Entity::update_many()
            .col_expr(Column::CompletedAt, Expr::value(now))
            .filter(Column::AccountId.eq(account_id))
            .filter(Column::CompletedAt.is_null());
        match sub_user_id {
            None => pending.filter(Column::SubUserId.is_null()),
            Some(id) => pending.filter(Column::SubUserId.eq(id)),
        }
        .exec(conn)
        .await?;
        if sub_user_id.is_none() {
            Entity::update_many()
                .col_expr(Column::CompletedAt, Expr::value(now))
                .filter(Column::CollaboratorAccountId.eq(account_id))
                .filter(Column::CompletedAt.is_null())
                .exec(conn)
                .await?;
        }
    }
    let mut switched = 0;
    if sub_user_id.is_none() {
        let mut update = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now))
            .filter(Column::CollaboratorAccountId.eq(account_id))
            .filter(Column::RevokedAt.is_null());
        if let Some(keep) = keep {
            update = update.filter(Column::Id.ne(keep));
        }
        switched = update.exec(conn).await?.rows_affected;
    }
    let mut update = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::RevokedAt.is_null());
    update = match sub_user_id {
        None => update.filter(Column::SubUserId.is_null()),
        Some(id) => update.filter(Column::SubUserId.eq(id)),
    };
    if let Some(keep) = keep {
        update = update.filter(Column::Id.ne(keep));
    }
    Ok(update.exec(conn).await?.rows_affected + switched)
}
