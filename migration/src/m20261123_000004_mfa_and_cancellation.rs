//! MFA devices and bindings, sign-in challenges, trusted devices and account cancellation.

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
                    .table(HardwareTokens::Table)
                    .col(big_pk_auto(HardwareTokens::Id))
                    .col(string(HardwareTokens::SerialNumber))
                    .col(text(HardwareTokens::SecretEnc))
                    .col(timestamp_with_time_zone(HardwareTokens::RegisteredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_hardware_tokens_serial_number")
                    .table(HardwareTokens::Table)
                    .col(HardwareTokens::SerialNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaDevices::Table)
                    .col(big_pk_auto(MfaDevices::Id))
                    .col(big_integer(MfaDevices::AccountId))
                    .col(big_integer_null(MfaDevices::SubUserId))
                    .col(string(MfaDevices::PrincipalKey))
                    .col(string(MfaDevices::Kind))
                    .col(big_integer_null(MfaDevices::HardwareTokenId))
                    .col(text(MfaDevices::SecretEnc))
                    .col(timestamp_with_time_zone(MfaDevices::BoundAt))
                    .col(timestamp_with_time_zone_null(MfaDevices::LastUsedAt))
                    .col(big_integer(MfaDevices::LastUsedStep).default(0i64))
                    .col(integer(MfaDevices::FailedAttempts).default(0i32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_devices_account_id")
                            .from(MfaDevices::Table, MfaDevices::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_devices_sub_user_id")
                            .from(MfaDevices::Table, MfaDevices::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_devices_hardware_token_id")
                            .from(MfaDevices::Table, MfaDevices::HardwareTokenId)
                            .to(HardwareTokens::Table, HardwareTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_mfa_devices_principal_key")
                    .table(MfaDevices::Table)
                    .col(MfaDevices::PrincipalKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_mfa_devices_hardware_token_id")
                    .table(MfaDevices::Table)
                    .col(MfaDevices::HardwareTokenId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_devices_account_id")
                    .table(MfaDevices::Table)
                    .col(MfaDevices::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_devices_sub_user_id")
                    .table(MfaDevices::Table)
                    .col(MfaDevices::SubUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaBindings::Table)
                    .col(big_pk_auto(MfaBindings::Id))
                    .col(big_integer(MfaBindings::AccountId))
                    .col(big_integer_null(MfaBindings::SubUserId))
                    .col(string(MfaBindings::PrincipalKey))
                    .col(text(MfaBindings::SecretEnc))
                    .col(timestamp_with_time_zone(MfaBindings::CreatedAt))
                    .col(timestamp_with_time_zone(MfaBindings::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MfaBindings::ConsumedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_bindings_account_id")
                            .from(MfaBindings::Table, MfaBindings::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_bindings_sub_user_id")
                            .from(MfaBindings::Table, MfaBindings::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_bindings_account_id")
                    .table(MfaBindings::Table)
                    .col(MfaBindings::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_bindings_sub_user_id")
                    .table(MfaBindings::Table)
                    .col(MfaBindings::SubUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_bindings_principal_key")
                    .table(MfaBindings::Table)
                    .col(MfaBindings::PrincipalKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(big_pk_auto(MfaRecoveryCodes::Id))
                    .col(big_integer(MfaRecoveryCodes::MfaDeviceId))
                    .col(string(MfaRecoveryCodes::CodeHash))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_recovery_codes_mfa_device_id")
                            .from(MfaRecoveryCodes::Table, MfaRecoveryCodes::MfaDeviceId)
                            .to(MfaDevices::Table, MfaDevices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_recovery_codes_mfa_device_id")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::MfaDeviceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginChallenges::Table)
                    .col(big_pk_auto(LoginChallenges::Id))
                    .col(big_integer(LoginChallenges::AccountId))
                    .col(big_integer_null(LoginChallenges::SubUserId))
                    .col(string(LoginChallenges::TokenHash))
                    .col(string(LoginChallenges::Methods))
                    .col(string_null(LoginChallenges::LoginMethod))
                    .col(string_null(LoginChallenges::ClientAddress))
                    .col(string_null(LoginChallenges::UserAgent))
                    .col(timestamp_with_time_zone(LoginChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(LoginChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(LoginChallenges::CompletedAt))
                    .col(integer(LoginChallenges::FailedAttempts).default(0i32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_login_challenges_account_id")
                            .from(LoginChallenges::Table, LoginChallenges::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_login_challenges_sub_user_id")
                            .from(LoginChallenges::Table, LoginChallenges::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_login_challenges_token_hash")
                    .table(LoginChallenges::Table)
                    .col(LoginChallenges::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_challenges_account_id")
                    .table(LoginChallenges::Table)
                    .col(LoginChallenges::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_challenges_sub_user_id")
                    .table(LoginChallenges::Table)
                    .col(LoginChallenges::SubUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrustedDevices::Table)
                    .col(big_pk_auto(TrustedDevices::Id))
                    .col(big_integer(TrustedDevices::AccountId))
                    .col(big_integer_null(TrustedDevices::SubUserId))
                    .col(string(TrustedDevices::PrincipalKey))
                    .col(string(TrustedDevices::TokenHash))
                    .col(timestamp_with_time_zone(TrustedDevices::CreatedAt))
                    .col(timestamp_with_time_zone(TrustedDevices::ExpiresAt))
                    .col(timestamp_with_time_zone_null(TrustedDevices::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_trusted_devices_account_id")
                            .from(TrustedDevices::Table, TrustedDevices::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_trusted_devices_sub_user_id")
                            .from(TrustedDevices::Table, TrustedDevices::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_trusted_devices_token_hash")
                    .table(TrustedDevices::Table)
                    .col(TrustedDevices::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trusted_devices_account_id")
                    .table(TrustedDevices::Table)
                    .col(TrustedDevices::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trusted_devices_sub_user_id")
                    .table(TrustedDevices::Table)
                    .col(TrustedDevices::SubUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trusted_devices_principal_key")
                    .table(TrustedDevices::Table)
                    .col(TrustedDevices::PrincipalKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Cancellations::Table)
                    .col(big_pk_auto(Cancellations::Id))
                    .col(big_integer(Cancellations::AccountId))
                    .col(string(Cancellations::State))
                    .col(timestamp_with_time_zone(Cancellations::RequestedAt))
                    .col(timestamp_with_time_zone(Cancellations::CoolingOffEndsAt))
                    .col(timestamp_with_time_zone_null(Cancellations::WithdrawnAt))
                    .col(timestamp_with_time_zone_null(Cancellations::CompletedAt))
                    .col(big_integer_null(Cancellations::ActiveAccountId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cancellations_account_id")
                            .from(Cancellations::Table, Cancellations::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cancellations_account_id_id")
                    .table(Cancellations::Table)
                    .col(Cancellations::AccountId)
                    .col(Cancellations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cancellations_active_account_id")
                    .table(Cancellations::Table)
                    .col(Cancellations::ActiveAccountId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Drops the tables in reverse creation order; their indexes and foreign keys go with them.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Cancellations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TrustedDevices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LoginChallenges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MfaRecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MfaBindings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MfaDevices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(HardwareTokens::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum HardwareTokens {
    Table,
    Id,
    SerialNumber,
    SecretEnc,
    RegisteredAt,
}

#[derive(DeriveIden)]
enum MfaDevices {
    Table,
    Id,
    AccountId,
    SubUserId,
    PrincipalKey,
    Kind,
    HardwareTokenId,
    SecretEnc,
    BoundAt,
    LastUsedAt,
    LastUsedStep,
    FailedAttempts,
}

#[derive(DeriveIden)]
enum MfaBindings {
    Table,
    Id,
    AccountId,
    SubUserId,
    PrincipalKey,
    SecretEnc,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    MfaDeviceId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    Id,
    AccountId,
    SubUserId,
    TokenHash,
    Methods,
    LoginMethod,
    ClientAddress,
    UserAgent,
    CreatedAt,
    ExpiresAt,
    CompletedAt,
    FailedAttempts,
}

#[derive(DeriveIden)]
enum TrustedDevices {
    Table,
    Id,
    AccountId,
    SubUserId,
    PrincipalKey,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Cancellations {
    Table,
    Id,
    AccountId,
    State,
    RequestedAt,
    CoolingOffEndsAt,
    WithdrawnAt,
    CompletedAt,
    ActiveAccountId,
}

/// Created by an earlier migration; only the referenced columns.
#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

/// Created by an earlier migration; only the referenced columns.
#[derive(DeriveIden)]
enum SubUsers {
    Table,
    Id,
}
