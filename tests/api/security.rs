//! Security settings end to end: login methods (LOG-01..05), passwords (LOG-06) and login
//! protection with its challenges and trusted devices (MFA-06).

use account_center::domain::{Site, SitePolicy};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Backend, PASSWORD, TestApp, error_code, run_with},
    sign_in::{
        server_now, session_token, sign_in, sign_in_with, sign_in_with_provider, viewer_account_id,
    },
};

const BIND: &str = "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
    userErrors { code field message }
    loginMethod { id kind identifier isRegistrationMethod }
    account { accountId } } }";

const UNBIND: &str = "mutation($i: UnbindLoginMethodInput!) { unbindLoginMethod(input: $i) {
    userErrors { code field message }
    account { accountId loginMethods { id kind } } } }";

const METHODS: &str = "{ viewer { account { accountId registrationMethod securityEmail
    loginMethods { id kind identifier isRegistrationMethod } } } }";

const REGISTER: &str = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) {
    userErrors { code field message }
    account { accountId }
    session { token } } }";

const CHANGE_PASSWORD: &str = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) {
    userErrors { code field message } account { accountId } } }";

const UPDATE_PROTECTION: &str =
    "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
    userErrors { code field message } account { loginProtection operationProtection } } }";

const COMPLETE_CHALLENGE: &str =
    "mutation($i: CompleteLoginChallengeInput!) { completeLoginChallenge(input: $i) {
    userErrors { code field message }
    session { token expiresAt } challenge { id } accountChoices deviceToken } }";

/// Passwords that break LOG-06, each for one reason.
const WEAK_PASSWORDS: [(&str, &str); 8] = [
    ("Ab1!xyz", "7 characters"),
    ("Abcdefghij1!Abcdefghi", "21 characters"),
    ("abcdefg1!", "no upper-case letter"),
    ("ABCDEFG1!", "no lower-case letter"),
    ("Abcdefgh!", "no digit"),
    ("Abcdefgh1", "no special character"),
    ("Abcd efg1!", "a space"),
    ("Abcdefg1_", "no special character of the list"),
];

