//! A request's reads: a query's on one connection of the read pool, in one transaction begun
//! at its first read; anything else's on the shared pool, one statement per checkout.
//!
//! A statement checked out of the pool alone costs a second round trip to the database:
//! sqlx tests the connection with a `Sync` as it goes back. A query request's reads share
//! one checkout instead, so a console page costs one round trip per statement, plus its
//! `BEGIN`, plus the checkout's test, which also carries its `ROLLBACK`.
//!
//! Only query operations share: a mutation's writes commit on connections of their own, and
//! on SQLite a transaction reads one snapshot from its first read on, so a mutation's answer
//! read through a transaction opened before it wrote would not show the write.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};
use tokio::sync::OnceCell;

/// What a resolver reads through; cheap to clone (the request's loaders each hold one).
#[derive(Clone)]
pub struct Reads(Arc<Scope>);

enum Scope {
    /// Each statement on a connection of its own.
    Pool(DatabaseConnection),
    /// A query's reads: one transaction on a connection of `reads`, begun at the first.
    /// Writes (none are expected of a query) still go to `writes`: the transaction ends in
    /// a rollback.
    Query {
        reads: DatabaseConnection,
        writes: DatabaseConnection,
        transaction: OnceCell<DatabaseTransaction>,
    },
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match *self.0 {
            Scope::Pool(_) => "Reads::Pool",
            Scope::Query { .. } => "Reads::Query",
        })
    }
}

impl Reads {
    /// Every statement on a connection of its own (mutations, subscriptions).
    pub fn pooled(db: &DatabaseConnection) -> Self {
        Self(Arc::new(Scope::Pool(db.clone())))
    }

    /// A query's reads on one connection of `reads` (a pool apart from `writes`, so a
    /// resolver that reaches the shared pool while its request holds a read connection
    /// cannot wait on a pool that read connections have filled).
    pub fn for_query(reads: &DatabaseConnection, writes: &DatabaseConnection) -> Self {
        Self(Arc::new(Scope::Query {
            reads: reads.clone(),
            writes: writes.clone(),
            transaction: OnceCell::new(),
        }))
    }

    fn writes(&self) -> &DatabaseConnection {
        match &*self.0 {
            Scope::Pool(db) => db,
            Scope::Query { writes, .. } => writes,
        }
    }
}

/// Where a read statement runs.
enum Target<'a> {
    Pool(&'a DatabaseConnection),
    Transaction(&'a DatabaseTransaction),
}

impl Reads {
    async fn target(&self) -> Result<Target<'_>, DbErr> {
        match &*self.0 {
            Scope::Pool(db) => Ok(Target::Pool(db)),
            Scope::Query {
                reads, transaction, ..
            } => transaction
                .get_or_try_init(|| reads.begin())
                .await
                .map(Target::Transaction),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        self.writes().get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.writes().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.writes().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.target().await? {
            Target::Pool(db) => db.query_one_raw(stmt).await,
            Target::Transaction(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.target().await? {
            Target::Pool(db) => db.query_all_raw(stmt).await,
            Target::Transaction(txn) => txn.query_all_raw(stmt).await,
        }
    }
}
