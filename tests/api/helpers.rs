//! `TestApp`: spawns the app on port 0 over a fresh database, and GraphQL helpers.

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
};

use account_center::config::ServeArgs;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub const OPS_TOKEN: &str = "test-ops-token-of-thirty-two-chars-at-least";
pub const PASSWORD: &str = "Secret#123";
pub const CAPTCHA_OK: &str = "sandbox-captcha-ok";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running app and a client for it. Cheap to clone into parallel tasks.
#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    /// The app's own pool, for tests that inspect what is stored.
    pub db: sea_orm::DatabaseConnection,
    /// The pool query requests read through (`account_center::reads`).
    pub reads: sea_orm::DatabaseConnection,
    /// Statements the app's pool has run (the page-cost tests read it).
    pub statements: account_center::db::StatementCounter,
}

/// Where the database of one test lives, to remove it afterwards.
enum Cleanup {
    File(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The PostgreSQL server tests use; `None` (with a notice) when none is configured.
/// CI must run the PostgreSQL half, so there its absence is a failure.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half must run in CI"
            );
            eprintln!(
                "notice: TEST_DATABASE_URL is not set; the PostgreSQL half of this test is skipped"
            );
            None
        }
    }
}

/// Replaces the database name (the path) of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestApp {
    async fn start(
        backend: Backend,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> Option<(TestApp, Cleanup)> {
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique_name("ac_test")));
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Cleanup::File(path),
                )
            }
            Backend::Postgres => {
                let admin_url = postgres_url()?;
                let name = unique_name("ac_test");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (
                    with_database(&admin_url, &name),
                    Cleanup::PostgresDatabase { admin_url, name },
                )
            }
        };
        let mut args = ServeArgs::for_database(url);
        args.ops_token = Some(OPS_TOKEN.to_owned());
        args.db_pool = 5;
        configure(&mut args);
        let built = account_center::build(&args).await.expect("build the app");
        Some((TestApp::serve(built, backend).await, cleanup))
    }

    /// Serves a built app on a free loopback port (a second instance, or the first).
    pub async fn serve(built: account_center::BuiltApp, backend: Backend) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let app = TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            backend,
            db: built.state.app.db.clone(),
            reads: built.state.app.reads.clone(),
            statements: built.state.app.statements.clone(),
        };
        tokio::spawn(account_center::serve(listener, built.router));
        app
    }

    /// POSTs a console GraphQL request, optionally with a bearer session token.
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_with_agent(None, token, query, variables).await
    }

    /// Like `gql_as`, with a chosen User-Agent.
    pub async fn gql_with_agent(
        &self,
        agent: Option<&str>,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(agent) = agent {
            request = request.header(reqwest::header::USER_AGENT, agent);
        }
        // The tests read English unless they ask otherwise (tests/api/i18n.rs does).
        request = request.header(reqwest::header::ACCEPT_LANGUAGE, "en");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json body")
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(None, query, variables).await
    }

    /// The payload of mutation `field`, called with `$i: input` as `token`; a top-level
    /// error fails the test.
    pub async fn mutate(
        &self,
        token: Option<&str>,
        query: &str,
        field: &str,
        input: Value,
    ) -> Value {
        let out = self.gql_as(token, query, json!({ "i": input })).await;
        assert!(out.get("errors").is_none(), "{field}: {out}");
        out["data"][field].clone()
    }

    /// POSTs to the ops API with the ops token.
    pub async fn ops(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/ops/graphql", self.base))
            .bearer_auth(OPS_TOKEN)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json body")
    }

    /// Asks for a code and reads it from the sandbox outbox.
    pub async fn code_for(&self, channel: &str, target: &str, purpose: &str) -> String {
        let sent = self
            .gql(
                "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code message } } }",
                json!({ "i": { "channel": channel, "target": target, "purpose": purpose } }),
            )
            .await;
        assert_eq!(
            sent["data"]["sendVerificationCode"]["userErrors"],
            json!([]),
            "{sent}"
        );
        self.last_code(target).await
    }

    /// The newest code the sandbox delivered to `target`.
    pub async fn last_code(&self, target: &str) -> String {
        let out = self
            .ops(
                "query($t: String!) { outbox(target: $t, last: 1) { code } }",
                json!({ "t": target }),
            )
            .await;
        out["data"]["outbox"][0]["code"]
            .as_str()
            .expect("a code in the outbox")
            .to_owned()
    }

    /// Every stored row of every table, as text, to search for values kept in clear.
    /// `with_outbox`: the sandbox outbox stands in for the SMS and e-mail providers, so what
    /// it holds has left the system; an erasure check leaves it out.
    pub async fn dump_database_text(&self, with_outbox: bool) -> String {
        use sea_orm::EntityTrait;
        let mut text = String::new();
        macro_rules! dump {
            ($($table:ident),*) => {$(
                let rows = entity::$table::Entity::find().all(&self.db).await.expect("dump");
                text.push_str(&format!("{rows:?}"));
            )*};
        }
        dump!(
            access_keys,
            account_standings,
            accounts,
            audit_events,
            cancellations,
            enterprise_quotas,
            hardware_tokens,
            lockout_counters,
            login_challenges,
            login_events,
            login_methods,
            mfa_bindings,
            mfa_devices,
            mfa_recovery_codes,
            project_members,
            projects,
            quota_locks,
            rate_limit_buckets,
            recovery_applications,
            messages,
            deliveries,
            scheduled_job_runs,
            server_settings,
            sessions,
            sub_users,
            trusted_devices,
            verification_codes,
            verifications
        );
        if with_outbox {
            dump!(outbox_messages);
        }
        text
    }

    /// Moves the sandbox clock forward.
    pub async fn advance(&self, seconds: i64) {
        let out = self
            .ops(
                "mutation($s: Int!) { advanceClock(seconds: $s) }",
                json!({ "s": seconds }),
            )
            .await;
        assert!(out["data"]["advanceClock"].is_string(), "{out}");
    }

    /// Moves the sandbox clock to one second into the next fixed window of `window_seconds`:
    /// the sandbox clock follows the wall clock, and a burst that straddles a window edge
    /// would be counted in two windows.
    pub async fn start_fresh_window(&self, window_seconds: i64) {
        let out = self.ops("{ now }", json!({})).await;
        let now = out["data"]["now"].as_str().expect("ops now");
        let now = chrono::DateTime::parse_from_rfc3339(now).expect("an RFC 3339 time");
        let into_window = now.timestamp().rem_euclid(window_seconds);
        self.advance(window_seconds - into_window + 1).await;
    }

    /// Registers an e-mail account on `site`; returns its session token and account JSON.
    pub async fn register_email(&self, site: &str, email: &str) -> (String, Value) {
        let code = self.code_for("EMAIL", email, "REGISTER").await;
        let out = self
            .gql(
                "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) {
                    userErrors { code field message }
                    account { id accountId appId site status registrationMethod }
                    session { token expiresAt } } }",
                json!({ "i": { "site": site, "method": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code } }),
            )
            .await;
        registered(&out)
    }

    /// Registers with a third-party identity (`sandbox:<external>`).
    pub async fn register_provider(
        &self,
        site: &str,
        kind: &str,
        external: &str,
    ) -> (String, Value) {
        let out = self
            .gql(
                "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) {
                    userErrors { code field message }
                    account { id accountId site registrationMethod }
                    session { token } } }",
                json!({ "i": { "site": site, "method": kind, "providerCode": format!("sandbox:{external}") } }),
            )
            .await;
        registered(&out)
    }
}

