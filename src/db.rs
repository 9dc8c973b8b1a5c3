//! Database connection, migrations, write transactions and the row locks that hold quotas.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, SqlErr,
    TransactionOptions, TransactionTrait,
    sea_query::{OnConflict, Query},
};

/// How many SQL statements the pool has run: the cost the console pages are measured by
/// (a test asserts a fixed count per page; the ops API reports it to the benchmark).
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The pools a server reads and writes through, their statements counted together.
#[derive(Debug, Clone)]
pub struct Pools {
    /// Writes, and reads outside a query's read scope.
    pub db: DatabaseConnection,
    /// The connections query requests read through, one each (`reads::Reads`).
    pub reads: DatabaseConnection,
    pub statements: StatementCounter,
}

/// Opens the pools and counts their statements. SQLite runs in WAL mode with a busy timeout
/// so readers never block the single writer and writers queue instead of failing. An
/// in-memory SQLite database lives in its pool, so there both are one pool.
pub async fn connect_counted(url: &str, max_connections: u32) -> Result<Pools, DbErr> {
    let counter = StatementCounter::default();
    let mut db = connect(url, max_connections).await?;
    count_statements(&mut db, &counter);
    let reads = if is_in_memory(url) {
        db.clone()
    } else {
        let mut reads = connect(url, max_connections).await?;
        count_statements(&mut reads, &counter);
        reads
    };
    Ok(Pools {
        db,
        reads,
        statements: counter,
    })
}

fn is_in_memory(url: &str) -> bool {
    url.starts_with("sqlite:") && (url.contains(":memory:") || url.contains("mode=memory"))
}

fn count_statements(db: &mut DatabaseConnection, counter: &StatementCounter) {
    let inner = counter.0.clone();
    let system = match db.get_database_backend() {
        DbBackend::Postgres => "postgresql",
        _ => "sqlite",
    };
    db.set_metric_callback(move |info| {
        inner.fetch_add(1, Ordering::Relaxed);
        crate::meters::RequestStatements::count_current();
        crate::meters::statement(info.elapsed, info.failed);
        if crate::telemetry::traces_enabled() {
            statement_span(system, info);
        }
    });
}

/// A span for one statement that has run: its SQL with placeholders, never the values.
/// The pool reports a statement once it is done, so the span carries its duration as
/// `db.duration_ms` rather than spanning it.
fn statement_span(system: &'static str, info: &sea_orm::metric::Info<'_>) {
    let sql = info.statement.sql.as_str();
    let operation = sql.split_whitespace().next().unwrap_or_default();
    #[allow(clippy::cast_possible_truncation)]
    let span = tracing::info_span!(
        target: crate::telemetry::SQL_TARGET,
        "db.statement",
        otel.name = %format_args!("{system} {operation}"),
        db.system = system,
        db.statement = sql,
        db.duration_ms = info.elapsed.as_secs_f64() * 1000.0,
        error = info.failed,
    );
    drop(span);
}

/// Opens the pool. SQLite runs in WAL mode with a busy timeout so readers never block the
/// single writer and writers queue instead of failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let create_if_missing = url.starts_with("sqlite:")
        && !url
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|p| p.starts_with("mode=")));
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        // A burst queues for a connection rather than failing: SQLite serialises its
        // writers anyway, and the request timeout (30 s) still bounds the wait.
        .acquire_timeout(Duration::from_secs(20))
        // A ping on every checkout is a round trip per statement; only connections idle
        // long enough to have been dropped are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false)
        // Every statement here finds rows by key, so its plan does not depend on the values.
        // Left to choose, PostgreSQL replans a statement with an `IN` list of a hundred IDs
        // on every execution (its generic plan is estimated dearer), which cost more than
        // running it: a third of the database's work on the console page.
        .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]))
        .map_sqlx_sqlite_opts(move |o| {
            // A URL that names no `mode` creates its file, as `?mode=rwc` does; an explicit
            // `mode=ro`/`rw` is kept.
            let o = if create_if_missing {
                o.create_if_missing(true)
            } else {
                o
            };
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                // Writers queue behind the one writer for as long as a request may
                // last; a burst starved of CPU must not fail with "database is locked".
                .busy_timeout(Duration::from_secs(25))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN
/// IMMEDIATE`, so a read-then-write sequence cannot be overtaken by another writer; on
/// PostgreSQL the counted rows are locked with `lock_scope`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Serialises every transaction that counts or changes the things under `scope`/`key`
/// (e.g. the accounts on one secure phone) until the transaction ends.
pub async fn lock_scope(txn: &DatabaseTransaction, scope: &str, key: &str) -> Result<(), DbErr> {
    use entity::quota_locks::{Column, Entity};
    let insert = Query::insert()
        .into_table(Entity)
        .columns([Column::Scope, Column::LockKey])
        .values([scope.into(), key.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([Column::Scope, Column::LockKey])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        Entity::find()
            .filter(Column::Scope.eq(scope))
            .filter(Column::LockKey.eq(key))
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}

/// True when the error is a unique-index violation (a lost race or a taken name).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when the database is reachable (readiness).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
