//! Failure behaviour (PostgreSQL): with the database gone, `/readyz` fails and requests
//! answer quickly with an error; when it returns, the server recovers by itself. The test
//! cuts off only its own database (ALLOW_CONNECTIONS false and its sessions terminated).

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::helpers::{Backend, TestApp, postgres_url, run};

async fn set_reachable(database: &str, reachable: bool) {
    let admin = Database::connect(postgres_url().unwrap()).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {reachable}"
        ))
        .await
        .unwrap();
    if !reachable {
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ))
            .await
            .unwrap();
    }
    admin.close().await.ok();
}

async fn status(app: &TestApp, path: &str) -> u16 {
    app.client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn the_server_fails_fast_without_its_database_and_recovers(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "resilient@example.com").await;
    let name: String = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT current_database() AS name",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "name")
        .unwrap();
    assert_eq!(status(&app, "/readyz").await, 200);

    set_reachable(&name, false).await;
    let started = Instant::now();
    assert_eq!(
        status(&app, "/readyz").await,
        503,
        "readyz while the database is gone"
    );
    assert_eq!(
        status(&app, "/healthz").await,
        200,
        "the process itself is up"
    );
    let page = app
        .gql_as(
            Some(&token),
            "{ viewer { account { accountId } } }",
            json!({}),
        )
        .await;
    assert!(
        page["data"].is_null() || page["data"]["viewer"].is_null(),
        "{page}"
    );
    let sign_in = app
        .gql(
            "mutation { signIn(input: {site: CHINA, email: \"resilient@example.com\", password: \"Secret#123\"}) { session { token } } }",
            json!({}),
        )
        .await;
    let code = sign_in["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(code, "INTERNAL", "{sign_in}");
    assert!(
        !sign_in.to_string().contains("ALLOW_CONNECTIONS"),
        "no database detail leaks"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "errors must come quickly, not hang: {:?}",
        started.elapsed()
    );

    set_reachable(&name, true).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&app, "/readyz").await != 200 {
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let page = app
        .gql_as(
            Some(&token),
            "{ viewer { account { accountId } } }",
            json!({}),
        )
        .await;
    assert!(
        page["data"]["viewer"]["account"]["accountId"].is_string(),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_postgres() {
    run(
        Backend::Postgres,
        the_server_fails_fast_without_its_database_and_recovers,
    )
    .await;
}
