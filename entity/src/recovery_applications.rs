//! Recovery applications (REC-03): an owner who lost a way in asks an operator to change it.

use sea_orm::entity::prelude::*;

/// A row of `recovery_applications`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Unique (status_token_hash).
/// - Unique (pending_key).
/// - Index (site, account_number, submitted_at).
/// - Index (state, id).
/// - Index (account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site: String,
    /// The account ID as the applicant typed it (trimmed).
    pub account_number: String,
    /// The account it names; NULL when no account of the site has that ID.
    pub account_id: Option<i64>,
    pub subject_kind: String,
    /// Keyed hashes of the subject as given: nothing readable is kept.
    pub subject_name_hash: String,
    pub identity_hash: String,
    pub legal_person_name_hash: Option<String>,
    pub new_login_email: Option<String>,
    pub new_secure_phone: Option<String>,
    pub remove_mfa_device: bool,
    /// `PENDING` | `APPROVED` | `REJECTED`.
    pub state: String,
    #[sea_orm(unique)]
    pub status_token_hash: String,
    pub submitted_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    /// `site:account number` while PENDING, else NULL (unique: one pending per account).
    #[sea_orm(unique)]
    pub pending_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
