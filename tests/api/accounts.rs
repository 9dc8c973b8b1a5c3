//! ACC: accounts and account information (RULES.md ACC-01 .. ACC-12), end to end over
//! GraphQL: registration, IDs, nickname, phones and e-mails, the secure-phone limit, second
//! factors, freezes, find-account, login history and the audit log.

use std::collections::BTreeSet;

use chrono::DateTime;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Every information field of an account, as the console's pages read them.
const ACCOUNT_FIELDS: &str = "id accountId appId site nickname status freezeReasons
    registeredAt registrationMethod securePhone securityEmail contactPhone contactEmail
    loginMethods { kind identifier isRegistrationMethod }";

/// ACC-10: find-account requests per target and per client address in one hour
/// (`SitePolicy::find_account_limit_per_target` / `_per_client`, both sites).
const FIND_LIMIT_PER_TARGET: usize = 5;
const FIND_LIMIT_PER_CLIENT: usize = 20;

/// Verification codes live 10 minutes (`SitePolicy::code_ttl`).
const CODE_TTL_SECONDS: i64 = 600;

/// A code that is wrong in every digit.
fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap(),
            None => '0',
        })
        .collect()
}

/// Asserts that no personal value appears anywhere in a response (ACC-05/06/10: masked).
fn assert_hidden(response: &Value, secrets: &[&str]) {
    let text = response.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} leaked in {text}");
    }
}

