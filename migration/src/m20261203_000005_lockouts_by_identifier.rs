//! Failed sign-ins are counted per attempted identifier, whether or not it names an
//! account, so `lockout_counters.account_id` becomes optional. SQLite cannot drop a NOT
//! NULL constraint in place: the table is rebuilt there, with its rows and indexes.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            return rebuild_on_sqlite(manager).await;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(LockoutCounters::Table)
                    .modify_column(
                        ColumnDef::new(LockoutCounters::AccountId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    /// Counters of unknown identifiers cannot be kept with the constraint back in place.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM lockout_counters WHERE account_id IS NULL")
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table(LockoutCounters::Table)
                    .modify_column(
                        ColumnDef::new(LockoutCounters::AccountId)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }
}

async fn rebuild_on_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LockoutCountersRebuilt::Table)
                .col(big_pk_auto(LockoutCounters::Id))
                .col(big_integer_null(LockoutCounters::AccountId))
                .col(string(LockoutCounters::PrincipalKey))
                .col(string(LockoutCounters::Day))
                .col(integer(LockoutCounters::Failures).default(0i32))
                .col(timestamp_with_time_zone(LockoutCounters::FirstFailureAt))
                .col(timestamp_with_time_zone_null(LockoutCounters::LockedUntil))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_lockout_counters_account_id")
                        .from(LockoutCountersRebuilt::Table, LockoutCounters::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    db.execute_unprepared(
        "INSERT INTO lockout_counters_rebuilt \
         (id, account_id, principal_key, day, failures, first_failure_at, locked_until) \
         SELECT id, account_id, principal_key, day, failures, first_failure_at, locked_until \
         FROM lockout_counters",
    )
    .await?;
    db.execute_unprepared("DROP TABLE lockout_counters").await?;
    db.execute_unprepared("ALTER TABLE lockout_counters_rebuilt RENAME TO lockout_counters")
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_lockout_counters_principal_key_day")
                .table(LockoutCounters::Table)
                .col(LockoutCounters::PrincipalKey)
                .col(LockoutCounters::Day)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_lockout_counters_account_id")
                .table(LockoutCounters::Table)
                .col(LockoutCounters::AccountId)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum LockoutCounters {
    Table,
    Id,
    AccountId,
    PrincipalKey,
    Day,
    Failures,
    FirstFailureAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum LockoutCountersRebuilt {
    Table,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}
