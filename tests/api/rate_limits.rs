//! Rate limits per client address shared by every instance: sign-in attempts of any kind.

use futures::future::join_all;
use serde_json::json;

use crate::{
    db_test,
    helpers::{TestApp, error_code},
};

/// `SIGN_INS_PER_CLIENT`: 120 attempts per client address in 10 minutes.
const SIGN_INS_PER_WINDOW: usize = 120;

async fn one_client_cannot_spray_sign_ins_over_many_accounts(app: TestApp) {
    let sign_in = "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } } }";
    let attempts = join_all((0..SIGN_INS_PER_WINDOW + 5).map(|i| {
        app.gql(
            sign_in,
            json!({ "i": { "site": "CHINA", "email": format!("spray{i}@example.com"), "password": "Wrong#123" } }),
        )
    }))
    .await;
    let codes: Vec<String> = attempts
        .iter()
        .map(|o| error_code(&o["data"]["signIn"]))
        .collect();
    let limited = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    // Every account is distinct, so no per-account lock applies: only the client limit does.
    assert_eq!(limited, 5, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count(),
        SIGN_INS_PER_WINDOW
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

db_test!(one_client_cannot_spray_sign_ins_over_many_accounts);