fn set_of(values: impl IntoIterator<Item = Value>) -> BTreeSet<String> {
    values
        .into_iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn ts(value: &Value) -> i64 {
    DateTime::parse_from_rfc3339(value.as_str().expect("a DateTime"))
        .expect("RFC 3339")
        .timestamp_micros()
}

/// Waits out the one-code-per-target-per-minute rule, then asks for a code.
async fn fresh_code(app: &TestApp, channel: &str, target: &str, purpose: &str) -> String {
    app.advance(61).await;
    app.code_for(channel, target, purpose).await
}

/// Moves the clock just past the start of the next hour, so that hourly rate-limit
/// windows cannot roll over in the middle of a scenario.
async fn start_of_next_hour(app: &TestApp) {
    let out = app.ops("{ now }", json!({})).await;
    let now = ts(&out["data"]["now"]) / 1_000_000;
    app.advance(3600 - now.rem_euclid(3600) + 1).await;
}

/// POSTs a console request with a chosen User-Agent (and optionally a session).
async fn post_as_agent(
    app: &TestApp,
    agent: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    app.gql_with_agent(Some(agent), token, query, variables)
        .await
}

/// The signed-in viewer's account, every information field; Null when not signed in.
async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app
        .gql_as(
            Some(token),
            &format!("{{ viewer {{ account {{ {ACCOUNT_FIELDS} }} }} }}"),
            json!({}),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

async fn register_raw(app: &TestApp, input: Value) -> Value {
    let out = app
        .gql(
            &format!(
                "mutation($i: RegisterAccountInput!) {{ registerAccount(input: $i) {{
                    userErrors {{ code field message }}
                    account {{ {ACCOUNT_FIELDS} }} session {{ token }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["registerAccount"].clone()
}

/// Runs an `AccountPayload` mutation and returns the payload.
async fn account_mutation(
    app: &TestApp,
    token: &str,
    field: &str,
    input_type: &str,
    input: Value,
) -> Value {
    let out = app
        .gql_as(
            Some(token),
            &format!(
                "mutation($i: {input_type}!) {{ {field}(input: $i) {{
                    userErrors {{ code field message }} account {{ {ACCOUNT_FIELDS} }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"][field].clone()
}

async fn update_info(app: &TestApp, token: &str, input: Value) -> Value {
    account_mutation(
        app,
        token,
        "updateAccountInfo",
        "UpdateAccountInfoInput",
        input,
    )
    .await
}

async fn change_secure_phone(
    app: &TestApp,
    token: &str,
    phone: &str,
    code: &str,
    second_factor: Option<Value>,
) -> Value {
    let mut input = json!({ "newPhone": phone, "newPhoneCode": code });
    if let Some(factor) = second_factor {
        input["secondFactor"] = factor;
    }
    account_mutation(
        app,
        token,
        "changeSecurePhone",
        "ChangeSecurePhoneInput",
        input,
    )
    .await
}

async fn change_security_email(
    app: &TestApp,
    token: &str,
    email: &str,
    code: &str,
    second_factor: Option<Value>,
) -> Value {
    let mut input = json!({ "newEmail": email, "newEmailCode": code });
    if let Some(factor) = second_factor {
        input["secondFactor"] = factor;
    }
    account_mutation(
        app,
        token,
        "changeSecurityEmail",
        "ChangeSecurityEmailInput",
        input,
    )
    .await
}

/// Gives an account that has no secure phone yet the number `phone`; returns the account.
async fn set_first_secure_phone(app: &TestApp, token: &str, phone: &str) -> Value {
    let code = fresh_code(app, "SMS", phone, "BIND_PHONE").await;
    let payload = change_secure_phone(app, token, phone, &code, None).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["account"].clone()
}

fn sms_factor(code: &str) -> Option<Value> {
    Some(json!({ "channel": "SMS", "code": code }))
}

fn email_factor(code: &str) -> Option<Value> {
    Some(json!({ "channel": "EMAIL", "code": code }))
}

async fn find_accounts(
    app: &TestApp,
    site: &str,
    channel: &str,
    target: &str,
    code: &str,
) -> Value {
    let out = app
        .gql(
            "mutation($i: FindAccountsInput!) { findAccounts(input: $i) {
                userErrors { code field message }
                accounts { accountId nickname registrationMethod registeredAt } } }",
            json!({ "i": { "site": site, "channel": channel, "target": target, "code": code } }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["findAccounts"].clone()
}

fn found_ids(payload: &Value) -> BTreeSet<String> {
    set_of(
        payload["accounts"]
            .as_array()
            .unwrap_or_else(|| panic!("accounts in {payload}"))
            .iter()
            .map(|a| a["accountId"].clone()),
    )
}

/// Password sign-in with a chosen User-Agent; returns the payload.
async fn sign_in(app: &TestApp, agent: &str, site: &str, email: &str, password: &str) -> Value {
    let out = post_as_agent(
        app,
        agent,
        None,
        "mutation($i: SignInInput!) { signIn(input: $i) {
            userErrors { code } session { token } challenge { id } } }",
        json!({ "i": { "site": site, "email": email, "password": password } }),
    )
    .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["signIn"].clone()
}

/// Third-party sign-in (`sandbox:<external>`) with a chosen User-Agent; returns the payload.
async fn sign_in_provider(
    app: &TestApp,
    agent: &str,
    site: &str,
    kind: &str,
    external: &str,
) -> Value {
    let out = post_as_agent(
        app,
        agent,
        None,
        "mutation($i: SignInWithProviderInput!) { signInWithProvider(input: $i) {
            userErrors { code } session { token } accountChoices } }",
        json!({ "i": { "site": site, "kind": kind, "providerCode": format!("sandbox:{external}") } }),
    )
    .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["signInWithProvider"].clone()
}

fn token_of(sign_in_payload: &Value) -> String {
    assert_eq!(
        sign_in_payload["userErrors"],
        json!([]),
        "{sign_in_payload}"
    );
    sign_in_payload["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {sign_in_payload}"))
        .to_owned()
}

/// ops freezeAccount / unfreezeAccount; returns the OpsResult.
async fn set_frozen(app: &TestApp, account_id: &str, reason: &str, frozen: bool) -> Value {
    let field = if frozen {
        "freezeAccount"
    } else {
        "unfreezeAccount"
    };
    let out = app
        .ops(
            &format!(
                "mutation($a: String!, $r: OpsFreezeReason!) {{
                    {field}(accountId: $a, reason: $r) {{ ok message }} }}"
            ),
            json!({ "a": account_id, "r": reason }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"][field].clone()
}

async fn set_overdue(app: &TestApp, account_id: &str, overdue: bool) {
    let out = app
        .ops(
            "mutation($i: AccountStandingInput!) { setAccountStanding(input: $i) { ok message } }",
            json!({ "i": { "accountId": account_id, "overduePayment": overdue,
                           "amountOwed": if overdue { "12.50" } else { "0" } } }),
        )
        .await;
    assert_eq!(out["data"]["setAccountStanding"]["ok"], true, "{out}");
}

/// One page of the viewer's login history (ACC-11).
async fn login_history(app: &TestApp, token: &str, first: i32, after: Option<&str>) -> Value {
    let out = app
        .gql_as(
            Some(token),
            "query($f: Int, $a: String) { viewer { account { loginHistory(first: $f, after: $a) {
                totalCount
                edges { cursor node { id at method success failureReason clientAddress userAgent } }
                pageInfo { hasNextPage hasPreviousPage endCursor } } } } }",
            json!({ "f": first, "a": after }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"]["loginHistory"].clone()
}

/// One page of the viewer's audit log (ACC-12).
async fn audit_log(app: &TestApp, token: &str, first: i32, after: Option<&str>) -> Value {
    let out = app
        .gql_as(
            Some(token),
            "query($f: Int, $a: String) { viewer { account { auditLog(first: $f, after: $a) {
                totalCount
                edges { cursor node { id at action actor targetId clientAddress } }
                pageInfo { hasNextPage hasPreviousPage endCursor } } } } }",
            json!({ "f": first, "a": after }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"]["auditLog"].clone()
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges in {connection}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn assert_newest_first(events: &[Value]) {
    for pair in events.windows(2) {
        assert!(
            ts(&pair[0]["at"]) >= ts(&pair[1]["at"]),
            "not newest first: {events:?}"
        );
    }
}

fn account_id(account: &Value) -> String {
    account["accountId"]
        .as_str()
        .unwrap_or_else(|| panic!("accountId in {account}"))
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// ACC-01 sites
// ---------------------------------------------------------------------------------------

async fn same_email_registers_separately_on_each_site(app: TestApp) {
    // RULE ACC-01
    let email = "both.sites@example.com";
    let (china_token, china) = app.register_email("CHINA", email).await;
    app.advance(61).await;
    let (intl_token, intl) = app.register_email("INTERNATIONAL", email).await;
    assert_eq!(china["site"], "CHINA");
    assert_eq!(intl["site"], "INTERNATIONAL");
    assert_ne!(china["id"], intl["id"]);
    assert_ne!(china["accountId"], intl["accountId"]);

    // Each site's sign-in leads to that site's account only.
    for (site, account) in [("CHINA", &china), ("INTERNATIONAL", &intl)] {
        let token = token_of(&sign_in(&app, "acc-tests", site, email, PASSWORD).await);
        let me = viewer(&app, &token).await;
        assert_eq!(me["site"], site);
        assert_eq!(me["accountId"], account["accountId"]);
    }

    // A change on one site does not touch the other site's account.
    let changed = update_info(&app, &china_token, json!({ "nickname": "China shop" })).await;
    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    assert_eq!(viewer(&app, &intl_token).await["nickname"], Value::Null);
}

async fn find_accounts_never_crosses_sites(app: TestApp) {
    // RULE ACC-01 RULE ACC-10
    let email = "finder.both@example.com";
    let (_, china) = app.register_email("CHINA", email).await;
    app.advance(61).await;
    let (intl_token, intl) = app.register_email("INTERNATIONAL", email).await;

    let code = fresh_code(&app, "EMAIL", email, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "EMAIL", email, &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(found_ids(&found), set_of([china["accountId"].clone()]));

    let code = fresh_code(&app, "EMAIL", email, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "INTERNATIONAL", "EMAIL", email, &code).await;
    assert_eq!(found_ids(&found), set_of([intl["accountId"].clone()]));

    // A secure phone set on the INTERNATIONAL site is not found from CHINA.
    let phone = "13811112222";
    set_first_secure_phone(&app, &intl_token, phone).await;
    let code = fresh_code(&app, "SMS", phone, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "SMS", phone, &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(found["accounts"], json!([]));
    let code = fresh_code(&app, "SMS", phone, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "INTERNATIONAL", "SMS", phone, &code).await;
    assert_eq!(found_ids(&found), set_of([intl["accountId"].clone()]));
}

async fn phone_binding_limit_is_counted_per_site(app: TestApp) {
    // RULE ACC-01 RULE ACC-07
    let phone = "13822223333";
    for n in 0..5 {
        let (token, _) = app
            .register_provider("CHINA", "WECHAT", &format!("site-limit-{n}"))
            .await;
        set_first_secure_phone(&app, &token, phone).await;
    }
    let (sixth, _) = app
        .register_provider("CHINA", "WECHAT", "site-limit-6")
        .await;
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let refused = change_secure_phone(&app, &sixth, phone, &code, None).await;
    assert_eq!(error_code(&refused), "PHONE_BINDING_LIMIT", "{refused}");

    // The five CHINA accounts do not count against the INTERNATIONAL site.
    let (intl, _) = app
        .register_provider("INTERNATIONAL", "WECHAT", "site-limit-intl")
        .await;
    let account = set_first_secure_phone(&app, &intl, phone).await;
    assert_eq!(account["site"], "INTERNATIONAL");
    assert_eq!(account["securePhone"], "138****3333");
}

// ---------------------------------------------------------------------------------------
// ACC-02 registration
// ---------------------------------------------------------------------------------------

async fn every_registration_method_is_effective_at_once(app: TestApp) {
    // RULE ACC-02
    let (token, account) = app
        .register_email("CHINA", "every.method@example.com")
        .await;
    assert_eq!(account["status"], "ACTIVE");
    assert_eq!(account["registrationMethod"], "EMAIL");
    let me = viewer(&app, &token).await;
    assert_eq!(me["status"], "ACTIVE");
    assert_eq!(me["freezeReasons"], json!([]));
    assert_eq!(me["accountId"], account["accountId"]);
    assert_eq!(
        me["loginMethods"],
        json!([{ "kind": "EMAIL", "identifier": "e***@example.com", "isRegistrationMethod": true }])
    );
    // The e-mail and password sign in straight away.
    let again = token_of(
        &sign_in(
            &app,
            "acc-tests",
            "CHINA",
            "every.method@example.com",
            PASSWORD,
        )
        .await,
    );
    assert_eq!(
        viewer(&app, &again).await["accountId"],
        account["accountId"]
    );

    for kind in ["WECHAT", "QQ", "WECOM", "WECHAT_OFFICIAL_ACCOUNT"] {
        let external = format!("every-{}", kind.to_lowercase());
        let (token, account) = app.register_provider("CHINA", kind, &external).await;
        assert_eq!(account["registrationMethod"], kind);
        let me = viewer(&app, &token).await;
        assert_eq!(me["status"], "ACTIVE", "{kind}: {me}");
        assert_eq!(me["freezeReasons"], json!([]));
        assert_eq!(me["registrationMethod"], kind);
        assert_eq!(me["site"], "CHINA");
        assert_eq!(me["loginMethods"][0]["kind"], kind);
        assert_eq!(me["loginMethods"][0]["isRegistrationMethod"], true);
        // The same identity signs in again straight away.
        let again = token_of(&sign_in_provider(&app, "acc-tests", "CHINA", kind, &external).await);
        assert_eq!(
            viewer(&app, &again).await["accountId"],
            account["accountId"]
        );
    }
}

async fn bad_provider_codes_are_refused(app: TestApp) {
    // RULE ACC-02
    for kind in ["WECHAT", "QQ", "WECOM", "WECHAT_OFFICIAL_ACCOUNT"] {
        for bad in ["a-real-looking-code-123", "sandbox:", "SANDBOX:someone"] {
            let refused = register_raw(
                &app,
                json!({ "site": "CHINA", "method": kind, "providerCode": bad }),
            )
            .await;
            assert_eq!(
                error_code(&refused),
                "INVALID_CODE",
                "{kind} {bad}: {refused}"
            );
            assert_eq!(
                refused["userErrors"][0]["field"],
                json!(["input", "providerCode"])
            );
            assert_eq!(refused["account"], Value::Null);
            assert_eq!(refused["session"], Value::Null);
        }
    }
}

async fn wrong_or_expired_email_codes_are_refused(app: TestApp) {
    // RULE ACC-02
    let email = "late.comer@example.com";
    let form = |code: &str| {
        json!({ "site": "CHINA", "method": "EMAIL", "email": email,
                "password": PASSWORD, "emailCode": code })
    };

    let code = app.code_for("EMAIL", email, "REGISTER").await;
    let refused = register_raw(&app, form(&wrong(&code))).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "emailCode"])
    );
    assert_eq!(refused["account"], Value::Null);
    assert_eq!(refused["session"], Value::Null);

    // A code sent to another address, or for another purpose, does not prove this one.
    let other = app
        .code_for("EMAIL", "someone.else@example.com", "REGISTER")
        .await;
    assert_eq!(
        error_code(&register_raw(&app, form(&other)).await),
        "INVALID_CODE"
    );
    let find_code = fresh_code(&app, "EMAIL", email, "FIND_ACCOUNT").await;
    assert_eq!(
        error_code(&register_raw(&app, form(&find_code)).await),
        "INVALID_CODE"
    );

    // Past its lifetime the right code is refused as expired.
    app.advance(CODE_TTL_SECONDS + 1).await;
    let expired = register_raw(&app, form(&code)).await;
    assert_eq!(error_code(&expired), "CODE_EXPIRED", "{expired}");
    assert_eq!(expired["account"], Value::Null);

    // Nothing was registered by the refused attempts: a fresh code registers the e-mail.
    let code = fresh_code(&app, "EMAIL", email, "REGISTER").await;
    let registered = register_raw(&app, form(&code)).await;
    assert_eq!(registered["userErrors"], json!([]), "{registered}");
    assert_eq!(registered["account"]["status"], "ACTIVE");
}

// ---------------------------------------------------------------------------------------
// ACC-03 account ID and APPID
// ---------------------------------------------------------------------------------------

async fn account_ids_are_assigned_once_and_never_change(app: TestApp) {
    // RULE ACC-03
    let (email_token, _) = app.register_email("CHINA", "ids@example.com").await;
    let (wechat_token, _) = app.register_provider("CHINA", "WECHAT", "ids-wx").await;
    let (qq_token, _) = app.register_provider("INTERNATIONAL", "QQ", "ids-qq").await;
    let tokens = [&email_token, &wechat_token, &qq_token];
    let mut before = Vec::new();
    for token in tokens {
        let me = viewer(&app, token).await;
        let number = account_id(&me);
        assert!(
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
            "accountId must be numeric: {number}"
        );
        assert!(!me["appId"].as_str().unwrap_or_default().is_empty(), "{me}");
        before.push(me);
    }
    for field in ["id", "accountId", "appId"] {
        let distinct = set_of(before.iter().map(|a| a[field].clone()));
        assert_eq!(distinct.len(), 3, "{field} must differ between accounts");
    }

    // Information, security settings, a freeze and a new sign-in change neither ID.
    let changed = update_info(
        &app,
        &email_token,
        json!({ "nickname": "Renamed", "contactPhone": "13900001111",
                "contactEmail": "notices@example.com" }),
    )
    .await;
    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    set_first_secure_phone(&app, &email_token, "13833334444").await;
    let number = account_id(&before[0]);
    assert_eq!(
        set_frozen(&app, &number, "VIOLATION", true).await["ok"],
        true
    );
    assert_eq!(
        set_frozen(&app, &number, "VIOLATION", false).await["ok"],
        true
    );
    let new_token =
        token_of(&sign_in(&app, "acc-tests", "CHINA", "ids@example.com", PASSWORD).await);

    for (token, was) in [&new_token, &wechat_token, &qq_token]
        .into_iter()
        .zip(&before)
    {
        let now = viewer(&app, token).await;
        for field in ["id", "accountId", "appId", "registeredAt"] {
            assert_eq!(now[field], was[field], "{field} changed");
        }
    }
}

// ---------------------------------------------------------------------------------------
// ACC-04 nickname
// ---------------------------------------------------------------------------------------

async fn nickname_is_free_display_text(app: TestApp) {
    // RULE ACC-04
    let code = app.code_for("EMAIL", "nick@example.com", "REGISTER").await;
    let registered = register_raw(
        &app,
        json!({ "site": "CHINA", "method": "EMAIL", "email": "nick@example.com",
                "password": PASSWORD, "emailCode": code, "nickname": "小王的云 ☁ shop #1" }),
    )
    .await;
    assert_eq!(registered["userErrors"], json!([]), "{registered}");
    assert_eq!(registered["account"]["nickname"], "小王的云 ☁ shop #1");
    let token = registered["session"]["token"].as_str().unwrap().to_owned();

    let renamed = update_info(&app, &token, json!({ "nickname": "Ops team (prod) – 2nd" })).await;
    assert_eq!(renamed["userErrors"], json!([]), "{renamed}");
    assert_eq!(renamed["account"]["nickname"], "Ops team (prod) – 2nd");
    assert_eq!(
        viewer(&app, &token).await["nickname"],
        "Ops team (prod) – 2nd"
    );

    // Not an identifier: another account may show the same nickname.
    let (other, _) = app.register_provider("CHINA", "QQ", "nick-qq").await;
    let same = update_info(&app, &other, json!({ "nickname": "Ops team (prod) – 2nd" })).await;
    assert_eq!(same["userErrors"], json!([]), "{same}");

    // Omitted fields stay; "" clears.
    let contact = update_info(&app, &token, json!({ "contactPhone": "13900002222" })).await;
    assert_eq!(contact["account"]["nickname"], "Ops team (prod) – 2nd");
    let cleared = update_info(&app, &token, json!({ "nickname": "" })).await;
    assert_eq!(cleared["userErrors"], json!([]), "{cleared}");
    assert_eq!(cleared["account"]["nickname"], Value::Null);
    assert_eq!(cleared["account"]["contactPhone"], "139****2222");
    assert_eq!(viewer(&app, &token).await["nickname"], Value::Null);
    assert_eq!(
        viewer(&app, &other).await["nickname"],
        "Ops team (prod) – 2nd"
    );
}

// ---------------------------------------------------------------------------------------
// ACC-05 / ACC-06 phones and e-mails
// ---------------------------------------------------------------------------------------

async fn secure_and_contact_phones_are_separate_and_masked(app: TestApp) {
    // RULE ACC-05
    let secrets = ["13812345678", "13900001111", "447700900123"];
    let (token, _) = app.register_provider("CHINA", "WECHAT", "phones").await;
    let me = viewer(&app, &token).await;
    assert_eq!(me["securePhone"], Value::Null);
    assert_eq!(me["contactPhone"], Value::Null);

    let contact = update_info(&app, &token, json!({ "contactPhone": "139 0000 1111" })).await;
    assert_eq!(contact["userErrors"], json!([]), "{contact}");
    assert_eq!(contact["account"]["contactPhone"], "139****1111");
    assert_eq!(contact["account"]["securePhone"], Value::Null);
    assert_hidden(&contact, &secrets);

    let secure = set_first_secure_phone(&app, &token, "13812345678").await;
    assert_eq!(secure["securePhone"], "138****5678");
    assert_eq!(secure["contactPhone"], "139****1111");
    assert_hidden(&secure, &secrets);

    // The contact phone changes and clears on its own; the secure phone stays.
    let intl = update_info(&app, &token, json!({ "contactPhone": "+44 7700 900123" })).await;
    assert_eq!(intl["account"]["contactPhone"], "+447*****0123");
    assert_eq!(intl["account"]["securePhone"], "138****5678");
    assert_hidden(&intl, &secrets);
    let cleared = update_info(&app, &token, json!({ "contactPhone": "" })).await;
    assert_eq!(cleared["account"]["contactPhone"], Value::Null);
    assert_eq!(cleared["account"]["securePhone"], "138****5678");

    let bad = update_info(&app, &token, json!({ "contactPhone": "12ab" })).await;
    assert_eq!(error_code(&bad), "INVALID_INPUT");
    assert_eq!(
        bad["userErrors"][0]["field"],
        json!(["input", "contactPhone"])
    );

    // The secure phone is not notice information: updateAccountInfo cannot set it.
    let out = app
        .gql_as(
            Some(&token),
            "mutation { updateAccountInfo(input: { securePhone: \"13800009999\" }) {
                userErrors { code } } }",
            json!({}),
        )
        .await;
    assert!(out["errors"].is_array(), "{out}");
    let me = viewer(&app, &token).await;
    assert_eq!(me["securePhone"], "138****5678");
    assert_hidden(&me, &secrets);
}

