//! The security review of 2026-12-03: each finding's attack, replayed through the API so
//! that it stays fixed. Each test names its finding (`// SECURITY <finding>`).

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{OPS_TOKEN, TestApp},
};

async fn ops_with(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/ops/graphql", app.base))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send")
}

async fn wrong_ops_tokens_are_counted_and_the_ops_schema_is_bounded(app: TestApp) {
    // SECURITY ops-limits: the ops schema refuses what the console refuses.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(16),
        "} ".repeat(16)
    );
    let out = app.ops(&deep, json!({})).await;
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deep"),
        "{out}"
    );
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(50));
    let out = app.ops(&directives, json!({})).await;
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("directive"),
        "{out}"
    );
    let mut chain = "query { ...F24 }".to_owned();
    for level in (1..=24).rev() {
        chain.push_str(&format!(
            " fragment F{level} on Query {{ ...F{0} ...F{0} }}",
            level - 1
        ));
    }
    chain.push_str(" fragment F0 on Query { __typename }");
    let out = app.ops(&chain, json!({})).await;
    assert!(out["data"].is_null(), "{out}");
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("fields"),
        "{out}"
    );
    let fine: Value = app.ops("{ __typename }", json!({})).await;
    assert_eq!(fine["data"]["__typename"], "Query", "{fine}");

    // SECURITY ops-token: ten wrong tokens from one address are answered 401; then that
    // address waits, even with the right token, and is told how long.
    for guess in 0..10 {
        let refused = ops_with(&app, &format!("guess-{guess}"), "{ __typename }").await;
        assert_eq!(refused.status(), 401, "guess {guess}");
    }
    let slowed = ops_with(&app, "guess-10", "{ __typename }").await;
    assert_eq!(slowed.status(), 429);
    let slowed = ops_with(&app, OPS_TOKEN, "{ __typename }").await;
    assert_eq!(slowed.status(), 429);
    let retry: i64 = slowed
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

db_test!(wrong_ops_tokens_are_counted_and_the_ops_schema_is_bounded);
