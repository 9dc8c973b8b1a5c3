//! Prometheus metrics (issue 18): the names, their label values kept few, the recorder and
//! the scrape. Every metric is listed with its meaning in the README ("Operations").
//!
//! The recorder is process-wide (the `metrics` facade); one is installed on the first
//! `handle()` and every app in the process (tests run many) reports to it.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use async_graphql::parser::types::OperationType;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

pub const REQUESTS: &str = "graphql_requests_total";
pub const REQUEST_DURATION: &str = "graphql_request_duration_seconds";
pub const REQUEST_STATEMENTS: &str = "graphql_request_sql_statements";
pub const ERRORS: &str = "graphql_errors_total";
pub const USER_ERRORS: &str = "graphql_user_errors_total";
pub const OPEN_SUBSCRIPTIONS: &str = "graphql_open_subscriptions";
pub const STATEMENTS: &str = "db_statements_total";
pub const STATEMENT_FAILURES: &str = "db_statement_failures_total";
pub const STATEMENT_DURATION: &str = "db_statement_duration_seconds";
pub const POOL_SIZE: &str = "db_pool_connections";
pub const POOL_IN_USE: &str = "db_pool_connections_in_use";
pub const POOL_MAX: &str = "db_pool_connections_max";
pub const POOL_WAIT: &str = "db_pool_acquire_wait_seconds";
pub const RATE_LIMIT_REFUSALS: &str = "rate_limit_refusals_total";
pub const SCHEDULER_RUNS: &str = "scheduler_runs_total";
pub const SCHEDULER_RUN_DURATION: &str = "scheduler_run_duration_seconds";
pub const SCHEDULER_ITEMS: &str = "scheduler_job_items_total";
pub const SCHEDULER_CLAIMS: &str = "scheduler_claims_total";
pub const OUTBOX_BACKLOG: &str = "outbox_backlog";
pub const OUTBOX_FAILED: &str = "outbox_failed";
pub const OUTBOX_ATTEMPTS: &str = "outbox_delivery_attempts_total";

/// Request latencies: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// One statement: 0.1 ms to 1 s.
const STATEMENT_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// Statements one request ran.
const COUNT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// Distinct operation names kept as labels; later ones are counted as "other".
pub const MAX_OPERATIONS: usize = 200;
const MAX_OPERATION_LEN: usize = 64;

/// The process's recorder, installed once; its handle renders the scrape.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = [
                (REQUEST_DURATION, LATENCY_BUCKETS),
                (SCHEDULER_RUN_DURATION, LATENCY_BUCKETS),
                (POOL_WAIT, STATEMENT_BUCKETS),
                (STATEMENT_DURATION, STATEMENT_BUCKETS),
                (REQUEST_STATEMENTS, COUNT_BUCKETS),
            ]
            .into_iter()
            .fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
                builder
                    .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                    .unwrap_or_else(|_| PrometheusBuilder::new())
            });
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was installed already; /metrics stays empty");
            }
            describe();
            // Present from the first scrape, before any subscription opens.
            gauge!(OPEN_SUBSCRIPTIONS).set(0.0);
            // The recorder's histograms grow until upkeep drains them; scrapes may be rare.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let upkeep = handle.clone();
                runtime.spawn(async move {
                    let mut every = tokio::time::interval(Duration::from_secs(5));
                    loop {
                        every.tick().await;
                        upkeep.run_upkeep();
                    }
                });
            }
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "GraphQL requests by operation name and type");
    describe_histogram!(REQUEST_DURATION, "GraphQL request latency in seconds");
    describe_histogram!(REQUEST_STATEMENTS, "SQL statements one GraphQL request ran");
    describe_counter!(ERRORS, "Top-level GraphQL errors by extensions.code");
    describe_counter!(USER_ERRORS, "Mutation userErrors by code");
    describe_gauge!(OPEN_SUBSCRIPTIONS, "Open GraphQL subscriptions");
    describe_counter!(STATEMENTS, "SQL statements run by the pool");
    describe_counter!(STATEMENT_FAILURES, "SQL statements that failed");
    describe_histogram!(STATEMENT_DURATION, "Time of one SQL statement in seconds");
    describe_gauge!(POOL_SIZE, "Open database connections");
    describe_gauge!(POOL_IN_USE, "Database connections checked out");
    describe_gauge!(POOL_MAX, "Largest size allowed of each database pool");
    describe_histogram!(
        POOL_WAIT,
        "Seconds a scrape-time probe waited to check out a connection"
    );
    describe_counter!(RATE_LIMIT_REFUSALS, "Requests refused by a rate limit");
    describe_counter!(SCHEDULER_RUNS, "Runs of the scheduled jobs by result");
    describe_histogram!(SCHEDULER_RUN_DURATION, "Seconds one scheduled run took");
    describe_counter!(
        SCHEDULER_ITEMS,
        "Items the scheduled jobs processed, by job"
    );
    describe_counter!(
        SCHEDULER_CLAIMS,
        "Scheduled claims won or lost to another run"
    );
    describe_gauge!(OUTBOX_BACKLOG, "Deliveries waiting in the outbox");
    describe_gauge!(OUTBOX_FAILED, "Deliveries given up for good");
    describe_counter!(OUTBOX_ATTEMPTS, "Delivery attempts by outcome");
}

