//! MFA end to end: virtual devices and hardware tokens (MFA-01..03), codes within one step
//! and never twice (MFA-04), unbinding and the lost-device appeal (MFA-05, LOG-09), login
//! protection with MFA codes, recovery codes and trusted devices (MFA-06), operation
//! protection (MFA-07), WeChat unbinding (MFA-08), and the devices of sub-users (SUB-07,
//! SUB-08).

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::resident_id,
    sign_in::{server_now, session_token, sign_in_with, viewer_account_id},
};

const REGISTER: &str = "mutation($s: String!, $k: String!) {
    registerHardwareToken(serialNumber: $s, secret: $k) { ok message } }";

const BEGIN: &str =
    "mutation($i: BeginVirtualMfaBindingInput!) { beginVirtualMfaBinding(input: $i) {
    userErrors { code field message } bindingId secret otpauthUri qrCodeSvg } }";

const CONFIRM: &str =
    "mutation($i: ConfirmVirtualMfaBindingInput!) { confirmVirtualMfaBinding(input: $i) {
    userErrors { code field message }
    mfaDevice { id kind serialNumber boundAt lastUsedAt } recoveryCodes } }";

const BIND_HARDWARE: &str = "mutation($i: BindHardwareMfaInput!) { bindHardwareMfa(input: $i) {
    userErrors { code field message }
    mfaDevice { id kind serialNumber boundAt lastUsedAt } recoveryCodes } }";

const UNBIND: &str = "mutation($i: UnbindMfaDeviceInput!) { unbindMfaDevice(input: $i) {
    userErrors { code field message } account { accountId mfaDevice { id kind } } } }";

const UPDATE_PROTECTION: &str =
    "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
    userErrors { code field message } account { loginProtection operationProtection } } }";

const COMPLETE_CHALLENGE: &str =
    "mutation($i: CompleteLoginChallengeInput!) { completeLoginChallenge(input: $i) {
    userErrors { code field message }
    session { token expiresAt } challenge { id } deviceToken } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message }
    session { token } challenge { id methods } deviceToken } }";

const CREATE_SUB_USER: &str = "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
    userErrors { code field message } subUser { id name } } }";

const DELETE_SUB_USER: &str = "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
    userErrors { code field message } deletedId } }";

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message } accessKey { id } secretKey } }";

const CHANGE_SECURITY_EMAIL: &str =
    "mutation($i: ChangeSecurityEmailInput!) { changeSecurityEmail(input: $i) {
    userErrors { code field message } account { securityEmail } } }";

const BIND_LOGIN: &str = "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
    userErrors { code field message } loginMethod { id kind } } }";

const UNBIND_LOGIN: &str = "mutation($i: UnbindLoginMethodInput!) { unbindLoginMethod(input: $i) {
    userErrors { code field message } account { loginMethods { id kind } } } }";

const VIEWER: &str = "{ viewer {
    account { accountId loginMethods { id kind } mfaDevice { id kind serialNumber boundAt } }
    subUser { id name mfaDevice { id kind serialNumber } } } }";

const SUB_USER_NODE: &str = "query($id: ID!) { node(id: $id) { __typename
    ... on SubUser { name mfaDevice { id kind serialNumber } } } }";

/// A hardware token's seed the tests register (160 bits, base32).
pub const HW_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

// --- helpers ---------------------------------------------------------------------------

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at Unix time `t`.
pub fn totp_at(secret: &str, t: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap_or_else(|e| panic!("base32 secret {secret}: {e:?}"));
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
        .generate(u64::try_from(t).unwrap())
}

/// The sandbox clock in Unix seconds.
pub async fn server_time(app: &TestApp) -> i64 {
    server_now(app).await.timestamp()
}

/// The code of `secret` at the sandbox's current time.
pub async fn code_now(app: &TestApp, secret: &str) -> String {
    totp_at(secret, server_time(app).await)
}

/// A code of a step not used yet: the clock moves one step first (MFA-04).
pub async fn fresh_code(app: &TestApp, secret: &str) -> String {
    app.advance(30).await;
    code_now(app, secret).await
}

/// Another six digits than `code`.
pub fn wrong(code: &str) -> String {
    format!(
        "{:06}",
        (code.parse::<u32>().unwrap() + 500_001) % 1_000_000
    )
}

async fn mutate(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    field: &str,
    input: Value,
) -> Value {
    app.mutate(token, query, field, input).await
}

