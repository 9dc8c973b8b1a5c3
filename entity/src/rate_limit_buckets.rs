//! Fixed-window rate-limit counters, one row per bucket key and window.

use sea_orm::entity::prelude::*;

/// A row of `rate_limit_buckets`.
///
/// - Unique (bucket_key, window_start).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limit_buckets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bucket_key: String,
    pub window_start: DateTimeUtc,
    pub hits: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
