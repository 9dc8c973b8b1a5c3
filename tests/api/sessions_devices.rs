//! LOG-10: the sessions and trusted devices a principal sees and ends one by one, through
//! GraphQL on both databases.

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0";

const SESSIONS: &str = "{ viewer { session { id current } sessions(first: 10) { totalCount
    edges { node { id createdAt lastUsedAt expiresAt clientAddress userAgent current } } } } }";
const REVOKE: &str = "mutation($i: RevokeSessionInput!) { revokeSession(input: $i) {
    userErrors { code field message } sessionCount } }";
const FORGET: &str = "mutation($i: ForgetTrustedDeviceInput!) { forgetTrustedDevice(input: $i) {
    userErrors { code field message } } }";
const DEVICES: &str =
    "{ viewer { trustedDevices { id trustedAt expiresAt userAgent clientAddress } } }";
const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) {
    userErrors { code field message } session { token } challenge { id } deviceToken } }";
const COMPLETE: &str =
    "mutation($i: CompleteLoginChallengeInput!) { completeLoginChallenge(input: $i) {
    userErrors { code field message } session { token } deviceToken } }";

async fn sign_in_as(app: &TestApp, agent: &str, input: Value) -> Value {
    let out = app
        .gql_with_agent(Some(agent), None, SIGN_IN, json!({ "i": input }))
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["signIn"].clone()
}

async fn password_session(app: &TestApp, agent: &str, email: &str) -> String {
    let out = sign_in_as(
        app,
        agent,
        json!({ "site": "CHINA", "email": email, "password": PASSWORD }),
    )
    .await;
    out["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {out}"))
        .to_owned()
}

