//! Runs the migrations up, down and up again on an in-memory SQLite database and, when
//! `TEST_DATABASE_URL` points at a PostgreSQL server, on a fresh throw-away database there.
//! After each `up` it checks that every entity matches the schema and that the constraints the
//! services rely on (unique indexes, NULLs that do not collide, foreign keys) really hold.

use chrono::{DateTime, Utc};
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    Set, SqlErr, Statement,
};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Declares the list of tables once: a check that selects every column of every entity, and the
/// table names (module names are table names).
macro_rules! every_table {
    ($($table:ident),* $(,)?) => {
        async fn select_every_entity(db: &DatabaseConnection) -> Result<(), DbErr> {
            $( entity::$table::Entity::find().all(db).await?; )*
            Ok(())
        }

        const TABLES: &[&str] = &[$(stringify!($table)),*];
    };
}

every_table!(
    accounts,
    sub_users,
    login_methods,
    sessions,
    login_events,
    audit_events,
    lockout_counters,
    verification_codes,
    outbox_messages,
    rate_limit_buckets,
    recovery_applications,
    messages,
    deliveries,
    quota_locks,
    server_settings,
    scheduled_job_runs,
    verifications,
    enterprise_quotas,
    account_standings,
    access_keys,
    projects,
    project_members,
    hardware_tokens,
    mfa_devices,
    mfa_bindings,
    mfa_recovery_codes,
    login_challenges,
    trusted_devices,
    cancellations,
);

#[tokio::test]
async fn migrations_round_trip_on_sqlite() -> TestResult {
    let db = Database::connect("sqlite::memory:").await?;
    let result = round_trip(&db).await;
    db.close().await?;
    result
}

#[tokio::test]
async fn migrations_round_trip_on_postgres() -> TestResult {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!(
            "TEST_DATABASE_URL is not set: skipping the PostgreSQL half of the migration test"
        );
        return Ok(());
    };
    let admin = Database::connect(url.as_str()).await?;
    let name = format!("mig_{}", unique_suffix());
    admin
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("CREATE DATABASE \"{name}\""),
        ))
        .await?;

    let result = async {
        let db = Database::connect(with_database(&url, &name)).await?;
        let result = round_trip(&db).await;
        db.close().await?;
        result
    }
    .await;

    let dropped = admin
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("DROP DATABASE IF EXISTS \"{name}\""),
        ))
        .await;
    admin.close().await?;
    result?;
    dropped?;
    Ok(())
}

/// `up`, `down`, `up`, with the schema checked after each step.
async fn round_trip(db: &DatabaseConnection) -> TestResult {
    Migrator::up(db, None).await?;
    check_schema(db).await?;

    Migrator::down(db, None).await?;
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert!(!manager.has_table(*table).await?, "{table} survived `down`");
    }
    assert!(Migrator::get_applied_migrations(db).await?.is_empty());

    Migrator::up(db, None).await?;
    check_schema(db).await?;
    Ok(())
}

async fn check_schema(db: &DatabaseConnection) -> TestResult {
    assert!(Migrator::get_pending_migrations(db).await?.is_empty());
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert!(
            manager.has_table(*table).await?,
            "{table} missing after `up`"
        );
    }
    select_every_entity(db).await?;

    let now = at(1_795_420_800)?;
    let first = insert_account(db, "100000000001", now).await?;
    let second = insert_account(db, "100000000002", now).await?;
    let third = insert_account(db, "100000000003", now).await?;

    // Values survive the round trip through the database unchanged (timestamps included).
    let stored = entity::accounts::Entity::find_by_id(first.id)
        .one(db)
        .await?;
    assert_eq!(stored.as_ref(), Some(&first));

    // UNIQUE (site, kind, unique_identifier): the same e-mail cannot sign in to two accounts.
    let email = Some("user@example.com");
    insert_login_method(db, first.id, "EMAIL", "user@example.com", email, now).await?;
    let duplicate =
        insert_login_method(db, second.id, "EMAIL", "user@example.com", email, now).await;
    assert_unique_violation(duplicate)?;

    // ... while NULL unique identifiers (WECHAT) never collide.
    insert_login_method(db, first.id, "WECHAT", "wx-user", None, now).await?;
    insert_login_method(db, second.id, "WECHAT", "wx-user", None, now).await?;

    // UNIQUE (account_id, kind): one method of each kind per account.
    let again = insert_login_method(db, second.id, "WECHAT", "wx-other", None, now).await;
    assert_unique_violation(again)?;

    // Foreign keys are enforced (SQLite included) and cascade on delete.
    let orphan =
        insert_login_method(db, third.id + 1000, "QQ", "qq-user", Some("qq-user"), now).await;
    match orphan {
        Err(err) => assert!(
            matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ),
            "expected a foreign key violation, got {err}"
        ),
        Ok(model) => return Err(format!("orphan login method inserted: {model:?}").into()),
    }
    entity::accounts::Entity::delete_by_id(second.id)
        .exec(db)
        .await?;
    let left = entity::login_methods::Entity::find().all(db).await?;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|method| method.account_id == first.id));
    Ok(())
}

fn assert_unique_violation(result: Result<entity::login_methods::Model, DbErr>) -> TestResult {
    match result {
        Err(err) => {
            assert!(
                matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
                "expected a unique violation, got {err}"
            );
            Ok(())
        }
        Ok(model) => Err(format!("duplicate login method inserted: {model:?}").into()),
    }
}

async fn insert_account(
    db: &DatabaseConnection,
    account_number: &str,
    now: DateTime<Utc>,
) -> Result<entity::accounts::Model, DbErr> {
    entity::accounts::ActiveModel {
        account_number: Set(account_number.to_owned()),
        app_id: Set(format!("app-{account_number}")),
        site: Set("CN".to_owned()),
        nickname: Set(None),
        lifecycle: Set("ACTIVE".to_owned()),
        freeze_reasons: Set(String::new()),
        registration_method: Set("EMAIL".to_owned()),
        registered_at: Set(now),
        secure_phone: Set(Some("+8613800000000".to_owned())),
        security_email: Set(None),
        contact_phone: Set(None),
        contact_email: Set(Some("ops@example.com".to_owned())),
        password_hash: Set(None),
        login_protection: Set(false),
        operation_protection: Set(true),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

async fn insert_login_method(
    db: &DatabaseConnection,
    account_id: i64,
    kind: &str,
    identifier: &str,
    unique_identifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<entity::login_methods::Model, DbErr> {
    entity::login_methods::ActiveModel {
        account_id: Set(account_id),
        site: Set("CN".to_owned()),
        kind: Set(kind.to_owned()),
        identifier: Set(identifier.to_owned()),
        unique_identifier: Set(unique_identifier.map(str::to_owned)),
        is_registration_method: Set(false),
        bound_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

fn at(seconds: i64) -> TestResult<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| "timestamp out of range".into())
}

/// Distinct per process and per call, good enough for a throw-away database name.
#[allow(clippy::disallowed_methods)] // a name, not a time rule
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{}_{nanos:x}", std::process::id())
}

/// The same server URL with its database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}
