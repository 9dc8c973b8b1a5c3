//! Issue 17, item 8: two languages. A userError speaks the request's `Accept-Language`,
//! else the language of the account's site (CHINA → zh-CN, INTERNATIONAL → en), else
//! English; a notice is written in the language of the request that caused it, else the
//! site's; a code body follows the request.

use serde_json::{Value, json};

use crate::{db_test, helpers::TestApp};

const MARK_READ: &str = "mutation($i: MarkMessagesReadInput!) { markMessagesRead(input: $i) {
    userErrors { code field message } } }";
const SEND_CODE: &str =
    "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) {
    userErrors { code field message } } }";
const CREATE_KEY: &str = "mutation { createAccessKey(input: {}) { userErrors { code message } } }";
const MESSAGES: &str = "{ viewer { messages(first: 5) { edges { node { title body } } } } }";

/// POSTs a console request with exactly the `Accept-Language` given (none when `None`).
async fn gql_in(
    app: &TestApp,
    accept_language: Option<&str>,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(lang) = accept_language {
        request = request.header(reqwest::header::ACCEPT_LANGUAGE, lang);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// The one userError of a `markMessagesRead` that names no messages.
async fn mark_nothing(app: &TestApp, lang: Option<&str>, token: &str) -> Value {
    let out = gql_in(app, lang, Some(token), MARK_READ, json!({ "i": {} })).await;
    let errors = out["data"]["markMessagesRead"]["userErrors"].clone();
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(errors[0]["code"], "INVALID_INPUT", "{out}");
    assert_eq!(errors[0]["field"], json!(["input", "messageIds"]), "{out}");
    errors[0].clone()
}

const ZH_MARK: &str = "请指定要标为已读的消息，或选择全部";
const EN_MARK: &str = "name the messages to mark read, or set all";

db_test!(the_same_refusal_speaks_the_requested_language_else_the_sites);
async fn the_same_refusal_speaks_the_requested_language_else_the_sites(app: TestApp) {
    let (china, _) = app.register_email("CHINA", "i18n-china@example.com").await;
    let (intl, _) = app
        .register_email("INTERNATIONAL", "i18n-intl@example.com")
        .await;

    // The header decides, whatever the site; the code and field stay the same.
    for token in [&china, &intl] {
        let zh = mark_nothing(&app, Some("zh-CN"), token).await;
        assert_eq!(zh["message"], ZH_MARK);
        let en = mark_nothing(&app, Some("en"), token).await;
        assert_eq!(en["message"], EN_MARK);
        let weighted = mark_nothing(&app, Some("fr;q=1, zh-TW;q=0.8, en;q=0.5"), token).await;
        assert_eq!(weighted["message"], ZH_MARK);
    }
    // Without one (or naming neither language): the account's site.
    assert_eq!(mark_nothing(&app, None, &china).await["message"], ZH_MARK);
    assert_eq!(mark_nothing(&app, None, &intl).await["message"], EN_MARK);
    assert_eq!(
        mark_nothing(&app, Some("fr-FR"), &china).await["message"],
        ZH_MARK
    );

    // Anonymous, naming no site: English unless the header says Chinese.
    let bad = json!({ "i": { "channel": "EMAIL", "target": "plain", "purpose": "REGISTER" } });
    let anonymous = gql_in(&app, None, None, SEND_CODE, bad.clone()).await;
    assert_eq!(
        anonymous["data"]["sendVerificationCode"]["userErrors"][0]["message"],
        "e-mail must contain an @",
        "{anonymous}"
    );
    let anonymous_zh = gql_in(&app, Some("zh-CN,zh;q=0.9"), None, SEND_CODE, bad).await;
    assert_eq!(
        anonymous_zh["data"]["sendVerificationCode"]["userErrors"][0]["message"], "邮箱必须包含 @",
        "{anonymous_zh}"
    );
}

db_test!(notices_and_codes_are_written_in_the_readers_language);
async fn notices_and_codes_are_written_in_the_readers_language(app: TestApp) {
    let (china, _) = app.register_email("CHINA", "i18n-notice@example.com").await;
    let (intl, _) = app
        .register_email("INTERNATIONAL", "i18n-notice-intl@example.com")
        .await;

    // A CHINA account's message center reads Chinese when the request named no language.
    let out = gql_in(&app, None, Some(&china), CREATE_KEY, json!({})).await;
    assert_eq!(
        out["data"]["createAccessKey"]["userErrors"],
        json!([]),
        "{out}"
    );
    let messages = gql_in(&app, None, Some(&china), MESSAGES, json!({})).await;
    let newest = &messages["data"]["viewer"]["messages"]["edges"][0]["node"];
    assert_eq!(newest["title"], "已创建访问密钥", "{messages}");
    let body = newest["body"].as_str().unwrap_or_default();
    assert!(body.starts_with("访问密钥 "), "{body}");
    assert!(body.ends_with("如非本人操作，请立即禁用。"), "{body}");
    // It was written once, in Chinese: an English reader later sees the same text.
    let again = gql_in(&app, Some("en"), Some(&china), MESSAGES, json!({})).await;
    assert_eq!(
        again["data"]["viewer"]["messages"]["edges"][0]["node"]["title"],
        "已创建访问密钥"
    );
    // What was e-mailed to the security contact is Chinese too.
    let outbox = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 1) { body } }",
            json!({ "t": "i18n-notice@example.com" }),
        )
        .await;
    let mailed = outbox["data"]["outbox"][0]["body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        mailed.starts_with("【已创建访问密钥】访问密钥 "),
        "{outbox}"
    );

    // An INTERNATIONAL account's reads English; a CHINA user asking for English gets it.
    gql_in(&app, None, Some(&intl), CREATE_KEY, json!({})).await;
    let messages = gql_in(&app, None, Some(&intl), MESSAGES, json!({})).await;
    assert_eq!(
        messages["data"]["viewer"]["messages"]["edges"][0]["node"]["title"],
        "An access key was created",
        "{messages}"
    );

    // The code body follows the request's language (no site named: English by default).
    let send = "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code } } }";
    let last_body = |target: &'static str| {
        let app = app.clone();
        async move {
            let out = app
                .ops(
                    "query($t: String!) { outbox(target: $t, last: 1) { body code } }",
                    json!({ "t": target }),
                )
                .await;
            (
                out["data"]["outbox"][0]["body"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                out["data"]["outbox"][0]["code"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        }
    };
    let input = |target: &str| json!({ "i": { "channel": "EMAIL", "target": target, "purpose": "REGISTER" } });
    gql_in(
        &app,
        Some("zh-CN"),
        None,
        send,
        input("code-zh@example.com"),
    )
    .await;
    let (body, code) = last_body("code-zh@example.com").await;
    assert!(
        body.starts_with(&format!("您的验证码是 {code}，")),
        "{body}"
    );
    gql_in(&app, None, None, send, input("code-en@example.com")).await;
    let (body, code) = last_body("code-en@example.com").await;
    assert!(
        body.starts_with(&format!("Your verification code is {code}.")),
        "{body}"
    );
}
