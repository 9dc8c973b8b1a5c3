//! The security review of 2026-12-03: each finding's attack, replayed through the API so
//! that it stays fixed. Each test names its finding (`// SECURITY <finding>`).

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{CAPTCHA_OK, OPS_TOKEN, PASSWORD, TestApp, error_code},
    mfa::{
        HW_SECRET, bind_hardware, bind_virtual, code_now, fresh_code, protect_with_mfa,
        register_token, wrong,
    },
    sign_in::sign_in_with,
};

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message } accessKey { id } secretKey } }";

const BIND_LOGIN: &str = "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
    userErrors { code field message } loginMethod { id kind } } }";

const UNBIND_LOGIN: &str = "mutation($i: UnbindLoginMethodInput!) { unbindLoginMethod(input: $i) {
    userErrors { code field message } account { loginMethods { id kind } } } }";

async fn mutate(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    app.mutate(Some(token), query, field, input).await
}

async fn create_key_with(app: &TestApp, token: &str, mfa_code: &str) -> Value {
    mutate(
        app,
        token,
        CREATE_KEY,
        "createAccessKey",
        json!({ "secondFactor": { "mfaCode": mfa_code } }),
    )
    .await
}

async fn hardware_binding_is_no_code_oracle_and_wrong_codes_are_limited(app: TestApp) {
    // Wrong codes are counted per 15-minute window: keep the guesses inside one.
    app.start_fresh_window(900).await;
    register_token(&app, "HW-ORACLE", HW_SECRET).await;
    register_token(&app, "HW-STOCK", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").await;
    register_token(&app, "HW-SPRAY", "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK").await;
    register_token(&app, "HW-SPARE", "ONSWG4TFOQYTEMZUONSWG4TFOQYTEMZU").await;
    let (owner, _) = app.register_email("CHINA", "hw-owner@example.com").await;
    let bound = bind_hardware(
        &app,
        &owner,
        None,
        "HW-ORACLE",
        &code_now(&app, HW_SECRET).await,
    )
    .await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    protect_with_mfa(&app, &owner, HW_SECRET, "operationProtection", true).await;

    // SECURITY hardware-oracle: someone who read the serial asks whether a code is the
    // token's current one. Right or wrong, the answer is the same, and it is no answer.
    let (attacker, _) = app.register_email("CHINA", "hw-attacker@example.com").await;
    let (attacker_secret, _) = bind_virtual(&app, &attacker, None).await;
    protect_with_mfa(
        &app,
        &attacker,
        &attacker_secret,
        "operationProtection",
        true,
    )
    .await;
    let right = fresh_code(&app, HW_SECRET).await;
    let mut answers = Vec::new();
    for code in [wrong(&right), right.clone(), wrong(&wrong(&right))] {
        let out = bind_hardware(&app, &attacker, None, "HW-ORACLE", &code).await;
        assert_eq!(error_code(&out), "MFA_DEVICE_ALREADY_BOUND", "{out}");
        answers.push(out);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    // The owner's code was never tried, let alone spent: it still protects the owner.
    let out = create_key_with(&app, &owner, &right).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");

    // SECURITY hardware-oracle: wrong codes against a token in stock count toward the
    // acting principal's one MFA limit (MFA-04): five, then even the right code waits,
    // and so does the principal's own operation protection.
    let stock_right = code_now(&app, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").await;
    for _ in 0..5 {
        let out = bind_hardware(&app, &attacker, None, "HW-STOCK", &wrong(&stock_right)).await;
        assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    }
    let out = bind_hardware(&app, &attacker, None, "HW-STOCK", &stock_right).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    let own = fresh_code(&app, &attacker_secret).await;
    let out = create_key_with(&app, &attacker, &own).await;
    // RULE MFA-04: one limit per principal over every path that checks a code.
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");

    // SECURITY hardware-oracle: many principals sharing the guesses hit the serial's limit.
    let spray = "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK";
    let mut guessers = Vec::new();
    for i in 0..3 {
        let (token, _) = app
            .register_email("CHINA", &format!("hw-guesser-{i}@example.com"))
            .await;
        guessers.push(token);
    }
    let right = code_now(&app, spray).await;
    for (guesser, tries) in guessers.iter().zip([2, 2, 1]) {
        for _ in 0..tries {
            let out = bind_hardware(&app, guesser, None, "HW-SPRAY", &wrong(&right)).await;
            assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
        }
    }
    let out = bind_hardware(&app, &guessers[2], None, "HW-SPRAY", &right).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    // That guesser's own limit still has room: another token binds.
    let spare = code_now(&app, "ONSWG4TFOQYTEMZUONSWG4TFOQYTEMZU").await;
    let out = bind_hardware(&app, &guessers[2], None, "HW-SPARE", &spare).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

async fn binding_a_login_method_is_protected_and_needs_the_password(app: TestApp) {
    // SECURITY bind-login-method: a WeChat account with MFA and operation protection on;
    // a stolen session tries to add an e-mail login it could use for ever.
    let (token, _) = app
        .register_provider("CHINA", "WECHAT", "wx-protected")
        .await;
    let (secret, _) = bind_virtual(&app, &token, None).await;
    protect_with_mfa(&app, &token, &secret, "operationProtection", true).await;
    let email = "stolen-session@example.com";
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let form = json!({ "kind": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code });
    let out = mutate(&app, &token, BIND_LOGIN, "bindLoginMethod", form.clone()).await;
    // RULE MFA-07: binding a login method and setting a first password are protected.
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(out["loginMethod"], Value::Null, "{out}");
    let signed = sign_in_with(
        &app,
        json!({ "site": "CHINA", "email": email, "password": PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&signed), "INVALID_CREDENTIALS", "{signed}");
    // The owner, with a fresh code, binds it.
    let mut with_factor = form.clone();
    with_factor["secondFactor"] = json!({ "mfaCode": fresh_code(&app, &secret).await });
    let out = mutate(&app, &token, BIND_LOGIN, "bindLoginMethod", with_factor).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["loginMethod"]["kind"], "EMAIL", "{out}");

    // SECURITY bind-password-skipped: the account now has a password; unbinding the
    // e-mail and binding another one must prove it, not skip it by leaving it out.
    let (plain, _) = app
        .register_email("CHINA", "has-password@example.com")
        .await;
    let wechat = app
        .gql_as(
            Some(&plain),
            BIND_LOGIN,
            json!({ "i": { "kind": "WECHAT", "providerCode": "sandbox:wx-second" } }),
        )
        .await;
    assert_eq!(
        wechat["data"]["bindLoginMethod"]["userErrors"],
        json!([]),
        "{wechat}"
    );
    let seen = app
        .gql_as(
            Some(&plain),
            "{ viewer { account { loginMethods { id kind } } } }",
            json!({}),
        )
        .await;
    let email_method = seen["data"]["viewer"]["account"]["loginMethods"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["kind"] == "EMAIL"))
        .map(|m| m["id"].clone())
        .unwrap_or_else(|| panic!("{seen}"));
    let out = mutate(
        &app,
        &plain,
        UNBIND_LOGIN,
        "unbindLoginMethod",
        json!({ "loginMethodId": email_method }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let other = "has-password-2@example.com";
    let code = app.code_for("EMAIL", other, "BIND_EMAIL").await;
    let out = mutate(
        &app,
        &plain,
        BIND_LOGIN,
        "bindLoginMethod",
        json!({ "kind": "EMAIL", "email": other, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "password"]),
        "{out}"
    );
    assert_eq!(out["loginMethod"], Value::Null, "{out}");
    let out = mutate(
        &app,
        &plain,
        BIND_LOGIN,
        "bindLoginMethod",
        json!({ "kind": "EMAIL", "email": other, "emailCode": code, "password": PASSWORD }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

async fn ops_with(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/ops/graphql", app.base))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send")
}

async fn wrong_ops_tokens_are_counted_and_the_ops_schema_is_bounded(app: TestApp) {
    // SECURITY ops-limits: the ops schema refuses what the console refuses.
    // A valid introspection query, 21 levels deep: refused by depth, not by validation.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} {{ name }} {} }} }} }} }}",
        "{ ofType ".repeat(16),
        "} ".repeat(16)
    );
    let out = app.ops(&deep, json!({})).await;
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deep"),
        "{out}"
    );
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(50));
    let out = app.ops(&directives, json!({})).await;
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("directive"),
        "{out}"
    );
    let mut chain = "query { ...F24 }".to_owned();
    for level in (1..=24).rev() {
        chain.push_str(&format!(
            " fragment F{level} on Query {{ ...F{0} ...F{0} }}",
            level - 1
        ));
    }
    chain.push_str(" fragment F0 on Query { __typename }");
    let out = app.ops(&chain, json!({})).await;
    assert!(out["data"].is_null(), "{out}");
    assert!(
        out["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("fields"),
        "{out}"
    );
    let fine: Value = app.ops("{ __typename }", json!({})).await;
    assert_eq!(fine["data"]["__typename"], "Query", "{fine}");

    // SECURITY ops-token: ten wrong tokens from one address are answered 401; then that
    // address waits, even with the right token, and is told how long.
    for guess in 0..10 {
        let refused = ops_with(&app, &format!("guess-{guess}"), "{ __typename }").await;
        assert_eq!(refused.status(), 401, "guess {guess}");
    }
    let slowed = ops_with(&app, "guess-10", "{ __typename }").await;
    assert_eq!(slowed.status(), 429);
    let slowed = ops_with(&app, OPS_TOKEN, "{ __typename }").await;
    assert_eq!(slowed.status(), 429);
    let retry: i64 = slowed
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

const REGISTER: &str = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) {
    userErrors { code field message } account { id } } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message } session { token } } }";

async fn register_with(app: &TestApp, email: &str, code: &str) -> Value {
    let input = json!({ "site": "CHINA", "method": "EMAIL", "email": email,
                        "password": PASSWORD, "emailCode": code });
    let out = app.gql(REGISTER, json!({ "i": input })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["registerAccount"].clone()
}

/// The error codes of twelve wrong passwords: three plain, one without the captcha it
/// now needs, then eight with it (the lock comes after ten failures, LOG-07).
async fn wrong_password_walk(
    app: &TestApp,
    attempt: impl Fn(Option<&str>) -> (&'static str, Value),
) -> Vec<String> {
    let mut seen = Vec::new();
    for n in 0..12 {
        let captcha = (n >= 4).then_some(CAPTCHA_OK);
        let (query, input) = attempt(captcha);
        let field = if query.contains("signInSubUser") {
            "signInSubUser"
        } else {
            "signIn"
        };
        let out = app.gql(query, json!({ "i": input })).await;
        assert!(out.get("errors").is_none(), "{out}");
        seen.push(error_code(&out["data"][field]));
    }
    seen
}

async fn nobody_can_tell_which_emails_and_sub_users_exist(app: TestApp) {
    let (root, registered) = app.register_email("CHINA", "known@example.com").await;
    let root_id = registered["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned();

    // SECURITY registration-oracle: a wrong code answers the same for a registered e-mail
    // and for a free one; only whoever reads the mailbox learns that it is taken.
    let known = register_with(&app, "known@example.com", "000000").await;
    let unknown = register_with(&app, "unknown@example.com", "000000").await;
    assert_eq!(error_code(&known), "INVALID_CODE", "{known}");
    assert_eq!(known, unknown);
    app.advance(61).await;
    let code = app.code_for("EMAIL", "known@example.com", "REGISTER").await;
    let owner = register_with(&app, "known@example.com", &code).await;
    assert_eq!(error_code(&owner), "IDENTIFIER_TAKEN", "{owner}");

    // SECURITY sign-in-oracle: wrong passwords walk the same captcha and lock for an
    // e-mail that names nobody as for a real one (LOG-07).
    let sign_in = |email: &'static str| {
        move |captcha: Option<&str>| {
            (
                crate::sign_in::SIGN_IN,
                json!({ "site": "CHINA", "email": email,
                "password": "Wrong#Pass1", "captcha": captcha }),
            )
        }
    };
    let real = wrong_password_walk(&app, sign_in("known@example.com")).await;
    let ghost = wrong_password_walk(&app, sign_in("ghost@example.com")).await;
    let expected: Vec<String> = [
        ["INVALID_CREDENTIALS"; 3].as_slice(),
        &["CAPTCHA_REQUIRED"],
        &["INVALID_CREDENTIALS"; 7],
        &["ACCOUNT_LOCKED"],
    ]
    .concat()
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(real, expected);
    assert_eq!(ghost, expected);

    // SECURITY sign-in-oracle: likewise for sub-users, a real one, an unknown name under a
    // real root, and an unknown root.
    let created = app
        .gql_as(
            Some(&root),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } subUser { id } } }",
            json!({ "i": { "name": "dev1", "password": PASSWORD } }),
        )
        .await;
    assert!(
        created["data"]["createSubUser"]["subUser"]["id"].is_string(),
        "{created}"
    );
    for (root_account, name) in [
        (root_id.as_str(), "dev1"),
        (root_id.as_str(), "ghost"),
        ("999999999999", "dev1"),
    ] {
        let walk = wrong_password_walk(&app, |captcha| {
            (
                SIGN_IN_SUB_USER,
                json!({ "rootAccountId": root_account, "userName": name,
                "password": "Wrong#Pass1", "captcha": captcha }),
            )
        })
        .await;
        assert_eq!(walk, expected, "{root_account} {name}");
    }
    // The real sub-user is locked like a real account; nothing above spoke of existence.
    let locked = app
        .gql(
            SIGN_IN_SUB_USER,
            json!({ "i": { "rootAccountId": root_id, "userName": "dev1",
            "password": PASSWORD, "captcha": CAPTCHA_OK } }),
        )
        .await;
    assert_eq!(
        error_code(&locked["data"]["signInSubUser"]),
        "ACCOUNT_LOCKED",
        "{locked}"
    );
}

async fn registration_attempts_are_limited_per_client(app: TestApp) {
    app.start_fresh_window(3600).await;
    // SECURITY registration-oracle: no client registers (or probes) without bound.
    for n in 0..60 {
        let out = register_with(&app, &format!("probe-{n}@example.com"), "000000").await;
        assert_eq!(error_code(&out), "INVALID_CODE", "attempt {n}: {out}");
    }
    let code = app.code_for("EMAIL", "late@example.com", "REGISTER").await;
    let out = register_with(&app, "late@example.com", &code).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    assert_eq!(out["account"], Value::Null, "{out}");
}

db_test!(
    nobody_can_tell_which_emails_and_sub_users_exist,
    registration_attempts_are_limited_per_client,
    wrong_ops_tokens_are_counted_and_the_ops_schema_is_bounded,
    hardware_binding_is_no_code_oracle_and_wrong_codes_are_limited,
    binding_a_login_method_is_protected_and_needs_the_password
);