/// The top-level error code of a request (e.g. FORBIDDEN); "" when there is none.
async fn top_level_code(app: &TestApp, token: &str, query: &str, input: Value) -> String {
    let out = app.gql_as(Some(token), query, json!({ "i": input })).await;
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn sub_user_input(sub_user: Option<&str>) -> Value {
    match sub_user {
        Some(id) => json!({ "subUserId": id }),
        None => json!({}),
    }
}

pub async fn begin(app: &TestApp, token: &str, sub_user: Option<&str>) -> Value {
    mutate(
        app,
        Some(token),
        BEGIN,
        "beginVirtualMfaBinding",
        sub_user_input(sub_user),
    )
    .await
}

pub async fn confirm(app: &TestApp, token: &str, binding_id: &Value, code: &str) -> Value {
    mutate(
        app,
        Some(token),
        CONFIRM,
        "confirmVirtualMfaBinding",
        json!({ "bindingId": binding_id, "code": code }),
    )
    .await
}

pub async fn bind_hardware(
    app: &TestApp,
    token: &str,
    sub_user: Option<&str>,
    serial: &str,
    code: &str,
) -> Value {
    let mut input = sub_user_input(sub_user);
    input["serialNumber"] = json!(serial);
    input["code"] = json!(code);
    mutate(app, Some(token), BIND_HARDWARE, "bindHardwareMfa", input).await
}

async fn unbind(app: &TestApp, token: &str, sub_user: Option<&str>, code: &str) -> Value {
    let mut input = sub_user_input(sub_user);
    input["code"] = json!(code);
    mutate(app, Some(token), UNBIND, "unbindMfaDevice", input).await
}

pub async fn register_token(app: &TestApp, serial: &str, secret: &str) {
    let out = app.ops(REGISTER, json!({ "s": serial, "k": secret })).await;
    assert_eq!(out["data"]["registerHardwareToken"]["ok"], true, "{out}");
}

/// A bound virtual device: (its base32 secret, the MfaDevicePayload).
pub async fn bind_virtual(app: &TestApp, token: &str, sub_user: Option<&str>) -> (String, Value) {
    let begun = begin(app, token, sub_user).await;
    assert_eq!(begun["userErrors"], json!([]), "{begun}");
    let secret = begun["secret"].as_str().unwrap().to_owned();
    let code = code_now(app, &secret).await;
    let bound = confirm(app, token, &begun["bindingId"], &code).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    assert_eq!(bound["mfaDevice"]["kind"], "VIRTUAL", "{bound}");
    (secret, bound)
}

fn recovery_codes(bound: &Value) -> Vec<String> {
    bound["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("recovery codes in {bound}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), VIEWER, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"].clone()
}

async fn account_device(app: &TestApp, token: &str) -> Value {
    viewer(app, token).await["account"]["mfaDevice"].clone()
}

pub async fn sub_user_device(app: &TestApp, token: &str, id: &str) -> Value {
    let out = app
        .gql_as(Some(token), SUB_USER_NODE, json!({ "id": id }))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    assert_eq!(out["data"]["node"]["__typename"], "SubUser", "{out}");
    out["data"]["node"]["mfaDevice"].clone()
}

async fn update_protection(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(
        app,
        Some(token),
        UPDATE_PROTECTION,
        "updateProtection",
        input,
    )
    .await
}

/// Turns a protection flag to `on` with a fresh MFA code.
pub async fn protect_with_mfa(app: &TestApp, token: &str, secret: &str, flag: &str, on: bool) {
    let code = fresh_code(app, secret).await;
    let out = update_protection(
        app,
        token,
        json!({ flag: on, "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"][flag], on, "{out}");
}

async fn complete(app: &TestApp, input: Value) -> Value {
    mutate(
        app,
        None,
        COMPLETE_CHALLENGE,
        "completeLoginChallenge",
        input,
    )
    .await
}

/// Signs in with the password into a challenge; returns the challenge.
async fn challenged(app: &TestApp, input: Value) -> Value {
    let out = sign_in_with(app, input).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    assert!(out["challenge"]["id"].is_string(), "a challenge in {out}");
    out["challenge"].clone()
}

/// Signs in with the password straight into a session.
async fn signed_in(app: &TestApp, input: Value) -> String {
    let out = sign_in_with(app, input).await;
    assert_eq!(out["challenge"], Value::Null, "{out}");
    session_token(&out)
}

async fn sign_in_sub_user(app: &TestApp, root_account_id: &str, name: &str) -> Value {
    mutate(
        app,
        None,
        SIGN_IN_SUB_USER,
        "signInSubUser",
        json!({ "rootAccountId": root_account_id, "userName": name, "password": PASSWORD }),
    )
    .await
}

async fn create_sub_user(app: &TestApp, token: &str, name: &str) -> String {
    let out = mutate(
        app,
        Some(token),
        CREATE_SUB_USER,
        "createSubUser",
        json!({ "name": name, "password": PASSWORD }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["subUser"]["id"].as_str().unwrap().to_owned()
}

fn account_id(account: &Value) -> String {
    account["accountId"].as_str().unwrap().to_owned()
}

/// How many MFA devices are stored, over all principals.
async fn stored_devices(app: &TestApp) -> Vec<entity::mfa_devices::Model> {
    entity::mfa_devices::Entity::find()
        .all(&app.db)
        .await
        .expect("mfa devices")
}

// --- MFA-01, MFA-03: binding a virtual device -----------------------------------------

async fn virtual_devices_bind_with_a_current_code_and_show_the_secret_once(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "mfa-virtual@example.com").await;
    assert_eq!(account_device(&app, &token).await, Value::Null);

    let first = begin(&app, &token, None).await;
    assert_eq!(first["userErrors"], json!([]), "{first}");
    let secret = first["secret"].as_str().unwrap().to_owned();
    // RULE MFA-03: a base32 secret of 160 bits, as an otpauth URI and a QR code.
    assert_eq!(secret.len(), 32, "{first}");
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
        "{secret}"
    );
    assert_eq!(
        Secret::Encoded(secret.clone()).to_bytes().unwrap().len(),
        20
    );
    let uri = first["otpauthUri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/AccountCenter:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=AccountCenter"), "{uri}");
    assert!(
        first["qrCodeSvg"].as_str().unwrap().contains("<svg"),
        "{first}"
    );

    // RULE MFA-03: a binding not confirmed in time is gone.
    app.advance(601).await;
    let code = code_now(&app, &secret).await;
    let out = confirm(&app, &token, &first["bindingId"], &code).await;
    assert_eq!(error_code(&out), "CODE_EXPIRED", "{out}");
    assert_eq!(out["mfaDevice"], Value::Null);
    assert_eq!(account_device(&app, &token).await, Value::Null);

    let second = begin(&app, &token, None).await;
    assert_eq!(second["userErrors"], json!([]), "{second}");
    let secret = second["secret"].as_str().unwrap().to_owned();
    assert_ne!(first["secret"], second["secret"]);
    let code = code_now(&app, &secret).await;
    // RULE MFA-03: a wrong code binds nothing.
    let out = confirm(&app, &token, &second["bindingId"], &wrong(&code)).await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["mfaDevice"], Value::Null);
    assert_eq!(account_device(&app, &token).await, Value::Null);

    // RULE MFA-01 RULE MFA-03: a current RFC 6238 code (SHA-1, 6 digits, 30 s) binds it.
    let bound = confirm(&app, &token, &second["bindingId"], &code).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    assert_eq!(bound["mfaDevice"]["kind"], "VIRTUAL", "{bound}");
    assert_eq!(bound["mfaDevice"]["serialNumber"], Value::Null, "{bound}");
    assert!(bound["mfaDevice"]["boundAt"].is_string(), "{bound}");
    let codes = recovery_codes(&bound);
    assert_eq!(codes.len(), 10, "{bound}");
    for c in &codes {
        let (a, b) = c.split_once('-').unwrap_or_else(|| panic!("{c}"));
        assert!(
            a.len() == 5
                && b.len() == 5
                && (a.chars().chain(b.chars()))
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()),
            "{c}"
        );
    }
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 10, "{codes:?}");
    let device = account_device(&app, &token).await;
    assert_eq!(device["id"], bound["mfaDevice"]["id"], "{device}");
    assert_eq!(device["kind"], "VIRTUAL");

    // RULE MFA-03: a binding completes once.
    let code = fresh_code(&app, &secret).await;
    let out = confirm(&app, &token, &second["bindingId"], &code).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["mfaDevice"], Value::Null);
    // RULE MFA-02: no second binding, so the secret is never shown again.
    let out = begin(&app, &token, None).await;
    assert_eq!(error_code(&out), "MFA_DEVICE_ALREADY_BOUND", "{out}");
    assert_eq!(out["secret"], Value::Null, "{out}");
    assert_eq!(out["bindingId"], Value::Null, "{out}");

    // RULE MFA-03: shown once: the API has no field for it, the store keeps it sealed.
    let out = app
        .gql(
            "{ __type(name: \"MfaDevice\") { fields { name } } }",
            json!({}),
        )
        .await;
    let mut fields: Vec<&str> = out["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["boundAt", "id", "kind", "lastUsedAt", "serialNumber"],
        "{out}"
    );
    let stored = format!(
        "{:?}{:?}{:?}",
        stored_devices(&app).await,
        entity::mfa_bindings::Entity::find()
            .all(&app.db)
            .await
            .unwrap(),
        entity::mfa_recovery_codes::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
    );
    assert!(!stored.contains(&secret), "the secret is stored in clear");
    for c in &codes {
        assert!(
            !stored.contains(c.as_str()),
            "recovery code {c} stored in clear"
        );
        assert!(
            !stored.contains(&c.replace('-', "")),
            "recovery code {c} stored"
        );
    }
}

