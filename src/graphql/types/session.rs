//! The signed-in viewer, its session, and what sign-in hands out.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Object, SimpleObject};

use super::{
    account::Account,
    device::{Session, TrustedDevice},
    enums::MessageCategory,
    member::SubUser,
    message::Message,
};
use crate::{
    graphql::{
        connection::{Conn, connection, page_complexity, page_request},
        context,
        errors::top_level,
    },
    service::{
        ErrorCode, Principal, ServiceError, accounts, collaboration, devices, members,
        messages::{self, MessageFilter},
        sessions::OpenedSession,
        sign_in::challenges::IssuedChallenge,
    },
};

/// The signed-in principal.
pub struct Viewer(pub Principal);

/// The signed-in principal and the root account it acts in.
#[Object]
impl Viewer {
    /// The root account the session acts in (for a sub-user: its root account).
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        if let Some(account) = context::state(ctx)
            .account
            .as_ref()
            .filter(|a| a.id == self.0.account_id)
        {
            return Account::try_from(account.clone()).map_err(|e| top_level(e.into()));
        }
        let row = accounts::load(context::reads(ctx), self.0.account_id)
            .await
            .map_err(top_level)?;
        Account::try_from(row).map_err(|e| top_level(e.into()))
    }

    /// Set when a sub-user is signed in, or a collaborator acts in this root account
    /// (COL-01).
    async fn sub_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SubUser>> {
        let Some(id) = self.0.sub_user_id else {
            return Ok(None);
        };
        let row = members::owned(context::reads(ctx), self.0.account_id, id)
            .await
            .map_err(|err| match err {
                // Removed while this request was in flight (SUB-07, COL-03): its sessions
                // went with it, so this one has ended, not been given bad input.
                ServiceError::Refused(r) if r.code == ErrorCode::NotFound => {
                    top_level(ServiceError::Unauthenticated)
                }
                other => top_level(other),
            })?;
        SubUser::try_from(row)
            .map(Some)
            .map_err(|e| top_level(e.into()))
    }

    /// The signed-in principal's messages, newest first (NTF-02): a sub-user's own, the
    /// root's for the account.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "Some(false)")] unread_only: Option<bool>,
        category: Option<MessageCategory>,
    ) -> async_graphql::Result<Conn<Message>> {
        let request = page_request(first, after)?;
        let filter = MessageFilter {
            unread_only: unread_only.unwrap_or(false),
            category: category.map(Into::into),
        };
        let page = messages::list(
            context::reads(ctx),
            &self.0,
            filter,
            request.after_key,
            request.limit,
        )
        .await
        .map_err(top_level)?;
        connection(page, request, |m| m.id, Message::try_from)
    }

    async fn unread_message_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let count = messages::unread_count(context::reads(ctx), &self.0)
            .await
            .map_err(top_level)?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// The root accounts the signed-in account collaborates on (COL-01); empty for
    /// sub-users, and inside a root account switched into.
    async fn collaborations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Collaboration>> {
        if self.0.sub_user_id.is_some() {
            return Ok(Vec::new());
        }
        let found = collaboration::list(context::reads(ctx), self.0.account_id)
            .await
            .map_err(top_level)?;
        found
            .into_iter()
            .map(|c| {
                let since = c.member.created_at;
                let member = SubUser::try_from(c.member).map_err(|e| top_level(e.into()))?;
                Ok(Collaboration {
                    root_account_id: c.root.account_number,
                    root_nickname: c.root.nickname,
                    member: member.seen_by_collaborator(),
                    since: since.into(),
                })
            })
            .collect()
    }

    /// The session that sent this request.
    async fn session(&self, ctx: &Context<'_>) -> async_graphql::Result<Session> {
        let row = context::state(ctx)
            .session
            .clone()
            .filter(|s| s.id == self.0.session_id)
            .ok_or_else(|| top_level(ServiceError::Unauthenticated))?;
        Ok(Session::new(row, self.0.session_id))
    }

    /// The signed-in principal's live sessions, newest first (LOG-10).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Session>> {
        let request = page_request(first, after)?;
        let now = context::now(ctx);
        let db = context::reads(ctx);
        let page = devices::sessions(db, &self.0, request.after_key, request.limit, now)
            .await
            .map_err(top_level)?;
        let current = self.0.session_id;
        connection(
            page,
            request,
            |s| s.id,
            |row| Ok::<_, ServiceError>(Session::new(row, current)),
        )
    }

    /// Devices that skip login protection (MFA-06), newest first (LOG-10).
    async fn trusted_devices(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<TrustedDevice>> {
        let now = context::now(ctx);
        let rows = devices::trusted_devices(context::reads(ctx), &self.0, now)
            .await
            .map_err(top_level)?;
        Ok(rows.into_iter().map(TrustedDevice::from).collect())
    }
}

/// A root account the signed-in account works in as a collaborator (COL-01).
#[derive(SimpleObject)]
pub struct Collaboration {
    pub root_account_id: String,
    pub root_nickname: Option<String>,
    /// The collaborator's member record in that root account; the root account's objects
    /// under it are not reachable from here (switch in to see them).
    pub member: SubUser,
    pub since: Timestamp,
}

/// A new session's secret, handed out once.
#[derive(Debug, Clone, SimpleObject)]
pub struct SessionToken {
    /// Send as `Authorization: Bearer <token>`; the web client also receives it as an HttpOnly cookie.
    pub token: String,
    pub expires_at: Timestamp,
}

impl From<OpenedSession> for SessionToken {
    fn from(s: OpenedSession) -> Self {
        Self {
            token: s.token,
            expires_at: s.expires_at.into(),
        }
    }
}

/// Login protection asks for a second factor before the session is opened (MFA-06).
#[derive(Debug, Clone, SimpleObject)]
pub struct LoginChallenge {
    /// Pass to completeLoginChallenge; it expires at `expiresAt`.
    pub id: ID,
    /// The second factors this principal can use: MFA, SMS, EMAIL.
    pub methods: Vec<String>,
    pub expires_at: Timestamp,
}

impl From<IssuedChallenge> for LoginChallenge {
    fn from(c: IssuedChallenge) -> Self {
        Self {
            id: ID(c.token),
            methods: c.methods,
            expires_at: c.expires_at.into(),
        }
    }
}
