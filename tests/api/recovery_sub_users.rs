//! The root account manages its sub-users' credentials (REC-02), through GraphQL: a new or
//! generated password, optionally to be changed at the next sign-in (the session can only
//! change it until then), removing a lost MFA device; both protected operations (MFA-07)
//! that end the sub-user's sessions and notify its e-mail.

use std::time::Duration;

use futures::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{CAPTCHA_OK, PASSWORD, TestApp, error_code},
    identities::resident_id,
    mfa::{bind_virtual, fresh_code, protect_with_mfa},
    sign_in::move_to_early_utc_morning,
};

const RESET: &str = "mutation($i: ResetSubUserPasswordInput!) { resetSubUserPassword(input: $i) {
    userErrors { code field message }
    subUser { id name passwordChangeRequired } generatedPassword } }";

const REMOVE_DEVICE: &str =
    "mutation($i: RemoveSubUserMfaDeviceInput!) { removeSubUserMfaDevice(input: $i) {
    userErrors { code field message } subUser { id mfaDevice { id } } } }";

const CREATE_SUB_USER: &str = "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
    userErrors { code field message } subUser { id name } } }";

const CREATE_RECIPIENT: &str =
    "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
    userErrors { code field message } subUser { id kind } } }";

const ADD_COLLABORATOR: &str = "mutation($i: AddCollaboratorInput!) { addCollaborator(input: $i) {
    userErrors { code field message } subUser { id kind } } }";

const SUBMIT_INDIVIDUAL: &str =
    "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
    userErrors { code field message } verification { state } } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message }
    session { token } challenge { id methods } passwordChangeRequired } }";

const CHANGE_PASSWORD: &str = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) {
    userErrors { code field message } } }";

const SIGN_OUT: &str =
    "mutation($i: SignOutInput!) { signOut(input: $i) { userErrors { code message } } }";

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message } accessKey { id } secretKey } }";

const UPDATE_PROTECTION: &str =
    "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
    userErrors { code field message } account { loginProtection operationProtection } } }";

const WHOAMI: &str = "{ viewer { subUser { id name } } }";

const SUB_USER_NODE: &str = "query($id: ID!) { node(id: $id) { __typename
    ... on SubUser { id name passwordChangeRequired mfaDevice { id } } } }";

const SUB_USERS: &str = "{ viewer { account {
    subUsers(first: 10) { edges { node { id name passwordChangeRequired } } } } } }";

const OUTBOX: &str = "query($t: String!) { outbox(target: $t, last: 10) { purpose body code } }";

/// The characters LOG-06 counts as special.
const SPECIAL: &str = "!@#$%^&*()";

// --- helpers ---------------------------------------------------------------------------

/// Registers a CHINA root account by e-mail; returns its session token and account ID.
async fn root(app: &TestApp, email: &str) -> (String, String) {
    let (token, account) = app.register_email("CHINA", email).await;
    let id = account["accountId"].as_str().expect("accountId").to_owned();
    (token, id)
}

/// A console sub-user with the standard password and its own e-mail (where REC-02's
/// notices go); returns its global ID.
async fn create_sub_user(app: &TestApp, token: &str, name: &str, email: &str) -> String {
    let out = app
        .mutate(
            Some(token),
            CREATE_SUB_USER,
            "createSubUser",
            json!({ "name": name, "password": PASSWORD, "consoleLogin": true, "email": email }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["subUser"]["id"].as_str().expect("id").to_owned()
}

/// The `resetSubUserPassword` payload for a full input, called as `token`.
async fn reset(app: &TestApp, token: &str, input: Value) -> Value {
    app.mutate(Some(token), RESET, "resetSubUserPassword", input)
        .await
}

/// The `removeSubUserMfaDevice` payload for a full input, called as `token`.
async fn remove_device(app: &TestApp, token: &str, input: Value) -> Value {
    app.mutate(Some(token), REMOVE_DEVICE, "removeSubUserMfaDevice", input)
        .await
}

/// The `signInSubUser` payload; a top-level error fails the test.
async fn sign_in_sub_user(
    app: &TestApp,
    root_id: &str,
    name: &str,
    password: &str,
    captcha: Option<&str>,
) -> Value {
    let input = json!({ "rootAccountId": root_id, "userName": name, "password": password,
                        "captcha": captcha });
    app.mutate(None, SIGN_IN_SUB_USER, "signInSubUser", input)
        .await
}

/// The session token of a successful sign-in payload.
fn token_of(payload: &Value) -> String {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {payload}"))
        .to_owned()
}

/// `viewer` as `token` sees it: null once the session is revoked. A top-level error (such
/// as PASSWORD_CHANGE_REQUIRED) fails the test; use `top_level_code` to expect one.
async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), WHOAMI, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"].clone()
}

