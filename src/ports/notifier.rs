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
    async fn send(&self, message: Message, now: DateTime<Utc>) -> Result<(), PortError>;
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
}