async fn payload(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    input: Value,
    field: &str,
) -> Value {
    let out = app.gql_as(token, query, json!({ "i": input })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"][field].clone()
}

async fn bind(app: &TestApp, token: &str, input: Value) -> Value {
    payload(app, Some(token), BIND, input, "bindLoginMethod").await
}

async fn bind_provider(app: &TestApp, token: &str, kind: &str, external: &str) -> Value {
    bind(
        app,
        token,
        json!({ "kind": kind, "providerCode": format!("sandbox:{external}") }),
    )
    .await
}

async fn unbind(app: &TestApp, token: &str, login_method_id: &Value) -> Value {
    payload(
        app,
        Some(token),
        UNBIND,
        json!({ "loginMethodId": login_method_id }),
        "unbindLoginMethod",
    )
    .await
}

async fn register(app: &TestApp, input: Value) -> Value {
    payload(app, None, REGISTER, input, "registerAccount").await
}

async fn change_password(app: &TestApp, token: &str, input: Value) -> Value {
    payload(app, Some(token), CHANGE_PASSWORD, input, "changePassword").await
}

async fn update_protection(app: &TestApp, token: &str, input: Value) -> Value {
    payload(
        app,
        Some(token),
        UPDATE_PROTECTION,
        input,
        "updateProtection",
    )
    .await
}

async fn complete_challenge(app: &TestApp, input: Value) -> Value {
    payload(
        app,
        None,
        COMPLETE_CHALLENGE,
        input,
        "completeLoginChallenge",
    )
    .await
}

/// The viewer's account with its login methods.
async fn account_of(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), METHODS, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

/// The kinds of the viewer's login methods, sorted.
async fn kinds_of(app: &TestApp, token: &str) -> Vec<String> {
    let account = account_of(app, token).await;
    let mut kinds: Vec<String> = account["loginMethods"]
        .as_array()
        .unwrap_or_else(|| panic!("{account}"))
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// The ID of the viewer's login method of `kind`.
async fn method_id(app: &TestApp, token: &str, kind: &str) -> Value {
    let account = account_of(app, token).await;
    account["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == kind)
        .map(|m| m["id"].clone())
        .unwrap_or_else(|| panic!("no {kind} in {account}"))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// --- LOG-01..05: login methods ----------------------------------------------------------

async fn several_kinds_bind_at_most_one_each(app: TestApp) {
    // RULE LOG-01
    let email = "kinds@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    for (kind, external) in [
        ("WECHAT", "wx-kinds"),
        ("QQ", "qq-kinds"),
        ("WECOM", "wecom-kinds"),
        ("WECHAT_OFFICIAL_ACCOUNT", "oa-kinds"),
    ] {
        let out = bind_provider(&app, &token, kind, external).await;
        assert_eq!(out["userErrors"], json!([]), "{kind}: {out}");
        assert_eq!(out["loginMethod"]["kind"], kind);
        assert_eq!(out["loginMethod"]["isRegistrationMethod"], false);
        assert_eq!(out["account"]["accountId"], account["accountId"]);
    }
    assert_eq!(
        kinds_of(&app, &token).await,
        sorted(
            ["EMAIL", "WECHAT", "QQ", "WECOM", "WECHAT_OFFICIAL_ACCOUNT"]
                .map(str::to_owned)
                .to_vec()
        )
    );
    let registration: Vec<Value> = account_of(&app, &token).await["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["isRegistrationMethod"] == true)
        .map(|m| m["kind"].clone())
        .collect();
    assert_eq!(registration, vec![json!("EMAIL")]);

    // Each bound identity signs in to this account (LOG-08).
    for (kind, external) in [
        ("QQ", "qq-kinds"),
        ("WECOM", "wecom-kinds"),
        ("WECHAT_OFFICIAL_ACCOUNT", "oa-kinds"),
    ] {
        let out = sign_in_with_provider(
            &app,
            json!({ "site": "CHINA", "kind": kind, "providerCode": format!("sandbox:{external}") }),
        )
        .await;
        assert_eq!(
            viewer_account_id(&app, &session_token(&out)).await,
            account["accountId"],
            "{kind}"
        );
    }

    // A second method of a kind already bound is refused, whatever the identity.
    for (kind, external) in [
        ("WECHAT", "wx-other"),
        ("QQ", "qq-other"),
        ("WECOM", "wecom-other"),
        ("WECHAT_OFFICIAL_ACCOUNT", "oa-other"),
    ] {
        let out = bind_provider(&app, &token, kind, external).await;
        assert_eq!(
            error_code(&out),
            "LOGIN_METHOD_KIND_ALREADY_BOUND",
            "{kind}: {out}"
        );
        assert_eq!(out["loginMethod"], Value::Null);
    }
    let code = app
        .code_for("EMAIL", "second-email@example.com", "BIND_EMAIL")
        .await;
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": "second-email@example.com", "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "LOGIN_METHOD_KIND_ALREADY_BOUND", "{out}");
    assert_eq!(kinds_of(&app, &token).await.len(), 5);

    // Nothing of the refused bindings was kept: those identities are still free.
    app.register_provider("CHINA", "QQ", "qq-other").await;
    app.advance(61).await;
    app.register_email("CHINA", "second-email@example.com")
        .await;
}

async fn third_party_account_binds_an_email_login(app: TestApp) {
    // RULE LOG-01 RULE LOG-06
    let (token, account) = app
        .register_provider("INTERNATIONAL", "WECHAT", "wx-mail")
        .await;
    let email = "wx-mail@example.com";
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    // E-mail login needs a password, and a valid one.
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": email, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    assert_eq!(out["userErrors"][0]["field"], json!(["input", "password"]));
    for (weak, why) in WEAK_PASSWORDS {
        let out = bind(
            &app,
            &token,
            json!({ "kind": "EMAIL", "email": email, "password": weak, "emailCode": code }),
        )
        .await;
        assert_eq!(error_code(&out), "PASSWORD_TOO_WEAK", "{why}: {out}");
    }
    // The refusals above left the code usable.
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": email, "password": "Mail#2024x", "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["loginMethod"]["kind"], "EMAIL");
    assert_eq!(kinds_of(&app, &token).await, vec!["EMAIL", "WECHAT"]);

    let out = sign_in(&app, "INTERNATIONAL", email, "Mail#2024x", None).await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        account["accountId"]
    );
}

async fn the_last_login_method_stays(app: TestApp) {
    // RULE LOG-02
    let email = "last@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let only = method_id(&app, &token, "EMAIL").await;
    let out = unbind(&app, &token, &only).await;
    assert_eq!(error_code(&out), "LAST_LOGIN_METHOD", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "loginMethodId"])
    );
    assert_eq!(out["account"], Value::Null);
    assert_eq!(kinds_of(&app, &token).await, vec!["EMAIL"]);
    session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);

    let (wechat, _) = app.register_provider("CHINA", "WECHAT", "wx-last").await;
    let only = method_id(&app, &wechat, "WECHAT").await;
    let out = unbind(&app, &wechat, &only).await;
    assert_eq!(error_code(&out), "LAST_LOGIN_METHOD", "{out}");

    // Bind another first, then the first one can go.
    let out = bind_provider(&app, &wechat, "QQ", "qq-last").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let out = unbind(&app, &wechat, &only).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let kinds: Vec<Value> = out["account"]["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("QQ")]);
    let qq = method_id(&app, &wechat, "QQ").await;
    let out = unbind(&app, &wechat, &qq).await;
    assert_eq!(error_code(&out), "LAST_LOGIN_METHOD", "{out}");

    // Another account's method is not found, even when it is not the last one there.
    let out = unbind(&app, &token, &qq).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(kinds_of(&app, &wechat).await, vec!["QQ"]);
}

