//! Sign-in methods (e-mail and external identities) bound to an account.

use sea_orm::entity::prelude::*;

/// A row of `login_methods`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Unique (account_id, kind).
/// - Unique (site, kind, unique_identifier).
/// - Index (site, kind, identifier).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_methods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub site: String,
    pub kind: String,
    /// Normalized e-mail address or external user id.
    pub identifier: String,
    /// `identifier` for EMAIL, QQ, WECOM and WECHAT_OFFICIAL_ACCOUNT; NULL for WECHAT (NULLs never
    /// collide in the unique index).
    pub unique_identifier: Option<String>,
    pub is_registration_method: bool,
    pub bound_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
