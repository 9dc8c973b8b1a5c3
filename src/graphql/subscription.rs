//! Live updates (NTF-06): the console's subscriptions over the WebSocket at `/graphql`.
//! Each runs for as long as its session lives (checked every few seconds, for all
//! subscriptions at once), and a session and a client may hold only so many at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
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
    events::{self, EventKind, LiveEvent},
    finders, messages,
};

/// How often the sessions live subscriptions hold are checked to still stand.
const SESSION_CHECK: Duration = Duration::from_secs(2);

/// What the WebSocket's connection brought: whom its session signs in, and from where.
/// Its subscriptions share it; the token itself is not kept (sessions are checked by ID).
pub struct LiveSession {
    pub principal: Principal,
    pub client_address: Option<String>,
}

/// Open subscriptions per session and per client address, and the one task that checks
/// their sessions for all of them.
pub struct LiveLimits {
    per_session: usize,
    per_client: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    /// Session ID → its account and its open subscriptions.
    sessions: HashMap<i64, (i64, usize)>,
    /// Client address → its open subscriptions.
    clients: HashMap<String, usize>,
    /// Whether the session check runs; it stops when no subscription is left.
    watching: bool,
}

impl LiveLimits {
    pub fn new(per_session: usize, per_client: usize) -> Self {
        Self {
            per_session,
            per_client,
            open: Mutex::new(Open::default()),
        }
    }

    /// A place for one more subscription, or why not; released when the guard drops.
    fn acquire(
        self: &Arc<Self>,
        live: &LiveSession,
        app: &Arc<AppContext>,
    ) -> Result<LiveGuard, String> {
        let Ok(mut open) = self.open.lock() else {
            return Err("the subscription registry is unavailable".into());
        };
        let session_id = live.principal.session_id;
        let limit = self.per_session;
        if open.sessions.get(&session_id).map_or(0, |(_, n)| *n) >= limit {
            return Err(format!("at most {limit} open subscriptions per session"));
        }
        if let Some(client) = &live.client_address {
            let limit = self.per_client;
            if open.clients.get(client).copied().unwrap_or(0) >= limit {
                return Err(format!("at most {limit} open subscriptions per client"));
            }
            *open.clients.entry(client.clone()).or_insert(0) += 1;
        }
        open.sessions
            .entry(session_id)
            .or_insert((live.principal.account_id, 0))
            .1 += 1;
        if !open.watching {
            open.watching = true;
            tokio::spawn(watch_sessions(Arc::downgrade(self), app.clone()));
        }
        crate::meters::subscription_opened();
        Ok(LiveGuard {
            limits: self.clone(),
            session_id,
            client: live.client_address.clone(),
        })
    }

    /// The sessions held (ID and account), or None, the check then stopped, when none is.
    fn held_sessions(&self) -> Option<Vec<(i64, i64)>> {
        let mut open = self.open.lock().ok()?;
        if open.sessions.is_empty() {
            open.watching = false;
            return None;
        }
        Some(
            open.sessions
                .iter()
                .map(|(session_id, (account_id, _))| (*session_id, *account_id))
                .collect(),
        )
    }
}

/// Every `SESSION_CHECK`, while any subscription is open: ends the subscriptions of the
/// sessions that no longer stand (signed out, revoked, expired, their account cancelled),
/// by an event to this instance's subscribers. One batched check for all of them: 10,000
/// subscriptions cost a few statements every 2 s, not 5,000 a second. An event missed by a
/// lagging subscriber is sent again at the next check, the session still being held.
async fn watch_sessions(limits: Weak<LiveLimits>, app: Arc<AppContext>) {
    let mut every = tokio::time::interval(SESSION_CHECK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once; the sessions were authenticated a moment ago.
    every.tick().await;
    loop {
        every.tick().await;
        let Some(held) = limits.upgrade().and_then(|limits| limits.held_sessions()) else {
            return;
        };
        let ids: Vec<i64> = held.iter().map(|(session_id, _)| *session_id).collect();
        let now = app.clock.now();
        let standing = match events::standing_sessions(&app, &ids, now).await {
            Ok(standing) => standing,
            Err(err) => {
                // Fail closed, as a request would: no session is known to stand.
                tracing::error!(error = %err, "live sessions check failed");
                Default::default()
            }
        };
        for (session_id, account_id) in held {
            if !standing.contains(&session_id) {
                app.events
                    .publish_local(LiveEvent::session_ended(account_id, session_id));
            }
        }
    }
}

struct LiveGuard {
    limits: Arc<LiveLimits>,
    session_id: i64,
    client: Option<String>,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        crate::meters::subscription_closed();
        if let Ok(mut open) = self.limits.open.lock() {
            if let Some((_, n)) = open.sessions.get_mut(&self.session_id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.sessions.remove(&self.session_id);
                }
            }
            if let Some(client) = &self.client
                && let Some(n) = open.clients.get_mut(client)
            {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.clients.remove(client);
                }
            }
        }
    }
}

/// One subscriber's loop state.
struct Feed {
    app: Arc<AppContext>,
    live: Arc<LiveSession>,
    events: broadcast::Receiver<LiveEvent>,
    _guard: LiveGuard,
}

impl Feed {
    /// The next event for this principal, or None once the session has ended.
    async fn next_event(&mut self) -> Option<EventKind> {
        loop {
            match self.events.recv().await {
                Ok(LiveEvent {
                    kind: EventKind::SessionEnded { session_id },
                    ..
                }) if session_id == self.live.principal.session_id => return None,
                Ok(event) if self.concerns(&event) => return Some(event.kind),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
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
        .data_opt::<Arc<LiveSession>>()
        .cloned()
        .ok_or_else(unauthenticated)?;
    if live.principal.password_change_only {
        return Err(super::errors::password_change_required());
    }
    let limits = ctx.data_unchecked::<Arc<LiveLimits>>();
    let app = context::app(ctx).clone();
    let guard = limits
        .acquire(&live, &app)
        .map_err(|message| top_level(ServiceError::BadInput(message)))?;
    Ok(Feed {
        events: app.events.subscribe(),
        app,
        live,
        _guard: guard,
    })
}

/// Runs a database lookup on the heap. A subscription's stream keeps its next-item future
/// for as long as it waits; a lookup awaited inline would make that future as large as the
/// query's (kilobytes), held by every idle subscriber.
async fn lookup<T>(query: impl Future<Output = T> + Send) -> T {
    Box::pin(query).await
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
                let found = lookup(messages::owned(
                    &feed.app.db,
                    &feed.live.principal,
                    &[message_id],
                ))
                .await;
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
                let found = lookup(finders::owned::<entity::verifications::Entity>(
                    &feed.app.db,
                    principal.account_id,
                    &[verification_id],
                ))
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