async fn parallel_unbinds_leave_one_method(app: TestApp) {
    // RULE LOG-02
    let (token, _) = app.register_provider("CHINA", "WECHAT", "wx-race").await;
    let out = bind_provider(&app, &token, "QQ", "qq-race").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    for round in 0..5 {
        let ids = [
            method_id(&app, &token, "WECHAT").await,
            method_id(&app, &token, "QQ").await,
        ];
        let answers = join_all(ids.iter().map(|id| {
            let app = app.clone();
            let token = token.clone();
            let id = id.clone();
            async move { unbind(&app, &token, &id).await }
        }))
        .await;
        let codes: Vec<String> = answers.iter().map(error_code).collect();
        let mut expected = vec![String::new(), "LAST_LOGIN_METHOD".to_owned()];
        expected.sort();
        assert_eq!(sorted(codes), expected, "round {round}: {answers:?}");
        let kinds = kinds_of(&app, &token).await;
        assert_eq!(kinds.len(), 1, "round {round}: {kinds:?}");
        // Put the other one back for the next round.
        let out = if kinds[0] == "WECHAT" {
            bind_provider(&app, &token, "QQ", "qq-race").await
        } else {
            bind_provider(&app, &token, "WECHAT", "wx-race").await
        };
        assert_eq!(out["userErrors"], json!([]), "{out}");
    }
}

async fn registration_method_unbinds_and_binds_again(app: TestApp) {
    // RULE LOG-03
    let email = "again@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let out = bind_provider(&app, &token, "WECHAT", "wx-again").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");

    let registration = method_id(&app, &token, "EMAIL").await;
    let out = unbind(&app, &token, &registration).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(kinds_of(&app, &token).await, vec!["WECHAT"]);
    // The account remembers how it was registered; the e-mail no longer signs in.
    assert_eq!(
        account_of(&app, &token).await["registrationMethod"],
        "EMAIL"
    );
    let out = sign_in(&app, "CHINA", email, PASSWORD, None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(viewer_account_id(&app, &token).await, account["accountId"]);

    // Bound again later with a fresh BIND_EMAIL code and the password, which stands.
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": email, "emailCode": code, "password": PASSWORD }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["loginMethod"]["kind"], "EMAIL");
    assert_eq!(kinds_of(&app, &token).await, vec!["EMAIL", "WECHAT"]);
    let out = sign_in(&app, "CHINA", email, PASSWORD, None).await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        account["accountId"]
    );

    // The same for a third-party registration method.
    let (qq, qq_account) = app.register_provider("CHINA", "QQ", "qq-again").await;
    let out = bind_provider(&app, &qq, "WECOM", "wecom-again").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let registration = method_id(&app, &qq, "QQ").await;
    let out = unbind(&app, &qq, &registration).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let qq_sign_in = json!({ "site": "CHINA", "kind": "QQ", "providerCode": "sandbox:qq-again" });
    let out = sign_in_with_provider(&app, qq_sign_in.clone()).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    let out = bind_provider(&app, &qq, "QQ", "qq-again").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let out = sign_in_with_provider(&app, qq_sign_in).await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        qq_account["accountId"]
    );
}

