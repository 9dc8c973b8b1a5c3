//! `account-center seed --demo`: after seeding through the real migrations and use-cases,
//! the printed credentials sign in and the console's pages are full (members, projects,
//! keys, MFA devices, login history, messages), on SQLite and PostgreSQL; a second run
//! refuses the non-empty database.

use account_center::{config::ServeArgs, demo};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{Backend, TestApp, run_with};

const CONSOLE_PAGE: &str = include_str!("console_page.graphql");

/// Runs `scenario` on a fresh app, with the settings it was built with (the demo seeds the
/// same database with the same secret key, as the CLI would beside the server).
async fn run_demo(backend: Backend, secret_key: Option<&str>) {
    let slot: std::sync::Arc<std::sync::Mutex<Option<ServeArgs>>> = Default::default();
    let captured = slot.clone();
    let key = secret_key.map(str::to_owned);
    run_with(
        backend,
        move |args| {
            args.secret_key = key;
            *captured.lock().unwrap() = Some(args.clone());
        },
        |app| async move {
            let args = slot.lock().unwrap().clone().expect("the app's settings");
            demo_console_is_full(app, args).await;
        },
    )
    .await;
}

async fn demo_console_is_full(app: TestApp, args: ServeArgs) {
    let seeded = demo::seed_database(&args).await.expect("seed --demo");
    let printed = seeded.instructions("http://127.0.0.1:8000");
    for shown in [
        seeded.email,
        seeded.password,
        seeded.account_id.as_str(),
        seeded.session_token.as_str(),
        seeded.sub_user_password,
        "http://127.0.0.1:8000/",
    ] {
        assert!(printed.contains(shown), "{shown} missing from:\n{printed}");
    }

    // The printed e-mail and password sign in (no challenge: login protection is off).
    let out = app
        .gql(
            "mutation($e: String!, $p: String!) { signIn(input: { site: CHINA, email: $e, password: $p }) {
               userErrors { code } challenge { id } session { token } } }",
            json!({ "e": seeded.email, "p": seeded.password }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    assert_eq!(out["data"]["signIn"]["userErrors"], json!([]), "{out}");
    let token = out["data"]["signIn"]["session"]["token"]
        .as_str()
        .expect("a session")
        .to_owned();

    // The console page: an enterprise-verified root with members, keys, devices, projects.
    let page = app.gql_as(Some(&token), CONSOLE_PAGE, json!({})).await;
    assert!(page.get("errors").is_none(), "{page}");
    let account = &page["data"]["viewer"]["account"];
    assert_eq!(account["accountId"], seeded.account_id.as_str());
    assert_eq!(account["verification"]["state"], "APPROVED");
    assert_eq!(account["verification"]["subjectKind"], "ENTERPRISE");
    assert_eq!(account["mfaDevice"]["kind"], "VIRTUAL");
    assert_eq!(account["subUsers"]["totalCount"], json!(seeded.members));
    let nodes: Vec<&Value> = account["subUsers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert!(nodes.len() >= 12, "{account}");
    for kind in ["SUB_USER", "COLLABORATOR", "MESSAGE_RECIPIENT"] {
        assert!(
            nodes.iter().any(|n| n["kind"] == kind),
            "no {kind}: {account}"
        );
    }
    assert!(nodes.iter().any(|n| !n["mfaDevice"].is_null()));
    assert!(
        nodes
            .iter()
            .any(|n| n["accessKeys"].as_array().is_some_and(|k| !k.is_empty()))
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["projects"].as_array().is_some_and(|p| p.len() > 1))
    );
    let projects = account["projects"]["edges"].as_array().unwrap();
    assert_eq!(projects.len() as u64, seeded.projects);
    assert!(projects.iter().any(|p| p["node"]["status"] == "ENABLED"));
    assert!(projects.iter().any(|p| p["node"]["status"] == "DISABLED"));

    // Messages and login history.
    let out = app
        .gql_as(
            Some(&token),
            "{ viewer { unreadMessageCount messages(first: 50) { edges { node { category title body } } }
                 account { verificationStatus loginHistory(first: 20) { totalCount edges { node { success clientAddress } } } } } }",
            json!({}),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    let viewer = &out["data"]["viewer"];
    let messages = viewer["messages"]["edges"].as_array().unwrap();
    assert!(messages.len() >= 5, "{viewer}");
    assert!(messages.len() as u64 >= seeded.messages.min(50));
    assert!(viewer["unreadMessageCount"].as_u64().unwrap() >= 5);
    assert!(
        messages
            .iter()
            .all(|m| !m["node"]["title"].as_str().unwrap_or_default().is_empty())
    );
    assert_eq!(viewer["account"]["verificationStatus"], "VERIFIED");
    let history = viewer["account"]["loginHistory"]["edges"]
        .as_array()
        .unwrap();
    assert!(
        history.iter().any(|h| h["node"]["success"] == false),
        "{viewer}"
    );
    assert!(
        history
            .iter()
            .filter(|h| h["node"]["success"] == true)
            .count()
            >= 3
    );

    // The printed session token and the sub-user's credentials work too.
    let out = app
        .gql_as(
            Some(&seeded.session_token),
            "{ viewer { account { accountId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["viewer"]["account"]["accountId"],
        seeded.account_id.as_str()
    );
    let out = app
        .gql(
            "mutation($a: String!, $u: String!, $p: String!) { signInSubUser(input: { rootAccountId: $a, userName: $u, password: $p }) {
               userErrors { code } session { token } } }",
            json!({ "a": seeded.account_id, "u": seeded.sub_user, "p": seeded.sub_user_password }),
        )
        .await;
    assert_eq!(
        out["data"]["signInSubUser"]["userErrors"],
        json!([]),
        "{out}"
    );
    let member_token = out["data"]["signInSubUser"]["session"]["token"]
        .as_str()
        .unwrap();
    let out = app
        .gql_as(
            Some(member_token),
            "{ viewer { subUser { name } messages(first: 5) { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["viewer"]["subUser"]["name"], seeded.sub_user,
        "{out}"
    );

    // The printed MFA secret is the device's, sealed under the server's key: its code
    // answers a second factor (the next step's: the current one may be the binding's,
    // which a replay check refuses).
    let totp = TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(seeded.mfa_secret.clone())
            .to_bytes()
            .unwrap(),
        None,
        String::new(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp.generate(now + 30);
    let out = app
        .gql_as(
            Some(&token),
            "mutation($c: String!) { updateProtection(input: { operationProtection: true, secondFactor: { mfaCode: $c } }) {
               userErrors { code message } account { operationProtection } } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(
        out["data"]["updateProtection"]["userErrors"],
        json!([]),
        "{out}"
    );
    assert_eq!(
        out["data"]["updateProtection"]["account"]["operationProtection"],
        true
    );

    // A second run refuses the non-empty database and changes nothing.
    let again = demo::seed_database(&args).await;
    let err = again.expect_err("a second seed must refuse");
    assert!(
        matches!(err, demo::DemoError::NotEmpty(n) if n > 0),
        "{err}"
    );
    assert!(err.to_string().contains("empty database"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seed_sqlite_stored_key() {
    run_demo(Backend::Sqlite, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seed_postgres_configured_key() {
    run_demo(
        Backend::Postgres,
        Some("a-configured-secret-key-of-at-least-32-chars"),
    )
    .await;
}