fn edges(out: &Value) -> Vec<Value> {
    out["data"]["viewer"]["sessions"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn signed_in(app: &TestApp, token: &str) -> bool {
    let out = app
        .gql_as(
            Some(token),
            "{ viewer { account { accountId } } }",
            json!({}),
        )
        .await;
    !out["data"]["viewer"].is_null()
}

async fn two_sessions_from_two_clients_one_ends_the_other(app: TestApp) {
    let email = "log10-owner@example.com";
    let (first, _) = app.register_email("CHINA", email).await;
    let laptop = password_session(&app, CHROME, email).await;
    let phone = password_session(&app, FIREFOX, email).await;

    let out = app.gql_as(Some(&laptop), SESSIONS, json!({})).await;
    let listed = edges(&out);
    // RULE LOG-10: every live session, newest first, the current one marked.
    assert_eq!(out["data"]["viewer"]["sessions"]["totalCount"], 3, "{out}");
    assert_eq!(listed.len(), 3, "{out}");
    assert_eq!(listed[0]["userAgent"], "Firefox 121.0 on Mac OSX", "{out}");
    assert_eq!(
        listed[1]["userAgent"], "Chrome 120.0.0.0 on Windows 10",
        "{out}"
    );
    assert_eq!(
        listed
            .iter()
            .map(|s| s["current"].clone())
            .collect::<Vec<_>>(),
        [json!(false), json!(true), json!(false)],
        "{out}"
    );
    assert_eq!(out["data"]["viewer"]["session"]["id"], listed[1]["id"]);
    for session in &listed {
        // RULE LOG-10: the client address is masked.
        assert_eq!(session["clientAddress"], "127.0.0.*", "{out}");
        assert_eq!(session["lastUsedAt"], session["createdAt"], "{out}");
    }
    let phone_id = listed[0]["id"].clone();

    // The laptop ends the phone's session: its next request is unauthenticated.
    let out = app
        .mutate(
            Some(&laptop),
            REVOKE,
            "revokeSession",
            json!({ "sessionId": phone_id }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["sessionCount"], 2, "{out}");
    // RULE LOG-10: an ended session's next request is unauthenticated.
    assert!(!signed_in(&app, &phone).await);
    assert!(signed_in(&app, &laptop).await);
    assert!(signed_in(&app, &first).await);
    // Ending it twice finds nothing.
    let out = app
        .mutate(
            Some(&laptop),
            REVOKE,
            "revokeSession",
            json!({ "sessionId": phone_id }),
        )
        .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");

    // RULE LOG-10: ending a session is recorded in the audit log.
    let out = app
        .gql_as(
            Some(&laptop),
            "{ viewer { account { auditLog(first: 1) { edges { node { action targetId } } } } } }",
            json!({}),
        )
        .await;
    let entry = &out["data"]["viewer"]["account"]["auditLog"]["edges"][0]["node"];
    assert_eq!(entry["action"], "session.revoke", "{out}");
    assert_eq!(entry["targetId"], phone_id, "{out}");

    // The current session can end itself, like signOut.
    let current = app.gql_as(Some(&first), SESSIONS, json!({})).await["data"]["viewer"]["session"]
        ["id"]
        .clone();
    let out = app
        .mutate(
            Some(&first),
            REVOKE,
            "revokeSession",
            json!({ "sessionId": current }),
        )
        .await;
    assert_eq!(out["sessionCount"], 1, "{out}");
    assert!(!signed_in(&app, &first).await);
    let out = app.gql_as(Some(&laptop), SESSIONS, json!({})).await;
    assert_eq!(edges(&out).len(), 1, "{out}");
}

async fn last_use_is_kept_coarsely(app: TestApp) {
    let email = "log10-coarse@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let first = &edges(&app.gql_as(Some(&token), SESSIONS, json!({})).await)[0];
    let created = first["createdAt"].clone();
    app.advance(30).await;
    let out = app.gql_as(Some(&token), SESSIONS, json!({})).await;
    // RULE LOG-10: within a minute of its last noted use, a request writes nothing.
    assert_eq!(edges(&out)[0]["lastUsedAt"], created, "{out}");
    app.advance(31).await;
    // This request notes the use; the next one shows it.
    app.gql_as(Some(&token), SESSIONS, json!({})).await;
    let out = app.gql_as(Some(&token), SESSIONS, json!({})).await;
    let noted = edges(&out)[0]["lastUsedAt"].clone();
    assert_ne!(noted, created, "{out}");
    assert!(noted.as_str().unwrap() > created.as_str().unwrap(), "{out}");
}

async fn a_forgotten_device_is_challenged_again(app: TestApp) {
    let email = "log10-device@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = app
        .mutate(
            Some(&token),
            "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
                userErrors { code field message } } }",
            "updateProtection",
            json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let sign_in = json!({ "site": "CHINA", "email": email, "password": PASSWORD });
    let challenge = sign_in_as(&app, CHROME, sign_in.clone()).await["challenge"]["id"].clone();
    assert!(challenge.is_string());
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    let out = app
        .gql_with_agent(
            Some(CHROME),
            None,
            COMPLETE,
            json!({ "i": { "challengeId": challenge,
                "secondFactor": { "channel": "EMAIL", "code": code }, "trustDevice": true } }),
        )
        .await;
    let done = &out["data"]["completeLoginChallenge"];
    let session = done["session"]["token"].as_str().unwrap().to_owned();
    let device_token = done["deviceToken"].as_str().unwrap().to_owned();
    let mut trusted = sign_in.clone();
    trusted["deviceToken"] = json!(device_token);
    assert!(sign_in_as(&app, CHROME, trusted.clone()).await["session"]["token"].is_string());

    let out = app.gql_as(Some(&session), DEVICES, json!({})).await;
    let devices = out["data"]["viewer"]["trustedDevices"]
        .as_array()
        .unwrap()
        .clone();
    // RULE LOG-10: trusted devices are listed, recognisable and masked.
    assert_eq!(devices.len(), 1, "{out}");
    assert_eq!(
        devices[0]["userAgent"], "Chrome 120.0.0.0 on Windows 10",
        "{out}"
    );
    assert_eq!(devices[0]["clientAddress"], "127.0.0.*", "{out}");
    let device = devices[0]["id"].clone();

    let out = app
        .mutate(
            Some(&session),
            FORGET,
            "forgetTrustedDevice",
            json!({ "deviceId": device }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE LOG-10: a forgotten device's next sign-in is challenged again.
    let out = sign_in_as(&app, CHROME, trusted).await;
    assert_eq!(out["session"], Value::Null, "{out}");
    assert!(out["challenge"]["id"].is_string(), "{out}");
    let out = app.gql_as(Some(&session), DEVICES, json!({})).await;
    assert_eq!(out["data"]["viewer"]["trustedDevices"], json!([]), "{out}");
    let out = app
        .mutate(
            Some(&session),
            FORGET,
            "forgetTrustedDevice",
            json!({ "deviceId": device }),
        )
        .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
}

async fn principals_see_and_end_only_their_own_sessions(app: TestApp) {
    let email = "log10-root@example.com";
    let (root, account) = app.register_email("CHINA", email).await;
    let account_id = account["accountId"].as_str().unwrap();
    let out = app
        .mutate(
            Some(&root),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } } }",
            "createSubUser",
            json!({ "name": "ops", "password": PASSWORD }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let sub = app
        .mutate(
            None,
            "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) { session { token } } }",
            "signInSubUser",
            json!({ "rootAccountId": account_id, "userName": "ops", "password": PASSWORD }),
        )
        .await["session"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (other, _) = app.register_email("CHINA", "log10-other@example.com").await;

    let root_sessions = edges(&app.gql_as(Some(&root), SESSIONS, json!({})).await);
    let sub_sessions = edges(&app.gql_as(Some(&sub), SESSIONS, json!({})).await);
    // RULE LOG-10: a sub-user sees only its own sessions, the root only the root's.
    assert_eq!(root_sessions.len(), 1);
    assert_eq!(sub_sessions.len(), 1);
    assert_ne!(root_sessions[0]["id"], sub_sessions[0]["id"]);

    for (token, target) in [
        (&sub, &root_sessions[0]["id"]),
        (&root, &sub_sessions[0]["id"]),
        (&other, &root_sessions[0]["id"]),
        (&other, &sub_sessions[0]["id"]),
    ] {
        let out = app
            .mutate(
                Some(token),
                REVOKE,
                "revokeSession",
                json!({ "sessionId": target }),
            )
            .await;
        // RULE LOG-10: nobody ends another principal's session this way.
        assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
        assert_eq!(out["sessionCount"], Value::Null, "{out}");
    }
    assert!(signed_in(&app, &root).await);
    assert!(signed_in(&app, &sub).await);
    // An ID of another kind is bad input, not a lookup.
    let out = app
        .gql_as(
            Some(&root),
            REVOKE,
            json!({ "i": { "sessionId": account["id"] } }),
        )
        .await;
    assert_eq!(
        out["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{out}"
    );
}

db_test!(
    two_sessions_from_two_clients_one_ends_the_other,
    last_use_is_kept_coarsely,
    a_forgotten_device_is_challenged_again,
    principals_see_and_end_only_their_own_sessions,
);
