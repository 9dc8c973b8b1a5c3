//! Several server instances on one database (behind a load balancer): the quotas, the
//! member limit, single-use MFA codes and one-per-target codes hold across instances,
//! because every invariant is held by the database (locks, unique indexes, conditional
//! updates), never by a process's memory.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, error_code, run_two},
    identities::resident_id,
    mfa,
};

/// Alternates requests between the two instances.
fn pick<'a>(i: usize, first: &'a TestApp, second: &'a TestApp) -> &'a TestApp {
    if i.is_multiple_of(2) { first } else { second }
}

async fn submit_identity(app: &TestApp, token: &str, number: &str) -> Value {
    let out = app
        .gql_as(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code } verification { state } } }",
            json!({ "i": { "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                           "idNumber": number, "birthDate": "1990-01-01" } }),
        )
        .await;
    out["data"]["submitIndividualVerification"].clone()
}

async fn quotas_limits_and_codes_hold_across_two_instances(first: TestApp, second: TestApp) {
    // VER-08 / VER-10: eight accounts, one identity, requests spread over both instances.
    let mut tokens = Vec::new();
    for i in 0..8 {
        let (token, _) = first
            .register_email("CHINA", &format!("multi{i}@example.com"))
            .await;
        tokens.push(token);
    }
    let number = resident_id("19900101", 901);
    let outcomes = join_all(
        tokens
            .iter()
            .enumerate()
            .map(|(i, token)| submit_identity(pick(i, &first, &second), token, &number)),
    )
    .await;
    let approved = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    // RULE VER-10
    assert_eq!(approved, 3, "{outcomes:?}");

    // SUB-02: 998 members exist; six creations over two instances, exactly two succeed.
    let root = &tokens[0];
    crate::console_page::insert_members(&first, root_id(&first, root).await, 998).await;
    let created = join_all((0..6).map(|i| {
        pick(i, &first, &second).gql_as(
            Some(root),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } subUser { id } } }",
            json!({ "i": { "name": format!("race-{i}"), "consoleLogin": false } }),
        )
    }))
    .await;
    let made = created
        .iter()
        .filter(|o| o["data"]["createSubUser"]["subUser"].is_object())
        .count();
    // RULE SUB-02
    assert_eq!(made, 2, "{created:?}");
    assert!(
        created
            .iter()
            .filter(|o| o["data"]["createSubUser"]["subUser"].is_null())
            .all(|o| error_code(&o["data"]["createSubUser"]) == "MEMBER_LIMIT")
    );

    // MFA-04: one code sent to both instances at once unbinds once.
    let (secret, _) = mfa::bind_virtual(&first, &tokens[1], None).await;
    first.advance(30).await;
    let code = mfa::code_now(&first, &secret).await;
    let unbind = "mutation($i: UnbindMfaDeviceInput!) { unbindMfaDevice(input: $i) { userErrors { code } account { id } } }";
    let tries = join_all(
        [&first, &second]
            .map(|app| app.gql_as(Some(&tokens[1]), unbind, json!({ "i": { "code": code } }))),
    )
    .await;
    let unbound = tries
        .iter()
        .filter(|o| o["data"]["unbindMfaDevice"]["account"].is_object())
        .count();
    // RULE MFA-04
    assert_eq!(unbound, 1, "{tries:?}");

    // Codes are paced per target (one a minute) across instances too.
    let send = "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code } } }";
    let sent = join_all([&first, &second].map(|app| {
        app.gql(
            send,
            json!({ "i": { "channel": "EMAIL", "target": "paced@example.com", "purpose": "REGISTER" } }),
        )
    }))
    .await;
    let accepted = sent
        .iter()
        .filter(|o| o["data"]["sendVerificationCode"]["userErrors"] == json!([]))
        .count();
    assert_eq!(accepted, 1, "{sent:?}");

    // The sandbox time is shared: moved on one instance, seen by the other's ops API.
    let now = |app: &TestApp| {
        let app = app.clone();
        async move {
            app.ops("{ now }", json!({})).await["data"]["now"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    first.advance(3 * 86_400).await;
    let (a, b) = (now(&first).await, now(&second).await);
    let a = chrono::DateTime::parse_from_rfc3339(&a).unwrap();
    let b = chrono::DateTime::parse_from_rfc3339(&b).unwrap();
    assert!((a - b).num_seconds().abs() < 60, "{a} vs {b}");
}

async fn root_id(app: &TestApp, token: &str) -> i64 {
    let out = app
        .gql_as(Some(token), "{ viewer { account { id } } }", json!({}))
        .await;
    let gid = out["data"]["viewer"]["account"]["id"].as_str().unwrap();
    let raw = base64_decode(gid);
    raw.split_once(':').unwrap().1.parse().unwrap()
}

fn base64_decode(s: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sqlite() {
    run_two(
        Backend::Sqlite,
        quotas_limits_and_codes_hold_across_two_instances,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_postgres() {
    run_two(
        Backend::Postgres,
        quotas_limits_and_codes_hold_across_two_instances,
    )
    .await;
}