async fn login_security_and_contact_emails_are_separate_and_masked(app: TestApp) {
    // RULE ACC-06
    let login = "alice.login@example.com";
    let security = "bob.security@example.net";
    let contact = "carol.contact@example.org";
    let secrets = ["alice.login", "bob.security", "carol.contact"];
    let (token, _) = app.register_email("CHINA", login).await;
    let me = viewer(&app, &token).await;
    assert_eq!(me["loginMethods"][0]["identifier"], "a***@example.com");
    assert_eq!(me["securityEmail"], "a***@example.com");
    assert_eq!(me["contactEmail"], Value::Null);
    assert_hidden(&me, &secrets);

    let with_contact = update_info(&app, &token, json!({ "contactEmail": contact })).await;
    assert_eq!(with_contact["userErrors"], json!([]), "{with_contact}");
    assert_eq!(with_contact["account"]["contactEmail"], "c***@example.org");
    assert_eq!(with_contact["account"]["securityEmail"], "a***@example.com");
    assert_hidden(&with_contact, &secrets);

    let new_code = fresh_code(&app, "EMAIL", security, "BIND_EMAIL").await;
    let old_code = app.code_for("EMAIL", login, "OPERATION").await;
    let changed =
        change_security_email(&app, &token, security, &new_code, email_factor(&old_code)).await;
    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    let account = &changed["account"];
    assert_eq!(account["securityEmail"], "b***@example.net");
    assert_eq!(account["contactEmail"], "c***@example.org");
    assert_eq!(account["loginMethods"][0]["identifier"], "a***@example.com");
    assert_hidden(&changed, &secrets);

    // The login e-mail still signs in; the security e-mail is not a login method.
    token_of(&sign_in(&app, "acc-tests", "CHINA", login, PASSWORD).await);
    let refused = sign_in(&app, "acc-tests", "CHINA", security, PASSWORD).await;
    assert_eq!(error_code(&refused), "INVALID_CREDENTIALS");

    let cleared = update_info(&app, &token, json!({ "contactEmail": "" })).await;
    assert_eq!(cleared["account"]["contactEmail"], Value::Null);
    assert_eq!(cleared["account"]["securityEmail"], "b***@example.net");
    let bad = update_info(&app, &token, json!({ "contactEmail": "not-an-email" })).await;
    assert_eq!(error_code(&bad), "INVALID_INPUT");
    assert_eq!(
        bad["userErrors"][0]["field"],
        json!(["input", "contactEmail"])
    );
    assert_hidden(&viewer(&app, &token).await, &secrets);
}

