//! Live updates (NTF-06): the console's subscriptions over the WebSocket at `/graphql`.
//! Each runs for as long as its session lives (checked every few seconds), and a session
//! and a client may hold only so many at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_graphql::futures_util::{Stream, stream};
use async_graphql::{Context, Subscription as GraphQLSubscription};
use tokio::sync::broadcast::{self, error::RecvError};

use super::{
    context,
    errors::{top_level, unauthenticated},
    types::{message::Message, verification::Verification},
};
use crate::service::{
    AppContext, Principal, ServiceError,
    events::{EventKind, LiveEvent},
    finders, messages, sessions,
};

/// How often a live subscription checks that its session still stands.
const SESSION_CHECK: Duration = Duration::from_secs(2);

/// What the WebSocket's connection brought: the session token and whom it signs in.
#[derive(Clone)]
pub struct LiveSession {
    pub token: String,
    pub principal: Principal,
    pub client_address: Option<String>,
}

/// Open subscriptions per session and per client address.
pub struct LiveLimits {
    per_session: usize,
    per_client: usize,
    open: Mutex<HashMap<String, usize>>,
}

impl LiveLimits {
    pub fn new(per_session: usize, per_client: usize) -> Self {
        Self {
            per_session,
            per_client,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one more subscription, or why not; released when the guard drops.
    fn acquire(self: &Arc<Self>, live: &LiveSession) -> Result<LiveGuard, String> {
        let mut keys = vec![(
            format!("session:{}", live.principal.session_id),
            self.per_session,
        )];
        if let Some(client) = &live.client_address {
            keys.push((format!("client:{client}"), self.per_client));
        }
        let Ok(mut open) = self.open.lock() else {
            return Err("the subscription registry is unavailable".into());
        };
        for (key, limit) in &keys {
            if open.get(key).copied().unwrap_or(0) >= *limit {
                return Err(format!(
                    "at most {limit} open subscriptions per {}",
                    key.split(':').next().unwrap_or("session")
                ));
            }
        }
        for (key, _) in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        crate::meters::subscription_opened();
        Ok(LiveGuard {
            limits: self.clone(),
            keys: keys.into_iter().map(|(k, _)| k).collect(),
        })
    }
}

struct LiveGuard {
    limits: Arc<LiveLimits>,
    keys: Vec<String>,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        crate::meters::subscription_closed();
        if let Ok(mut open) = self.limits.open.lock() {
            for key in &self.keys {
                if let Some(n) = open.get_mut(key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        open.remove(key);
                    }
                }
            }
        }
    }
}

/// One subscriber's loop state.
struct Feed {
    app: Arc<AppContext>,
    live: LiveSession,
    events: broadcast::Receiver<LiveEvent>,
    check: tokio::time::Interval,
    _guard: LiveGuard,
}

impl Feed {
    /// The next event for this principal, or None once the session has ended.
    async fn next_event(&mut self) -> Option<EventKind> {
        loop {
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(LiveEvent { kind: EventKind::SessionEnded { session_id }, .. })
                        if session_id == self.live.principal.session_id => return None,
                    Ok(event) if self.concerns(&event) => return Some(event.kind),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                },
                _ = self.check.tick() => {
                    let now = self.app.clock.now();
                    match sessions::authenticate(&self.app, &self.live.token, now).await {
                        Ok(Some(signed_in)) if signed_in.principal.session_id == self.live.principal.session_id => {}
                        _ => return None,
                    }
                }
            }
        }
    }

    fn concerns(&self, event: &LiveEvent) -> bool {
        let principal = &self.live.principal;
        event.account_id == principal.account_id
            && match event.kind {
                EventKind::MessageAdded { .. } => event.sub_user_id == principal.sub_user_id,
                // The verification page belongs to the root account.
                EventKind::VerificationChanged { .. } => principal.sub_user_id.is_none(),
                EventKind::SessionEnded { .. } => false,
            }
    }
}

fn open_feed(ctx: &Context<'_>) -> async_graphql::Result<Feed> {
    let live = ctx
        .data_opt::<LiveSession>()
        .cloned()
        .ok_or_else(unauthenticated)?;
    if live.principal.password_change_only {
        return Err(super::errors::password_change_required());
    }
    let limits = ctx.data_unchecked::<Arc<LiveLimits>>();
    let guard = limits
        .acquire(&live)
        .map_err(|message| top_level(ServiceError::BadInput(message)))?;
    let app = context::app(ctx).clone();
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Ok(Feed {
        events: app.events.subscribe(),
        app,
        live,
        check,
        _guard: guard,
    })
}

pub struct Subscription;

/// Live updates for a signed-in console over a WebSocket at /graphql (graphql-transport-ws), NTF-06.
#[GraphQLSubscription]
impl Subscription {
    /// New messages of the signed-in principal.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Message>> {
        let feed = open_feed(ctx)?;
        Ok(stream::unfold(feed, |mut feed| async move {
            loop {
                let EventKind::MessageAdded { message_id } = feed.next_event().await? else {
                    continue;
                };
                let found =
                    messages::owned(&feed.app.db, &feed.live.principal, &[message_id]).await;
                if let Some(message) = found
                    .ok()
                    .and_then(|rows| rows.into_iter().next())
                    .and_then(|row| Message::try_from(row).ok())
                {
                    return Some((message, feed));
                }
            }
        }))
    }

    /// Any change of the account's verification requests.
    async fn verification_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Verification>> {
        let feed = open_feed(ctx)?;
        Ok(stream::unfold(feed, |mut feed| async move {
            loop {
                let EventKind::VerificationChanged { verification_id } = feed.next_event().await?
                else {
                    continue;
                };
                let principal = &feed.live.principal;
                let interval = feed
                    .app
                    .policies
                    .for_site(principal.site)
                    .verification_change_interval;
                let found = finders::owned::<entity::verifications::Entity>(
                    &feed.app.db,
                    principal.account_id,
                    &[verification_id],
                )
                .await;
                if let Some(verification) = found
                    .ok()
                    .and_then(|rows| rows.into_iter().next())
                    .and_then(|row| Verification::new(row, interval).ok())
                {
                    return Some((verification, feed));
                }
            }
        }))
    }
}
