//! Wrong MFA codes are limited per principal, counted in the database: a stolen session
//! cannot guess its way past operation protection or unbind the device, on any instance.

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, error_code, run_two},
    mfa::{bind_virtual, fresh_code},
};

const UNBIND: &str = "mutation($i: UnbindMfaDeviceInput!) { unbindMfaDevice(input: $i) {
    userErrors { code retryAfterSeconds } account { mfaDevice { id } } } }";

async fn unbind(app: &TestApp, token: &str, code: &str) -> Value {
    let out = app
        .gql_as(Some(token), UNBIND, json!({ "i": { "code": code } }))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["unbindMfaDevice"].clone()
}

/// Six digits that are not `code`.
fn other_than(code: &str, n: u32) -> String {
    format!(
        "{:06}",
        (code.parse::<u32>().unwrap() + 1 + n * 7_919) % 1_000_000
    )
}

async fn five_wrong_codes_then_a_wait(first: TestApp, second: TestApp) {
    let (token, _) = first.register_email("CHINA", "guesser@example.com").await;
    let (secret, _) = bind_virtual(&first, &token, None).await;
    // Start at the beginning of a 15-minute window, with both instances on that time, so
    // the guesses cannot straddle two windows.
    let now = crate::mfa::server_time(&first).await;
    first.advance(900 - now.rem_euclid(900) + 1).await;
    let code = fresh_code(&first, &secret).await;
    second.ops("{ now }", json!({})).await;
    for n in 0..5 {
        let app = if n % 2 == 0 { &first } else { &second };
        let out = unbind(app, &token, &other_than(&code, n)).await;
        assert_eq!(error_code(&out), "INVALID_CODE", "guess {n}: {out}");
    }
    // The sixth check is refused before the code is looked at, right code or not.
    let out = unbind(&second, &token, &code).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    let retry = out["userErrors"][0]["retryAfterSeconds"].as_i64();
    assert!(retry.is_some_and(|s| (1..=900).contains(&s)), "{out}");
    assert_eq!(out["account"], Value::Null);

    // After the window the owner's current code works again.
    first.advance(15 * 60).await;
    let code = fresh_code(&first, &secret).await;
    let out = unbind(&first, &token, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["mfaDevice"], Value::Null, "{out}");
}

#[tokio::test]
async fn wrong_mfa_codes_are_limited_sqlite() {
    run_two(Backend::Sqlite, five_wrong_codes_then_a_wait).await;
}

#[tokio::test]
async fn wrong_mfa_codes_are_limited_postgres() {
    run_two(Backend::Postgres, five_wrong_codes_then_a_wait).await;
}
