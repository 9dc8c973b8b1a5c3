//! Issue 17, items 3 and 4: spec-exact responses (null propagation, selection order, enum
//! literals) and errors a client can branch on (one documented set of top-level codes,
//! every invalid form field at once, a replayed TOTP code told apart).

use account_center::graphql::errors::Code;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Backend, TestApp, error_code, run_with},
    mfa::{begin, code_now, confirm, server_time, totp_at},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// POSTs a console request as `token` and answers the status and the raw body text
/// (`serde_json::Value` would sort the keys).
async fn raw(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, String) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(header::ACCEPT, GRAPHQL_RESPONSE_JSON)
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

fn code(out: &Value, i: usize) -> &str {
    out["errors"][i]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

// --- 3a: a failed non-null field nulls the nearest nullable parent ----------------------

async fn a_failed_non_null_field_nulls_the_nearest_nullable_parent(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "spec-nulls@example.com").await;
    let path = json!(["viewer", "account", "loginHistory"]);
    // `loginHistory` and `Viewer.account` are non-null, `viewer` is not: it is the one nulled.
    for query in [
        "{ viewer { account { accountId loginHistory(first: -1) { totalCount } } } }",
        "{ viewer { account { loginHistory(first: -1) { totalCount } } } }",
    ] {
        let out = app.gql_as(Some(&token), query, json!({})).await;
        assert_eq!(out["data"], json!({ "viewer": null }), "{query}: {out}");
        assert_eq!(out["errors"][0]["path"], path, "{out}");
        assert_eq!(code(&out, 0), "BAD_USER_INPUT", "{out}");
        assert_eq!(out["errors"].as_array().map(Vec::len), Some(1), "{out}");
    }
    // Beside the nulled parent, the other root fields stay; a nullable field keeps its
    // key, null.
    let out = app
        .gql_as(
            Some(&token),
            "{ viewer { account { loginHistory(first: -1) { totalCount } } }
               me: viewer { account { accountId } } node(id: \"not-an-id\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(out["data"]["viewer"], Value::Null, "{out}");
    assert!(
        out["data"]["me"]["account"]["accountId"].is_string(),
        "{out}"
    );
    let data = out["data"].as_object().unwrap();
    assert!(data.contains_key("node") && data["node"].is_null(), "{out}");
    assert_eq!(out["errors"].as_array().map(Vec::len), Some(1), "{out}");
}

// --- 3b: response keys in selection order -----------------------------------------------

/// Byte offsets of `"key":` in `body`, in the order of `keys`.
fn offsets(body: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|k| {
            body.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} in {body}"))
        })
        .collect()
}

fn increasing(offsets: &[usize]) -> bool {
    offsets.windows(2).all(|w| w[0] < w[1])
}

async fn response_keys_follow_the_selection_order(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "spec-order@example.com").await;
    let query = "{ viewer { account { subUsers { totalCount } projects { totalCount }
        loginMethods { kind } accountId } } }";
    // Repeated: concurrent resolution finishes in a different order from run to run.
    for _ in 0..5 {
        let (status, body) = raw(&app, Some(&token), json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let at = offsets(
            &body,
            &["subUsers", "projects", "loginMethods", "accountId"],
        );
        assert!(increasing(&at), "{body}");
    }
    // Aliases and fragments: the first selection of a key sets its place.
    let query = "{ b: viewer { account { ...Ids nickname } } a: viewer { session { expiresAt } } }
        fragment Ids on Account { status accountId }";
    let (_, body) = raw(&app, Some(&token), json!({ "query": query })).await;
    let at = offsets(
        &body,
        &["b", "status", "accountId", "nickname", "a", "expiresAt"],
    );
    assert!(increasing(&at), "{body}");
}

// --- 3c: an enum is not a string literal -------------------------------------------------

async fn an_enum_as_a_string_literal_is_a_validation_error(app: TestApp) {
    let literal = "mutation { sendVerificationCode(input: {
        channel: \"EMAIL\", target: \"spec-enum@example.com\", purpose: REGISTER }) {
        userErrors { code } } }";
    let (status, body) = raw(&app, None, json!({ "query": literal })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let out: Value = serde_json::from_str(&body).unwrap();
    assert!(out.get("data").is_none(), "{out}");
    assert_eq!(code(&out, 0), "GRAPHQL_VALIDATION_FAILED", "{out}");
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CodeChannel"),
        "{out}"
    );
    assert!(
        out["errors"][0]["locations"][0]["line"].is_number(),
        "{out}"
    );
    // Nothing was sent.
    let outbox = app
        .ops(
            "{ outbox(target: \"spec-enum@example.com\", last: 1) { code } }",
            json!({}),
        )
        .await;
    assert_eq!(outbox["data"]["outbox"], json!([]), "{outbox}");

    // As a variable, the JSON string is the enum's representation.
    let out = app
        .gql(
            "mutation($c: CodeChannel!) { sendVerificationCode(input: {
                channel: $c, target: \"spec-enum@example.com\", purpose: REGISTER }) {
                userErrors { code } } }",
            json!({ "c": "EMAIL" }),
        )
        .await;
    assert_eq!(
        out["data"]["sendVerificationCode"]["userErrors"],
        json!([]),
        "{out}"
    );
    // The enum literal itself, of course.
    let out = app
        .gql(
            "mutation { sendVerificationCode(input: {
                channel: EMAIL, target: \"spec-enum2@example.com\", purpose: REGISTER }) {
                userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["sendVerificationCode"]["userErrors"],
        json!([]),
        "{out}"
    );
}