/// The top-level error code of a request (e.g. PASSWORD_CHANGE_REQUIRED); "" when none.
async fn top_level_code(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    let out = app.gql_as(Some(token), query, variables).await;
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The sub-user as its root sees it through `node`.
async fn seen_by_root(app: &TestApp, root_token: &str, id: &str) -> Value {
    let out = app
        .gql_as(Some(root_token), SUB_USER_NODE, json!({ "id": id }))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    assert_eq!(out["data"]["node"]["__typename"], "SubUser", "{out}");
    out["data"]["node"].clone()
}

/// `passwordChangeRequired` of one sub-user as the root's member list shows it (the list
/// and the node are two readers of the same flag).
async fn listed_flag(app: &TestApp, root_token: &str, id: &str) -> Value {
    let out = app.gql_as(Some(root_token), SUB_USERS, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    let edges = out["data"]["viewer"]["account"]["subUsers"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges in {out}"));
    edges
        .iter()
        .find(|e| e["node"]["id"] == id)
        .map(|e| e["node"]["passwordChangeRequired"].clone())
        .unwrap_or_else(|| panic!("{id} in {out}"))
}

/// The sandbox messages delivered to `target` with `purpose`, newest first.
async fn notices(app: &TestApp, target: &str, purpose: &str) -> Vec<Value> {
    let out = app.ops(OUTBOX, json!({ "t": target })).await;
    out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("an outbox in {out}"))
        .iter()
        .filter(|m| m["purpose"] == purpose)
        .cloned()
        .collect()
}

/// Whether a password meets LOG-06 (8-20 characters, upper, lower, digit, special).
fn meets_log_06(password: &str) -> bool {
    (8..=20).contains(&password.chars().count())
        && password.chars().any(|c| c.is_ascii_uppercase())
        && password.chars().any(|c| c.is_ascii_lowercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| SPECIAL.contains(c))
        && password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIAL.contains(c))
}

/// Verifies an account at once (WECHAT_SCAN, MAINLAND): a collaborator must be verified.
async fn verify(app: &TestApp, token: &str, seq: u32) {
    let out = app
        .mutate(
            Some(token),
            SUBMIT_INDIVIDUAL,
            "submitIndividualVerification",
            json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                    "idNumber": resident_id("19900101", seq), "birthDate": "1990-01-01" }),
        )
        .await;
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

/// Turns the root's login protection on with an OPERATION code to its e-mail (it has no
/// MFA device of its own in the scenario that uses this).
async fn login_protection_by_email(app: &TestApp, token: &str, email: &str) {
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = app
        .mutate(
            Some(token),
            UPDATE_PROTECTION,
            "updateProtection",
            json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["loginProtection"], true, "{out}");
}

// --- a set password, to be changed ------------------------------------------------------

