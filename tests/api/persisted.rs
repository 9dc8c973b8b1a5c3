//! Persisted documents: automatic persisted queries (the `persistedQuery` extension) and
//! the trusted-documents mode (`--trusted-documents`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, PASSWORD, TestApp, run_with};

const VIEWER: &str = "query Viewer { viewer { account { accountId } } }";

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app.client.post(format!("{}/graphql", app.base)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn get(app: &TestApp, token: &str, params: &[(&str, String)]) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(params)
        .bearer_auth(token)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn code(out: &Value) -> &str {
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_document_is_sent_once_then_named_by_its_hash() {
    run_with(
        Backend::Sqlite,
        |_| {},
        |app| async move {
            let (token, account) = app.register_email("CHINA", "apq@example.com").await;
            let hash = sha(VIEWER);
            // Unknown hash: the client is asked for the document.
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "extensions": persisted(&hash) }),
            )
            .await;
            assert_eq!(code(&out), "PERSISTED_QUERY_NOT_FOUND", "{out}");
            assert_eq!(
                out["errors"][0]["message"], "PersistedQueryNotFound",
                "{out}"
            );
            // The document with its hash runs and is kept.
            let (status, out) = post(
                &app,
                Some(&token),
                json!({ "query": VIEWER, "extensions": persisted(&hash) }),
            )
            .await;
            assert_eq!(status, 200);
            assert_eq!(
                out["data"]["viewer"]["account"]["accountId"],
                account["accountId"]
            );
            // From then on the hash alone, by POST or by GET.
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "extensions": persisted(&hash) }),
            )
            .await;
            assert_eq!(
                out["data"]["viewer"]["account"]["accountId"], account["accountId"],
                "{out}"
            );
            let extensions = persisted(&hash).to_string();
            let (status, out) = get(&app, &token, &[("extensions", extensions)]).await;
            assert_eq!(status, 200, "{out}");
            assert_eq!(
                out["data"]["viewer"]["account"]["accountId"], account["accountId"],
                "{out}"
            );

            // A hash that is not the document's is refused, and nothing runs.
            let other = "query Other { viewer { account { nickname } } }";
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "query": other, "extensions": persisted(&hash) }),
            )
            .await;
            assert_eq!(code(&out), "BAD_REQUEST", "{out}");
            assert!(out.get("data").is_none_or(Value::is_null), "{out}");
            let (_, out) = post(
            &app,
            Some(&token),
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "xyz" } } }),
        )
        .await;
            assert_eq!(code(&out), "BAD_REQUEST", "{out}");

            // A kept mutation is still never run by GET.
            let mutation = "mutation { signOut(input: {}) { userErrors { code } } }";
            let mutation_hash = sha(mutation);
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "query": mutation, "extensions": persisted(&mutation_hash) }),
            )
            .await;
            assert_eq!(out["data"]["signOut"]["userErrors"], json!([]), "{out}");
            let signed_in =
                crate::sign_in::sign_in(&app, "CHINA", "apq@example.com", PASSWORD, None).await;
            let token = crate::sign_in::session_token(&signed_in);
            let (status, _) = get(
                &app,
                &token,
                &[("extensions", persisted(&mutation_hash).to_string())],
            )
            .await;
            assert_eq!(status, 405);
            let (_, out) = post(&app, Some(&token), json!({ "query": VIEWER })).await;
            assert!(
                out["data"]["viewer"]["account"]["accountId"].is_string(),
                "{out}"
            );

            // A kept document still meets the limits it passed: an over-limit one is never kept.
            let deep = format!(
                "{{ viewer {{ account {{ {} }} }} }}",
                "accountId ".repeat(5000)
            );
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "query": deep, "extensions": persisted(&sha(&deep)) }),
            )
            .await;
            assert!(!out["errors"].is_null(), "{out}");
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "extensions": persisted(&sha(&deep)) }),
            )
            .await;
            assert_eq!(code(&out), "PERSISTED_QUERY_NOT_FOUND", "{out}");
        },
    )
    .await;
}

#[tokio::test]
async fn trusted_documents_mode_runs_only_the_manifest() {
    let dir = std::env::temp_dir().join(format!("ac-trusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("trusted-documents.json");
    std::fs::write(&manifest, json!({ sha(VIEWER): VIEWER }).to_string()).unwrap();
    let path = manifest.clone();
    run_with(
        Backend::Sqlite,
        move |args| args.trusted_documents = Some(path),
        |app| async move {
            // Registration is not in this manifest: the account comes from the seed.
            let shape = crate::seed::Shape {
                sub_users: 1,
                projects: 1,
                other_accounts: 0,
            };
            let token = crate::seed::seed(&app.db, shape).await.unwrap().token;
            // By hash, without ever sending the text.
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "extensions": persisted(&sha(VIEWER)) }),
            )
            .await;
            let account = out["data"]["viewer"]["account"]["accountId"].clone();
            assert!(account.is_string(), "{out}");
            // By text, when it is the manifest's.
            let (_, out) = post(&app, Some(&token), json!({ "query": VIEWER })).await;
            assert_eq!(
                out["data"]["viewer"]["account"]["accountId"], account,
                "{out}"
            );
            // Anything else is refused before it runs.
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "query": "{ viewer { account { nickname } } }" }),
            )
            .await;
            assert_eq!(code(&out), "PERSISTED_QUERY_NOT_ALLOWED", "{out}");
            let (_, out) = post(
                &app,
                Some(&token),
                json!({ "extensions": persisted(&sha("{ x }")) }),
            )
            .await;
            assert_eq!(code(&out), "PERSISTED_QUERY_NOT_FOUND", "{out}");
        },
    )
    .await;
    // A manifest whose hash is not its document's stops the start.
    std::fs::write(&manifest, json!({ sha("{ a }"): VIEWER }).to_string()).unwrap();
    let mut args = account_center::config::ServeArgs::for_database("sqlite::memory:");
    args.trusted_documents = Some(manifest);
    let Err(err) = account_center::build(&args).await else {
        panic!("a manifest with a wrong hash must be refused");
    };
    assert!(err.to_string().contains("--trusted-documents"), "{err}");
}
