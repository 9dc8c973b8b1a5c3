//! Issue 18: `GET /metrics` in the Prometheus text format; the numbers move with the
//! requests, and `--metrics-listen` takes them off the public port. The recorder is one
//! per process (other tests add to it too), so every check is "at least", never "exactly".

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, run};

/// A fresh SQLite file for a test that builds its own app.
fn unique_sqlite_url(prefix: &str) -> (String, std::path::PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("{prefix}_{}_{nanos}.db", std::process::id()));
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

/// The sample `name{labels}` of a scrape (labels in the exporter's order), or 0.
fn sample(scrape: &str, name_and_labels: &str) -> f64 {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            (series == name_and_labels).then(|| value.parse().ok())?
        })
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("text")
}

const PROBE: &str = r#"api="console",operation="MetricsProbe",type="query""#;
const REFUSED: &str = r#"api="console",operation="MetricsRefused",type="mutation""#;

async fn the_numbers_move_with_the_requests(app: TestApp) {
    let before = scrape(&app).await;
    // `__typename` reads nothing; a wrong password is looked up (statements) and refused.
    for _ in 0..3 {
        let out = app
            .gql("query MetricsProbe { __typename }", json!({}))
            .await;
        assert_eq!(out["data"]["__typename"], "Query", "{out}");
    }
    let refused = app
        .gql(
            "mutation MetricsRefused($i: SignInInput!) { signIn(input: $i) { userErrors { code } } }",
            json!({ "i": { "site": "CHINA", "email": "nobody@example.com", "password": "Wrong#123" } }),
        )
        .await;
    let code = refused["data"]["signIn"]["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!code.is_empty(), "{refused}");
    // A top-level error: a field the schema does not have.
    let invalid = app
        .gql("query MetricsBroken { noSuchField }", json!({}))
        .await;
    assert_eq!(
        invalid["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{invalid}"
    );
    let ran = app
        .ops("mutation { runScheduledJobs { ok } }", json!({}))
        .await;
    assert_eq!(ran["data"]["runScheduledJobs"]["ok"], true, "{ran}");
    // Eleven wrong ops tokens: the last is refused by the `ops-wrong-token` limit (and
    // then the right token too, so this comes last).
    app.start_fresh_window(15 * 60).await;
    for _ in 0..11 {
        app.client
            .post(format!("{}/ops/graphql", app.base))
            .bearer_auth("wrong-token")
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("send");
    }

    let after = scrape(&app).await;
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert!(
        moved(&format!("graphql_requests_total{{{PROBE}}}")) >= 3.0,
        "{after}"
    );
    assert!(
        moved(&format!(
            "graphql_request_duration_seconds_count{{{PROBE}}}"
        )) >= 3.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            &format!("graphql_request_duration_seconds_bucket{{{PROBE},le=\"+Inf\"}}")
        ) >= 3.0,
        "{after}"
    );
    assert!(
        moved(&format!("graphql_requests_total{{{REFUSED}}}")) >= 1.0,
        "{after}"
    );
    assert!(
        moved(&format!("graphql_request_sql_statements_sum{{{REFUSED}}}")) >= 1.0,
        "the refused mutation ran statements: {after}"
    );
    assert!(
        moved(&format!("graphql_user_errors_total{{code=\"{code}\"}}")) >= 1.0,
        "{after}"
    );
    assert!(
        moved(r#"graphql_errors_total{api="console",code="GRAPHQL_VALIDATION_FAILED"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        moved(r#"rate_limit_refusals_total{limit="ops-wrong-token"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        moved(r#"scheduler_runs_total{result="ok"}"#) >= 1.0,
        "{after}"
    );
    assert!(moved("db_statements_total") >= 1.0, "{after}");
    assert!(
        moved(r#"graphql_requests_total{api="ops",operation="anonymous",type="mutation"}"#) >= 1.0,
        "{after}"
    );
    // The gauges are read at scrape time; each name is there.
    for name in [
        "db_pool_connections",
        "db_pool_connections_in_use",
        "db_pool_connections_max",
        "db_pool_acquire_wait_seconds_count",
        "outbox_backlog",
        "outbox_failed",
        "graphql_open_subscriptions",
        "db_statement_duration_seconds_count",
    ] {
        assert!(
            after.lines().any(|line| line.starts_with(name)),
            "{name} missing: {after}"
        );
    }
    // Both pools: the shared one, and the one query requests read through.
    assert!(
        sample(&after, r#"db_pool_connections{pool="shared"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        sample(&after, r#"db_pool_connections{pool="reads"}"#) >= 1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, r#"db_pool_connections_max{pool="reads"}"#),
        sample(&after, r#"db_pool_connections_max{pool="shared"}"#),
        "{after}"
    );
    assert!(
        after.contains("# TYPE graphql_request_duration_seconds histogram"),
        "{after}"
    );
}

#[tokio::test]
async fn metrics_move_with_requests_sqlite() {
    run(Backend::Sqlite, the_numbers_move_with_the_requests).await;
}

#[tokio::test]
async fn metrics_move_with_requests_postgres() {
    run(Backend::Postgres, the_numbers_move_with_the_requests).await;
}

/// Operation names are the client's: a name that is not a GraphQL name is counted as
/// "other", never as a label of its own.
#[tokio::test]
async fn odd_operation_names_are_not_labels() {
    run(Backend::Sqlite, |app| async move {
        let name = format!("Op{}", "x".repeat(80));
        let out = app
            .gql(&format!("query {name} {{ __typename }}"), json!({}))
            .await;
        assert_eq!(out["data"]["__typename"], "Query", "{out}");
        let after = scrape(&app).await;
        assert!(!after.contains(&name), "{after}");
        assert!(
            sample(
                &after,
                r#"graphql_requests_total{api="console",operation="other",type="query"}"#
            ) >= 1.0,
            "{after}"
        );
    })
    .await;
}

/// `--metrics-listen`: the public port answers 404, the metrics router serves the scrape.
#[tokio::test]
async fn metrics_listen_moves_metrics_off_the_public_port() {
    let (url, path) = unique_sqlite_url("ac_metrics_listen");
    let mut args = account_center::config::ServeArgs::for_database(url);
    args.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let built = account_center::build(&args).await.expect("build");
    let public = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let private = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (public_addr, private_addr) = (public.local_addr().unwrap(), private.local_addr().unwrap());
    let metrics = account_center::app::metrics_router(built.state.clone());
    tokio::spawn(account_center::serve(public, built.router));
    tokio::spawn(account_center::serve(private, metrics));
    let client = reqwest::Client::new();
    let public_scrape = client
        .get(format!("http://{public_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public_scrape.status(), StatusCode::NOT_FOUND);
    let private_scrape = client
        .get(format!("http://{private_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(private_scrape.status(), StatusCode::OK);
    let text = private_scrape.text().await.unwrap();
    assert!(text.contains("db_pool_connections"), "{text}");
    let _ = std::fs::remove_file(path);
}