async fn a_reset_password_ends_the_sessions_and_must_be_changed_first(app: TestApp) {
    let (root_token, root_id) = root(&app, "reset-root@example.com").await;
    let dev = create_sub_user(&app, &root_token, "dev", "dev@example.com").await;
    let old_session = token_of(&sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await);
    assert_eq!(viewer(&app, &old_session).await["subUser"]["id"], dev);
    assert_eq!(listed_flag(&app, &root_token, &dev).await, false);

    // requireChange is left out: it defaults to true.
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Reset#456" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["id"], dev, "{out}");
    assert_eq!(out["subUser"]["name"], "dev", "{out}");
    // RULE REC-02: the root set the password: nothing is generated or shown.
    assert_eq!(out["generatedPassword"], Value::Null, "{out}");
    // RULE REC-02: the sub-user must change it at the next sign-in (the default).
    assert_eq!(out["subUser"]["passwordChangeRequired"], true, "{out}");
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["passwordChangeRequired"],
        true
    );
    assert_eq!(listed_flag(&app, &root_token, &dev).await, true);

    // RULE REC-02: the sub-user's sessions end...
    assert_eq!(viewer(&app, &old_session).await, Value::Null);
    // ...the root's does not.
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["id"],
        dev.as_str()
    );
    // RULE REC-02: the old password no longer signs in; the new one does, restricted.
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    let out = sign_in_sub_user(&app, &root_id, "dev", "Reset#456", None).await;
    let restricted = token_of(&out);
    assert_eq!(out["passwordChangeRequired"], true, "{out}");
    let spare = token_of(&sign_in_sub_user(&app, &root_id, "dev", "Reset#456", None).await);

    // RULE REC-02: the sub-user's e-mail is told, without the password.
    let sent = notices(&app, "dev@example.com", "SUB_USER_PASSWORD_RESET").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["code"], Value::Null, "{sent:?}");
    let body = sent[0]["body"].as_str().unwrap_or_default();
    assert!(!body.is_empty(), "{sent:?}");
    assert!(!body.contains("Reset#456"), "{body}");
    // The root's own address is not the one told.
    assert!(
        notices(&app, "reset-root@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .is_empty()
    );

    // RULE REC-02: until the password is changed, that session can do nothing else.
    assert_eq!(
        top_level_code(&app, &restricted, WHOAMI, json!({})).await,
        "PASSWORD_CHANGE_REQUIRED"
    );
    assert_eq!(
        top_level_code(&app, &restricted, CREATE_KEY, json!({ "i": {} })).await,
        "PASSWORD_CHANGE_REQUIRED"
    );
    assert_eq!(
        top_level_code(&app, &restricted, SUB_USER_NODE, json!({ "id": dev })).await,
        "PASSWORD_CHANGE_REQUIRED"
    );
    // ...but sign out.
    let out = app.gql_as(Some(&spare), SIGN_OUT, json!({ "i": {} })).await;
    assert!(out.get("errors").is_none(), "{out}");
    assert_eq!(out["data"]["signOut"]["userErrors"], json!([]), "{out}");
    // A weak new password does not lift the restriction.
    let out = app
        .mutate(
            Some(&restricted),
            CHANGE_PASSWORD,
            "changePassword",
            json!({ "currentPassword": "Reset#456", "newPassword": "weak" }),
        )
        .await;
    assert_eq!(error_code(&out), "PASSWORD_TOO_WEAK", "{out}");
    assert_eq!(
        top_level_code(&app, &restricted, WHOAMI, json!({})).await,
        "PASSWORD_CHANGE_REQUIRED"
    );

    // RULE REC-02: changing it (current = the reset one) lifts the restriction at once.
    let out = app
        .mutate(
            Some(&restricted),
            CHANGE_PASSWORD,
            "changePassword",
            json!({ "currentPassword": "Reset#456", "newPassword": "Mine#7890" }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(viewer(&app, &restricted).await["subUser"]["id"], dev);
    let key = app
        .mutate(Some(&restricted), CREATE_KEY, "createAccessKey", json!({}))
        .await;
    assert_eq!(key["userErrors"], json!([]), "{key}");
    assert!(key["secretKey"].is_string(), "{key}");
    // RULE REC-02: the flag is down, as the root sees it.
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["passwordChangeRequired"],
        false
    );
    assert_eq!(listed_flag(&app, &root_token, &dev).await, false);
    // The next sign-in, with the sub-user's own password, is not restricted.
    let out = sign_in_sub_user(&app, &root_id, "dev", "Mine#7890", None).await;
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    let again = token_of(&out);
    assert_eq!(viewer(&app, &again).await["subUser"]["id"], dev);
    let out = sign_in_sub_user(&app, &root_id, "dev", "Reset#456", None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
}

// --- a generated password ----------------------------------------------------------------

async fn a_generated_password_meets_the_rules_and_is_shown_once(app: TestApp) {
    let (root_token, root_id) = root(&app, "gen-root@example.com").await;
    let dev = create_sub_user(&app, &root_token, "dev", "gen-dev@example.com").await;
    let old_session = token_of(&sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await);

    let mut generated = Vec::new();
    for round in 0..4 {
        let out = reset(
            &app,
            &root_token,
            json!({ "subUserId": dev, "requireChange": false }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
        let password = out["generatedPassword"]
            .as_str()
            .unwrap_or_else(|| panic!("a generated password in {out}"))
            .to_owned();
        // RULE REC-02: a generated password of 16 characters that meets LOG-06.
        assert_eq!(password.chars().count(), 16, "{password}");
        assert!(meets_log_06(&password), "round {round}: {password}");
        // RULE REC-02: requireChange false: no change is required.
        assert_eq!(out["subUser"]["passwordChangeRequired"], false, "{out}");
        assert!(
            !generated.contains(&password),
            "generated twice: {password}"
        );
        generated.push(password);
    }
    // RULE REC-02: the last generated password signs in, unrestricted; the earlier ones
    // and the original do not.
    let last = generated.last().expect("a password").clone();
    let out = sign_in_sub_user(&app, &root_id, "dev", &last, None).await;
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    let session = token_of(&out);
    assert_eq!(viewer(&app, &session).await["subUser"]["id"], dev);
    for earlier in generated[..generated.len() - 1].iter().map(String::as_str) {
        let out = sign_in_sub_user(&app, &root_id, "dev", earlier, Some(CAPTCHA_OK)).await;
        assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{earlier}: {out}");
    }
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, Some(CAPTCHA_OK)).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    // RULE REC-02: the sessions ended (even with requireChange false).
    assert_eq!(viewer(&app, &old_session).await, Value::Null);
    assert_eq!(listed_flag(&app, &root_token, &dev).await, false);

    // RULE REC-02: shown once: the generated passwords are stored nowhere in clear, and the
    // notices (one per reset) do not carry them.
    let sent = notices(&app, "gen-dev@example.com", "SUB_USER_PASSWORD_RESET").await;
    assert_eq!(sent.len(), 4, "{sent:?}");
    let dump = app.dump_database_text(true).await;
    for password in &generated {
        assert!(
            !dump.contains(password.as_str()),
            "{password} stored in clear"
        );
    }

    // A password the root sets is echoed nowhere.
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Chosen#2024", "requireChange": false }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE REC-02: generatedPassword is null when newPassword was given.
    assert_eq!(out["generatedPassword"], Value::Null, "{out}");
    assert_eq!(out["subUser"]["passwordChangeRequired"], false, "{out}");
    let out = sign_in_sub_user(&app, &root_id, "dev", "Chosen#2024", Some(CAPTCHA_OK)).await;
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    token_of(&out);
}

// --- what the reset refuses ----------------------------------------------------------------

async fn weak_passwords_other_kinds_and_other_accounts_change_nothing(app: TestApp) {
    let (root_token, root_id) = root(&app, "refuse-root@example.com").await;
    let (other_token, other_id) = root(&app, "refuse-other@example.com").await;
    verify(&app, &other_token, 21).await;
    let dev = create_sub_user(&app, &root_token, "dev", "refuse-dev@example.com").await;
    let foreign = create_sub_user(&app, &other_token, "dev", "foreign@example.com").await;
    let dev_session = token_of(&sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await);
    let foreign_session = token_of(&sign_in_sub_user(&app, &other_id, "dev", PASSWORD, None).await);

    // RULE REC-02: a new password meets LOG-06, or nothing changes.
    for weak in [
        "abc",
        "password123",
        "Password123",
        "PASSWORD#123",
        "Pass word#1",
    ] {
        let out = reset(
            &app,
            &root_token,
            json!({ "subUserId": dev, "newPassword": weak }),
        )
        .await;
        assert_eq!(error_code(&out), "PASSWORD_TOO_WEAK", "{weak}: {out}");
        assert_eq!(
            out["userErrors"][0]["field"],
            json!(["input", "newPassword"]),
            "{out}"
        );
        assert_eq!(out["subUser"], Value::Null, "{out}");
        assert_eq!(out["generatedPassword"], Value::Null, "{out}");
    }
    // RULE REC-02: nothing changed: the session lives, the password works, no flag, no
    // notice.
    assert_eq!(viewer(&app, &dev_session).await["subUser"]["id"], dev);
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    token_of(&out);
    assert_eq!(listed_flag(&app, &root_token, &dev).await, false);
    assert!(
        notices(&app, "refuse-dev@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .is_empty()
    );

    // RULE REC-02: only sub-users: not a collaborator, not a message recipient.
    let recipient = app
        .mutate(
            Some(&root_token),
            CREATE_RECIPIENT,
            "createMessageRecipient",
            json!({ "name": "Alerts", "email": "alerts@example.com" }),
        )
        .await;
    assert_eq!(
        recipient["subUser"]["kind"], "MESSAGE_RECIPIENT",
        "{recipient}"
    );
    let collaborator = app
        .mutate(
            Some(&root_token),
            ADD_COLLABORATOR,
            "addCollaborator",
            json!({ "collaboratorAccountId": other_id }),
        )
        .await;
    assert_eq!(
        collaborator["subUser"]["kind"], "COLLABORATOR",
        "{collaborator}"
    );
    for member in [&recipient, &collaborator] {
        let id = &member["subUser"]["id"];
        let out = reset(
            &app,
            &root_token,
            json!({ "subUserId": id, "newPassword": "Reset#456" }),
        )
        .await;
        assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
        assert_eq!(out["subUser"], Value::Null, "{out}");
        let out = reset(&app, &root_token, json!({ "subUserId": id })).await;
        assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
        assert_eq!(out["generatedPassword"], Value::Null, "{out}");
        let out = remove_device(&app, &root_token, json!({ "subUserId": id })).await;
        assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
        assert_eq!(out["subUser"], Value::Null, "{out}");
    }
    assert!(
        notices(&app, "alerts@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .is_empty()
    );
    // The collaborator's own root account still signs in with its password.
    let out = app
        .gql(
            "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } session { token } } }",
            json!({ "i": { "site": "CHINA", "email": "refuse-other@example.com", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(out["data"]["signIn"]["userErrors"], json!([]), "{out}");

    // RULE REC-02: another account's sub-user does not exist for this root.
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": foreign, "newPassword": "Taken#456" }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["subUser"], Value::Null, "{out}");
    let out = remove_device(&app, &root_token, json!({ "subUserId": foreign })).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(
        viewer(&app, &foreign_session).await["subUser"]["id"],
        foreign
    );
    let out = sign_in_sub_user(&app, &other_id, "dev", "Taken#456", None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    token_of(&sign_in_sub_user(&app, &other_id, "dev", PASSWORD, Some(CAPTCHA_OK)).await);

    // RULE REC-02: a sub-user without a device has none to remove.
    let out = remove_device(&app, &root_token, json!({ "subUserId": dev })).await;
    assert_eq!(error_code(&out), "NO_MFA_DEVICE", "{out}");
    assert_eq!(out["subUser"], Value::Null, "{out}");
    assert_eq!(viewer(&app, &dev_session).await["subUser"]["id"], dev);
    assert!(
        notices(&app, "refuse-dev@example.com", "SUB_USER_MFA_REMOVED")
            .await
            .is_empty()
    );
}

// --- the password lock ---------------------------------------------------------------------

async fn a_reset_clears_the_sub_users_password_lock(app: TestApp) {
    move_to_early_utc_morning(&app).await;
    let (root_token, root_id) = root(&app, "lock-root@example.com").await;
    let dev = create_sub_user(&app, &root_token, "dev", "lock-dev@example.com").await;
    for attempt in 1..=10 {
        let captcha = (attempt > 3).then_some(CAPTCHA_OK);
        let out = sign_in_sub_user(&app, &root_id, "dev", "Wrong#123", captcha).await;
        assert_eq!(
            error_code(&out),
            "INVALID_CREDENTIALS",
            "attempt {attempt}: {out}"
        );
    }
    // LOG-07: locked after ten failures; the right password is refused too.
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, Some(CAPTCHA_OK)).await;
    assert_eq!(error_code(&out), "ACCOUNT_LOCKED", "{out}");

    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Unlock#789", "requireChange": false }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE REC-02: the lock is cleared: the new password signs in at once, without even
    // the captcha the earlier failures called for.
    let out = sign_in_sub_user(&app, &root_id, "dev", "Unlock#789", None).await;
    let session = token_of(&out);
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    assert_eq!(viewer(&app, &session).await["subUser"]["id"], dev);
    // The old password stays wrong, and a fresh count starts: no captcha for one failure.
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
}

// --- a lost MFA device ---------------------------------------------------------------------

async fn removing_a_lost_mfa_device_ends_the_sessions_and_lifts_the_challenge(app: TestApp) {
    let root_email = "device-root@example.com";
    let (root_token, root_id) = root(&app, root_email).await;
    let dev = create_sub_user(&app, &root_token, "dev", "device-dev@example.com").await;
    let (_lost_secret, bound) = bind_virtual(&app, &root_token, Some(&dev)).await;
    let device_id = bound["mfaDevice"]["id"].clone();
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["mfaDevice"]["id"],
        device_id
    );
    let old_session = token_of(&sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await);
    // With the root's login protection on, the sub-user is asked for its device's code,
    // which it has lost.
    login_protection_by_email(&app, &root_token, root_email).await;
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(out["session"], Value::Null, "{out}");
    assert_eq!(out["challenge"]["methods"], json!(["MFA"]), "{out}");

    let out = remove_device(&app, &root_token, json!({ "subUserId": dev })).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["id"], dev, "{out}");
    // RULE REC-02: the device is gone.
    assert_eq!(out["subUser"]["mfaDevice"], Value::Null, "{out}");
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["mfaDevice"],
        Value::Null
    );
    let stored = entity::mfa_devices::Entity::find()
        .all(&app.db)
        .await
        .expect("mfa devices");
    assert!(stored.is_empty(), "{stored:?}");
    // RULE REC-02: the sub-user's sessions end; the root's stays.
    assert_eq!(viewer(&app, &old_session).await, Value::Null);
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["id"],
        dev.as_str()
    );
    // RULE REC-02: its e-mail is told.
    let sent = notices(&app, "device-dev@example.com", "SUB_USER_MFA_REMOVED").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["code"], Value::Null, "{sent:?}");
    assert!(
        notices(&app, "device-dev@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .is_empty()
    );

    // Without a device the sub-user is no longer challenged; its password is unchanged
    // and not to be changed.
    let out = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(out["challenge"], Value::Null, "{out}");
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    let session = token_of(&out);
    assert_eq!(viewer(&app, &session).await["subUser"]["id"], dev);

    // RULE REC-02: a second removal finds no device, and ends nothing.
    let out = remove_device(&app, &root_token, json!({ "subUserId": dev })).await;
    assert_eq!(error_code(&out), "NO_MFA_DEVICE", "{out}");
    assert_eq!(viewer(&app, &session).await["subUser"]["id"], dev);
    assert_eq!(
        notices(&app, "device-dev@example.com", "SUB_USER_MFA_REMOVED")
            .await
            .len(),
        1
    );
}

// --- MFA-07: both are protected operations -------------------------------------------------

async fn both_need_the_roots_fresh_second_factor_under_operation_protection(app: TestApp) {
    let root_email = "guarded-root@example.com";
    let (root_token, root_id) = root(&app, root_email).await;
    let (root_secret, _) = bind_virtual(&app, &root_token, None).await;
    let dev = create_sub_user(&app, &root_token, "dev", "guarded-dev@example.com").await;
    let (dev_secret, bound) = bind_virtual(&app, &root_token, Some(&dev)).await;
    let device_id = bound["mfaDevice"]["id"].clone();
    protect_with_mfa(&app, &root_token, &root_secret, "operationProtection", true).await;
    let dev_session = token_of(&sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await);

    // RULE MFA-07: a reset without a second factor is refused, and changes nothing.
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Guard#456" }),
    )
    .await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "secondFactor"]),
        "{out}"
    );
    assert_eq!(out["subUser"], Value::Null, "{out}");
    let out = reset(&app, &root_token, json!({ "subUserId": dev })).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    // RULE MFA-07: nothing is generated or shown without the factor.
    assert_eq!(out["generatedPassword"], Value::Null, "{out}");
    // RULE MFA-07: the sub-user's own device is not the root's second factor.
    let dev_code = fresh_code(&app, &dev_secret).await;
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Guard#456",
                "secondFactor": { "mfaCode": dev_code } }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(viewer(&app, &dev_session).await["subUser"]["id"], dev);
    let out = sign_in_sub_user(&app, &root_id, "dev", "Guard#456", None).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(listed_flag(&app, &root_token, &dev).await, false);
    assert!(
        notices(&app, "guarded-dev@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .is_empty()
    );

    // RULE MFA-07: with the root's fresh MFA code the reset goes through.
    let code = fresh_code(&app, &root_secret).await;
    let out = reset(
        &app,
        &root_token,
        json!({ "subUserId": dev, "newPassword": "Guard#456",
                "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["passwordChangeRequired"], true, "{out}");
    // RULE REC-02: and ends the sub-user's sessions.
    assert_eq!(viewer(&app, &dev_session).await, Value::Null);
    let out = sign_in_sub_user(&app, &root_id, "dev", "Guard#456", Some(CAPTCHA_OK)).await;
    assert_eq!(out["passwordChangeRequired"], true, "{out}");
    let restricted = token_of(&out);

    // RULE MFA-07: removing the device needs one too...
    let out = remove_device(&app, &root_token, json!({ "subUserId": dev })).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(out["subUser"], Value::Null, "{out}");
    // ...a fresh one: not the code the reset just used (MFA-04), told apart as a replay.
    let out = remove_device(
        &app,
        &root_token,
        json!({ "subUserId": dev, "secondFactor": { "mfaCode": code } }),
    )
    .await;
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");
    assert_eq!(
        seen_by_root(&app, &root_token, &dev).await["mfaDevice"]["id"],
        device_id
    );
    // The refused removals left the sub-user's session alone.
    assert_eq!(
        top_level_code(&app, &restricted, WHOAMI, json!({})).await,
        "PASSWORD_CHANGE_REQUIRED"
    );

    // RULE MFA-07: an OPERATION code sent to the root's e-mail is a second factor too.
    app.advance(61).await;
    let email_code = app.code_for("EMAIL", root_email, "OPERATION").await;
    let out = remove_device(
        &app,
        &root_token,
        json!({ "subUserId": dev,
                "secondFactor": { "channel": "EMAIL", "code": email_code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["mfaDevice"], Value::Null, "{out}");
    // RULE REC-02: the restricted session ended with the removal.
    assert_eq!(viewer(&app, &restricted).await, Value::Null);
    // RULE REC-02: one notice for each operation that went through.
    assert_eq!(
        notices(&app, "guarded-dev@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .len(),
        1
    );
    assert_eq!(
        notices(&app, "guarded-dev@example.com", "SUB_USER_MFA_REMOVED")
            .await
            .len(),
        1
    );
}

// --- concurrency -----------------------------------------------------------------------------

/// Two resets of one sub-user at once: whichever commits last must win whole (its password
/// and its requireChange flag together), never a mix of the two.
async fn two_resets_at_once_leave_one_consistent_password(app: TestApp) {
    let (root_token, root_id) = root(&app, "race-root@example.com").await;
    let dev = create_sub_user(&app, &root_token, "dev", "race-dev@example.com").await;
    for round in 0..3 {
        // Each reset is told apart by its flag: A asks for a change, B does not.
        let alpha = format!("Alpha#{round}11");
        let bravo = format!("Bravo#{round}22");
        let (a, b) = tokio::join!(
            reset(
                &app,
                &root_token,
                json!({ "subUserId": dev, "newPassword": alpha, "requireChange": true }),
            ),
            reset(
                &app,
                &root_token,
                json!({ "subUserId": dev, "newPassword": bravo, "requireChange": false }),
            ),
        );
        assert_eq!(a["userErrors"], json!([]), "round {round}: {a}");
        assert_eq!(b["userErrors"], json!([]), "round {round}: {b}");
        assert_eq!(a["subUser"]["passwordChangeRequired"], true, "{a}");
        assert_eq!(b["subUser"]["passwordChangeRequired"], false, "{b}");

        let with_alpha = sign_in_sub_user(&app, &root_id, "dev", &alpha, Some(CAPTCHA_OK)).await;
        let with_bravo = sign_in_sub_user(&app, &root_id, "dev", &bravo, Some(CAPTCHA_OK)).await;
        let alpha_won = with_alpha["session"].is_object();
        let bravo_won = with_bravo["session"].is_object();
        // RULE REC-02: the last reset wins whole: exactly one of the two passwords works...
        assert!(
            alpha_won != bravo_won,
            "round {round}: {with_alpha} {with_bravo}"
        );
        let (winner, loser) = if alpha_won {
            (&with_alpha, &with_bravo)
        } else {
            (&with_bravo, &with_alpha)
        };
        assert_eq!(error_code(loser), "INVALID_CREDENTIALS", "{loser}");
        // ...with the flag of the same reset, in the session and as the root sees it.
        assert_eq!(winner["passwordChangeRequired"], alpha_won, "{winner}");
        assert_eq!(listed_flag(&app, &root_token, &dev).await, alpha_won);
        assert_eq!(
            seen_by_root(&app, &root_token, &dev).await["passwordChangeRequired"],
            alpha_won
        );
        let session = token_of(winner);
        if alpha_won {
            assert_eq!(
                top_level_code(&app, &session, WHOAMI, json!({})).await,
                "PASSWORD_CHANGE_REQUIRED"
            );
        } else {
            assert_eq!(viewer(&app, &session).await["subUser"]["id"], dev);
        }
    }
    // RULE REC-02: each reset that went through told the sub-user.
    assert_eq!(
        notices(&app, "race-dev@example.com", "SUB_USER_PASSWORD_RESET")
            .await
            .len(),
        6
    );
}

/// Sign-ins with the old password while the reset runs. Whatever the interleaving, none may
/// leave a working session: a sign-in ordered before the reset is revoked by it, one ordered
/// after it must be refused. (A root resets a password because it may be known to someone
/// else; a session that survives the reset keeps that someone in.)
async fn a_sign_in_racing_a_reset_keeps_no_session_of_the_old_password(app: TestApp) {
    let (root_token, root_id) = root(&app, "inflight-root@example.com").await;
    let dev = create_sub_user(&app, &root_token, "dev", "inflight-dev@example.com").await;
    let mut current = PASSWORD.to_owned();
    for round in 0..4 {
        let next = format!("Round#{round}xyz");
        // The reset and, staggered over its run, sign-ins with the password it replaces.
        let reset_call = reset(
            &app,
            &root_token,
            json!({ "subUserId": dev, "newPassword": next, "requireChange": false }),
        );
        let sign_ins = join_all((0..4_u64).map(|n| {
            let app = app.clone();
            let input = json!({ "i": { "rootAccountId": root_id, "userName": "dev",
                                       "password": current, "captcha": CAPTCHA_OK } });
            async move {
                tokio::time::sleep(Duration::from_millis(n * 15)).await;
                app.gql(SIGN_IN_SUB_USER, input).await
            }
        }));
        let (out, attempts) = tokio::join!(reset_call, sign_ins);
        assert_eq!(out["userErrors"], json!([]), "round {round}: {out}");
        // Every violation of the round, so that one failure shows them all.
        let mut broken = Vec::new();
        for (n, response) in attempts.iter().enumerate() {
            let attempt = &response["data"]["signInSubUser"];
            if response.get("errors").is_some() {
                // A sign-in racing a reset is answered, not failed.
                broken.push(format!("sign-in {n} failed outright: {response}"));
            } else if let Some(token) = attempt["session"]["token"].as_str() {
                // RULE REC-02: once the reset is done, no session opened with the old
                // password is left: one opened before the reset is revoked by it, one
                // after it must not exist.
                let seen = viewer(&app, token).await;
                if !seen.is_null() {
                    broken.push(format!(
                        "sign-in {n}: a session of the replaced password outlived the \
                         reset: {attempt}, viewer {seen}"
                    ));
                }
            } else if error_code(attempt) != "INVALID_CREDENTIALS" {
                broken.push(format!("sign-in {n}: {attempt}"));
            }
        }
        assert!(broken.is_empty(), "round {round}: {broken:#?}");
        current = next;
    }
    let out = sign_in_sub_user(&app, &root_id, "dev", &current, Some(CAPTCHA_OK)).await;
    assert_eq!(viewer(&app, &token_of(&out)).await["subUser"]["id"], dev);
}

db_test!(
    a_reset_password_ends_the_sessions_and_must_be_changed_first,
    a_generated_password_meets_the_rules_and_is_shown_once,
    weak_passwords_other_kinds_and_other_accounts_change_nothing,
    a_reset_clears_the_sub_users_password_lock,
    removing_a_lost_mfa_device_ends_the_sessions_and_lifts_the_challenge,
    both_need_the_roots_fresh_second_factor_under_operation_protection,
    two_resets_at_once_leave_one_consistent_password,
    a_sign_in_racing_a_reset_keeps_no_session_of_the_old_password,
);
