//! Rate limits per client address shared by every instance: sign-in attempts of any kind,
//! and codes; behind a trusted load balancer the client is the forwarded address.

use futures::future::join_all;
use serde_json::json;

use crate::{
    db_test, db_test_with,
    helpers::{Backend, TestApp, error_code, run_with},
};

/// The CHINA site's policy, whose per-client numbers these tests count against.
fn china() -> account_center::domain::SitePolicy {
    account_center::domain::SitePolicy::default_for(account_center::domain::Site::China)
}

async fn one_client_cannot_spray_sign_ins_over_many_accounts(app: TestApp) {
    // `sign_ins_per_client` (120) in `sign_in_client_window` (10 minutes).
    let per_window = usize::try_from(china().sign_ins_per_client).unwrap();
    app.start_fresh_window(china().sign_in_client_window.num_seconds())
        .await;
    let sign_in = "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code retryAfterSeconds } } }";
    let attempts = join_all((0..per_window + 5).map(|i| {
        app.gql(
            sign_in,
            json!({ "i": { "site": "CHINA", "email": format!("spray{i}@example.com"), "password": "Wrong#123" } }),
        )
    }))
    .await;
    let codes: Vec<String> = attempts
        .iter()
        // A request refused outside the payload shows its top-level error instead.
        .map(|o| match o["errors"][0]["message"].as_str() {
            Some(message) => format!("error: {message}"),
            None => error_code(&o["data"]["signIn"]),
        })
        .collect();
    let limited = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    // The refusal says when to come back: within the 10-minute window.
    for refused in attempts
        .iter()
        .filter(|o| error_code(&o["data"]["signIn"]) == "RATE_LIMITED")
    {
        let retry = refused["data"]["signIn"]["userErrors"][0]["retryAfterSeconds"].as_i64();
        assert!(retry.is_some_and(|s| (1..=600).contains(&s)), "{refused}");
    }
    // Every account is distinct, so no per-account lock applies: only the client limit does.
    assert_eq!(limited, 5, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count(),
        per_window,
        "{codes:?}"
    );
    // The window passes; the client may try again.
    app.advance(10 * 60).await;
    let again = app
        .gql(
            sign_in,
            json!({ "i": { "site": "CHINA", "email": "spray0@example.com", "password": "Wrong#123" } }),
        )
        .await;
    assert_eq!(error_code(&again["data"]["signIn"]), "INVALID_CREDENTIALS");
}

// 125 sign-ins at once, each counted per attempted e-mail (LOG-07) and per client: served
// by the default pool (16 connections), as a deployment would serve such a burst.
db_test_with!(
    one_client_cannot_spray_sign_ins_over_many_accounts,
    |args| {
        args.db_pool = account_center::config::ServeArgs::for_database(String::new()).db_pool;
    }
);

/// `codes_per_client`: 30 codes per client address an hour, whatever the targets.
fn codes_per_client() -> usize {
    usize::try_from(china().codes_per_client).unwrap()
}

/// Sends one REGISTER code to a fresh target as `forwarded_for`; the error code or "".
async fn send_code_as(app: &TestApp, forwarded_for: impl AsRef<str>, target: usize) -> String {
    let out: serde_json::Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-forwarded-for", forwarded_for.as_ref())
        .json(&json!({
            "query": "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code } } }",
            "variables": { "i": { "channel": "EMAIL", "target": format!("t{target}@example.com"), "purpose": "REGISTER" } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    error_code(&out["data"]["sendVerificationCode"])
}

async fn forwarded_clients_are_counted_apart(app: TestApp) {
    app.start_fresh_window(china().codes_client_window.num_seconds())
        .await;
    let first =
        join_all((0..=codes_per_client()).map(|i| send_code_as(&app, "198.51.100.1", i))).await;
    assert_eq!(
        first.iter().filter(|c| c.is_empty()).count(),
        codes_per_client(),
        "{first:?}"
    );
    assert_eq!(
        first.iter().filter(|c| *c == "RATE_LIMITED").count(),
        1,
        "{first:?}"
    );
    // Another client behind the same balancer has its own allowance.
    let other = send_code_as(&app, "198.51.100.2", 1000).await;
    assert_eq!(other, "");
    // A hop prepended by the client proves nothing: the balancer's own hop is the client.
    let spoofed = send_code_as(&app, "203.0.113.50, 198.51.100.1", 1001).await;
    assert_eq!(spoofed, "RATE_LIMITED");
}

async fn untrusted_peers_cannot_spoof_their_address(app: TestApp) {
    app.start_fresh_window(china().codes_client_window.num_seconds())
        .await;
    let sent = join_all(
        (0..=codes_per_client()).map(|i| send_code_as(&app, format!("198.51.100.{i}"), i)),
    )
    .await;
    assert_eq!(
        sent.iter().filter(|c| *c == "RATE_LIMITED").count(),
        1,
        "{sent:?}"
    );
}

async fn behind_a_trusted_balancer(backend: Backend) {
    run_with(
        backend,
        |args| args.trusted_proxies = vec!["127.0.0.0/8".into()],
        forwarded_clients_are_counted_apart,
    )
    .await;
}

#[tokio::test]
async fn forwarded_clients_are_counted_apart_sqlite() {
    behind_a_trusted_balancer(Backend::Sqlite).await;
}

#[tokio::test]
async fn forwarded_clients_are_counted_apart_postgres() {
    behind_a_trusted_balancer(Backend::Postgres).await;
}

db_test!(untrusted_peers_cannot_spoof_their_address);
