//! Notices that come from rules elsewhere: the sign-in an owner should hear of (NTF-05)
//! and a cancellation held up by late bills (CAN-07), through GraphQL.

use serde_json::{Value, json};

use crate::{
    db_test, db_test_with,
    helpers::{PASSWORD, TestApp},
};

const MESSAGES: &str = "{ viewer { unreadMessageCount messages(first: 50) {
    totalCount edges { node { category title body } } } } }";

/// The titles in the principal's message center, newest first.
async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    let out = app.gql_as(Some(token), MESSAGES, json!({})).await;
    out["data"]["viewer"]["messages"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("messages in {out}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Signs in from `client` (behind the trusted test proxy); the session token.
async fn sign_in_from(app: &TestApp, email: &str, client: &str) -> String {
    let out: Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-forwarded-for", client)
        .header("accept-language", "en")
        .json(&json!({
            "query": "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } session { token } } }",
            "variables": { "i": { "site": "CHINA", "email": email, "password": PASSWORD } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    out["data"]["signIn"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

const ANOMALOUS: &str = "A sign-in from a new device and network";
const REMINDER: &str = "Your account was signed in to again";

async fn a_new_network_and_a_quiet_month_are_told_not_blocked(app: TestApp) {
    let email = "watched@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    // RULE NTF-05: the registration's own sign-in is not anomalous.
    assert!(titles(&app, &token).await.is_empty());

    let far = sign_in_from(&app, email, "203.0.113.9").await;
    // RULE NTF-05: an untrusted device on a network never seen: told, and let in.
    assert_eq!(titles(&app, &far).await, vec![ANOMALOUS.to_owned()]);
    let messages = app.gql_as(Some(&far), MESSAGES, json!({})).await;
    let body = messages["data"]["viewer"]["messages"]["edges"][0]["node"]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    // RULE NTF-04: the network is named, never the full address.
    assert!(body.contains("203.0.113.0/24"), "{body}");
    assert!(!body.contains("203.0.113.9"), "{body}");

    // The same /24 again is now familiar.
    sign_in_from(&app, email, "203.0.113.77").await;
    assert_eq!(titles(&app, &token).await.len(), 1);

    // RULE NTF-05: after more than 30 days without a sign-in, a reminder.
    app.advance(31 * 86_400).await;
    let back = sign_in_from(&app, email, "203.0.113.5").await;
    assert_eq!(
        titles(&app, &back).await,
        vec![REMINDER.to_owned(), ANOMALOUS.to_owned()]
    );
    // The audit log records both.
    let log = app
        .gql_as(
            Some(&back),
            "{ viewer { account { auditLog(first: 20) { edges { node { action } } } } } }",
            json!({}),
        )
        .await;
    let actions = log.to_string();
    assert!(actions.contains("security.anomalous_sign_in"), "{actions}");
    assert!(
        actions.contains("security.sign_in_after_dormancy"),
        "{actions}"
    );
}

const REQUEST: &str = "mutation { requestCancellation(input: {}) {
    userErrors { code message } cancellation { id state } } }";

const STANDING: &str =
    "mutation($i: AccountStandingInput!) { setAccountStanding(input: $i) { ok message } }";

async fn status(app: &TestApp, token: &str) -> Value {
    let out = app
        .gql_as(Some(token), "{ viewer { account { status } } }", json!({}))
        .await;
    out["data"]["viewer"]["account"]["status"].clone()
}

async fn run_jobs(app: &TestApp) {
    let out = app
        .ops("mutation { runScheduledJobs { ok message } }", json!({}))
        .await;
    assert_eq!(out["data"]["runScheduledJobs"]["ok"], true, "{out}");
}

async fn late_bills_hold_a_cancellation_until_they_clear(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "late-bills@example.com").await;
    let id = account["accountId"].as_str().unwrap().to_owned();
    let out = app.gql_as(Some(&token), REQUEST, json!({})).await;
    assert_eq!(
        out["data"]["requestCancellation"]["cancellation"]["state"], "COOLING_OFF",
        "{out}"
    );
    // A bill arrives during cooling-off.
    let out = app
        .ops(
            STANDING,
            json!({ "i": { "accountId": id, "openOrders": 1, "amountOwed": "12.50" } }),
        )
        .await;
    assert_eq!(out["data"]["setAccountStanding"]["ok"], true, "{out}");
    app.advance(16 * 86_400).await;
    // Two runs (as two schedulers would): the owner is told once.
    run_jobs(&app).await;
    run_jobs(&app).await;
    // The 12-hour session is long gone; a CANCELLING account still signs in.
    let token = sign_in_from(&app, "late-bills@example.com", "127.0.0.1").await;
    // RULE CAN-07: the account stays CANCELLING, and the owner hears why, once.
    assert_eq!(status(&app, &token).await, "CANCELLING");
    let delayed: Vec<String> = titles(&app, &token)
        .await
        .into_iter()
        // Written by the scheduled work: in the CHINA site's language (issue 17, item 8).
        .filter(|t| t == "您的注销申请正在等待")
        .collect();
    assert_eq!(delayed.len(), 1);
    let messages = app.gql_as(Some(&token), MESSAGES, json!({})).await;
    let text = messages.to_string();
    assert!(text.contains("个未完成的订单或服务"), "{text}");
    assert!(text.contains("CANCELLATION"), "{text}");

    // RULE CAN-07: once they are settled, the first run completes it.
    let out = app.ops(STANDING, json!({ "i": { "accountId": id } })).await;
    assert_eq!(out["data"]["setAccountStanding"]["ok"], true, "{out}");
    run_jobs(&app).await;
    let viewer = app
        .gql_as(Some(&token), "{ viewer { account { status } } }", json!({}))
        .await;
    assert_eq!(viewer["data"]["viewer"], Value::Null, "{viewer}");
}

// Clients are told apart by the forwarded address the test proxy (localhost) passes on.
db_test_with!(
    a_new_network_and_a_quiet_month_are_told_not_blocked,
    |args| {
        args.trusted_proxies = vec!["127.0.0.0/8".into()];
    }
);

db_test!(late_bills_hold_a_cancellation_until_they_clear);
