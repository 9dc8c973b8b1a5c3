//! Principals under a root account: sub-users, collaborators and message recipients.

use sea_orm::entity::prelude::*;

/// A row of `sub_users`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Foreign key `collaborator_account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Unique (account_id, name_key).
/// - Index (collaborator_account_id).
/// - Index (account_id, kind, id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sub_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// `SUB_USER` | `COLLABORATOR` | `MESSAGE_RECIPIENT`.
    pub kind: String,
    pub name: String,
    /// Lower-cased `name`; for collaborators `collaborator:<account id>`.
    pub name_key: String,
    pub remark: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub console_login: bool,
    pub collaborator_account_id: Option<i64>,
    pub login_protection: bool,
    pub operation_protection: bool,
    pub created_at: DateTimeUtc,
    /// REC-02: the root reset the password and wants it changed at the next sign-in.
    pub password_change_required: bool,
    /// NTF-03: the categories of notice it receives, comma-separated (e.g. `SECURITY,MEMBERS`).
    pub message_categories: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
