//! SMS and e-mail delivery. The sandbox writes an outbox table that ops and tests read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::PortError;
use crate::domain::CodeChannel;

/// One message to one target.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: CodeChannel,
    pub target: String,
    pub purpose: String,
    /// The verification code carried, if any.
    pub code: Option<String>,
    pub body: String,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends a verification code now: the person is waiting for it.
    async fn send(&self, message: Message, now: DateTime<Utc>) -> Result<(), PortError>;

    /// Delivers one outbox row (NTF-04); `idempotency_key` lets the provider drop a retry
    /// of a delivery it already made.
    async fn deliver(
        &self,
        message: Message,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;
}

/// RUNNING.md: an e-mail whose local part starts with `bounce` cannot be delivered.
pub const SANDBOX_BOUNCE_PREFIX: &str = "bounce";

fn bounces(message: &Message) -> bool {
    message.channel == CodeChannel::Email
        && message
            .target
            .split('@')
            .next()
            .is_some_and(|local| local.starts_with(SANDBOX_BOUNCE_PREFIX))
}

/// Delivers into `outbox_messages`.
#[derive(Debug, Clone)]
pub struct SandboxNotifier {
    db: DatabaseConnection,
}

impl SandboxNotifier {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Notifier for SandboxNotifier {
    async fn send(&self, message: Message, now: DateTime<Utc>) -> Result<(), PortError> {
        entity::outbox_messages::ActiveModel {
            channel: Set(message.channel.as_str().to_owned()),
            target: Set(message.target),
            purpose: Set(message.purpose),
            code: Set(message.code),
            body: Set(message.body),
            sent_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map(|_| ())
        .map_err(|e| PortError(e.to_string()))
    }

    async fn deliver(
        &self,
        message: Message,
        _idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        if bounces(&message) {
            return Err(PortError(
                "the mailbox does not exist (sandbox bounce)".into(),
            ));
        }
        self.send(message, now).await
    }
}
