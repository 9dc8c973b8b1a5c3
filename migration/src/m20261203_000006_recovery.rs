//! Recovery (REC): applications to get back in, the sub-user's forced password change,
//! and the waiting period of a secure phone whose release was asked for.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecoveryApplications::Table)
                    .col(big_pk_auto(RecoveryApplications::Id))
                    .col(string(RecoveryApplications::Site))
                    .col(string(RecoveryApplications::AccountNumber))
                    .col(big_integer_null(RecoveryApplications::AccountId))
                    .col(string(RecoveryApplications::SubjectKind))
                    .col(string(RecoveryApplications::SubjectNameHash))
                    .col(string(RecoveryApplications::IdentityHash))
                    .col(string_null(RecoveryApplications::LegalPersonNameHash))
                    .col(string_null(RecoveryApplications::NewLoginEmail))
                    .col(string_null(RecoveryApplications::NewSecurePhone))
                    .col(boolean(RecoveryApplications::RemoveMfaDevice).default(false))
                    .col(string(RecoveryApplications::State))
                    .col(string(RecoveryApplications::StatusTokenHash))
                    .col(timestamp_with_time_zone(RecoveryApplications::SubmittedAt))
                    .col(timestamp_with_time_zone_null(
                        RecoveryApplications::DecidedAt,
                    ))
                    .col(string_null(RecoveryApplications::RejectionReason))
                    .col(string_null(RecoveryApplications::PendingKey))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_applications_account_id")
                            .from(RecoveryApplications::Table, RecoveryApplications::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "uq_recovery_applications_status_token_hash",
                vec![RecoveryApplications::StatusTokenHash],
                true,
            ),
            (
                "uq_recovery_applications_pending_key",
                vec![RecoveryApplications::PendingKey],
                true,
            ),
            (
                "ix_recovery_applications_site_account_number",
                vec![
                    RecoveryApplications::Site,
                    RecoveryApplications::AccountNumber,
                    RecoveryApplications::SubmittedAt,
                ],
                false,
            ),
            (
                "ix_recovery_applications_state_id",
                vec![RecoveryApplications::State, RecoveryApplications::Id],
                false,
            ),
            (
                "ix_recovery_applications_account_id",
                vec![RecoveryApplications::AccountId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(RecoveryApplications::Table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SubUsers::Table)
                    .add_column(boolean(SubUsers::PasswordChangeRequired).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(boolean(Sessions::PasswordChangeOnly).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Accounts::SecurePhoneReleaseAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_secure_phone_release_at")
                    .table(Accounts::Table)
                    .col(Accounts::SecurePhoneReleaseAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_accounts_secure_phone_release_at")
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                Accounts::Table.into_iden(),
                Accounts::SecurePhoneReleaseAt.into_iden(),
            ),
            (
                Sessions::Table.into_iden(),
                Sessions::PasswordChangeOnly.into_iden(),
            ),
            (
                SubUsers::Table.into_iden(),
                SubUsers::PasswordChangeRequired.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(RecoveryApplications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RecoveryApplications {
    Table,
    Id,
    Site,
    AccountNumber,
    AccountId,
    SubjectKind,
    SubjectNameHash,
    IdentityHash,
    LegalPersonNameHash,
    NewLoginEmail,
    NewSecurePhone,
    RemoveMfaDevice,
    State,
    StatusTokenHash,
    SubmittedAt,
    DecidedAt,
    RejectionReason,
    PendingKey,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    SecurePhoneReleaseAt,
}

#[derive(DeriveIden)]
enum SubUsers {
    Table,
    PasswordChangeRequired,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    PasswordChangeOnly,
}
