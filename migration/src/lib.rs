//! Database migrations for SQLite and PostgreSQL.
//!
//! One migration set serves both backends: tables are built with sea-query, and foreign keys
//! are declared inside `CREATE TABLE` (SQLite cannot add constraints to an existing table).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts_and_sign_in;
mod m20261123_000002_verification;
mod m20261123_000003_members_projects;
mod m20261123_000004_mfa_and_cancellation;
mod m20261203_000005_lockouts_by_identifier;
mod m20261203_000006_recovery;
mod m20261203_000007_notices;
mod m20261203_000008_collaborator_sessions;
mod m20261203_000009_session_activity;
mod m20261204_000010_member_counts;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts_and_sign_in::Migration),
            Box::new(m20261123_000002_verification::Migration),
            Box::new(m20261123_000003_members_projects::Migration),
            Box::new(m20261123_000004_mfa_and_cancellation::Migration),
            Box::new(m20261203_000005_lockouts_by_identifier::Migration),
            Box::new(m20261203_000006_recovery::Migration),
            Box::new(m20261203_000007_notices::Migration),
            Box::new(m20261203_000008_collaborator_sessions::Migration),
            Box::new(m20261203_000009_session_activity::Migration),
            Box::new(m20261204_000010_member_counts::Migration),
        ]
    }
}