// ---------------------------------------------------------------------------------------
// ACC-07 at most five accounts per secure phone
// ---------------------------------------------------------------------------------------

async fn sixth_account_is_refused_and_a_change_releases_the_number(app: TestApp) {
    // RULE ACC-07
    let phone = "13844445555";
    let mut tokens = Vec::new();
    for n in 0..6 {
        let (token, _) = app
            .register_provider("CHINA", "WECHAT", &format!("limit-{n}"))
            .await;
        tokens.push(token);
    }
    for token in &tokens[..5] {
        let account = set_first_secure_phone(&app, token, phone).await;
        assert_eq!(account["securePhone"], "138****5555");
    }
    let sixth_code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let refused = change_secure_phone(&app, &tokens[5], phone, &sixth_code, None).await;
    assert_eq!(error_code(&refused), "PHONE_BINDING_LIMIT", "{refused}");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "newPhone"])
    );
    assert_eq!(refused["account"], Value::Null);
    assert_eq!(viewer(&app, &tokens[5]).await["securePhone"], Value::Null);

    // The first account moves to another number: the old one is free at once.
    let other = "13955556666";
    let new_code = fresh_code(&app, "SMS", other, "BIND_PHONE").await;
    let old_code = app.code_for("SMS", phone, "OPERATION").await;
    let moved =
        change_secure_phone(&app, &tokens[0], other, &new_code, sms_factor(&old_code)).await;
    assert_eq!(moved["userErrors"], json!([]), "{moved}");
    assert_eq!(moved["account"]["securePhone"], "139****6666");

    // The refused request spent nothing: its code now takes the freed place.
    let taken = change_secure_phone(&app, &tokens[5], phone, &sixth_code, None).await;
    assert_eq!(taken["userErrors"], json!([]), "{taken}");
    assert_eq!(taken["account"]["securePhone"], "138****5555");

    // Full again: moving back is refused.
    let back_code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let old_code = app.code_for("SMS", other, "OPERATION").await;
    let refused =
        change_secure_phone(&app, &tokens[0], phone, &back_code, sms_factor(&old_code)).await;
    assert_eq!(error_code(&refused), "PHONE_BINDING_LIMIT", "{refused}");
    assert_eq!(viewer(&app, &tokens[0]).await["securePhone"], "139****6666");
}

