//! Account cancellation requests and their cooling-off state.

use sea_orm::entity::prelude::*;

/// A row of `cancellations`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Index (account_id, id).
/// - Unique (active_account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cancellations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// `COOLING_OFF` | `WITHDRAWN` | `COMPLETED`.
    pub state: String,
    pub requested_at: DateTimeUtc,
    pub cooling_off_ends_at: DateTimeUtc,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    /// Equals `account_id` while `state` is COOLING_OFF, else NULL (unique: one active cancellation
    /// per account).
    #[sea_orm(unique)]
    pub active_account_id: Option<i64>,
    /// CAN-07: the unmet preconditions (codes) the owner was last told of at the end of
    /// cooling-off; NULL while nothing delayed it.
    pub delayed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