/// The operation-name label: names as the spec allows them, up to `MAX_OPERATIONS`
/// distinct ones; anything else is "other" (names are client-chosen).
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let valid = !name.is_empty()
        && name.len() <= MAX_OPERATION_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return "other".to_owned();
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "other".to_owned();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATIONS {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

pub fn operation_type_label(ty: Option<OperationType>) -> &'static str {
    match ty {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// An error code as a label: codes are ours (SCREAMING_CASE), anything else is "other".
fn code_label(code: &str) -> String {
    if !code.is_empty()
        && code.len() <= MAX_OPERATION_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        code.to_owned()
    } else {
        "other".to_owned()
    }
}

/// What one GraphQL request was, for its metrics and its log line.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The label (see `operation_label`).
    pub label: String,
    pub ty: &'static str,
    /// None until the document is known.
    pub kind: Option<OperationType>,
}

impl Operation {
    /// A request refused before its document was known.
    pub fn unknown() -> Self {
        Self {
            label: "unknown".to_owned(),
            ty: "unknown",
            kind: None,
        }
    }

    /// A query: its reads may share one connection (`crate::reads`).
    pub fn is_query(&self) -> bool {
        self.kind == Some(OperationType::Query)
    }

    /// The operation `request` runs: its name (or the document's only operation's) and
    /// type. Parses the document unless it was parsed already (the limits parse it, after
    /// counting its tokens).
    pub fn of(request: &mut async_graphql::Request) -> Self {
        let wanted = request.operation_name.clone();
        let Ok(doc) = request.parsed_query() else {
            return Self::unknown();
        };
        let found = doc
            .operations
            .iter()
            .find(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted.as_deref());
        match found {
            Some((name, op)) => Self {
                label: operation_label(name.map(|n| n.as_str())),
                ty: operation_type_label(Some(op.node.ty)),
                kind: Some(op.node.ty),
            },
            None => Self {
                label: operation_label(wanted.as_deref()),
                ty: "unknown",
                kind: None,
            },
        }
    }
}

/// Records one finished GraphQL request.
pub fn record_request(
    api: &'static str,
    operation: &Operation,
    elapsed: Duration,
    statements: u64,
    errors: &[async_graphql::ServerError],
) {
    let labels = [
        ("api", api.to_owned()),
        ("operation", operation.label.clone()),
        ("type", operation.ty.to_owned()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
    #[allow(clippy::cast_precision_loss)]
    histogram!(REQUEST_STATEMENTS, &labels).record(statements as f64);
    for error in errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|code| match code {
                async_graphql::Value::String(s) => code_label(s),
                async_graphql::Value::Enum(s) => code_label(s.as_str()),
                _ => "other".to_owned(),
            })
            .unwrap_or_else(|| "none".to_owned());
        counter!(ERRORS, "api" => api, "code" => code).increment(1);
    }
}

pub fn user_error(code: &str) {
    counter!(USER_ERRORS, "code" => code_label(code)).increment(1);
}

pub fn rate_limit_refused(limit: &'static str) {
    counter!(RATE_LIMIT_REFUSALS, "limit" => limit).increment(1);
}

pub fn subscription_opened() {
    gauge!(OPEN_SUBSCRIPTIONS).increment(1.0);
}

pub fn subscription_closed() {
    gauge!(OPEN_SUBSCRIPTIONS).decrement(1.0);
}

pub fn statement(elapsed: Duration, failed: bool) {
    counter!(STATEMENTS).increment(1);
    if failed {
        counter!(STATEMENT_FAILURES).increment(1);
    }
    histogram!(STATEMENT_DURATION).record(elapsed.as_secs_f64());
}

/// `job` claimed an item (`won`) or found another run had (`lost`).
pub fn claim(job: &'static str, won: bool) {
    counter!(SCHEDULER_CLAIMS, "job" => job, "outcome" => if won { "won" } else { "lost" })
        .increment(1);
}