// --- MFA-02: one device each; a hardware token belongs to one principal ----------------

async fn one_device_per_principal_and_hardware_tokens_bind_once(app: TestApp) {
    register_token(&app, "HW-1001", HW_SECRET).await;
    register_token(&app, "HW-1002", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").await;
    let (a, _) = app.register_email("CHINA", "mfa-one-a@example.com").await;
    let (b, _) = app.register_email("CHINA", "mfa-one-b@example.com").await;
    let (c, _) = app.register_email("CHINA", "mfa-one-c@example.com").await;

    // Two bindings begun before either is confirmed, confirmed at once.
    let b1 = begin(&app, &a, None).await;
    let b2 = begin(&app, &a, None).await;
    assert_eq!(b1["userErrors"], json!([]), "{b1}");
    assert_eq!(b2["userErrors"], json!([]), "{b2}");
    let c1 = code_now(&app, b1["secret"].as_str().unwrap()).await;
    let c2 = code_now(&app, b2["secret"].as_str().unwrap()).await;
    let (o1, o2) = tokio::join!(
        confirm(&app, &a, &b1["bindingId"], &c1),
        confirm(&app, &a, &b2["bindingId"], &c2)
    );
    let bound: Vec<&Value> = [&o1, &o2]
        .into_iter()
        .filter(|o| o["mfaDevice"].is_object())
        .collect();
    // RULE MFA-02: one device per principal, even under parallel confirms.
    assert_eq!(bound.len(), 1, "{o1} {o2}");
    let loser = if o1["mfaDevice"].is_object() {
        &o2
    } else {
        &o1
    };
    assert_eq!(error_code(loser), "MFA_DEVICE_ALREADY_BOUND", "{loser}");
    assert_eq!(
        account_device(&app, &a).await["id"],
        bound[0]["mfaDevice"]["id"]
    );
    assert_eq!(stored_devices(&app).await.len(), 1);

    // RULE MFA-02: a principal with a virtual device binds no hardware token.
    let hw_code = code_now(&app, HW_SECRET).await;
    let out = bind_hardware(&app, &a, None, "HW-1001", &hw_code).await;
    assert_eq!(error_code(&out), "MFA_DEVICE_ALREADY_BOUND", "{out}");
    assert_eq!(account_device(&app, &a).await["kind"], "VIRTUAL");

    // RULE MFA-01: a hardware token from the inventory, by serial number and code.
    let out = bind_hardware(&app, &b, None, "HW-1001", &wrong(&hw_code)).await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(account_device(&app, &b).await, Value::Null);
    let out = bind_hardware(&app, &b, None, "HW-1001", &hw_code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["mfaDevice"]["kind"], "HARDWARE", "{out}");
    assert_eq!(out["mfaDevice"]["serialNumber"], "HW-1001", "{out}");
    assert_eq!(recovery_codes(&out).len(), 10);
    let device = account_device(&app, &b).await;
    assert_eq!(device["kind"], "HARDWARE");
    assert_eq!(device["serialNumber"], "HW-1001");

    // RULE MFA-02: the token is B's: nobody else binds it, even with a valid code.
    let hw_code = fresh_code(&app, HW_SECRET).await;
    let out = bind_hardware(&app, &c, None, "HW-1001", &hw_code).await;
    assert_eq!(error_code(&out), "MFA_DEVICE_ALREADY_BOUND", "{out}");
    assert_eq!(out["mfaDevice"], Value::Null);
    assert_eq!(account_device(&app, &c).await, Value::Null);
    // An unknown serial number.
    let out = bind_hardware(&app, &c, None, "HW-9999", &hw_code).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(account_device(&app, &c).await, Value::Null);

    // Two principals race for one free token: one gets it.
    let (d, _) = app.register_email("CHINA", "mfa-one-d@example.com").await;
    let code = code_now(&app, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").await;
    let (oc, od) = tokio::join!(
        bind_hardware(&app, &c, None, "HW-1002", &code),
        bind_hardware(&app, &d, None, "HW-1002", &code)
    );
    let winners = [&oc, &od]
        .into_iter()
        .filter(|o| o["mfaDevice"].is_object())
        .count();
    // RULE MFA-02: a hardware token is bound to one principal only.
    assert_eq!(winners, 1, "{oc} {od}");
    let loser = if oc["mfaDevice"].is_object() {
        &od
    } else {
        &oc
    };
    assert_eq!(error_code(loser), "MFA_DEVICE_ALREADY_BOUND", "{loser}");
    assert_eq!(stored_devices(&app).await.len(), 3);
}

// --- MFA-04: ±1 step, never twice -------------------------------------------------------

async fn codes_are_accepted_within_one_step_and_never_twice(app: TestApp) {
    let email = "mfa-window@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let begun = begin(&app, &token, None).await;
    let secret = begun["secret"].as_str().unwrap().to_owned();
    let bind_code = code_now(&app, &secret).await;
    let bound = confirm(&app, &token, &begun["bindingId"], &bind_code).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    // RULE MFA-04: the binding code is spent: it does not confirm anything else (the last
    // accepted code, sent again, is told apart: issue 17).
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": bind_code } }),
    )
    .await;
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");

    // Four steps later: t-90 is out of the window, t-30 and t+30 are in it.
    app.advance(120).await;
    let t = server_time(&app).await;
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": totp_at(&secret, t - 90) } }),
    )
    .await;
    // RULE MFA-04: a code three steps old is refused.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": totp_at(&secret, t - 30) } }),
    )
    .await;
    // RULE MFA-04: one step behind is accepted.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], true);
    let ahead = totp_at(&secret, t + 30);
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": false, "secondFactor": { "mfaCode": ahead } }),
    )
    .await;
    // RULE MFA-04: one step ahead is accepted.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], false);
    // RULE MFA-04: the same code is not accepted twice (nor an older step after it).
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": ahead } }),
    )
    .await;
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": totp_at(&secret, t) } }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");

    // Login protection on; two challenges answered at once with one code: one session.
    app.advance(60).await;
    protect_with_mfa(&app, &token, &secret, "loginProtection", true).await;
    let input = json!({ "site": "CHINA", "email": email, "password": PASSWORD });
    let first = challenged(&app, input.clone()).await;
    let second = challenged(&app, input.clone()).await;
    let code = fresh_code(&app, &secret).await;
    let (o1, o2) = tokio::join!(
        complete(
            &app,
            json!({ "challengeId": first["id"], "secondFactor": { "mfaCode": code } })
        ),
        complete(
            &app,
            json!({ "challengeId": second["id"], "secondFactor": { "mfaCode": code } })
        )
    );
    let sessions = [&o1, &o2]
        .into_iter()
        .filter(|o| o["session"].is_object())
        .count();
    // RULE MFA-04: one code, one use, even for two requests at once.
    assert_eq!(sessions, 1, "{o1} {o2}");
    let loser = if o1["session"].is_object() { &o2 } else { &o1 };
    assert_eq!(error_code(loser), "CODE_ALREADY_USED", "{loser}");

    // Two unbinds at once with one code: one unbinds, the other is refused.
    let code = fresh_code(&app, &secret).await;
    let (u1, u2) = tokio::join!(
        unbind(&app, &token, None, &code),
        unbind(&app, &token, None, &code)
    );
    let done = [&u1, &u2]
        .into_iter()
        .filter(|o| o["userErrors"] == json!([]))
        .count();
    // RULE MFA-04: exactly one of them used the code.
    assert_eq!(done, 1, "{u1} {u2}");
    let loser = if u1["userErrors"] == json!([]) {
        &u2
    } else {
        &u1
    };
    // CODE_ALREADY_USED when both saw the device (the step was spent by the winner),
    // INVALID_CODE when the device was gone by the time the loser looked why;
    // NO_MFA_DEVICE when the loser only started after the device was gone.
    assert!(
        ["CODE_ALREADY_USED", "INVALID_CODE", "NO_MFA_DEVICE"]
            .contains(&error_code(loser).as_str()),
        "{loser}"
    );
    assert_eq!(account_device(&app, &token).await, Value::Null);
}

