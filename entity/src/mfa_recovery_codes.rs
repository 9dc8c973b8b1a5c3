//! Single-use recovery codes of an MFA device (stored hashed).

use sea_orm::entity::prelude::*;

/// A row of `mfa_recovery_codes`.
///
/// - Foreign key `mfa_device_id` -> `mfa_devices.id` (ON DELETE CASCADE).
/// - Index (mfa_device_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mfa_device_id: i64,
    pub code_hash: String,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
