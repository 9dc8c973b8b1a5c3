//! The delivery outbox (NTF-04): one row per notice and target, written in the transaction
//! of the change it tells of, delivered after commit by whichever instance claims it.

use sea_orm::entity::prelude::*;

/// A row of `deliveries`.
///
/// - Unique (idempotency_key).
/// - Index (state, next_attempt_at).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account the notice is about (no foreign key: it outlives an erased account).
    pub account_id: Option<i64>,
    /// `SMS` | `EMAIL`.
    pub channel: String,
    pub target: String,
    pub purpose: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// `PENDING` | `SENT` | `FAILED`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Set while one instance delivers it; a crashed instance's claim expires.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// Sent to the gateway so that a retried delivery is not sent twice.
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
