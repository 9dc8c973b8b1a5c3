//! Real-name (identity) verification submissions of an account, personal or enterprise.

use sea_orm::entity::prelude::*;

/// A row of `verifications`.
///
/// - Foreign key `account_id` -> `accounts.id` (ON DELETE CASCADE).
/// - Index (account_id, id).
/// - Index (identity_hash, state).
/// - Unique (pending_account_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub subject_kind: String,
    pub method: String,
    pub change_type: String,
    pub state: String,
    pub region: String,
    #[sea_orm(column_type = "Text")]
    pub subject_name_enc: String,
    pub subject_name_masked: String,
    pub identity_hash: String,
    #[sea_orm(column_type = "Text")]
    pub identity_enc: String,
    pub identity_masked: String,
    pub birth_date: Option<Date>,
    pub legal_person_name_enc: Option<String>,
    pub legal_person_id_hash: Option<String>,
    pub legal_person_id_enc: Option<String>,
    pub legal_person_foreign: bool,
    pub license_issued_on: Option<Date>,
    pub bank_account_enc: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub remittance_amount_cents: Option<i64>,
    pub remittance_attempts_left: Option<i32>,
    pub recharge_amount_cents: Option<i64>,
    pub superseded_at: Option<DateTimeUtc>,
    /// Equals `account_id` while `state` is PENDING, else NULL (unique: one pending verification
    /// per account).
    #[sea_orm(unique)]
    pub pending_account_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
