//! Lock rows (one per counted thing) taken with SELECT ... FOR UPDATE before counting.

use sea_orm::entity::prelude::*;

/// A row of `quota_locks`.
///
/// - Primary key (scope, lock_key); no `id` column.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_locks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub lock_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
