//! Per-enterprise quota of verified accounts, keyed by hashed unified credit code.

use sea_orm::entity::prelude::*;

/// A row of `enterprise_quotas`.
///
/// - Unique (credit_code_hash).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_quotas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub credit_code_hash: String,
    pub quota: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
