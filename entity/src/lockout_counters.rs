//! Failed password attempts per principal per day, and the resulting lock.

use sea_orm::entity::prelude::*;

/// A row of `lockout_counters`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE); none when the attempt
///   named no account (the key is then a keyed hash of the identifier typed).
/// - Unique (principal_key, day).
/// - Index (account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lockout_counters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: Option<i64>,
    /// `account:<id>`, `sub_user:<id>`, or `unknown:<keyed hash>` of an identifier that
    /// names no principal.
    pub principal_key: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub failures: i32,
    pub first_failure_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
