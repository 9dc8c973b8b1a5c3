//! Inventory of hardware MFA tokens (TOTP secret stored encrypted).

use sea_orm::entity::prelude::*;

/// A row of `hardware_tokens`.
///
/// - Unique (serial_number).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hardware_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub serial_number: String,
    #[sea_orm(column_type = "Text")]
    pub secret_enc: String,
    pub registered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