async fn login_identifiers_are_unique_except_wechat(app: TestApp) {
    // RULE LOG-04
    let email = "owner@example.com";
    let (owner, _) = app.register_email("CHINA", email).await;
    let (wechat_user, _) = app.register_provider("CHINA", "WECHAT", "wx-taker").await;

    // Another account cannot bind the login e-mail...
    let code = {
        app.advance(61).await;
        app.code_for("EMAIL", email, "BIND_EMAIL").await
    };
    let out = bind(
        &app,
        &wechat_user,
        json!({ "kind": "EMAIL", "email": "Owner@Example.com", "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{out}");
    assert_eq!(kinds_of(&app, &wechat_user).await, vec!["WECHAT"]);
    // ...nor register with it.
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "REGISTER").await;
    let out = register(
        &app,
        json!({ "site": "CHINA", "method": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{out}");
    assert_eq!(out["account"], Value::Null);
    // The other site keeps its own accounts (ACC-01): there the e-mail is free.
    let out = register(
        &app,
        json!({ "site": "INTERNATIONAL", "method": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");

    // QQ, WeCom and Official Account identities: one account each.
    for kind in ["QQ", "WECOM", "WECHAT_OFFICIAL_ACCOUNT"] {
        let external = format!("{}-unique", kind.to_lowercase());
        let out = bind_provider(&app, &owner, kind, &external).await;
        assert_eq!(out["userErrors"], json!([]), "{kind}: {out}");
        let out = bind_provider(&app, &wechat_user, kind, &external).await;
        assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{kind}: {out}");
        let out = register(
            &app,
            json!({ "site": "CHINA", "method": kind, "providerCode": format!("sandbox:{external}") }),
        )
        .await;
        assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{kind}: {out}");
        assert_eq!(out["session"], Value::Null);
    }
    assert_eq!(kinds_of(&app, &wechat_user).await, vec!["WECHAT"]);

    // Once unbound, the e-mail is free for another account.
    let owner_email = method_id(&app, &owner, "EMAIL").await;
    let out = unbind(&app, &owner, &owner_email).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let out = bind(
        &app,
        &wechat_user,
        json!({ "kind": "EMAIL", "email": email, "password": "Taken#2024", "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

async fn one_wechat_serves_several_accounts(app: TestApp) {
    // RULE LOG-04 RULE LOG-08
    let (first, first_account) = app.register_email("CHINA", "first@example.com").await;
    let (second, second_account) = app.register_email("CHINA", "second@example.com").await;
    let (_, third_account) = app.register_provider("CHINA", "WECHAT", "wx-shared").await;
    let (_, stranger) = app
        .register_provider("CHINA", "WECHAT", "wx-stranger")
        .await;
    for token in [&first, &second] {
        let out = bind_provider(&app, token, "WECHAT", "wx-shared").await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
    }

    let shared = json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": "sandbox:wx-shared" });
    let out = sign_in_with_provider(&app, shared.clone()).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(
        out["session"],
        Value::Null,
        "no session before the choice: {out}"
    );
    assert_eq!(out["challenge"], Value::Null);
    let choices: Vec<String> = out["accountChoices"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = [&first_account, &second_account, &third_account]
        .iter()
        .map(|a| a["accountId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sorted(choices), sorted(expected));

    // Signing in again with the chosen account ID.
    for account in [&second_account, &third_account] {
        let mut input = shared.clone();
        input["accountId"] = account["accountId"].clone();
        let out = sign_in_with_provider(&app, input).await;
        assert_eq!(out["accountChoices"], Value::Null);
        let token = session_token(&out);
        assert_eq!(viewer_account_id(&app, &token).await, account["accountId"]);
    }
    // An account the identity is not bound to is not a choice.
    let mut input = shared.clone();
    input["accountId"] = stranger["accountId"].clone();
    let out = sign_in_with_provider(&app, input).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["session"], Value::Null);

    // With one account left on the identity, it signs straight in.
    let wechat = method_id(&app, &first, "WECHAT").await;
    assert_eq!(unbind(&app, &first, &wechat).await["userErrors"], json!([]));
    let wechat = method_id(&app, &second, "WECHAT").await;
    assert_eq!(
        unbind(&app, &second, &wechat).await["userErrors"],
        json!([])
    );
    let out = sign_in_with_provider(&app, shared).await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        third_account["accountId"]
    );
}

async fn identities_stay_unique_under_concurrency(app: TestApp) {
    // RULE LOG-04 RULE LOG-01
    let mut tokens = Vec::new();
    for n in 0..5 {
        tokens.push(
            app.register_provider("CHINA", "WECHAT", &format!("wx-c{n}"))
                .await
                .0,
        );
    }
    let count_ok = |answers: &[Value]| {
        answers
            .iter()
            .filter(|a| a["userErrors"] == json!([]))
            .count()
    };

    // Five accounts bind one QQ identity at once: one gets it.
    let answers = join_all(tokens.iter().map(|token| {
        let app = app.clone();
        let token = token.clone();
        async move { bind_provider(&app, &token, "QQ", "qq-contested").await }
    }))
    .await;
    assert_eq!(count_ok(&answers), 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a["userErrors"] != json!([])) {
        assert_eq!(error_code(answer), "IDENTIFIER_TAKEN", "{answer}");
    }

    // Five registrations with one WeCom identity at once: one account.
    let answers = join_all((0..5).map(|_| {
        let app = app.clone();
        async move {
            register(
                &app,
                json!({ "site": "CHINA", "method": "WECOM", "providerCode": "sandbox:wecom-contested" }),
            )
            .await
        }
    }))
    .await;
    assert_eq!(count_ok(&answers), 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a["userErrors"] != json!([])) {
        assert_eq!(error_code(answer), "IDENTIFIER_TAKEN", "{answer}");
    }

    // One account binds four QQ identities at once: it keeps one (LOG-01).
    let (token, _) = app.register_provider("CHINA", "WECHAT", "wx-many").await;
    let answers = join_all((0..4).map(|n| {
        let app = app.clone();
        let token = token.clone();
        async move { bind_provider(&app, &token, "QQ", &format!("qq-many{n}")).await }
    }))
    .await;
    assert_eq!(count_ok(&answers), 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a["userErrors"] != json!([])) {
        assert_eq!(
            error_code(answer),
            "LOGIN_METHOD_KIND_ALREADY_BOUND",
            "{answer}"
        );
    }
    let bound = kinds_of(&app, &token).await;
    assert_eq!(bound, vec!["QQ", "WECHAT"]);
}

async fn accounts_of_different_methods_stay_independent(app: TestApp) {
    // RULE LOG-05
    let email = "person@example.com";
    let (by_email, email_account) = app.register_email("CHINA", email).await;
    let (by_wechat, wechat_account) = app.register_provider("CHINA", "WECHAT", "wx-person").await;
    let (by_qq, qq_account) = app.register_provider("CHINA", "QQ", "qq-person").await;
    let ids: Vec<&Value> = [&email_account, &wechat_account, &qq_account]
        .iter()
        .map(|a| &a["accountId"])
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );

    // The same person binds their WeChat to the e-mail account: still two accounts.
    let out = bind_provider(&app, &by_email, "WECHAT", "wx-person").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["accountId"], email_account["accountId"]);
    assert_eq!(kinds_of(&app, &by_email).await, vec!["EMAIL", "WECHAT"]);
    assert_eq!(kinds_of(&app, &by_wechat).await, vec!["WECHAT"]);
    assert_eq!(
        account_of(&app, &by_wechat).await["registrationMethod"],
        "WECHAT"
    );
    let out = sign_in_with_provider(
        &app,
        json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": "sandbox:wx-person" }),
    )
    .await;
    let choices = out["accountChoices"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(choices.len(), 2, "{out}");

    // Nothing pulls one account's unique identities into another.
    let out = bind_provider(&app, &by_email, "QQ", "qq-person").await;
    assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{out}");
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    for token in [&by_wechat, &by_qq] {
        let out = bind(
            &app,
            token,
            json!({ "kind": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code }),
        )
        .await;
        assert_eq!(error_code(&out), "IDENTIFIER_TAKEN", "{out}");
    }

    // Each sign-in still lands in its own account.
    let out = sign_in(&app, "CHINA", email, PASSWORD, None).await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        email_account["accountId"]
    );
    let out = sign_in_with_provider(
        &app,
        json!({ "site": "CHINA", "kind": "QQ", "providerCode": "sandbox:qq-person" }),
    )
    .await;
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        qq_account["accountId"]
    );
    assert_eq!(kinds_of(&app, &by_qq).await, vec!["QQ"]);
}

async fn binding_an_email_checks_the_password_behind_the_failure_counter(app: TestApp) {
    // RULE LOG-07 RULE LOG-03
    // Binding the e-mail again checks the account's password: those guesses count as
    // failed attempts like sign-in's, or a session would be an unlimited password oracle.
    let email = "oracle@example.com";
    // The clock moves first: a later move could outlast the session (12 h).
    crate::sign_in::move_to_early_utc_morning(&app).await;
    let (token, _) = app.register_email("CHINA", email).await;
    let out = bind_provider(&app, &token, "WECHAT", "wx-oracle").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let registration = method_id(&app, &token, "EMAIL").await;
    assert_eq!(
        unbind(&app, &token, &registration).await["userErrors"],
        json!([])
    );

    app.advance(61).await; // codes to one target are a minute apart
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let attempt = |password: &str| json!({ "kind": "EMAIL", "email": email, "password": password, "emailCode": code });
    for n in 1..=3 {
        let out = bind(&app, &token, attempt("Wrong#123")).await;
        assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "guess {n}: {out}");
        assert_eq!(out["userErrors"][0]["field"], json!(["input", "password"]));
    }
    for password in ["Wrong#456", PASSWORD] {
        let out = bind(&app, &token, attempt(password)).await;
        assert_eq!(error_code(&out), "CAPTCHA_REQUIRED", "{out}");
        assert_eq!(out["loginMethod"], Value::Null);
    }
    // SECURITY bind-password-skipped: the e-mail code alone does not bind it either: an
    // account that has a password must give it.
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": email, "emailCode": code }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(out["userErrors"][0]["field"], json!(["input", "password"]));
    assert_eq!(out["loginMethod"], Value::Null);
    // The next day (the site's) the counter starts again: the right password binds it,
    // and signs in. The session has run out by then: WeChat signs in again.
    app.advance(14 * 3600 + 61).await;
    let wechat = sign_in_with_provider(
        &app,
        json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": "sandbox:wx-oracle" }),
    )
    .await;
    let token = session_token(&wechat);
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let out = bind(
        &app,
        &token,
        json!({ "kind": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let out = sign_in(&app, "CHINA", email, PASSWORD, None).await;
    session_token(&out);
}

// --- LOG-06: passwords ------------------------------------------------------------------

async fn registration_enforces_the_password_rules(app: TestApp) {
    // RULE LOG-06
    let email = "rules@example.com";
    let code = app.code_for("EMAIL", email, "REGISTER").await;
    let attempt = |password: &str| json!({ "site": "CHINA", "method": "EMAIL", "email": email, "password": password, "emailCode": code });
    for (weak, why) in WEAK_PASSWORDS.into_iter().chain([
        (email, "the e-mail"),
        ("RULES@EXAMPLE.COM", "the e-mail in capitals"),
    ]) {
        let out = register(&app, attempt(weak)).await;
        assert_eq!(error_code(&out), "PASSWORD_TOO_WEAK", "{why}: {out}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "password"]),
            "{why}"
        );
        assert_eq!(out["account"], Value::Null);
    }
    let out = register(
        &app,
        json!({ "site": "CHINA", "method": "EMAIL", "email": email, "emailCode": code }),
    )
    .await;
    assert_eq!(
        error_code(&out),
        "INVALID_INPUT",
        "a password is required: {out}"
    );

    // 8 and 20 characters are the bounds; the refusals left the code usable.
    let out = register(&app, attempt("Abcdef1!")).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    session_token(&sign_in(&app, "CHINA", email, "Abcdef1!", None).await);
    let long = "Abcdefghij1!Abcdefgh";
    let code = app.code_for("EMAIL", "long@example.com", "REGISTER").await;
    let out = register(
        &app,
        json!({ "site": "CHINA", "method": "EMAIL", "email": "long@example.com", "password": long, "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    session_token(&sign_in(&app, "CHINA", "long@example.com", long, None).await);
    // Every special character of the list counts.
    for (i, special) in "!@#$%^&*()".chars().enumerate() {
        let email = format!("special{i}@example.com");
        let password = format!("Abcdefg1{special}");
        let code = app.code_for("EMAIL", &email, "REGISTER").await;
        let out = register(
            &app,
            json!({ "site": "INTERNATIONAL", "method": "EMAIL", "email": email, "password": password, "emailCode": code }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{special}: {out}");
    }
}

async fn change_password_checks_applies_and_ends_other_sessions(app: TestApp) {
    // RULE LOG-06 RULE LOG-09
    let email = "change@example.com";
    let new_password = "NewSecret#456";
    let (current, account) = app.register_email("CHINA", email).await;
    let other = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let another = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let (bystander, bystander_account) =
        app.register_email("CHINA", "bystander3@example.com").await;

    let anonymous = app
        .gql(
            CHANGE_PASSWORD,
            json!({ "i": { "currentPassword": PASSWORD, "newPassword": new_password } }),
        )
        .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );

    for (weak, why) in WEAK_PASSWORDS.into_iter().chain([
        (email, "the e-mail"),
        ("CHANGE@example.com", "the e-mail in capitals"),
    ]) {
        let out = change_password(
            &app,
            &current,
            json!({ "currentPassword": PASSWORD, "newPassword": weak }),
        )
        .await;
        assert_eq!(error_code(&out), "PASSWORD_TOO_WEAK", "{why}: {out}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "newPassword"]),
            "{why}"
        );
    }
    // The current password is needed, and must be right.
    let out = change_password(&app, &current, json!({ "newPassword": new_password })).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    let out = change_password(
        &app,
        &current,
        json!({ "currentPassword": "Wrong#123", "newPassword": new_password }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "currentPassword"])
    );
    // Nothing changed so far.
    for token in [&current, &other, &another] {
        assert_eq!(viewer_account_id(&app, token).await, account["accountId"]);
    }

    let out = change_password(
        &app,
        &current,
        json!({ "currentPassword": PASSWORD, "newPassword": new_password }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["accountId"], account["accountId"]);

    // The other sessions ended; this one and other accounts' stay.
    assert_eq!(
        viewer_account_id(&app, &current).await,
        account["accountId"]
    );
    assert_eq!(viewer_account_id(&app, &other).await, Value::Null);
    assert_eq!(viewer_account_id(&app, &another).await, Value::Null);
    assert_eq!(
        viewer_account_id(&app, &bystander).await,
        bystander_account["accountId"]
    );
    // At once: the old password fails, the new one works.
    let out = sign_in(&app, "CHINA", email, PASSWORD, None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    let fresh = session_token(&sign_in(&app, "CHINA", email, new_password, None).await);
    assert_eq!(viewer_account_id(&app, &fresh).await, account["accountId"]);

    // 20 characters is still within the rules.
    let long = "Abcdefghij1!Abcdefgh";
    let out = change_password(
        &app,
        &fresh,
        json!({ "currentPassword": new_password, "newPassword": long }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(viewer_account_id(&app, &current).await, Value::Null);
    session_token(&sign_in(&app, "CHINA", email, long, None).await);
}

/// A site policy that asks for longer passwords than the default.
async fn password_length_follows_the_site_policy(backend: Backend) {
    // RULE LOG-06
    let path = std::env::temp_dir().join(format!(
        "ac_policy_{}_{:?}.json",
        std::process::id(),
        backend
    ));
    std::fs::write(&path, r#"{"china": {"password_min_chars": 10}}"#).unwrap();
    let policy_file = path.clone();
    run_with(
        backend,
        move |args| args.policy_file = Some(policy_file),
        |app| async move {
            let email = "policy@example.com";
            let (token, _) = app.register_email("CHINA", email).await;
            let out = change_password(
                &app,
                &token,
                json!({ "currentPassword": PASSWORD, "newPassword": "Abcdef1!x" }),
            )
            .await;
            assert_eq!(
                error_code(&out),
                "PASSWORD_TOO_WEAK",
                "9 < 10 characters: {out}"
            );
            let out = change_password(
                &app,
                &token,
                json!({ "currentPassword": PASSWORD, "newPassword": "Abcdefg1!x" }),
            )
            .await;
            assert_eq!(out["userErrors"], json!([]), "{out}");
            session_token(&sign_in(&app, "CHINA", email, "Abcdefg1!x", None).await);
        },
    )
    .await;
    let _ = std::fs::remove_file(&path);
}

mod password_length_follows_the_site_policy {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::password_length_follows_the_site_policy(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::password_length_follows_the_site_policy(Backend::Postgres).await;
    }
}

// --- MFA-06: login protection -----------------------------------------------------------

/// Turns login protection on with a code sent to the security e-mail. The caller has let
/// the code interval pass since the last code to `email`.
async fn protect_login(app: &TestApp, token: &str, email: &str) {
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = update_protection(
        app,
        token,
        json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], true);
    assert_eq!(out["account"]["operationProtection"], false);
}

/// Signs in with the password into a challenge; returns its ID.
async fn challenged(app: &TestApp, input: Value) -> String {
    let out = sign_in_with(app, input).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    out["challenge"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a challenge in {out}"))
        .to_owned()
}

async fn login_protection_asks_for_a_second_factor(app: TestApp) {
    // RULE MFA-06
    let email = "guarded@example.com";
    let new_password = "Guarded#789";
    let (token, account) = app.register_email("CHINA", email).await;
    // An e-mail registration's security e-mail is its e-mail (ACC-06).
    assert!(account_of(&app, &token).await["securityEmail"].is_string());

    // Turning protection on needs a fresh second factor.
    let out = update_protection(&app, &token, json!({ "loginProtection": true })).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": wrong } }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], true);

    // The password now leads to a challenge, not a session.
    let password_sign_in = json!({ "site": "CHINA", "email": email, "password": PASSWORD });
    let out = sign_in_with(&app, password_sign_in.clone()).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    assert_eq!(out["challenge"]["methods"], json!(["EMAIL"]), "{out}");
    let expires_at: DateTime<Utc> = out["challenge"]["expiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires_at > server_now(&app).await, "{out}");
    let challenge = out["challenge"]["id"].as_str().unwrap().to_owned();
    // A wrong password still gets no challenge.
    let out = sign_in(&app, "CHINA", email, "Wrong#123", None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(out["challenge"], Value::Null);

    // A LOGIN_CHALLENGE code to the security e-mail completes it.
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": wrong } }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["session"], Value::Null);
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    let session = session_token(&out);
    assert_eq!(out["deviceToken"], Value::Null, "not asked to trust: {out}");
    assert_eq!(
        viewer_account_id(&app, &session).await,
        account["accountId"]
    );
    // A challenge is answered once.
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");

    // Third-party sign-in is protected the same way.
    let out = bind_provider(&app, &token, "WECHAT", "wx-guarded").await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let out = sign_in_with_provider(
        &app,
        json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": "sandbox:wx-guarded" }),
    )
    .await;
    assert_eq!(out["session"], Value::Null, "{out}");
    assert!(out["challenge"]["id"].is_string(), "{out}");

    // Trusting the device: the next sign-in with its token skips the challenge.
    let challenge = challenged(&app, password_sign_in.clone()).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code }, "trustDevice": true }),
    )
    .await;
    let current = session_token(&out);
    let device = out["deviceToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a device token in {out}"))
        .to_owned();
    let mut trusted_sign_in = password_sign_in.clone();
    trusted_sign_in["deviceToken"] = json!(device);
    let out = sign_in_with(&app, trusted_sign_in.clone()).await;
    assert_eq!(out["challenge"], Value::Null, "{out}");
    assert_eq!(
        viewer_account_id(&app, &session_token(&out)).await,
        account["accountId"]
    );
    // Only that token: any other still meets the challenge.
    let mut untrusted = password_sign_in.clone();
    untrusted["deviceToken"] = json!("not-a-device-token");
    challenged(&app, untrusted).await;

    // A password change revokes the trusted devices.
    let out = change_password(
        &app,
        &current,
        json!({ "currentPassword": PASSWORD, "newPassword": new_password }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    trusted_sign_in["password"] = json!(new_password);
    challenged(&app, trusted_sign_in).await;
}

async fn trusted_devices_last_seven_days(app: TestApp) {
    // RULE MFA-06
    let email = "seven-days@example.com";
    let phone = "13800138000";
    let (token, _) = app.register_email("INTERNATIONAL", email).await;
    // A secure phone makes SMS the alternative second factor.
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    let out = app
        .gql_as(
            Some(&token),
            "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) { userErrors { code message } } }",
            json!({ "i": { "newPhone": phone, "newPhoneCode": code } }),
        )
        .await;
    assert_eq!(
        out["data"]["changeSecurePhone"]["userErrors"],
        json!([]),
        "{out}"
    );
    app.advance(61).await;
    protect_login(&app, &token, email).await;

    let sign_in_input = json!({ "site": "INTERNATIONAL", "email": email, "password": PASSWORD });
    let out = sign_in_with(&app, sign_in_input.clone()).await;
    assert_eq!(out["session"], Value::Null, "{out}");
    assert_eq!(
        out["challenge"]["methods"],
        json!(["SMS", "EMAIL"]),
        "{out}"
    );
    let challenge = out["challenge"]["id"].clone();
    let code = app.code_for("SMS", phone, "LOGIN_CHALLENGE").await;
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "SMS", "code": code }, "trustDevice": true }),
    )
    .await;
    session_token(&out);
    let device = out["deviceToken"].clone();
    assert!(device.is_string(), "{out}");
    let mut trusted = sign_in_input.clone();
    trusted["deviceToken"] = device.clone();

    // The token trusts this account's sign-in only.
    let other = "other-device@example.com";
    let (other_token, _) = app.register_email("INTERNATIONAL", other).await;
    app.advance(61).await;
    protect_login(&app, &other_token, other).await;
    challenged(
        &app,
        json!({ "site": "INTERNATIONAL", "email": other, "password": PASSWORD, "deviceToken": device }),
    )
    .await;

    // Seven days.
    app.advance(6 * 24 * 3600).await;
    let out = sign_in_with(&app, trusted.clone()).await;
    session_token(&out);
    app.advance(24 * 3600 + 60).await;
    challenged(&app, trusted).await;
}

async fn login_challenges_expire_and_resist_guessing(app: TestApp) {
    // RULE MFA-06
    let email = "challenge@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    app.advance(61).await;
    protect_login(&app, &token, email).await;
    let sign_in_input = json!({ "site": "CHINA", "email": email, "password": PASSWORD });

    // Past its lifetime a challenge is gone, even with a valid code.
    let ttl = SitePolicy::default_for(Site::China)
        .login_challenge_ttl
        .num_seconds();
    let challenge = challenged(&app, sign_in_input.clone()).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    app.advance(ttl - 61 + 1).await;
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["session"], Value::Null);

    // Wrong codes wear a challenge out: then even the right code is refused.
    let challenge = challenged(&app, sign_in_input.clone()).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    let max = SitePolicy::default_for(Site::China).code_max_attempts;
    for n in 0..max {
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().unwrap() + 1 + n.unsigned_abs()) % 1_000_000
        );
        let out = complete_challenge(
            &app,
            json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": wrong } }),
        )
        .await;
        assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    }
    let out = complete_challenge(
        &app,
        json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert!(out["session"].is_null(), "{out}");
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");

    // Two answers to one challenge at once, with the one valid code: one session.
    let challenge = challenged(&app, sign_in_input.clone()).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "LOGIN_CHALLENGE").await;
    let answers = join_all((0..2).map(|_| {
        let app = app.clone();
        let input = json!({ "challengeId": challenge, "secondFactor": { "channel": "EMAIL", "code": code } });
        async move { complete_challenge(&app, input).await }
    }))
    .await;
    let sessions = answers.iter().filter(|a| a["session"].is_object()).count();
    assert_eq!(sessions, 1, "{answers:?}");

    // An unknown challenge ID.
    let out = complete_challenge(
        &app,
        json!({ "challengeId": "no-such-challenge", "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
}

db_test!(
    several_kinds_bind_at_most_one_each,
    third_party_account_binds_an_email_login,
    the_last_login_method_stays,
    parallel_unbinds_leave_one_method,
    registration_method_unbinds_and_binds_again,
    login_identifiers_are_unique_except_wechat,
    one_wechat_serves_several_accounts,
    identities_stay_unique_under_concurrency,
    accounts_of_different_methods_stay_independent,
    binding_an_email_checks_the_password_behind_the_failure_counter,
    registration_enforces_the_password_rules,
    change_password_checks_applies_and_ends_other_sessions,
    login_protection_asks_for_a_second_factor,
    trusted_devices_last_seven_days,
    login_challenges_expire_and_resist_guessing,
);
