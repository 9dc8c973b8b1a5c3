//! One-time codes sent by SMS or e-mail (code stored hashed).

use sea_orm::entity::prelude::*;

/// A row of `verification_codes`.
///
/// - Index (channel, target, created_at).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verification_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site: String,
    /// `SMS` | `EMAIL`.
    pub channel: String,
    /// Keyed hash of the normalised phone number or e-mail address (never the address).
    pub target: String,
    pub purpose: String,
    pub code_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub consumed_at: Option<DateTimeUtc>,
    pub failed_attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
