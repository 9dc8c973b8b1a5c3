//! The HTTP surface: GraphQL over HTTP, health, the ops endpoint, node IDs, connections
//! and top-level errors.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Backend, TestApp, run_with},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn anonymous_viewer_is_null(app: TestApp) {
    let out = app.gql("{ viewer { account { id } } }", json!({})).await;
    assert_eq!(out, json!({ "data": { "viewer": null } }));
}

async fn get_runs_queries_but_never_mutations(app: TestApp) {
    let url = format!("{}/graphql", app.base);
    let ok = app
        .client
        .get(&url)
        .header(header::ACCEPT, GRAPHQL_RESPONSE_JSON)
        .query(&[("query", "{ viewer { __typename } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(content_type(&ok), GRAPHQL_RESPONSE_JSON);
    assert_eq!(
        ok.json::<Value>().await.unwrap(),
        json!({ "data": { "viewer": null } })
    );

    let mutation = "mutation { signOut(input: {}) { userErrors { code } } }";
    let refused = app
        .client
        .get(&url)
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refused.headers()[header::ALLOW], "POST");
}

async fn only_json_bodies_are_executed(app: TestApp) {
    let url = format!("{}/graphql", app.base);
    let body = json!({ "query": "{ __typename }" }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(&url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let batch = app
        .client
        .post(&url)
        .json(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), StatusCode::BAD_REQUEST);
    let malformed = app
        .client
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

async fn accept_header_chooses_the_media_type(app: TestApp) {
    let url = format!("{}/graphql", app.base);
    let legacy = app
        .client
        .post(&url)
        .header(header::ACCEPT, "application/json")
        .json(&json!({ "query": "{ viewer {" }))
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.status(), StatusCode::OK);
    assert_eq!(content_type(&legacy), "application/json");

    let modern = app
        .client
        .post(&url)
        .header(header::ACCEPT, GRAPHQL_RESPONSE_JSON)
        .json(&json!({ "query": "{ viewer {" }))
        .send()
        .await
        .unwrap();
    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&modern), GRAPHQL_RESPONSE_JSON);
    let body: Value = modern.json().await.unwrap();
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    assert!(body["errors"][0]["message"].is_string());
}

async fn graphiql_health_and_readiness(app: TestApp) {
    for path in ["/", "/graphql"] {
        let page = app
            .client
            .get(format!("{}{path}", app.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert!(page.text().await.unwrap().contains("graphiql"), "{path}");
    }
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

async fn ops_api_needs_its_token(app: TestApp) {
    let url = format!("{}/ops/graphql", app.base);
    let query = json!({ "query": "{ now }" });
    let anonymous = app.client.post(&url).json(&query).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = app
        .client
        .post(&url)
        .bearer_auth("not-the-token")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let out = app.ops("{ now }", json!({})).await;
    assert!(out["data"]["now"].is_string(), "{out}");
    let page = app
        .client
        .get(&url)
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("/ops/graphql"));
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let padding = "#".repeat(2 * 1024 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({ "query": format!("{padding}\n{{ __typename }}") }).to_string())
        .send()
        .await;
    match response {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The server may close the connection before the upload ends.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
}

async fn nodes_resolve_only_within_the_own_account(app: TestApp) {
    let (alice, alice_account) = app.register_email("CHINA", "alice@example.com").await;
    let (_, bob_account) = app.register_email("CHINA", "bob@example.com").await;
    let query = "query($id: ID!) { node(id: $id) { __typename id ... on Account { accountId } } }";
    let own = app
        .gql_as(Some(&alice), query, json!({ "id": alice_account["id"] }))
        .await;
    assert_eq!(own["data"]["node"]["accountId"], alice_account["accountId"]);

    // SUB-08: a foreign or unknown ID is null, never an error that tells it exists.
    for id in [
        bob_account["id"].clone(),
        json!("QWNjb3VudDo5OTk5OTk="),
        json!("garbage"),
    ] {
        let out = app.gql_as(Some(&alice), query, json!({ "id": id })).await;
        assert_eq!(out["data"]["node"], Value::Null, "{out}");
        assert!(out.get("errors").is_none(), "{out}");
    }
    let anonymous = app.gql(query, json!({ "id": alice_account["id"] })).await;
    assert_eq!(anonymous["data"]["node"], Value::Null);

    let many = app
        .gql_as(
            Some(&alice),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [alice_account["id"], bob_account["id"]] }),
        )
        .await;
    assert_eq!(
        many["data"]["nodes"],
        json!([{ "id": alice_account["id"] }, null])
    );

    let methods = app
        .gql_as(
            Some(&alice),
            "{ viewer { account { loginMethods { id kind } } } }",
            json!({}),
        )
        .await;
    let method_id = methods["data"]["viewer"]["account"]["loginMethods"][0]["id"].clone();
    let method = app
        .gql_as(
            Some(&alice),
            "query($id: ID!) { node(id: $id) { ... on LoginMethod { kind } } }",
            json!({ "id": method_id }),
        )
        .await;
    assert_eq!(method["data"]["node"]["kind"], "EMAIL");
}

async fn errors_carry_codes_and_no_internals(app: TestApp) {
    let out = app
        .gql(
            "mutation { updateAccountInfo(input: { nickname: \"x\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{out}"
    );

    let (token, _) = app.register_email("CHINA", "carol@example.com").await;
    let too_many = app
        .gql_as(
            Some(&token),
            "{ viewer { account { loginHistory(first: 101) { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{too_many}"
    );
    let bad_id = app
        .gql_as(
            Some(&token),
            "mutation { unbindLoginMethod(input: { loginMethodId: \"nope\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bad_id["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad_id}"
    );
    let text = bad_id.to_string().to_lowercase();
    for leak in ["sql", "sqlx", "panicked", "backtrace", "src/"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

async fn connections_page_with_cursors(app: TestApp) {
    let (token, _) = app
        .register_email("INTERNATIONAL", "dave@example.com")
        .await;
    for _ in 0..4 {
        app.gql(
            "mutation { signIn(input: { site: INTERNATIONAL, email: \"dave@example.com\", password: \"Secret#123\" }) { session { token } } }",
            json!({}),
        )
        .await;
    }
    let page = |after: Value| {
        let app = app.clone();
        let token = token.clone();
        async move {
            app.gql_as(
                Some(&token),
                "query($after: String) { viewer { account { loginHistory(first: 2, after: $after) {
                    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
                    edges { cursor node { id at } } } } } }",
                json!({ "after": after }),
            )
            .await["data"]["viewer"]["account"]["loginHistory"]
                .clone()
        }
    };
    let first = page(Value::Null).await;
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["edges"].as_array().unwrap().len(), 2);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let mut seen: Vec<Value> = first["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let mut cursor = first["pageInfo"]["endCursor"].clone();
    loop {
        let next = page(cursor).await;
        assert_eq!(next["pageInfo"]["hasPreviousPage"], true);
        seen.extend(
            next["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone()),
        );
        if next["pageInfo"]["hasNextPage"] == false {
            break;
        }
        cursor = next["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5, "no row twice");
}

// RULE LOG-07: aliases cannot multiply password guesses within one request.
async fn one_credential_check_per_document(app: TestApp) {
    let login = |alias: &str| {
        format!(
            "{alias}: signIn(input: {{ site: CHINA, email: \"x@example.com\", password: \"Wrong#123\" }}) {{ userErrors {{ code }} }}"
        )
    };
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(header::ACCEPT, GRAPHQL_RESPONSE_JSON)
        .json(&json!({ "query": format!("mutation {{ {} {} }}", login("a"), login("b")) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    let aliases: String = (0..600)
        .map(|i| format!("a{i}: viewer {{ __typename }} "))
        .collect();
    let wide = app.gql(&format!("{{ {aliases} }}"), json!({})).await;
    assert!(
        wide["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fields"),
        "{wide}"
    );
    let one = app
        .gql(&format!("mutation {{ {} }}", login("a")), json!({}))
        .await;
    assert_eq!(
        one["data"]["a"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
}

db_test!(
    one_credential_check_per_document,
    anonymous_viewer_is_null,
    get_runs_queries_but_never_mutations,
    only_json_bodies_are_executed,
    accept_header_chooses_the_media_type,
    graphiql_health_and_readiness,
    ops_api_needs_its_token,
    oversized_bodies_are_refused,
    nodes_resolve_only_within_the_own_account,
    errors_carry_codes_and_no_internals,
    connections_page_with_cursors,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_api_is_absent_without_a_token() {
    run_with(
        Backend::Sqlite,
        |args| args.ops_token = None,
        |app| async move {
            let response = app
                .client
                .post(format!("{}/ops/graphql", app.base))
                .bearer_auth("anything")
                .json(&json!({ "query": "{ now }" }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
        },
    )
    .await;
}
