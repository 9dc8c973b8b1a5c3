//! What a resolver reads from the request: the app context, the principal, the client.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{DateTime, Utc};

use super::errors::{password_change_required, unauthenticated};
use crate::{
    domain::Site,
    i18n::Lang,
    reads::Reads,
    service::{AppContext, Principal, RequestMeta},
};

/// Per-request data the HTTP layer puts in: who is calling and from where.
#[derive(Debug, Clone, Default)]
pub struct RequestState {
    pub principal: Option<Principal>,
    /// The principal's root account as read at authentication (saves the page a query).
    pub account: Option<entity::accounts::Model>,
    /// The session as read at authentication (`viewer.session`, LOG-10).
    pub session: Option<entity::sessions::Model>,
    pub meta: RequestMeta,
}

/// How cookies are written: `Secure` in production.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

pub const SESSION_COOKIE: &str = "ac_session";

pub fn app<'a>(ctx: &Context<'a>) -> &'a Arc<AppContext> {
    ctx.data_unchecked::<Arc<AppContext>>()
}

/// What the request reads through: a query's reads share one connection (`crate::reads`).
pub fn reads<'a>(ctx: &Context<'a>) -> &'a Reads {
    ctx.data_unchecked::<Reads>()
}

pub fn state<'a>(ctx: &Context<'a>) -> &'a RequestState {
    ctx.data_unchecked::<RequestState>()
}

pub fn meta<'a>(ctx: &Context<'a>) -> &'a RequestMeta {
    &state(ctx).meta
}

/// The signed-in principal. A session that must change its password first (REC-02) is
/// refused everything but `changePassword` and `signOut`.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    let principal = principal_changing_password(ctx)?;
    if principal.password_change_only {
        return Err(password_change_required());
    }
    Ok(principal)
}

/// The signed-in principal, even one whose session may only change the password.
pub fn principal_changing_password<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    state(ctx).principal.as_ref().ok_or_else(unauthenticated)
}

/// The principal a session stands for, when it may do more than change its password.
pub fn principal_opt<'a>(ctx: &Context<'a>) -> async_graphql::Result<Option<&'a Principal>> {
    match state(ctx).principal.as_ref() {
        Some(principal) if principal.password_change_only => Err(password_change_required()),
        other => Ok(other),
    }
}

/// The language of this request's texts (issue 17): its `Accept-Language`, else the site of
/// the signed-in account, else English.
pub fn lang(ctx: &Context<'_>) -> Lang {
    let Some(state) = ctx.data_opt::<RequestState>() else {
        return Lang::En;
    };
    let site = match (&state.account, &state.principal) {
        (Some(account), _) => Site::parse(&account.site),
        (None, Some(principal)) => Some(principal.site),
        (None, None) => None,
    };
    Lang::resolve(state.meta.lang, site)
}

/// The clock's time: the only way resolvers learn what time it is.
pub fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    app(ctx).clock.now()
}

/// Hands the web client its session as an HttpOnly cookie.
pub fn set_session_cookie(ctx: &Context<'_>, token: &str, expires_at: DateTime<Utc>) {
    let secure = ctx.data_opt::<CookiePolicy>().is_some_and(|c| c.secure);
    let max_age = (expires_at - now(ctx)).num_seconds().max(0);
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    ctx.append_http_header(axum::http::header::SET_COOKIE, cookie);
}

pub fn clear_session_cookie(ctx: &Context<'_>) {
    let secure = ctx.data_opt::<CookiePolicy>().is_some_and(|c| c.secure);
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    );
    ctx.append_http_header(axum::http::header::SET_COOKIE, cookie);
}
