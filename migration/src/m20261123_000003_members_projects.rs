//! Access keys, projects and project members.

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
                    .table(AccessKeys::Table)
                    .col(big_pk_auto(AccessKeys::Id))
                    .col(big_integer(AccessKeys::AccountId))
                    .col(big_integer_null(AccessKeys::SubUserId))
                    .col(string(AccessKeys::SecretId))
                    .col(string(AccessKeys::SecretHash))
                    .col(string(AccessKeys::Status))
                    .col(timestamp_with_time_zone(AccessKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(AccessKeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_keys_account_id")
                            .from(AccessKeys::Table, AccessKeys::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_keys_sub_user_id")
                            .from(AccessKeys::Table, AccessKeys::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_access_keys_secret_id")
                    .table(AccessKeys::Table)
                    .col(AccessKeys::SecretId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_keys_account_id")
                    .table(AccessKeys::Table)
                    .col(AccessKeys::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_keys_sub_user_id")
                    .table(AccessKeys::Table)
                    .col(AccessKeys::SubUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(big_pk_auto(Projects::Id))
                    .col(big_integer(Projects::AccountId))
                    .col(string(Projects::Name))
                    .col(string(Projects::NameKey))
                    .col(text_null(Projects::Description))
                    .col(string(Projects::Status))
                    .col(timestamp_with_time_zone(Projects::CreatedAt))
                    .col(timestamp_with_time_zone_null(Projects::DisabledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_projects_account_id")
                            .from(Projects::Table, Projects::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_projects_account_id_name_key")
                    .table(Projects::Table)
                    .col(Projects::AccountId)
                    .col(Projects::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProjectMembers::Table)
                    .col(big_pk_auto(ProjectMembers::Id))
                    .col(big_integer(ProjectMembers::ProjectId))
                    .col(big_integer(ProjectMembers::SubUserId))
                    .col(timestamp_with_time_zone(ProjectMembers::AddedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_members_project_id")
                            .from(ProjectMembers::Table, ProjectMembers::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_members_sub_user_id")
                            .from(ProjectMembers::Table, ProjectMembers::SubUserId)
                            .to(SubUsers::Table, SubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_project_members_project_id_sub_user_id")
                    .table(ProjectMembers::Table)
                    .col(ProjectMembers::ProjectId)
                    .col(ProjectMembers::SubUserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_members_sub_user_id")
                    .table(ProjectMembers::Table)
                    .col(ProjectMembers::SubUserId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Drops the tables in reverse creation order; their indexes and foreign keys go with them.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProjectMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Projects::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccessKeys::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AccessKeys {
    Table,
    Id,
    AccountId,
    SubUserId,
    SecretId,
    SecretHash,
    Status,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    AccountId,
    Name,
    NameKey,
    Description,
    Status,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    Id,
    ProjectId,
    SubUserId,
    AddedAt,
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
