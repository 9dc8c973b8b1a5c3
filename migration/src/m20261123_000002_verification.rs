//! Real-name verification, enterprise quotas and account standings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// DDL is transactional on both SQLite and PostgreSQL: apply all or nothing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Verifications::Table)
                    .col(big_pk_auto(Verifications::Id))
                    .col(big_integer(Verifications::AccountId))
                    .col(string(Verifications::SubjectKind))
                    .col(string(Verifications::Method))
                    .col(string(Verifications::ChangeType))
                    .col(string(Verifications::State))
                    .col(string(Verifications::Region))
                    .col(text(Verifications::SubjectNameEnc))
                    .col(string(Verifications::SubjectNameMasked))
                    .col(string(Verifications::IdentityHash))
                    .col(text(Verifications::IdentityEnc))
                    .col(string(Verifications::IdentityMasked))
                    .col(date_null(Verifications::BirthDate))
                    .col(string_null(Verifications::LegalPersonNameEnc))
                    .col(string_null(Verifications::LegalPersonIdHash))
                    .col(string_null(Verifications::LegalPersonIdEnc))
                    .col(boolean(Verifications::LegalPersonForeign).default(false))
                    .col(date_null(Verifications::LicenseIssuedOn))
                    .col(string_null(Verifications::BankAccountEnc))
                    .col(string_null(Verifications::ContactName))
                    .col(string_null(Verifications::ContactPhone))
                    .col(string_null(Verifications::RejectionReason))
                    .col(timestamp_with_time_zone(Verifications::SubmittedAt))
                    .col(timestamp_with_time_zone_null(Verifications::DecidedAt))
                    .col(timestamp_with_time_zone_null(Verifications::ExpiresAt))
                    .col(big_integer_null(Verifications::RemittanceAmountCents))
                    .col(integer_null(Verifications::RemittanceAttemptsLeft))
                    .col(big_integer_null(Verifications::RechargeAmountCents))
                    .col(timestamp_with_time_zone_null(Verifications::SupersededAt))
                    .col(big_integer_null(Verifications::PendingAccountId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_verifications_account_id")
                            .from(Verifications::Table, Verifications::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_verifications_account_id_id")
                    .table(Verifications::Table)
                    .col(Verifications::AccountId)
                    .col(Verifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_verifications_identity_hash_state")
                    .table(Verifications::Table)
                    .col(Verifications::IdentityHash)
                    .col(Verifications::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_verifications_pending_account_id")
                    .table(Verifications::Table)
                    .col(Verifications::PendingAccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EnterpriseQuotas::Table)
                    .col(big_pk_auto(EnterpriseQuotas::Id))
                    .col(string(EnterpriseQuotas::CreditCodeHash))
                    .col(integer(EnterpriseQuotas::Quota))
                    .col(timestamp_with_time_zone(EnterpriseQuotas::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_enterprise_quotas_credit_code_hash")
                    .table(EnterpriseQuotas::Table)
                    .col(EnterpriseQuotas::CreditCodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountStandings::Table)
                    .col(big_pk_auto(AccountStandings::Id))
                    .col(big_integer(AccountStandings::AccountId))
                    .col(big_integer(AccountStandings::CashBalanceCents).default(0i64))
                    .col(big_integer(AccountStandings::AmountOwedCents).default(0i64))
                    .col(boolean(AccountStandings::OverduePayment).default(false))
                    .col(integer(AccountStandings::Vouchers).default(0i32))
                    .col(integer(AccountStandings::ActiveResources).default(0i32))
                    .col(integer(AccountStandings::OpenOrders).default(0i32))
                    .col(integer(AccountStandings::PendingComplaints).default(0i32))
                    .col(timestamp_with_time_zone(AccountStandings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_standings_account_id")
                            .from(AccountStandings::Table, AccountStandings::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_account_standings_account_id")
                    .table(AccountStandings::Table)
                    .col(AccountStandings::AccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Drops the tables in reverse creation order; their indexes and foreign keys go with them.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountStandings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EnterpriseQuotas::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Verifications::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
    AccountId,
    SubjectKind,
    Method,
    ChangeType,
    State,
    Region,
    SubjectNameEnc,
    SubjectNameMasked,
    IdentityHash,
    IdentityEnc,
    IdentityMasked,
    BirthDate,
    LegalPersonNameEnc,
    LegalPersonIdHash,
    LegalPersonIdEnc,
    LegalPersonForeign,
    LicenseIssuedOn,
    BankAccountEnc,
    ContactName,
    ContactPhone,
    RejectionReason,
    SubmittedAt,
    DecidedAt,
    ExpiresAt,
    RemittanceAmountCents,
    RemittanceAttemptsLeft,
    RechargeAmountCents,
    SupersededAt,
    PendingAccountId,
}

#[derive(DeriveIden)]
enum EnterpriseQuotas {
    Table,
    Id,
    CreditCodeHash,
    Quota,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountStandings {
    Table,
    Id,
    AccountId,
    CashBalanceCents,
    AmountOwedCents,
    OverduePayment,
    Vouchers,
    ActiveResources,
    OpenOrders,
    PendingComplaints,
    UpdatedAt,
}

/// Created by an earlier migration; only the referenced columns.
#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}
