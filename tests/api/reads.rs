//! A query request's reads share one connection and one transaction
//! (`account_center::reads`); a mutation's do not, and nothing waits on a pool for ever.

use account_center::reads::Reads;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::{
    db_test, db_test_with,
    helpers::{Backend, TestApp},
    seed::{Shape, seed},
};

async fn add_setting(db: &impl ConnectionTrait, key: &str) {
    let sql = format!("INSERT INTO server_settings (setting_key, value) VALUES ('{key}', 'x')");
    db.execute_unprepared(&sql).await.expect("insert");
}

async fn setting_count(db: &impl ConnectionTrait, key: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM server_settings WHERE setting_key = '{key}'"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn a_query_reads_in_one_transaction_and_its_writes_are_kept(app: TestApp) {
    let query = Reads::for_query(&app.reads, &app.db);
    match app.backend {
        Backend::Postgres => {
            // One transaction: `now()` is its start, whenever a statement runs in it.
            let now = "SELECT CAST(now() AS TEXT) AS t, pg_backend_pid() AS pid";
            let first = query
                .query_one_raw(Statement::from_string(query.get_database_backend(), now))
                .await
                .unwrap()
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let second = query
                .query_one_raw(Statement::from_string(query.get_database_backend(), now))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                first.try_get::<String>("", "t").unwrap(),
                second.try_get::<String>("", "t").unwrap()
            );
            assert_eq!(
                first.try_get::<i32>("", "pid").unwrap(),
                second.try_get::<i32>("", "pid").unwrap()
            );
        }
        Backend::Sqlite => {
            // One transaction: it reads one snapshot from its first read on.
            assert_eq!(setting_count(&query, "snapshot-probe").await, 0);
            add_setting(&app.db, "snapshot-probe").await;
            assert_eq!(setting_count(&query, "snapshot-probe").await, 0);
            assert_eq!(setting_count(&app.db, "snapshot-probe").await, 1);
        }
    }
    // A write through a query's reads is not held in its transaction (which is rolled
    // back): it is there once the reads are dropped, and at once for everyone else.
    add_setting(&query, "written-through-reads").await;
    assert_eq!(setting_count(&app.db, "written-through-reads").await, 1);
    drop(query);
    assert_eq!(setting_count(&app.db, "written-through-reads").await, 1);

    // A mutation's reads are each on their own: they see what was just committed.
    let pooled = Reads::pooled(&app.db);
    add_setting(&app.db, "pooled-probe").await;
    assert_eq!(setting_count(&pooled, "pooled-probe").await, 1);
    add_setting(&app.db, "pooled-probe-2").await;
    assert_eq!(setting_count(&pooled, "pooled-probe-2").await, 1);
}

/// Many more queries at once than either pool has connections (5 each in tests), each
/// holding a read connection while a field of it (`cancellationReadiness`) reads through
/// the shared pool: every one is answered, none waits for a connection that cannot come.
async fn queries_beyond_the_pools_size_all_finish(app: TestApp) {
    let seeded = seed(
        &app.db,
        Shape {
            sub_users: 3,
            projects: 2,
            other_accounts: 1,
        },
    )
    .await
    .unwrap();
    let query = "{ viewer { account { accountId cancellationReadiness { ready }
        subUsers(first: 3) { totalCount edges { node { name accessKeys { status } } } } } } }";
    let answers = futures::future::join_all(
        (0..40).map(|_| app.gql_as(Some(&seeded.token), query, json!({}))),
    );
    let answers = tokio::time::timeout(std::time::Duration::from_secs(15), answers)
        .await
        .expect("every query is answered");
    for answer in answers {
        assert!(answer["errors"].is_null(), "{answer}");
        let account = &answer["data"]["viewer"]["account"];
        assert_eq!(account["subUsers"]["totalCount"], 3);
        assert!(account["cancellationReadiness"]["ready"].is_boolean());
    }
}

/// A client that hangs up while its query's `BEGIN` is on the wire (the request's future is
/// dropped at that await) leaves no transaction open on the connection: the next statement
/// on it (here an autocommitted write, on a read pool of one connection) is committed at
/// once, not held in a transaction no one will end. sqlx 0.9.0 left it open (its
/// transaction depth was raised only after the `BEGIN`'s answer, so nothing rolled it back).
async fn a_query_dropped_during_its_begin_leaves_no_transaction_open(app: TestApp) {
    let waker = futures::task::noop_waker();
    for round in 0..20 {
        let query = Reads::for_query(&app.reads, &app.db);
        let mut read = Box::pin(setting_count(&query, "never-read"));
        // One poll sends the `BEGIN` and waits for its answer; then the client is gone.
        let polled = read
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker));
        drop(read);
        drop(query);
        if polled.is_ready() {
            continue;
        }
        let key = format!("after-dropped-begin-{round}");
        add_setting(&app.reads, &key).await;
        assert_eq!(
            setting_count(&app.db, &key).await,
            1,
            "round {round}: the write ran inside a transaction left open by a dropped BEGIN"
        );
    }
}

// A read pool of one connection: the next statement is on the connection the BEGIN was.
db_test_with!(
    a_query_dropped_during_its_begin_leaves_no_transaction_open,
    |args| args.db_pool = 1
);

db_test!(
    a_query_reads_in_one_transaction_and_its_writes_are_kept,
    queries_beyond_the_pools_size_all_finish
);
