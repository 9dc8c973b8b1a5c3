//! Issue 18: traces. A request that brings a W3C `traceparent` yields spans in that trace:
//! the request, the GraphQL operation (name and type) and its SQL statements (without the
//! values). Spans are collected in memory (opentelemetry_sdk's `testing` exporter).
//!
//! The subscriber is this test's thread's default; a current-thread runtime keeps the
//! server's tasks on that thread.

use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::{Backend, run};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test(flavor = "current_thread")]
async fn a_traceparent_is_continued_by_the_request_operation_and_statements() {
    let exporter = InMemorySpanExporter::default();
    let provider = account_center::telemetry::tracer_provider(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone()),
    );
    let subscriber = tracing_subscriber::registry()
        .with(account_center::telemetry::trace_layer(&provider));
    let _default = tracing::subscriber::set_default(subscriber);

    run(Backend::Sqlite, |app| async move {
        let out: serde_json::Value = app
            .client
            .post(format!("{}/graphql", app.base))
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
        assert!(out["data"]["signIn"]["userErrors"][0]["code"].is_string(), "{out}");
        // The request span ends once its response body has gone out.
        tokio::time::sleep(Duration::from_millis(200)).await;
    })
    .await;
    let _ = provider.force_flush();

    let trace_id = TraceId::from_hex(TRACE_ID).unwrap();
    let spans: Vec<SpanData> = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect();
    let names: Vec<String> = spans.iter().map(|s| s.name.to_string()).collect();

    let request = spans
        .iter()
        .find(|s| s.name == "POST /graphql")
        .unwrap_or_else(|| panic!("no request span in the trace: {names:?}"));
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
        assert!(!sql.contains("traced@example.com"), "a value in the SQL: {sql}");
        assert_eq!(attribute(statement, "db.system").as_deref(), Some("sqlite"));
    }
}