// --- MFA-05: unbinding and the lost-device appeal ---------------------------------------

async fn unbinding_needs_a_valid_code_and_ends_the_other_sessions(app: TestApp) {
    let email = "mfa-unbind@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let input = json!({ "site": "CHINA", "email": email, "password": PASSWORD });
    // RULE MFA-05: nothing to unbind.
    let out = unbind(&app, &token, None, "123456").await;
    assert_eq!(error_code(&out), "NO_MFA_DEVICE", "{out}");

    let (secret, _) = bind_virtual(&app, &token, None).await;
    let other = signed_in(&app, input.clone()).await;
    let code = fresh_code(&app, &secret).await;
    let out = unbind(&app, &token, None, &wrong(&code)).await;
    // RULE MFA-05: unbinding needs a valid current code.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["account"], Value::Null);
    assert_eq!(account_device(&app, &token).await["kind"], "VIRTUAL");
    assert!(viewer_account_id(&app, &other).await.is_string());

    let out = unbind(&app, &token, None, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["mfaDevice"], Value::Null, "{out}");
    assert_eq!(account_device(&app, &token).await, Value::Null);
    // RULE MFA-05 RULE LOG-09: the other sessions end; the caller's stays.
    assert_eq!(viewer_account_id(&app, &other).await, Value::Null);
    assert!(viewer_account_id(&app, &token).await.is_string());
    assert_eq!(stored_devices(&app).await.len(), 0);

    // A recovery code stands in for a lost device, once.
    let (secret, bound) = bind_virtual(&app, &token, None).await;
    let codes = recovery_codes(&bound);
    let other = signed_in(&app, input.clone()).await;
    let out = unbind(&app, &token, None, &codes[3]).await;
    // RULE MFA-05: a recovery code unbinds, and ends the other sessions too.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(account_device(&app, &token).await, Value::Null);
    assert_eq!(viewer_account_id(&app, &other).await, Value::Null);
    // The old device's codes mean nothing to a new one.
    let (secret2, _) = bind_virtual(&app, &token, None).await;
    assert_ne!(secret, secret2);
    for old in [&codes[3], &codes[4]] {
        let out = unbind(&app, &token, None, old).await;
        assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    }
    assert_eq!(account_device(&app, &token).await["kind"], "VIRTUAL");
}

