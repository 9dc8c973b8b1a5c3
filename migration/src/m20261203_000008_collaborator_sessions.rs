//! Collaborators at work (COL-01..04): a session or a login challenge that acts in a root
//! account as a collaborator remembers the collaborator's own account, and a login event
//! of a switch names the other account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys: SQLite cannot add one to an existing table, and accounts are
        // never deleted (CAN-03 erases, the row stays).
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer_null(Sessions::CollaboratorAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_collaborator_account_id")
                    .table(Sessions::Table)
                    .col(Sessions::CollaboratorAccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .add_column(big_integer_null(LoginChallenges::CollaboratorAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .add_column(big_integer_null(LoginChallenges::ReplacesSessionId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginEvents::Table)
                    .add_column(string_null(LoginEvents::SwitchedAccountNumber))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginEvents::Table)
                    .drop_column(LoginEvents::SwitchedAccountNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .drop_column(LoginChallenges::ReplacesSessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .drop_column(LoginChallenges::CollaboratorAccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_sessions_collaborator_account_id")
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::CollaboratorAccountId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    CollaboratorAccountId,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    CollaboratorAccountId,
    ReplacesSessionId,
}

#[derive(DeriveIden)]
enum LoginEvents {
    Table,
    SwitchedAccountNumber,
}