async fn parallel_bindings_of_one_number_stop_at_five(app: TestApp) {
    // RULE ACC-07
    // Three numbers, eight pre-registered accounts racing for each, all fired at once.
    let phones = ["13866667777", "13866668888", "13866669999"];
    let mut tokens: Vec<Vec<String>> = Vec::new();
    for (p, _) in phones.iter().enumerate() {
        let mut racers = Vec::new();
        for n in 0..8 {
            let (token, _) = app
                .register_provider("CHINA", "QQ", &format!("race-{p}-{n}"))
                .await;
            racers.push(token);
        }
        tokens.push(racers);
    }
    // Each account holds its own live code for its number (codes to one number go out a
    // minute apart; all stay within their lifetime).
    let mut codes: Vec<Vec<String>> = vec![Vec::new(); phones.len()];
    for _ in 0..8 {
        app.advance(61).await;
        for (p, phone) in phones.iter().enumerate() {
            codes[p].push(app.code_for("SMS", phone, "BIND_PHONE").await);
        }
    }
    let attempts = phones
        .iter()
        .zip(&tokens)
        .zip(&codes)
        .flat_map(|((phone, tokens), codes)| {
            tokens
                .iter()
                .zip(codes)
                .map(move |(token, code)| (*phone, token.clone(), code.clone()))
        });
    let results = join_all(attempts.map(|(phone, token, code)| {
        let app = app.clone();
        async move {
            let payload = change_secure_phone(&app, &token, phone, &code, None).await;
            (phone, payload)
        }
    }))
    .await;

    for (phone, racers) in phones.iter().zip(&tokens) {
        let mine: Vec<&Value> = results
            .iter()
            .filter(|(p, _)| p == phone)
            .map(|(_, payload)| payload)
            .collect();
        let succeeded = mine.iter().filter(|p| p["userErrors"] == json!([])).count();
        let refused: Vec<String> = mine
            .iter()
            .filter(|p| p["userErrors"] != json!([]))
            .map(|p| error_code(p))
            .collect();
        assert_eq!(succeeded, 5, "{phone}: {mine:?}");
        assert_eq!(refused, vec!["PHONE_BINDING_LIMIT"; 3], "{phone}: {mine:?}");

        let masked = format!("{}****{}", &phone[..3], &phone[7..]);
        let mut on_phone = 0;
        for token in racers {
            if viewer(&app, token).await["securePhone"] == masked.as_str() {
                on_phone += 1;
            }
        }
        assert_eq!(on_phone, 5, "{phone}");
    }
}

// ---------------------------------------------------------------------------------------
// ACC-08 changing the secure phone or security e-mail
// ---------------------------------------------------------------------------------------

async fn a_new_secure_phone_needs_a_code_sent_to_it(app: TestApp) {
    // RULE ACC-08
    let phone = "13877778888";
    let (token, _) = app.register_provider("CHINA", "WECOM", "first-phone").await;
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;

    let refused = change_secure_phone(&app, &token, phone, &wrong(&code), None).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "newPhoneCode"])
    );

    // A code sent to another number, or for another purpose, does not prove this one.
    let elsewhere = app.code_for("SMS", "13977778888", "BIND_PHONE").await;
    let refused = change_secure_phone(&app, &token, phone, &elsewhere, None).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    let operation = fresh_code(&app, "SMS", phone, "OPERATION").await;
    let refused = change_secure_phone(&app, &token, phone, &operation, None).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(viewer(&app, &token).await["securePhone"], Value::Null);

    // No secure phone yet: the new number's code is enough.
    let done = change_secure_phone(&app, &token, phone, &code, None).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["account"]["securePhone"], "138****8888");
}

async fn changing_a_set_secure_phone_needs_the_old_phone(app: TestApp) {
    // RULE ACC-08
    let old = "13811110000";
    let new = "13922220000";
    let (token, _) = app.register_provider("CHINA", "WECHAT", "old-phone").await;
    set_first_secure_phone(&app, &token, old).await;
    let new_code = fresh_code(&app, "SMS", new, "BIND_PHONE").await;

    let missing = change_secure_phone(&app, &token, new, &new_code, None).await;
    assert_eq!(error_code(&missing), "SECOND_FACTOR_REQUIRED", "{missing}");
    assert_eq!(
        missing["userErrors"][0]["field"],
        json!(["input", "secondFactor"])
    );

    let old_code = fresh_code(&app, "SMS", old, "OPERATION").await;
    let wrong_factor =
        change_secure_phone(&app, &token, new, &new_code, sms_factor(&wrong(&old_code))).await;
    assert_eq!(error_code(&wrong_factor), "INVALID_CODE", "{wrong_factor}");
    assert_eq!(
        wrong_factor["userErrors"][0]["field"],
        json!(["input", "secondFactor"])
    );

    // A code sent to the new number cannot stand in for the old one.
    let new_operation = fresh_code(&app, "SMS", new, "OPERATION").await;
    let refused =
        change_secure_phone(&app, &token, new, &new_code, sms_factor(&new_operation)).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(viewer(&app, &token).await["securePhone"], "138****0000");

    let done = change_secure_phone(&app, &token, new, &new_code, sms_factor(&old_code)).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["account"]["securePhone"], "139****0000");

    // Each code is single use.
    let again = fresh_code(&app, "SMS", old, "BIND_PHONE").await;
    let replay = change_secure_phone(&app, &token, old, &again, sms_factor(&old_code)).await;
    assert_eq!(error_code(&replay), "INVALID_CODE", "{replay}");
}

