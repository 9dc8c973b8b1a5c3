//! Notices (NTF): the message center, the delivery outbox written in the change's own
//! transaction, the categories each member receives, and what a delayed cancellation was
//! told (CAN-07).

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
                    .table(Messages::Table)
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::AccountId))
                    .col(big_integer_null(Messages::SubUserId))
                    .col(string(Messages::Category))
                    .col(string(Messages::Title))
                    .col(text(Messages::Body))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone_null(Messages::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_account_id")
                            .from(Messages::Table, Messages::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_sub_user_id")
                            .from(Messages::Table, Messages::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_account_id_sub_user_id_id")
                    .table(Messages::Table)
                    .col(Messages::AccountId)
                    .col(Messages::SubUserId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_sub_user_id")
                    .table(Messages::Table)
                    .col(Messages::SubUserId)
                    .to_owned(),
            )
            .await?;
        // No foreign key: a notice outlives the account it tells of (CAN-04 erases it).
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(big_pk_auto(Deliveries::Id))
                    .col(big_integer_null(Deliveries::AccountId))
                    .col(string(Deliveries::Channel))
                    .col(string(Deliveries::Target))
                    .col(string(Deliveries::Purpose))
                    .col(text(Deliveries::Body))
                    .col(string(Deliveries::State))
                    .col(integer(Deliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(Deliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Deliveries::ClaimedUntil))
                    .col(timestamp_with_time_zone_null(Deliveries::LastAttemptAt))
                    .col(string_null(Deliveries::LastError))
                    .col(string(Deliveries::IdempotencyKey))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_deliveries_idempotency_key")
                    .table(Deliveries::Table)
                    .col(Deliveries::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_state_next_attempt_at")
                    .table(Deliveries::Table)
                    .col(Deliveries::State)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SubUsers::Table)
                    .add_column(string(SubUsers::MessageCategories).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cancellations::Table)
                    .add_column(string_null(Cancellations::DelayedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cancellations::Table)
                    .drop_column(Cancellations::DelayedBy)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SubUsers::Table)
                    .drop_column(SubUsers::MessageCategories)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    AccountId,
    SubUserId,
    Category,
    Title,
    Body,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    AccountId,
    Channel,
    Target,
    Purpose,
    Body,
    State,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastAttemptAt,
    LastError,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Cancellations {
    Table,
    DelayedBy,
}

#[derive(DeriveIden)]
enum SubUsers {
    Table,
    Id,
    MessageCategories,
}
