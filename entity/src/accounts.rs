//! Root accounts (one per registered customer), with lifecycle, freeze and security settings.

use sea_orm::entity::prelude::*;

/// A row of `accounts`.
///
/// - Unique (account_number).
/// - Unique (app_id).
/// - Index (site, secure_phone).
/// - Check (member_count >= 0).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Numeric account ID shown in the console.
    #[sea_orm(unique)]
    pub account_number: String,
    #[sea_orm(unique)]
    pub app_id: String,
    pub site: String,
    pub nickname: Option<String>,
    /// `ACTIVE` | `CANCELLING` | `CANCELLED`.
    pub lifecycle: String,
    /// Comma-separated sorted set of freeze reasons; `""` when not frozen.
    pub freeze_reasons: String,
    pub registration_method: String,
    pub registered_at: DateTimeUtc,
    pub secure_phone: Option<String>,
    pub security_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub password_hash: Option<String>,
    pub login_protection: bool,
    pub operation_protection: bool,
    pub cancelled_at: Option<DateTimeUtc>,
    /// REC-06: when the secure phone is released unless the owner keeps it (indexed).
    pub secure_phone_release_at: Option<DateTimeUtc>,
    /// Rows of `sub_users` of this account, kept by triggers on `sub_users` (never written
    /// by the application).
    pub member_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