async fn changing_the_security_email_needs_new_and_old_codes(app: TestApp) {
    // RULE ACC-08 RULE ACC-06
    let old = "dora@example.com";
    let new = "dora.security@example.net";
    let (token, _) = app.register_email("CHINA", old).await;
    let new_code = fresh_code(&app, "EMAIL", new, "BIND_EMAIL").await;

    let missing = change_security_email(&app, &token, new, &new_code, None).await;
    assert_eq!(error_code(&missing), "SECOND_FACTOR_REQUIRED", "{missing}");

    let old_code = app.code_for("EMAIL", old, "OPERATION").await;
    let refused = change_security_email(
        &app,
        &token,
        new,
        &new_code,
        email_factor(&wrong(&old_code)),
    )
    .await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    let refused = change_security_email(
        &app,
        &token,
        new,
        &wrong(&new_code),
        email_factor(&old_code),
    )
    .await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(
        viewer(&app, &token).await["securityEmail"],
        "d***@example.com"
    );

    // Neither refusal spent a right code: both still confirm the change.
    let done = change_security_email(&app, &token, new, &new_code, email_factor(&old_code)).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["account"]["securityEmail"], "d***@example.net");

    // An account without a security e-mail needs only the new address's code.
    let (wechat, _) = app.register_provider("CHINA", "WECHAT", "no-email").await;
    let target = "first.security@example.com";
    let code = app.code_for("EMAIL", target, "BIND_EMAIL").await;
    let refused = change_security_email(&app, &wechat, target, &wrong(&code), None).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "newEmailCode"])
    );
    let done = change_security_email(&app, &wechat, target, &code, None).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["account"]["securityEmail"], "f***@example.com");
}

// ---------------------------------------------------------------------------------------
// ACC-09 status and freezes
// ---------------------------------------------------------------------------------------

async fn a_frozen_account_still_signs_in_and_reads(app: TestApp) {
    // RULE ACC-09
    let email = "frozen@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let number = account_id(&account);

    let frozen = set_frozen(&app, &number, "VIOLATION", true).await;
    assert_eq!(frozen["ok"], true, "{frozen}");
    let me = viewer(&app, &token).await;
    assert_eq!(me["status"], "FROZEN");
    assert_eq!(me["freezeReasons"], json!(["VIOLATION"]));

    // It signs in, and reads its information and histories.
    let fresh = token_of(&sign_in(&app, "acc-tests", "CHINA", email, PASSWORD).await);
    let me = viewer(&app, &fresh).await;
    assert_eq!(me["status"], "FROZEN");
    assert_eq!(me["accountId"], account["accountId"]);
    assert_eq!(
        nodes(&login_history(&app, &fresh, 1, None).await)[0]["success"],
        true
    );
    assert_eq!(
        nodes(&audit_log(&app, &fresh, 1, None).await)[0]["action"],
        "account.freeze"
    );

    // The same reason twice is one reason.
    assert_eq!(
        set_frozen(&app, &number, "VIOLATION", true).await["ok"],
        true
    );
    assert_eq!(
        viewer(&app, &fresh).await["freezeReasons"],
        json!(["VIOLATION"])
    );

    let unfrozen = set_frozen(&app, &number, "VIOLATION", false).await;
    assert_eq!(unfrozen["ok"], true, "{unfrozen}");
    let me = viewer(&app, &fresh).await;
    assert_eq!(me["status"], "ACTIVE");
    assert_eq!(me["freezeReasons"], json!([]));

    let unknown = set_frozen(&app, "999999999999999", "VIOLATION", true).await;
    assert_eq!(unknown["ok"], false, "{unknown}");
}

async fn an_overdue_payment_freezes_until_settled(app: TestApp) {
    // RULE ACC-09
    let (token, account) = app.register_provider("CHINA", "WECHAT", "overdue").await;
    let number = account_id(&account);

    set_overdue(&app, &number, true).await;
    let me = viewer(&app, &token).await;
    assert_eq!(me["status"], "FROZEN");
    assert_eq!(me["freezeReasons"], json!(["OVERDUE_PAYMENT"]));
    let fresh = token_of(&sign_in_provider(&app, "acc-tests", "CHINA", "WECHAT", "overdue").await);
    assert_eq!(viewer(&app, &fresh).await["status"], "FROZEN");

    // Reasons are kept apart: settling the bill leaves a violation freeze in place.
    assert_eq!(
        set_frozen(&app, &number, "VIOLATION", true).await["ok"],
        true
    );
    let both = viewer(&app, &fresh).await["freezeReasons"].clone();
    assert_eq!(
        set_of(both.as_array().unwrap().clone()),
        set_of([json!("VIOLATION"), json!("OVERDUE_PAYMENT")])
    );
    set_overdue(&app, &number, false).await;
    let me = viewer(&app, &fresh).await;
    assert_eq!(me["status"], "FROZEN");
    assert_eq!(me["freezeReasons"], json!(["VIOLATION"]));
    assert_eq!(
        set_frozen(&app, &number, "VIOLATION", false).await["ok"],
        true
    );
    assert_eq!(viewer(&app, &fresh).await["status"], "ACTIVE");
}

// ---------------------------------------------------------------------------------------
// ACC-10 find account
// ---------------------------------------------------------------------------------------