// --- 4: top-level codes from one documented set -----------------------------------------

/// Sends `request` and answers its status and JSON body.
async fn answered(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text}: {e}"));
    (status, body)
}

async fn every_top_level_error_carries_a_documented_code(app: TestApp) {
    let url = format!("{}/graphql", app.base);
    let documented: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut seen = Vec::new();
    let mut expect = |(status, body): (StatusCode, Value), want_status: u16, want: &str| {
        assert_eq!(status.as_u16(), want_status, "{want}: {body}");
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "{want}: {body}");
        for error in &errors {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(documented.contains(&code), "{code} undocumented: {body}");
            let message = error["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty() && !message.contains('\n'), "{body}");
        }
        assert_eq!(errors[0]["extensions"]["code"], want, "{body}");
        seen.push((want.to_owned(), want_status));
        body
    };
    let modern = |r: reqwest::RequestBuilder| r.header(header::ACCEPT, GRAPHQL_RESPONSE_JSON);

    // Transport.
    let mutation = "mutation { signOut(input: {}) { userErrors { code } } }";
    expect(
        answered(modern(app.client.get(&url)).query(&[("query", mutation)])).await,
        405,
        "METHOD_NOT_ALLOWED",
    );
    expect(
        answered(
            app.client
                .post(&url)
                .header(header::ACCEPT, "image/png")
                .json(&json!({ "query": "{ __typename }" })),
        )
        .await,
        406,
        "NOT_ACCEPTABLE",
    );
    expect(
        answered(
            modern(app.client.post(&url))
                .header(header::CONTENT_TYPE, "text/plain")
                .body("{\"query\": \"{ __typename }\"}"),
        )
        .await,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    expect(
        answered(
            modern(app.client.post(&url))
                .header(header::CONTENT_TYPE, "application/json")
                .body("{\"query\": "),
        )
        .await,
        400,
        "BAD_REQUEST",
    );
    // The same under plain JSON: a transport error keeps its status.
    expect(
        answered(
            app.client
                .post(&url)
                .header(header::ACCEPT, "application/json")
                .json(&json!([{ "query": "{ __typename }" }])),
        )
        .await,
        400,
        "BAD_REQUEST",
    );
    let padding = " ".repeat(5000);
    expect(
        answered(
            modern(app.client.post(&url))
                .header(header::CONTENT_TYPE, "application/json")
                .body(format!("{{\"query\": \"{{ __typename }}{padding}\"}}")),
        )
        .await,
        413,
        "PAYLOAD_TOO_LARGE",
    );

    // The document: one line, the place in `locations`.
    let body = expect(
        answered(modern(app.client.post(&url)).json(&json!({ "query": "{ viewer {" }))).await,
        400,
        "GRAPHQL_PARSE_FAILED",
    );
    assert!(body.get("data").is_none(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("syntax error: "),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["locations"],
        json!([{ "line": 1, "column": 11 }]),
        "{body}"
    );
    // Under plain JSON a request error is 200 with the same code.
    expect(
        answered(
            app.client
                .post(&url)
                .header(header::ACCEPT, "application/json")
                .json(&json!({ "query": "{ viewer {" })),
        )
        .await,
        200,
        "GRAPHQL_PARSE_FAILED",
    );
    for (query, variables) in [
        ("{ viewer { noSuchField } }", json!({})),
        ("query Q { __typename }", json!({})),
        (
            "query($f: Int) { viewer { account { loginHistory(first: $f) { totalCount } } } }",
            json!({ "f": "many" }),
        ),
        (
            &format!("{{ {} }}", "viewer { __typename } ".repeat(100)),
            json!({}),
        ),
    ] {
        let mut request = json!({ "query": query, "variables": variables });
        if query.starts_with("query Q") {
            request["operationName"] = json!("Missing");
        }
        expect(
            answered(modern(app.client.post(&url)).json(&request)).await,
            400,
            "GRAPHQL_VALIDATION_FAILED",
        );
    }

    // Execution.
    let out = app
        .gql(
            "mutation { updateAccountInfo(input: { nickname: \"x\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    expect((StatusCode::OK, out), 200, "UNAUTHENTICATED");
    let (token, _) = app.register_email("CHINA", "spec-codes@example.com").await;
    let out = app
        .gql_as(
            Some(&token),
            "{ viewer { account { loginHistory(first: 1000) { totalCount } } } }",
            json!({}),
        )
        .await;
    expect((StatusCode::OK, out), 200, "BAD_USER_INPUT");

    // The ops API's denials, the same shape.
    let (status, body) = answered(
        app.client
            .post(format!("{}/ops/graphql", app.base))
            .bearer_auth("not-the-token")
            .json(&json!({ "query": "{ now }" })),
    )
    .await;
    expect((status, body), 401, "UNAUTHENTICATED");

    // README: every code in one table, with the statuses served here.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for code in &documented {
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "README's error table lacks {code}"
        );
    }
    for (code, status) in &seen {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{code}` |")))
            .unwrap();
        assert!(
            row.contains(&status.to_string()),
            "README: {code} is served {status}"
        );
    }
}

// --- 4: a form answers every invalid field ----------------------------------------------

fn fields(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("userErrors in {payload}"))
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "INVALID_INPUT", "{payload}");
            e["field"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

async fn a_form_reports_every_invalid_field(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "spec-forms@example.com").await;
    let token = Some(token.as_str());
    let bad = json!({ "phone": "12345", "email": "not-an-email" });

    let mut input = bad.clone();
    input["name"] = json!("member-one");
    input["consoleLogin"] = json!(false);
    let out = app
        .mutate(
            token,
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
                userErrors { code field message } subUser { id } } }",
            "createSubUser",
            input,
        )
        .await;
    assert_eq!(fields(&out), ["input.email", "input.phone"], "{out}");
    assert_eq!(out["subUser"], Value::Null);

    let mut input = bad.clone();
    input["name"] = json!("Ops desk");
    let out = app
        .mutate(
            token,
            "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
                userErrors { code field message } } }",
            "createMessageRecipient",
            input,
        )
        .await;
    assert_eq!(fields(&out), ["input.email", "input.phone"], "{out}");

    let created = app
        .mutate(
            token,
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
                userErrors { code field message } subUser { id } } }",
            "createSubUser",
            json!({ "name": "member-two", "consoleLogin": false }),
        )
        .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let mut input = bad.clone();
    input["subUserId"] = created["subUser"]["id"].clone();
    input["remark"] = json!("a\u{7}b");
    let out = app
        .mutate(
            token,
            "mutation($i: UpdateSubUserInput!) { updateSubUser(input: $i) {
                userErrors { code field message } } }",
            "updateSubUser",
            input,
        )
        .await;
    assert_eq!(
        fields(&out),
        ["input.email", "input.phone", "input.remark"],
        "{out}"
    );

    let out = app
        .mutate(
            token,
            "mutation($i: UpdateAccountInfoInput!) { updateAccountInfo(input: $i) {
                userErrors { code field message } } }",
            "updateAccountInfo",
            json!({ "contactPhone": "12345", "contactEmail": "not-an-email" }),
        )
        .await;
    assert_eq!(
        fields(&out),
        ["input.contactPhone", "input.contactEmail"],
        "{out}"
    );
}

// --- 4: a replayed TOTP code -------------------------------------------------------------

const UPDATE_PROTECTION: &str =
    "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
    userErrors { code field message } account { loginProtection } } }";

async fn protect(app: &TestApp, token: &str, on: bool, code: &str) -> Value {
    app.mutate(
        Some(token),
        UPDATE_PROTECTION,
        "updateProtection",
        json!({ "loginProtection": on, "secondFactor": { "mfaCode": code } }),
    )
    .await
}

async fn a_replayed_totp_code_is_already_used(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "spec-replay@example.com").await;
    let begun = begin(&app, &token, None).await;
    let secret = begun["secret"].as_str().unwrap().to_owned();
    let bind_code = code_now(&app, &secret).await;
    let bound = confirm(&app, &token, &begun["bindingId"], &bind_code).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    // The binding code is the last accepted one.
    let out = protect(&app, &token, true, &bind_code).await;
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");

    app.advance(30).await;
    let t = server_time(&app).await;
    let code = totp_at(&secret, t);
    let out = protect(&app, &token, true, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // Replayed more often than the wrong codes a principal may give (MFA-04: 5): a
    // replay is refused as before and, as before, not counted as a guess.
    for _ in 0..6 {
        let out = protect(&app, &token, false, &code).await;
        assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "secondFactor"])
        );
    }
    // An older step than the last accepted one is no replay of it: a wrong code.
    let out = protect(&app, &token, false, &totp_at(&secret, t - 30)).await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    // The principal's guesses are intact: the next code is accepted.
    app.advance(30).await;
    let code = code_now(&app, &secret).await;
    let out = protect(&app, &token, false, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], false, "{out}");
}

// Small body and token limits, to reach them cheaply.
async fn with_small_body_limit(backend: Backend) {
    run_with(
        backend,
        |args| {
            args.body_limit = 4096;
            args.max_tokens = 200;
        },
        every_top_level_error_carries_a_documented_code,
    )
    .await;
}

mod every_top_level_error_carries_a_documented_code {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::with_small_body_limit(super::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::with_small_body_limit(super::Backend::Postgres).await;
    }
}

db_test!(
    a_failed_non_null_field_nulls_the_nearest_nullable_parent,
    response_keys_follow_the_selection_order,
    an_enum_as_a_string_literal_is_a_validation_error,
    a_form_reports_every_invalid_field,
    a_replayed_totp_code_is_already_used,
);
