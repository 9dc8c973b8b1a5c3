//! The HTTP surface: GraphQL over HTTP, health, the ops endpoint, and schema drift.

use serde_json::json;

use crate::{db_test, helpers::TestApp};

async fn anonymous_viewer_is_null(app: TestApp) {
    let out = app.gql("{ viewer { account { id } } }", json!({})).await;
    assert_eq!(out, json!({ "data": { "viewer": null } }));
}

db_test!(anonymous_viewer_is_null);