/// The session token and account of a successful `registerAccount`.
fn registered(out: &Value) -> (String, Value) {
    let payload = &out["data"]["registerAccount"];
    assert_eq!(payload["userErrors"], json!([]), "{out}");
    let token = payload["session"]["token"].as_str().expect("token");
    (token.to_owned(), payload["account"].clone())
}

/// The first user error's code of a payload, or "" when there is none.
pub fn error_code(payload: &Value) -> String {
    payload["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn cleanup(cleanup: Cleanup) {
    match cleanup {
        Cleanup::File(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        Cleanup::PostgresDatabase { admin_url, name } => {
            if let Ok(admin) = Database::connect(&admin_url).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
                admin.close().await.ok();
            }
        }
    }
}

/// Runs one scenario against a fresh app on `backend` (skipped without PostgreSQL).
pub async fn run<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    run_with(backend, |_| {}, scenario).await;
}

/// Like `run`, with the server's settings adjusted first.
pub async fn run_with<F, Fut>(backend: Backend, configure: impl FnOnce(&mut ServeArgs), scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some((app, db)) = TestApp::start(backend, configure).await else {
        return;
    };
    // A failing scenario still drops its database, then fails the test as it would have.
    let outcome =
        futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(scenario(app))).await;
    cleanup(db).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `scenario` with two server instances on one database (a second `build` of the same
/// settings, as a second process behind a load balancer would be).
pub async fn run_two<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(TestApp, TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let slot: std::sync::Arc<std::sync::Mutex<Option<ServeArgs>>> = Default::default();
    let configured = slot.clone();
    run_with(
        backend,
        move |a| *configured.lock().unwrap() = Some(a.clone()),
        |first| async move {
            let args = slot
                .lock()
                .unwrap()
                .clone()
                .expect("the first instance's settings");
            let built = account_center::build(&args).await.expect("second instance");
            let second = TestApp::serve(built, backend).await;
            scenario(first, second).await;
        },
    )
    .await;
}

/// Declares a scenario test on both databases: `db_test!(name)` for `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! db_test {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run($crate::helpers::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::helpers::run($crate::helpers::Backend::Postgres, super::$name).await;
            }
        }
    )*};
}

/// Like `db_test!`, with the server's settings adjusted first:
/// `db_test_with!(name, |args| …)` for `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! db_test_with {
    ($name:ident, $configure:expr $(,)?) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run_with(
                    $crate::helpers::Backend::Sqlite,
                    $configure,
                    super::$name,
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::helpers::run_with(
                    $crate::helpers::Backend::Postgres,
                    $configure,
                    super::$name,
                )
                .await;
            }
        }
    };
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "y"),
        "postgres://u:p@h/y?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "z"),
        "postgres://h:5432/z"
    );
}