/// One delivery attempt: "sent", "retry" (failed, tried again later) or "failed" (given up).
pub fn delivery_attempt(outcome: &'static str) {
    counter!(OUTBOX_ATTEMPTS, "outcome" => outcome).increment(1);
}

/// One run of the scheduled jobs.
pub fn scheduler_run(elapsed: Duration, report: Result<&crate::service::scheduler::JobReport, ()>) {
    let result = if report.is_ok() { "ok" } else { "failed" };
    counter!(SCHEDULER_RUNS, "result" => result).increment(1);
    histogram!(SCHEDULER_RUN_DURATION).record(elapsed.as_secs_f64());
    if let Ok(report) = report {
        for (job, items) in [
            ("codes_purged", report.codes_purged),
            ("challenges_purged", report.challenges_purged),
            ("rate_buckets_purged", report.rate_buckets_purged),
            ("verifications_expired", report.verifications_expired),
            ("cancellations_completed", report.cancellations_completed),
            ("phones_released", report.phones_released),
            ("deliveries_attempted", report.deliveries_attempted),
        ] {
            counter!(SCHEDULER_ITEMS, "job" => job).increment(items);
        }
    }
}

/// The gauges read at scrape time: both pools (labelled `pool="shared"` and
/// `pool="reads"`, the one query requests read through), and the outbox (two counts).
pub async fn refresh_gauges(
    db: &DatabaseConnection,
    reads: &DatabaseConnection,
    max_connections: u32,
) {
    for (pool, conn) in [("shared", db), ("reads", reads)] {
        let (size, idle) = pool_state(conn);
        gauge!(POOL_SIZE, "pool" => pool).set(f64::from(size));
        #[allow(clippy::cast_precision_loss)]
        gauge!(POOL_IN_USE, "pool" => pool).set(f64::from(size).max(idle as f64) - idle as f64);
        gauge!(POOL_MAX, "pool" => pool).set(f64::from(max_connections));
    }
    let started = std::time::Instant::now();
    let acquired = match db.get_database_backend() {
        DbBackend::Sqlite => db.get_sqlite_connection_pool().acquire().await.is_ok(),
        DbBackend::Postgres => db.get_postgres_connection_pool().acquire().await.is_ok(),
        _ => false,
    };
    if acquired {
        histogram!(POOL_WAIT).record(started.elapsed().as_secs_f64());
    }
    match crate::service::notices::outbox_counts(db).await {
        Ok((pending, failed)) => {
            #[allow(clippy::cast_precision_loss)]
            {
                gauge!(OUTBOX_BACKLOG).set(pending as f64);
                gauge!(OUTBOX_FAILED).set(failed as f64);
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not count the outbox"),
    }
}

/// A pool's open connections and how many of them are idle.
fn pool_state(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

/// The statements of the current request, counted by the pool's callback (db.rs).
#[derive(Debug, Clone, Default)]
pub struct RequestStatements(pub Arc<std::sync::atomic::AtomicU64>);

tokio::task_local! {
    pub static CURRENT_STATEMENTS: RequestStatements;
}

impl RequestStatements {
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts one statement for the request this task serves, if any.
    pub fn count_current() {
        let _ = CURRENT_STATEMENTS.try_with(|c| {
            c.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    }

    /// Runs `fut` with its statements counted in `self`.
    pub async fn scope<F: std::future::Future>(&self, fut: F) -> F::Output {
        CURRENT_STATEMENTS.scope(self.clone(), fut).await
    }
}

/// A DataLoader spawner that keeps the request's statement count (loaders run in tasks).
pub fn spawn_counted<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    use tracing::Instrument;
    let span = tracing::Span::current();
    match CURRENT_STATEMENTS.try_with(Clone::clone) {
        Ok(current) => tokio::spawn(CURRENT_STATEMENTS.scope(current, fut).instrument(span)),
        Err(_) => tokio::spawn(fut.instrument(span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(Some("ConsolePage")), "ConsolePage");
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("has space")), "other");
        assert_eq!(operation_label(Some(&"a".repeat(65))), "other");
        for i in 0..MAX_OPERATIONS + 5 {
            operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("OneTooMany")), "other");
        // Names seen before the cap stay themselves.
        assert_eq!(operation_label(Some("ConsolePage")), "ConsolePage");
        assert_eq!(code_label("RATE_LIMITED"), "RATE_LIMITED");
        assert_eq!(code_label("x{y}"), "other");
    }
}
