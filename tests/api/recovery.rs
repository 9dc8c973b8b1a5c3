//! Recovery (REC) through GraphQL: finding the login methods of a known account ID (REC-05).

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{CAPTCHA_OK, TestApp, error_code},
};

const FIND_LOGIN_METHODS: &str = "mutation($i: FindLoginMethodsInput!) {
    findLoginMethods(input: $i) {
        userErrors { code field message retryAfterSeconds }
        loginMethods { kind identifier } } }";

async fn find(app: &TestApp, site: &str, account_id: &str, captcha: &str) -> Value {
    let input = json!({ "site": site, "accountId": account_id, "captcha": captcha });
    app.mutate(None, FIND_LOGIN_METHODS, "findLoginMethods", input)
        .await
}

async fn the_login_methods_of_a_known_account_id_and_nothing_else(app: TestApp) {
    let (token, registered) = app.register_email("CHINA", "forgetful@example.com").await;
    let account_id = registered["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned();
    let wechat = app
        .mutate(
            Some(&token),
            "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) { userErrors { code } } }",
            "bindLoginMethod",
            json!({ "kind": "WECHAT", "providerCode": "sandbox:wx-forgetful" }),
        )
        .await;
    assert_eq!(wechat["userErrors"], json!([]), "{wechat}");

    // RULE REC-05: a captcha first; without it nothing is listed.
    let out = find(&app, "CHINA", &account_id, "not-solved").await;
    assert_eq!(error_code(&out), "CAPTCHA_REQUIRED", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "captcha"]),
        "{out}"
    );
    assert!(out["loginMethods"].is_null(), "{out}");

    // RULE REC-05: the kinds bound and the masked login e-mail, nothing else.
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(
        out["loginMethods"],
        json!([
            { "kind": "EMAIL", "identifier": "f***@example.com" },
            { "kind": "WECHAT", "identifier": null },
        ]),
        "{out}"
    );
    assert!(!out.to_string().contains("forgetful@"), "{out}");

    // The account ID is the CHINA site's: the INTERNATIONAL site knows no such account.
    let out = find(&app, "INTERNATIONAL", &account_id, CAPTCHA_OK).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "accountId"]),
        "{out}"
    );
}

async fn lookups_are_limited_per_account_id_and_per_client(app: TestApp) {
    let (_, registered) = app.register_email("CHINA", "looked-up@example.com").await;
    let account_id = registered["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned();
    app.start_fresh_window(3600).await;
    // RULE REC-05: five lookups of one account ID an hour (site policy), solved or not.
    for n in 0..5 {
        let captcha = if n % 2 == 0 { CAPTCHA_OK } else { "wrong" };
        let out = find(&app, "CHINA", &account_id, captcha).await;
        assert_ne!(error_code(&out), "RATE_LIMITED", "lookup {n}: {out}");
    }
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    let retry = out["userErrors"][0]["retryAfterSeconds"].as_i64();
    assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{out}");
    assert!(out["loginMethods"].is_null(), "{out}");

    // RULE REC-05: twenty per client address an hour, over any account IDs.
    let mut limited = 0;
    for n in 0..20 {
        let out = find(
            &app,
            "CHINA",
            &format!("{:012}", 100_000_000_000_u64 + n),
            CAPTCHA_OK,
        )
        .await;
        if error_code(&out) == "RATE_LIMITED" {
            limited += 1;
        } else {
            assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
        }
    }
    // Five of the client's twenty went to the first account ID above (the sixth was
    // refused per account ID before the client's count).
    assert_eq!(limited, 5);

    // The window passes: the owner may look again.
    app.advance(3600).await;
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(out["loginMethods"][0]["kind"], "EMAIL", "{out}");
}

db_test!(
    the_login_methods_of_a_known_account_id_and_nothing_else,
    lookups_are_limited_per_account_id_and_per_client
);
