//! Production mode: what it refuses at start, and a console flow end to end through the
//! provider gateway (a fake one here) with no sandbox behaviour left: codes leave through
//! the gateway, captcha, identity and real-name answers come from it, cookies are Secure,
//! GraphiQL, introspection and the ops API's sandbox fields are gone.

use std::sync::{Arc, Mutex};

use account_center::config::ServeArgs;
use axum::{Json, Router, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use reqwest::header;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, PASSWORD, TestApp, error_code, run_with},
    identities::resident_id,
    sign_in::{SIGN_IN, sign_in, sign_in_with_provider},
};

const SECRET: &str = "a-production-secret-key-of-at-least-32-chars";
const GATEWAY_TOKEN: &str = "gateway-bearer-token-123";

/// One call the gateway received: its path and JSON body.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// A stand-in provider gateway on a loopback port; it records every call.
async fn fake_gateway() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let router = Router::new()
        .route("/gw/{*path}", post(answer))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/gw"), calls)
}

async fn answer(
    State(calls): State<Calls>,
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let bearer = format!("Bearer {GATEWAY_TOKEN}");
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(bearer.as_str())
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    calls.lock().unwrap().push((path.clone(), body.clone()));
    let reply = match path.as_str() {
        "messages" if body["target"] == "undeliverable@example.com" => {
            return (StatusCode::BAD_GATEWAY, Json(json!({})));
        }
        "messages" => json!({ "accepted": true }),
        "captcha/verify" => json!({ "passed": body["response"] == "solved-by-a-human" }),
        "identity/resolve" => {
            json!({ "externalId": body["authorizationCode"].as_str().and_then(|c| c.strip_prefix("ok-")) })
        }
        "real-name/decide" if body["subjectName"] == "王五" => {
            json!({ "approved": false, "reason": "face mismatch" })
        }
        "real-name/decide" => json!({ "approved": true }),
        _ => return (StatusCode::NOT_FOUND, Json(json!({}))),
    };
    (StatusCode::OK, Json(reply))
}

fn production(args: &mut ServeArgs, gateway: &str) {
    args.production = Some(true);
    args.secret_key = Some(SECRET.into());
    args.gateway_url = Some(gateway.into());
    args.gateway_token = Some(GATEWAY_TOKEN.into());
}

/// The code the gateway was asked to deliver last to `target`.
fn delivered_code(calls: &Calls, target: &str) -> String {
    let calls = calls.lock().unwrap();
    let (_, message) = calls
        .iter()
        .rev()
        .find(|(path, body)| path == "messages" && body["target"] == target)
        .unwrap_or_else(|| panic!("no message to {target}"));
    message["code"].as_str().expect("a code").to_owned()
}

