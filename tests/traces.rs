//! Issue 18: traces. A request that brings a W3C `traceparent` yields spans in that trace:
//! the request, the GraphQL operation (name and type) and its SQL statements (without the
//! values). Spans are collected in memory (opentelemetry_sdk's `testing` exporter).
//!
//! A test binary of its own: the subscriber is the process's global one, which the other
//! tests' threads would otherwise share (a thread's scoped default proved racy there).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test]
async fn a_traceparent_is_continued_by_the_request_operation_and_statements() {
    let exporter = InMemorySpanExporter::default();
    let provider = account_center::telemetry::tracer_provider(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone()),
    );
    let subscriber =
        tracing_subscriber::registry().with(account_center::telemetry::trace_layer(&provider));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("ac_traces_{}_{nanos}.db", std::process::id()));
    let args = account_center::config::ServeArgs::for_database(format!(
        "sqlite://{}?mode=rwc",
        path.display()
    ));
    let built = account_center::build(&args).await.expect("build");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(account_center::serve(listener, built.router));
    {
        let out: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))
            .json(&json!({
                "query": "mutation TracedSignIn($i: SignInInput!) { signIn(input: $i) { userErrors { code } } }",
                "variables": { "i": { "site": "CHINA", "email": "traced@example.com", "password": "Wrong#123" } },
            }))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert!(
            out["data"]["signIn"]["userErrors"][0]["code"].is_string(),
            "{out}"
        );
        // The request span ends once its response body has gone out.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = provider.force_flush();
    let _ = std::fs::remove_file(&path);

    let trace_id = TraceId::from_hex(TRACE_ID).unwrap();
    let all = exporter.get_finished_spans().unwrap();
    let seen: Vec<String> = all
        .iter()
        .map(|s| format!("{} {}", s.name, s.span_context.trace_id()))
        .collect();
    let spans: Vec<SpanData> = all
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect();
    let names: Vec<String> = spans.iter().map(|s| s.name.to_string()).collect();

    let request = spans
        .iter()
        .find(|s| s.name == "POST /graphql")
        .unwrap_or_else(|| panic!("no request span in the trace: {names:?} of {seen:?}"));
    assert_eq!(request.parent_span_id, SpanId::from_hex(PARENT_ID).unwrap());

    let operation = spans
        .iter()
        .find(|s| s.name == "mutation TracedSignIn")
        .unwrap_or_else(|| panic!("no operation span: {names:?}"));
    assert_eq!(
        attribute(operation, "graphql.operation.name").as_deref(),
        Some("TracedSignIn")
    );
    assert_eq!(
        attribute(operation, "graphql.operation.type").as_deref(),
        Some("mutation")
    );
    assert_eq!(operation.parent_span_id, request.span_context.span_id());

    let statements: Vec<&SpanData> = spans
        .iter()
        .filter(|s| attribute(s, "db.statement").is_some())
        .collect();
    assert!(!statements.is_empty(), "no statement spans: {names:?}");
    for statement in statements {
        let sql = attribute(statement, "db.statement").unwrap_or_default();
        assert!(
            !sql.contains("traced@example.com"),
            "a value in the SQL: {sql}"
        );
        assert_eq!(attribute(statement, "db.system").as_deref(), Some("sqlite"));
    }
}
