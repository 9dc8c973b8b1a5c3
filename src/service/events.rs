//! Live events (NTF-06): what a signed-in console subscribes to. On PostgreSQL they travel
//! through `LISTEN/NOTIFY`, so an event caused on one instance reaches subscribers on every
//! instance; on SQLite (one process) through an in-process channel. Also the periodic check
//! that the sessions live subscribers hold still stand, batched for all of them.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, QueryFilter, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{AppContext, ServiceResult};

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "account_center_events";
/// Events a slow subscriber may lag behind before it misses some.
const BUFFER: usize = 1024;
/// Sessions one statement of the standing check asks about (well under the bound
/// parameters SQLite and PostgreSQL allow).
const SESSIONS_PER_STATEMENT: usize = 500;

/// Something a console may want to see at once: which principal it concerns and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub account_id: i64,
    /// None: the root account's; Some: one sub-user's.
    pub sub_user_id: Option<i64>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    MessageAdded {
        message_id: i64,
    },
    VerificationChanged {
        verification_id: i64,
    },
    /// LOG-10: a session was ended; its live subscriptions close at once.
    SessionEnded {
        session_id: i64,
    },
}

impl LiveEvent {
    pub fn session_ended(account_id: i64, session_id: i64) -> Self {
        Self {
            account_id,
            sub_user_id: None,
            kind: EventKind::SessionEnded { session_id },
        }
    }

    pub fn message(account_id: i64, sub_user_id: Option<i64>, message_id: i64) -> Self {
        Self {
            account_id,
            sub_user_id,
            kind: EventKind::MessageAdded { message_id },
        }
    }

    pub fn verification(account_id: i64, verification_id: i64) -> Self {
        Self {
            account_id,
            sub_user_id: None,
            kind: EventKind::VerificationChanged { verification_id },
        }
    }
}

/// Fans events out to this instance's subscribers.
pub struct EventBus {
    sender: broadcast::Sender<LiveEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// Publishes a committed change. On PostgreSQL every instance (this one included)
    /// hears it through its listener; a failure to publish is logged, never fatal: the
    /// message center still holds the message.
    pub async fn publish(&self, db: &DatabaseConnection, event: LiveEvent) {
        if db.get_database_backend() != DbBackend::Postgres {
            // No receiver is not an error: nobody is watching.
            let _ = self.sender.send(event);
            return;
        }
        let Ok(payload) = serde_json::to_string(&event) else {
            return;
        };
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(err) = db.execute_raw(notify).await {
            tracing::warn!(error = %err, "could not publish a live event");
        }
    }

    /// To this instance's subscribers only, for what this instance alone watches: the
    /// sessions its own subscribers hold (every instance checks its own).
    pub fn publish_local(&self, event: LiveEvent) {
        // No receiver is not an error: nobody is watching.
        let _ = self.sender.send(event);
    }

    /// On PostgreSQL: forwards every notification of `CHANNEL` to this instance's
    /// subscribers, reconnecting after a failure. Runs for the life of the server.
    pub async fn listen_postgres(&self, url: String) {
        use sea_orm::sqlx::postgres::PgListener;
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(err) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %err, "LISTEN failed");
                    } else {
                        loop {
                            match listener.recv().await {
                                Ok(note) => {
                                    if let Ok(event) = serde_json::from_str(note.payload()) {
                                        let _ = self.sender.send(event);
                                    }
                                }
                                Err(err) => {
                                    tracing::warn!(error = %err, "live events listener lost");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "live events listener cannot connect"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// NTF-06: which of `session_ids` still stand at `now`, decided as `sessions::authenticate`
/// decides for a request (not revoked, not expired, of an account that is not cancelled,
/// its stored values readable), but one statement per 500 sessions rather than one per
/// subscription every few seconds. As a request would (LOG-10), it notes the use of the
/// standing sessions whose last use is older than `LAST_USE_GRANULARITY`: an open console
/// is a session in use.
pub async fn standing_sessions(
    ctx: &AppContext,
    session_ids: &[i64],
    now: DateTime<Utc>,
) -> ServiceResult<HashSet<i64>> {
    let mut standing = HashSet::with_capacity(session_ids.len());
    for chunk in session_ids.chunks(SESSIONS_PER_STATEMENT) {
        let found = super::sessions::with_account()
            .filter(entity::sessions::Column::Id.is_in(chunk.iter().copied()))
            .all(&ctx.db)
            .await?;
        let mut stale = Vec::new();
        for (session, account) in found {
            let Some(account) = account else { continue };
            // An unknown stored value ends the session's subscriptions.
            match super::sessions::standing_site(&session, &account, now) {
                Ok(Some(_)) => {}
                Ok(None) => continue,
                Err(err) => {
                    tracing::error!(session = session.id, error = %err, "a live session's account is unreadable");
                    continue;
                }
            }
            standing.insert(session.id);
            if super::devices::is_stale(&session, now) {
                stale.push(session.id);
            }
        }
        if !stale.is_empty() {
            // A missed note of use is no reason to end a subscription.
            if let Err(err) = super::devices::note_use_of(&ctx.db, stale, now).await {
                tracing::warn!(error = %err, "could not note live sessions' use");
            }
        }
    }
    Ok(standing)
}