async fn an_operator_unbinds_a_lost_device_for_the_verified_owner(app: TestApp) {
    use crate::recovery::{apply, decide, queued, verify_as};
    let email = "mfa-appeal@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let id = account_id(&account);
    bind_virtual(&app, &token, None).await;
    let number = resident_id("19900101", 63);
    let appeal = |number: String| {
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
                "identityNumber": number, "removeMfaDevice": true })
    };
    // RULE MFA-05: an unverified account has no identity to match (the appeal is a
    // recovery application, REC-03).
    let out = apply(&app, appeal(number.clone())).await;
    assert_eq!(error_code(&out), "NOT_VERIFIED", "{out}");
    assert_eq!(account_device(&app, &token).await["kind"], "VIRTUAL");

    verify_as(&app, &token, &number).await;
    let input = json!({ "site": "CHINA", "email": email, "password": PASSWORD });
    let other = signed_in(&app, input.clone()).await;

    // RULE MFA-05: another person's number is filed, but the operator cannot approve it.
    for stranger in [resident_id("19900101", 64), resident_id("19850101", 63)] {
        let out = apply(&app, appeal(stranger)).await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
        let entry = queued(&app, &id).await;
        assert_eq!(entry["subjectMatches"], false, "{entry}");
        let refused = decide(&app, &entry["applicationId"], true, None).await;
        assert_eq!(refused["ok"], false, "{refused}");
        let rejected = decide(&app, &entry["applicationId"], false, Some("not the owner")).await;
        assert_eq!(rejected["ok"], true, "{rejected}");
    }
    assert_eq!(account_device(&app, &token).await["kind"], "VIRTUAL");
    assert!(viewer_account_id(&app, &other).await.is_string());

    // RULE MFA-05: the verified owner's number: the device is gone, the sessions end.
    let out = apply(&app, appeal(number)).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let entry = queued(&app, &id).await;
    assert_eq!(entry["subjectMatches"], true, "{entry}");
    let approved = decide(&app, &entry["applicationId"], true, None).await;
    assert_eq!(approved["ok"], true, "{approved}");
    assert_eq!(viewer_account_id(&app, &token).await, Value::Null);
    assert_eq!(viewer_account_id(&app, &other).await, Value::Null);
    let fresh = signed_in(&app, input).await;
    assert_eq!(account_device(&app, &fresh).await, Value::Null);
    assert_eq!(stored_devices(&app).await.len(), 0);
}