#[tokio::test]
async fn production_refuses_to_start_without_what_it_needs() {
    let path = std::env::temp_dir().join(format!("ac_prod_{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let refused = |configure: &dyn Fn(&mut ServeArgs)| {
        let mut args = ServeArgs::for_database(url.clone());
        production(&mut args, "https://gateway.internal.example/");
        configure(&mut args);
        async move {
            match account_center::build(&args).await {
                Ok(_) => panic!("production started with {args:?}"),
                Err(err) => err.to_string(),
            }
        }
    };
    let with_sandbox = refused(&|a| a.sandbox = Some(true)).await;
    assert!(with_sandbox.contains("sandbox"), "{with_sandbox}");
    let without_secret = refused(&|a| a.secret_key = None).await;
    assert!(without_secret.contains("secret"), "{without_secret}");
    let short_secret = refused(&|a| a.secret_key = Some("short".into())).await;
    assert!(short_secret.contains("32"), "{short_secret}");
    let without_gateway = refused(&|a| a.gateway_url = None).await;
    assert!(without_gateway.contains("gateway"), "{without_gateway}");
    let plain_http = refused(&|a| a.gateway_url = Some("http://gateway.example.com".into())).await;
    assert!(plain_http.contains("https"), "{plain_http}");
    let credentials = refused(&|a| {
        a.gateway_url = Some("https://user:hunter22@gateway.example.com".into());
    })
    .await;
    assert!(credentials.contains("credentials") && !credentials.contains("hunter22"));
    let without_token = refused(&|a| a.gateway_token = None).await;
    assert!(without_token.contains("token"), "{without_token}");
    // SECURITY ops-token: a short ops token would be the weakest key to the back office.
    let short_ops_token =
        refused(&|a| a.ops_token = Some("ops-token-of-31-characters-long".into())).await;
    assert!(
        short_ops_token.contains("ops token") && short_ops_token.contains("32"),
        "{short_ops_token}"
    );
    assert!(
        !short_ops_token.contains("ops-token-of-31"),
        "{short_ops_token}"
    );
    for message in [with_sandbox, without_secret, without_gateway, without_token] {
        assert!(!message.contains(SECRET) && !message.contains(GATEWAY_TOKEN));
    }
    std::fs::remove_file(&path).ok();
}

async fn console_flow_through_the_gateway(app: TestApp, calls: Calls) {
    // Registration: the code leaves through the gateway and nothing else holds it.
    let email = "prod@example.com";
    let send = "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code message } } }";
    let sent = app
        .gql(
            send,
            json!({ "i": { "channel": "EMAIL", "target": email, "purpose": "REGISTER" } }),
        )
        .await;
    assert_eq!(
        sent["data"]["sendVerificationCode"]["userErrors"],
        json!([]),
        "{sent}"
    );
    let code = delivered_code(&calls, email);
    let registered = app
        .gql(
            "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { userErrors { code } session { token } } }",
            json!({ "i": { "site": "CHINA", "method": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code } }),
        )
        .await;
    let token = registered["data"]["registerAccount"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_owned();

    // A gateway failure is INTERNAL to the client, with nothing of the gateway in it.
    let failed = app
        .gql(send, json!({ "i": { "channel": "EMAIL", "target": "undeliverable@example.com", "purpose": "REGISTER" } }))
        .await;
    let failure = failed.to_string();
    assert!(failure.contains("INTERNAL"), "{failure}");
    assert!(!failure.contains("gw") && !failure.contains("502") && !failure.contains("127.0.0.1"));

    // The session cookie is Secure.
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": SIGN_IN, "variables": { "i": { "site": "CHINA", "email": email, "password": PASSWORD } } }))
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ac_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // LOG-07's captcha is checked by the gateway, with the client's address.
    for _ in 0..3 {
        let out = sign_in(&app, "CHINA", email, "Wrong#123", None).await;
        assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    }
    let unsolved = sign_in(&app, "CHINA", email, PASSWORD, Some("a-robot-guess")).await;
    assert_eq!(error_code(&unsolved), "CAPTCHA_REQUIRED", "{unsolved}");
    let solved = sign_in(&app, "CHINA", email, PASSWORD, Some("solved-by-a-human")).await;
    assert_eq!(solved["userErrors"], json!([]), "{solved}");
    assert!(
        calls.lock().unwrap().iter().any(|(path, body)| {
            path == "captcha/verify" && body["clientAddress"] == "127.0.0.1"
        })
    );

    // Identity providers answer through the gateway; sandbox codes mean nothing here.
    let provider = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { userErrors { code } account { registrationMethod } } }";
    let sandbox_code = app
        .gql(
            provider,
            json!({ "i": { "site": "CHINA", "method": "QQ", "providerCode": "sandbox:qq-1" } }),
        )
        .await;
    assert_ne!(
        error_code(&sandbox_code["data"]["registerAccount"]),
        "",
        "{sandbox_code}"
    );
    let real_code = app
        .gql(
            provider,
            json!({ "i": { "site": "CHINA", "method": "QQ", "providerCode": "ok-qq-1" } }),
        )
        .await;
    assert_eq!(
        real_code["data"]["registerAccount"]["account"]["registrationMethod"], "QQ",
        "{real_code}"
    );
    let signed_in = sign_in_with_provider(
        &app,
        json!({ "site": "CHINA", "kind": "QQ", "providerCode": "ok-qq-1" }),
    )
    .await;
    assert_eq!(signed_in["userErrors"], json!([]), "{signed_in}");

    // The real-name provider's refusal reaches the user with its reason (VER-02).
    let submitted = app
        .gql_as(
            Some(&token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code } verification { state rejectionReason } } }",
            json!({ "i": { "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "王五",
                           "idNumber": resident_id("19900101", 77), "birthDate": "1990-01-01" } }),
        )
        .await;
    let verification = &submitted["data"]["submitIndividualVerification"]["verification"];
    assert_eq!(verification["state"], "REJECTED", "{submitted}");
    assert_eq!(
        verification["rejectionReason"], "face mismatch",
        "{submitted}"
    );
}

async fn nothing_of_the_sandbox_is_served(app: TestApp) {
    let introspection = app
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(introspection["errors"].is_array(), "{introspection}");
    let page = app
        .client
        .get(format!("{}/", app.base))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);

    for sandbox_only in [
        "{ now }",
        "{ outbox(target: \"x@example.com\") { code } }",
        "mutation { advanceClock(seconds: 60) }",
    ] {
        let out = app.ops(sandbox_only, json!({})).await;
        assert!(
            out["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Unknown field"),
            "{sandbox_only}: {out}"
        );
    }
    let jobs = app
        .ops("mutation { runScheduledJobs { ok } }", json!({}))
        .await;
    assert_eq!(jobs["data"]["runScheduledJobs"]["ok"], true, "{jobs}");
    // Billing owns the standing in production; the ops API says so instead of ignoring it.
    let standing = app
        .ops(
            "mutation($i: AccountStandingInput!) { setAccountStanding(input: $i) { ok message } }",
            json!({ "i": { "accountId": "100000000001", "overduePayment": true } }),
        )
        .await;
    assert_eq!(
        standing["data"]["setAccountStanding"]["ok"], false,
        "{standing}"
    );
}

async fn production_scenario(backend: Backend) {
    let (gateway, calls) = fake_gateway().await;
    run_with(
        backend,
        |args| production(args, &gateway),
        |app| async move {
            nothing_of_the_sandbox_is_served(app.clone()).await;
            console_flow_through_the_gateway(app, calls).await;
        },
    )
    .await;
}

#[tokio::test]
async fn production_mode_sqlite() {
    production_scenario(Backend::Sqlite).await;
}

#[tokio::test]
async fn production_mode_postgres() {
    production_scenario(Backend::Postgres).await;
}