async fn find_accounts_by_secure_phone(app: TestApp) {
    // RULE ACC-10
    let phone = "13812121212";
    let (a, a_account) = app.register_provider("CHINA", "WECHAT", "find-a").await;
    let (b, b_account) = app.register_provider("CHINA", "QQ", "find-b").await;
    let (c, _) = app.register_provider("CHINA", "WECOM", "find-c").await;
    update_info(&app, &a, json!({ "nickname": "Finder A" })).await;
    set_first_secure_phone(&app, &a, phone).await;
    set_first_secure_phone(&app, &b, phone).await;
    set_first_secure_phone(&app, &c, "13934343434").await;
    // The contact phone is not a way to find an account.
    update_info(&app, &c, json!({ "contactPhone": phone })).await;

    let code = fresh_code(&app, "SMS", phone, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "SMS", "138 1212 1212", &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(
        found_ids(&found),
        set_of([
            a_account["accountId"].clone(),
            b_account["accountId"].clone()
        ])
    );
    let a_view = viewer(&app, &a).await;
    let a_found = found["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["accountId"] == a_account["accountId"])
        .unwrap();
    assert_eq!(
        a_found,
        &json!({ "accountId": a_view["accountId"], "nickname": "Finder A",
                 "registrationMethod": "WECHAT", "registeredAt": a_view["registeredAt"] })
    );
    assert_hidden(&found, &[phone]);

    // The answer has no place for personal data.
    let shape = app
        .gql(
            "{ __type(name: \"FoundAccount\") { fields { name } } }",
            json!({}),
        )
        .await;
    let fields = set_of(
        shape["data"]["__type"]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{shape}"))
            .iter()
            .map(|f| f["name"].clone()),
    );
    assert_eq!(
        fields,
        set_of([
            json!("accountId"),
            json!("nickname"),
            json!("registrationMethod"),
            json!("registeredAt")
        ])
    );

    // The code is single use.
    let replay = find_accounts(&app, "CHINA", "SMS", phone, &code).await;
    assert_eq!(error_code(&replay), "INVALID_CODE", "{replay}");
    assert_eq!(replay["accounts"], Value::Null);
}

async fn find_accounts_by_login_email(app: TestApp) {
    // RULE ACC-10
    let email = "finder@example.com";
    let (_, owner) = app.register_email("CHINA", email).await;
    // Accounts that only use the address for notices or security messages are not found.
    let (contact, _) = app
        .register_provider("CHINA", "WECHAT", "mail-contact")
        .await;
    update_info(&app, &contact, json!({ "contactEmail": email })).await;
    let (security, _) = app.register_provider("CHINA", "QQ", "mail-security").await;
    let code = fresh_code(&app, "EMAIL", email, "BIND_EMAIL").await;
    let bound = change_security_email(&app, &security, email, &code, None).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");

    let code = fresh_code(&app, "EMAIL", email, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "EMAIL", "Finder@Example.COM", &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(found_ids(&found), set_of([owner["accountId"].clone()]));
    assert_eq!(found["accounts"][0]["registrationMethod"], "EMAIL");
    assert_hidden(&found, &["finder@", "example.com"]);

    // An address nobody logs in with finds nothing.
    let code = app
        .code_for("EMAIL", "nobody@example.com", "FIND_ACCOUNT")
        .await;
    let none = find_accounts(&app, "CHINA", "EMAIL", "nobody@example.com", &code).await;
    assert_eq!(none["userErrors"], json!([]), "{none}");
    assert_eq!(none["accounts"], json!([]));
}

async fn find_accounts_needs_the_right_code(app: TestApp) {
    // RULE ACC-10
    let phone = "13856565656";
    let (token, _) = app.register_provider("CHINA", "WECHAT", "find-code").await;
    set_first_secure_phone(&app, &token, phone).await;
    let code = fresh_code(&app, "SMS", phone, "FIND_ACCOUNT").await;

    let refused = find_accounts(&app, "CHINA", "SMS", phone, &wrong(&code)).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    assert_eq!(refused["userErrors"][0]["field"], json!(["input", "code"]));
    assert_eq!(refused["accounts"], Value::Null);

    // A code for another purpose or another target proves nothing here.
    let bind = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let refused = find_accounts(&app, "CHINA", "SMS", phone, &bind).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    let elsewhere = app.code_for("SMS", "13900000000", "FIND_ACCOUNT").await;
    let refused = find_accounts(&app, "CHINA", "SMS", phone, &elsewhere).await;
    assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");

    let invalid = find_accounts(&app, "CHINA", "SMS", "not a phone", &code).await;
    assert_eq!(error_code(&invalid), "INVALID_INPUT", "{invalid}");

    let found = find_accounts(&app, "CHINA", "SMS", phone, &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(found["accounts"].as_array().map(Vec::len), Some(1));
}

async fn find_accounts_is_rate_limited_per_target(app: TestApp) {
    app.start_fresh_window(3600).await;
    // RULE ACC-10
    let phone = "13878787878";
    let other = "13987878787";
    let (token, account) = app.register_provider("CHINA", "WECHAT", "find-limit").await;
    set_first_secure_phone(&app, &token, phone).await;
    start_of_next_hour(&app).await;

    let code = fresh_code(&app, "SMS", phone, "FIND_ACCOUNT").await;
    for _ in 0..FIND_LIMIT_PER_TARGET {
        let refused = find_accounts(&app, "CHINA", "SMS", phone, &wrong(&code)).await;
        assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
    }
    // Even the right code is not looked at once the target's window is full.
    let limited = find_accounts(&app, "CHINA", "SMS", phone, &code).await;
    assert_eq!(error_code(&limited), "RATE_LIMITED", "{limited}");
    assert_eq!(limited["accounts"], Value::Null);

    // Another target is not limited by it.
    let other_code = app.code_for("SMS", other, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "SMS", other, &other_code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");

    // The next window answers again.
    app.advance(3600).await;
    let code = app.code_for("SMS", phone, "FIND_ACCOUNT").await;
    let found = find_accounts(&app, "CHINA", "SMS", phone, &code).await;
    assert_eq!(found["userErrors"], json!([]), "{found}");
    assert_eq!(found_ids(&found), set_of([account["accountId"].clone()]));
}

async fn find_accounts_is_rate_limited_per_client(app: TestApp) {
    app.start_fresh_window(3600).await;
    // RULE ACC-10
    start_of_next_hour(&app).await;
    // Spread over several targets so that no target reaches its own limit.
    let targets: Vec<String> = (0..=FIND_LIMIT_PER_CLIENT / (FIND_LIMIT_PER_TARGET - 1))
        .map(|n| format!("1386000000{n}"))
        .collect();
    let mut sent = 0;
    'outer: for target in &targets {
        for _ in 0..FIND_LIMIT_PER_TARGET - 1 {
            if sent == FIND_LIMIT_PER_CLIENT {
                break 'outer;
            }
            let refused = find_accounts(&app, "CHINA", "SMS", target, "000000").await;
            assert_eq!(error_code(&refused), "INVALID_CODE", "{refused}");
            sent += 1;
        }
    }
    assert_eq!(sent, FIND_LIMIT_PER_CLIENT);
    let fresh_target = "13961616161";
    let limited = find_accounts(&app, "CHINA", "SMS", fresh_target, "000000").await;
    assert_eq!(error_code(&limited), "RATE_LIMITED", "{limited}");
}

// ---------------------------------------------------------------------------------------
// ACC-11 login history
// ---------------------------------------------------------------------------------------

async fn login_history_lists_every_attempt_newest_first(app: TestApp) {
    // RULE ACC-11
    let email = "history@example.com";
    let code = app.code_for("EMAIL", email, "REGISTER").await;
    let registered = post_as_agent(
        &app,
        "acc-tests/register",
        None,
        "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) {
            userErrors { code } session { token } } }",
        json!({ "i": { "site": "CHINA", "method": "EMAIL", "email": email,
                       "password": PASSWORD, "emailCode": code } }),
    )
    .await;
    let first_token = registered["data"]["registerAccount"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_owned();
    app.advance(5).await;
    let refused = sign_in(&app, "acc-tests/wrong", "CHINA", email, "Wrong#Pass1").await;
    assert_eq!(error_code(&refused), "INVALID_CREDENTIALS");
    app.advance(5).await;
    let token = token_of(&sign_in(&app, "acc-tests/right", "CHINA", email, PASSWORD).await);

    // Attempts on other accounts, or on no account, are not listed here.
    app.register_email("CHINA", "someone@example.com").await;
    sign_in(
        &app,
        "acc-tests/other",
        "CHINA",
        "someone@example.com",
        "Wrong#Pass1",
    )
    .await;
    sign_in(
        &app,
        "acc-tests/other",
        "CHINA",
        "nobody@example.com",
        PASSWORD,
    )
    .await;

    let page = login_history(&app, &token, 2, None).await;
    assert_eq!(page["totalCount"], 3, "{page}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    let first = nodes(&page);
    assert_eq!(first.len(), 2);
    let expected = [
        (true, Value::Null, "acc-tests/right"),
        (false, json!("INVALID_CREDENTIALS"), "acc-tests/wrong"),
    ];
    for (event, (success, reason, agent)) in first.iter().zip(expected) {
        assert_eq!(event["success"], success, "{event}");
        assert_eq!(event["failureReason"], reason, "{event}");
        assert_eq!(event["method"], "EMAIL", "{event}");
        assert_eq!(event["clientAddress"], "127.0.0.1", "{event}");
        assert_eq!(event["userAgent"], agent, "{event}");
    }
    assert_eq!(page["edges"][1]["cursor"], page["pageInfo"]["endCursor"]);

    let after = page["pageInfo"]["endCursor"].as_str().unwrap();
    let rest = login_history(&app, &token, 2, Some(after)).await;
    assert_eq!(rest["totalCount"], 3);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
    let rest_nodes = nodes(&rest);
    assert_eq!(rest_nodes.len(), 1);
    assert_eq!(rest_nodes[0]["success"], true);
    assert_eq!(rest_nodes[0]["userAgent"], "acc-tests/register");

    let all: Vec<Value> = first.into_iter().chain(rest_nodes).collect();
    assert_newest_first(&all);
    assert!(ts(&all[0]["at"]) > ts(&all[1]["at"]) && ts(&all[1]["at"]) > ts(&all[2]["at"]));
    // Every session of the account reads the same history.
    assert_eq!(
        login_history(&app, &first_token, 10, None).await["totalCount"],
        3
    );

    // Third-party sign-ins are recorded with their method.
    app.register_provider("CHINA", "WECHAT", "history-wx").await;
    app.advance(5).await;
    let wx = token_of(
        &sign_in_provider(&app, "acc-tests/wechat", "CHINA", "WECHAT", "history-wx").await,
    );
    let newest = &nodes(&login_history(&app, &wx, 1, None).await)[0];
    assert_eq!(newest["method"], "WECHAT");
    assert_eq!(newest["success"], true);
    assert_eq!(newest["userAgent"], "acc-tests/wechat");
    assert_eq!(newest["clientAddress"], "127.0.0.1");
}

// ---------------------------------------------------------------------------------------
// ACC-12 audit log
// ---------------------------------------------------------------------------------------

async fn audit_log_records_every_change_newest_first(app: TestApp) {
    // RULE ACC-12
    let (token, account) = app.register_email("CHINA", "audited@example.com").await;
    app.advance(2).await;
    let renamed = update_info(&app, &token, json!({ "nickname": "Audited" })).await;
    assert_eq!(renamed["userErrors"], json!([]), "{renamed}");
    set_first_secure_phone(&app, &token, "13890909090").await;
    // A refused change changes nothing and records nothing.
    let code = fresh_code(&app, "SMS", "13990909090", "BIND_PHONE").await;
    let refused = change_secure_phone(&app, &token, "13990909090", &code, None).await;
    assert_eq!(error_code(&refused), "SECOND_FACTOR_REQUIRED");
    app.advance(2).await;
    set_frozen(&app, &account_id(&account), "VIOLATION", true).await;
    // Reads are not changes.
    viewer(&app, &token).await;

    let log = audit_log(&app, &token, 10, None).await;
    assert_eq!(log["totalCount"], 4, "{log}");
    let events = nodes(&log);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "account.freeze",
            "security.change_secure_phone",
            "account.update_info",
            "account.register"
        ]
    );
    assert_newest_first(&events);
    assert!(ts(&events[0]["at"]) > ts(&events[3]["at"]));

    // Who and from where: the owner from its client address, the operator from ops.
    let owner = &events[3]["actor"];
    assert!(!owner.as_str().unwrap().is_empty());
    for event in &events[1..] {
        assert_eq!(&event["actor"], owner, "{event}");
        assert_eq!(event["clientAddress"], "127.0.0.1", "{event}");
    }
    assert_ne!(&events[0]["actor"], owner);
    assert!(events[0]["clientAddress"].is_string(), "{}", events[0]);
    assert_eq!(events[0]["targetId"], account["id"]);

    // Paginated with after.
    let page = audit_log(&app, &token, 3, None).await;
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].as_str().unwrap();
    let rest = audit_log(&app, &token, 3, Some(after)).await;
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(nodes(&rest).len(), 1);
    assert_eq!(nodes(&rest)[0]["action"], "account.register");

    // Another account's log holds only its own events.
    let (other, _) = app.register_provider("CHINA", "QQ", "audit-other").await;
    let theirs = audit_log(&app, &other, 10, None).await;
    assert_eq!(theirs["totalCount"], 1);
    assert_eq!(nodes(&theirs)[0]["action"], "account.register");
}

db_test!(
    same_email_registers_separately_on_each_site,
    find_accounts_never_crosses_sites,
    phone_binding_limit_is_counted_per_site,
    every_registration_method_is_effective_at_once,
    bad_provider_codes_are_refused,
    wrong_or_expired_email_codes_are_refused,
    account_ids_are_assigned_once_and_never_change,
    nickname_is_free_display_text,
    secure_and_contact_phones_are_separate_and_masked,
    login_security_and_contact_emails_are_separate_and_masked,
    sixth_account_is_refused_and_a_change_releases_the_number,
    parallel_bindings_of_one_number_stop_at_five,
    a_new_secure_phone_needs_a_code_sent_to_it,
    changing_a_set_secure_phone_needs_the_old_phone,
    changing_the_security_email_needs_new_and_old_codes,
    a_frozen_account_still_signs_in_and_reads,
    an_overdue_payment_freezes_until_settled,
    find_accounts_by_secure_phone,
    find_accounts_by_login_email,
    find_accounts_needs_the_right_code,
    find_accounts_is_rate_limited_per_target,
    find_accounts_is_rate_limited_per_client,
    login_history_lists_every_attempt_newest_first,
    audit_log_records_every_change_newest_first,
);