// --- MFA-06: login protection with an MFA device ----------------------------------------

async fn login_protection_takes_mfa_and_recovery_codes_and_trusts_devices(app: TestApp) {
    let email = "mfa-login@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let (secret, bound) = bind_virtual(&app, &token, None).await;
    let codes = recovery_codes(&bound);
    protect_with_mfa(&app, &token, &secret, "loginProtection", true).await;
    let input = json!({ "site": "CHINA", "email": email, "password": PASSWORD });

    let challenge = challenged(&app, input.clone()).await;
    // RULE MFA-06: the MFA device is one of the second factors offered.
    assert!(
        challenge["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("MFA")),
        "{challenge}"
    );
    let code = fresh_code(&app, &secret).await;
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": wrong(&code) } }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["session"], Value::Null);
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": code } }),
    )
    .await;
    // RULE MFA-06: the MFA code completes the sign-in.
    let session = session_token(&out);
    assert_eq!(out["deviceToken"], Value::Null, "{out}");
    assert_eq!(
        viewer_account_id(&app, &session).await,
        account["accountId"]
    );

    // A recovery code instead of the device: once.
    let challenge = challenged(&app, input.clone()).await;
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": codes[0] } }),
    )
    .await;
    // RULE MFA-06: a recovery code completes the sign-in.
    let session = session_token(&out);
    assert_eq!(
        viewer_account_id(&app, &session).await,
        account["accountId"]
    );
    let challenge = challenged(&app, input.clone()).await;
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": codes[0] } }),
    )
    .await;
    // RULE MFA-05: a recovery code is single use.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["session"], Value::Null);

    // Trusting the device for 7 days.
    let code = fresh_code(&app, &secret).await;
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": code },
                "trustDevice": true }),
    )
    .await;
    session_token(&out);
    let device = out["deviceToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a device token in {out}"))
        .to_owned();
    let mut trusted = input.clone();
    trusted["deviceToken"] = json!(device);
    // RULE MFA-06: the trusted device skips the challenge...
    signed_in(&app, trusted.clone()).await;
    app.advance(7 * 24 * 3600 - 60).await;
    signed_in(&app, trusted.clone()).await;
    // RULE MFA-06: ...for 7 days, not longer.
    app.advance(61).await;
    let challenge = challenged(&app, trusted.clone()).await;

    // Unbinding the device revokes the trusted devices.
    let code = fresh_code(&app, &secret).await;
    let out = complete(
        &app,
        json!({ "challengeId": challenge["id"], "secondFactor": { "mfaCode": code },
                "trustDevice": true }),
    )
    .await;
    let session = session_token(&out);
    let mut trusted = input.clone();
    trusted["deviceToken"] = out["deviceToken"].clone();
    assert!(trusted["deviceToken"].is_string(), "{out}");
    signed_in(&app, trusted.clone()).await;
    let code = fresh_code(&app, &secret).await;
    let out = unbind(&app, &session, None, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE MFA-06: the token no longer skips the challenge (which now offers no MFA).
    let challenge = challenged(&app, trusted).await;
    assert!(
        !challenge["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("MFA")),
        "{challenge}"
    );
}

// --- MFA-07: operation protection with an MFA code --------------------------------------

async fn operation_protection_accepts_an_mfa_code(app: TestApp) {
    let email = "mfa-ops@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let (secret, _) = bind_virtual(&app, &token, None).await;
    protect_with_mfa(&app, &token, &secret, "operationProtection", true).await;
    let spare = create_sub_user(&app, &token, "spare").await;

    // RULE MFA-07: each protected operation needs a second factor...
    let out = update_protection(&app, &token, json!({ "loginProtection": true })).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    let new_email = "mfa-ops-new@example.com";
    let new_code = app.code_for("EMAIL", new_email, "BIND_EMAIL").await;
    let out = mutate(
        &app,
        Some(&token),
        CHANGE_SECURITY_EMAIL,
        "changeSecurityEmail",
        json!({ "newEmail": new_email, "newEmailCode": new_code }),
    )
    .await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    let out = mutate(
        &app,
        Some(&token),
        DELETE_SUB_USER,
        "deleteSubUser",
        json!({ "subUserId": spare }),
    )
    .await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    let out = mutate(&app, Some(&token), CREATE_KEY, "createAccessKey", json!({})).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(out["accessKey"], Value::Null);

    // RULE MFA-07: ...and a fresh MFA code is one.
    let code = fresh_code(&app, &secret).await;
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], true);
    let out = mutate(
        &app,
        Some(&token),
        CHANGE_SECURITY_EMAIL,
        "changeSecurityEmail",
        json!({ "newEmail": new_email, "newEmailCode": new_code,
                "secondFactor": { "mfaCode": code } }),
    )
    .await;
    // RULE MFA-04: not the code just used (told apart as a replay: issue 17).
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");
    let code = fresh_code(&app, &secret).await;
    let out = mutate(
        &app,
        Some(&token),
        CHANGE_SECURITY_EMAIL,
        "changeSecurityEmail",
        json!({ "newEmail": new_email, "newEmailCode": new_code,
                "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert!(out["account"]["securityEmail"].is_string(), "{out}");
    let code = fresh_code(&app, &secret).await;
    let out = mutate(
        &app,
        Some(&token),
        DELETE_SUB_USER,
        "deleteSubUser",
        json!({ "subUserId": spare, "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["deletedId"], spare.as_str(), "{out}");
    let code = fresh_code(&app, &secret).await;
    let out = mutate(
        &app,
        Some(&token),
        CREATE_KEY,
        "createAccessKey",
        json!({ "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert!(out["secretKey"].is_string(), "{out}");
}

// --- MFA-08: WeChat unbinding leaves the device -----------------------------------------

async fn unbinding_wechat_keeps_the_mfa_device(app: TestApp) {
    let (token, _) = app.register_provider("CHINA", "WECHAT", "wx1").await;
    let email = "mfa-wechat@example.com";
    let code = app.code_for("EMAIL", email, "BIND_EMAIL").await;
    let out = mutate(
        &app,
        Some(&token),
        BIND_LOGIN,
        "bindLoginMethod",
        json!({ "kind": "EMAIL", "email": email, "password": PASSWORD, "emailCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let (secret, bound) = bind_virtual(&app, &token, None).await;
    let seen = viewer(&app, &token).await;
    let wechat = seen["account"]["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "WECHAT")
        .map(|m| m["id"].clone())
        .unwrap_or_else(|| panic!("{seen}"));
    let out = mutate(
        &app,
        Some(&token),
        UNBIND_LOGIN,
        "unbindLoginMethod",
        json!({ "loginMethodId": wechat }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(
        out["account"]["loginMethods"].as_array().map(Vec::len),
        Some(1),
        "{out}"
    );
    // RULE MFA-08: the MFA device stays bound, and still answers.
    let device = account_device(&app, &token).await;
    assert_eq!(device["id"], bound["mfaDevice"]["id"], "{device}");
    protect_with_mfa(&app, &token, &secret, "loginProtection", true).await;
    let challenge = challenged(
        &app,
        json!({ "site": "CHINA", "email": email, "password": PASSWORD }),
    )
    .await;
    assert!(
        challenge["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("MFA")),
        "{challenge}"
    );
}

// --- sub-users' devices ------------------------------------------------------------------

async fn sub_users_have_their_own_devices(app: TestApp) {
    let email = "mfa-subs@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let root_id = account_id(&account);
    let dev = create_sub_user(&app, &token, "dev").await;
    let ops = create_sub_user(&app, &token, "ops").await;
    create_sub_user(&app, &token, "plain").await;
    let ops_token = session_token(&sign_in_sub_user(&app, &root_id, "ops").await);

    // The root binds a device for its sub-user.
    let begun = begin(&app, &token, Some(&dev)).await;
    assert_eq!(begun["userErrors"], json!([]), "{begun}");
    let dev_secret = begun["secret"].as_str().unwrap().to_owned();
    let code = code_now(&app, &dev_secret).await;
    // RULE SUB-08: another principal's pending binding does not exist for a sub-user.
    let out = confirm(&app, &ops_token, &begun["bindingId"], &code).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["mfaDevice"], Value::Null);
    let out = confirm(&app, &token, &begun["bindingId"], &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE MFA-02: the device is the sub-user's, not the root's.
    let device = sub_user_device(&app, &token, &dev).await;
    assert_eq!(device["id"], out["mfaDevice"]["id"], "{device}");
    assert_eq!(device["kind"], "VIRTUAL");
    assert_eq!(account_device(&app, &token).await, Value::Null);

    // A sub-user binds its own, and only its own.
    let (ops_secret, bound) = bind_virtual(&app, &ops_token, None).await;
    let seen = viewer(&app, &ops_token).await;
    assert_eq!(
        seen["subUser"]["mfaDevice"]["id"], bound["mfaDevice"]["id"],
        "{seen}"
    );
    assert_eq!(
        sub_user_device(&app, &token, &ops).await["id"],
        bound["mfaDevice"]["id"]
    );
    // RULE SUB-08: naming another sub-user is FORBIDDEN.
    let dev_code = fresh_code(&app, &dev_secret).await;
    register_token(&app, "HW-2001", HW_SECRET).await;
    let hw_code = code_now(&app, HW_SECRET).await;
    for (query, input) in [
        (BEGIN, json!({ "subUserId": dev })),
        (
            BIND_HARDWARE,
            json!({ "subUserId": dev, "serialNumber": "HW-2001", "code": hw_code }),
        ),
        (UNBIND, json!({ "subUserId": dev, "code": dev_code })),
    ] {
        assert_eq!(
            top_level_code(&app, &ops_token, query, input.clone()).await,
            "FORBIDDEN",
            "{query} {input}"
        );
    }
    assert_eq!(
        sub_user_device(&app, &token, &dev).await["id"],
        device["id"]
    );
    // Naming itself is its own scope.
    let out = mutate(
        &app,
        Some(&ops_token),
        BEGIN,
        "beginVirtualMfaBinding",
        json!({ "subUserId": ops }),
    )
    .await;
    assert_eq!(error_code(&out), "MFA_DEVICE_ALREADY_BOUND", "{out}");

    // RULE MFA-06: with the root's login protection on, a sub-user with a device is asked
    // for its code; one without a device is not.
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = update_protection(
        &app,
        &token,
        json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    for (name, secret) in [("dev", &dev_secret), ("ops", &ops_secret)] {
        let out = sign_in_sub_user(&app, &root_id, name).await;
        assert_eq!(out["session"], Value::Null, "{name}: {out}");
        assert_eq!(out["challenge"]["methods"], json!(["MFA"]), "{name}: {out}");
        let code = fresh_code(&app, secret).await;
        let done = complete(
            &app,
            json!({ "challengeId": out["challenge"]["id"], "secondFactor": { "mfaCode": code } }),
        )
        .await;
        let sub_token = session_token(&done);
        assert_eq!(viewer(&app, &sub_token).await["subUser"]["name"], name);
    }
    let plain = sign_in_sub_user(&app, &root_id, "plain").await;
    assert_eq!(plain["challenge"], Value::Null, "{plain}");
    session_token(&plain);

    // The root unbinds a sub-user's device with its code: that sub-user's sessions end.
    let code = fresh_code(&app, &ops_secret).await;
    let out = unbind(&app, &token, Some(&ops), &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(sub_user_device(&app, &token, &ops).await, Value::Null);
    // RULE MFA-05 RULE LOG-09: the unbound principal's sessions end, the root's stay.
    let gone = app
        .gql_as(Some(&ops_token), "{ viewer { subUser { id } } }", json!({}))
        .await;
    assert_eq!(gone["data"]["viewer"], Value::Null, "{gone}");
    assert!(viewer_account_id(&app, &token).await.is_string());

    // RULE SUB-07: deleting a sub-user removes its device.
    assert_eq!(stored_devices(&app).await.len(), 1);
    let out = mutate(
        &app,
        Some(&token),
        DELETE_SUB_USER,
        "deleteSubUser",
        json!({ "subUserId": dev }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(stored_devices(&app).await.len(), 0);
}

async fn hardware_tokens_are_registered_once_with_a_real_secret(app: TestApp) {
    let ok = app
        .ops(REGISTER, json!({ "s": "HW-0001", "k": "JBSWY3DPEHPK3PXP" }))
        .await;
    // RULE MFA-01: the provider records each token it sells.
    assert_eq!(ok["data"]["registerHardwareToken"]["ok"], true, "{ok}");
    let again = app
        .ops(REGISTER, json!({ "s": "hw-0001", "k": "JBSWY3DPEHPK3PXP" }))
        .await;
    assert_eq!(
        again["data"]["registerHardwareToken"]["ok"], false,
        "{again}"
    );
    for (serial, secret) in [
        ("HW-2", "short"),
        ("HW-3", "not base32!"),
        ("bad serial", "JBSWY3DPEHPK3PXP"),
    ] {
        let out = app.ops(REGISTER, json!({ "s": serial, "k": secret })).await;
        assert_eq!(out["data"]["registerHardwareToken"]["ok"], false, "{out}");
    }
    let dump = app.dump_database_text(true).await;
    assert!(!dump.contains("JBSWY3DPEHPK3PXP"));
}

db_test!(
    hardware_tokens_are_registered_once_with_a_real_secret,
    virtual_devices_bind_with_a_current_code_and_show_the_secret_once,
    one_device_per_principal_and_hardware_tokens_bind_once,
    codes_are_accepted_within_one_step_and_never_twice,
    unbinding_needs_a_valid_code_and_ends_the_other_sessions,
    an_operator_unbinds_a_lost_device_for_the_verified_owner,
    login_protection_takes_mfa_and_recovery_codes_and_trusts_devices,
    operation_protection_accepts_an_mfa_code,
    unbinding_wechat_keeps_the_mfa_device,
    sub_users_have_their_own_devices,
);
