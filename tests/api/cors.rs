//! CORS (issue: a console served from another origin): nothing by default, exact
//! configured origins with credentials, preflights answered and cached, never the ops API.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, run_with};

const CONSOLE: &str = "http://localhost:5173";
const OTHER: &str = "https://evil.example";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}{path}", app.base))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    run_with(
        Backend::Sqlite,
        |_| {},
        |app| async move {
            let answer = preflight(&app, "/graphql", CONSOLE).await;
            assert_eq!(header(&answer, "access-control-allow-origin"), None);
            let answer = app
                .client
                .post(format!("{}/graphql", app.base))
                .header("origin", CONSOLE)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .unwrap();
            assert_eq!(header(&answer, "access-control-allow-origin"), None);
        },
    )
    .await;
}

#[tokio::test]
async fn configured_origins_may_call_with_credentials() {
    let configure = |args: &mut account_center::config::ServeArgs| {
        args.cors_origins = vec![CONSOLE.to_owned(), "https://console.example.com".to_owned()];
    };
    run_with(Backend::Sqlite, configure, |app| async move {
        let answer = preflight(&app, "/graphql", CONSOLE).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some(CONSOLE)
        );
        assert_eq!(
            header(&answer, "access-control-allow-credentials"),
            Some("true")
        );
        assert_eq!(header(&answer, "access-control-max-age"), Some("600"));
        let allowed = header(&answer, "access-control-allow-headers").unwrap_or_default();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
        assert!(
            header(&answer, "access-control-allow-methods")
                .unwrap_or_default()
                .contains("POST")
        );

        let answer = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("origin", CONSOLE)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some(CONSOLE)
        );
        assert_eq!(
            header(&answer, "access-control-allow-credentials"),
            Some("true")
        );
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], "Query");

        // Any other origin is not named back: the browser keeps the answer from it.
        let answer = preflight(&app, "/graphql", OTHER).await;
        assert_eq!(header(&answer, "access-control-allow-origin"), None);
        // The ops API is never offered across origins.
        let answer = preflight(&app, "/ops/graphql", CONSOLE).await;
        assert_eq!(header(&answer, "access-control-allow-origin"), None);
    })
    .await;
}

#[tokio::test]
async fn a_malformed_origin_stops_the_start() {
    let mut args = account_center::config::ServeArgs::for_database("sqlite::memory:");
    args.cors_origins = vec!["https://*.example.com".to_owned()];
    let Err(err) = account_center::build(&args).await else {
        panic!("a wildcard origin must be refused");
    };
    assert!(err.to_string().contains("--cors-origins"), "{err}");
}
