//! `accounts.member_count`: how many sub-users an account has, kept by the database itself
//! (triggers on `sub_users`), so the members page's total is read with its account instead
//! of counted row by row on every page.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counter follows every row in and out of `sub_users`, whichever statement (or
/// cascade) moves it; a statement on `sub_users` that updates an account's row locks it,
/// as member creation does already.
const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE accounts ADD COLUMN member_count bigint NOT NULL DEFAULT 0 \
     CONSTRAINT ck_accounts_member_count CHECK (member_count >= 0)",
    "UPDATE accounts SET member_count = \
     (SELECT COUNT(*) FROM sub_users WHERE sub_users.account_id = accounts.id)",
    "CREATE FUNCTION count_members() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
         IF TG_OP <> 'DELETE' THEN
             UPDATE accounts SET member_count = member_count + 1 WHERE id = NEW.account_id;
         END IF;
         IF TG_OP <> 'INSERT' THEN
             UPDATE accounts SET member_count = member_count - 1 WHERE id = OLD.account_id;
         END IF;
         RETURN NULL;
     END $$",
    "CREATE TRIGGER sub_users_counted AFTER INSERT OR DELETE ON sub_users \
     FOR EACH ROW EXECUTE FUNCTION count_members()",
    "CREATE TRIGGER sub_users_moved AFTER UPDATE OF account_id ON sub_users \
     FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id) \
     EXECUTE FUNCTION count_members()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER sub_users_moved ON sub_users",
    "DROP TRIGGER sub_users_counted ON sub_users",
    "DROP FUNCTION count_members()",
    "ALTER TABLE accounts DROP COLUMN member_count",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE accounts ADD COLUMN member_count integer NOT NULL DEFAULT 0 \
     CONSTRAINT ck_accounts_member_count CHECK (member_count >= 0)",
    "UPDATE accounts SET member_count = \
     (SELECT COUNT(*) FROM sub_users WHERE sub_users.account_id = accounts.id)",
    "CREATE TRIGGER sub_users_counted_in AFTER INSERT ON sub_users BEGIN \
     UPDATE accounts SET member_count = member_count + 1 WHERE id = NEW.account_id; END",
    "CREATE TRIGGER sub_users_counted_out AFTER DELETE ON sub_users BEGIN \
     UPDATE accounts SET member_count = member_count - 1 WHERE id = OLD.account_id; END",
    "CREATE TRIGGER sub_users_moved AFTER UPDATE OF account_id ON sub_users \
     WHEN OLD.account_id IS NOT NEW.account_id BEGIN \
     UPDATE accounts SET member_count = member_count - 1 WHERE id = OLD.account_id; \
     UPDATE accounts SET member_count = member_count + 1 WHERE id = NEW.account_id; END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER sub_users_moved",
    "DROP TRIGGER sub_users_counted_out",
    "DROP TRIGGER sub_users_counted_in",
    "ALTER TABLE accounts DROP COLUMN member_count",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        run(manager, statements).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}
