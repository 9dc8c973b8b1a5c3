//! NTF: notices end to end over GraphQL: who hears of a security change (NTF-01), the
//! message center (NTF-02), the categories members receive (NTF-03), what a notice may
//! carry, once per target, retries and failed deliveries (NTF-04), and a change that rolls
//! back leaving no notice.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, resident_id},
    mfa::{bind_virtual, fresh_code, protect_with_mfa},
    recovery::{apply, decide, queued, status, verify_as},
    sign_in::{session_token, sign_in, viewer_account_id},
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const OUTBOX: &str = "query($t: String!) { outbox(target: $t, last: 50) {
    channel target purpose body code } }";

const INBOX: &str =
    "query($first: Int, $after: String, $unread: Boolean, $category: MessageCategory) {
    viewer { unreadMessageCount
        messages(first: $first, after: $after, unreadOnly: $unread, category: $category) {
            totalCount
            edges { node { id category title body createdAt readAt } }
            pageInfo { hasNextPage endCursor } } } }";

const MESSAGE_NODE: &str = "query($id: ID!) { node(id: $id) { __typename
    ... on Message { id category title body readAt } } }";

const MARK_READ: &str = "mutation($i: MarkMessagesReadInput!) { markMessagesRead(input: $i) {
    userErrors { code field message } unreadMessageCount } }";

const SET_CATEGORIES: &str =
    "mutation($i: SetMessageCategoriesInput!) { setMessageCategories(input: $i) {
    userErrors { code field message } subUser { id kind messageCategories } } }";

const CHANGE_SECURE_PHONE: &str =
    "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) {
    userErrors { code field message } account { securePhone } } }";

const CHANGE_SECURITY_EMAIL: &str =
    "mutation($i: ChangeSecurityEmailInput!) { changeSecurityEmail(input: $i) {
    userErrors { code field message } account { securityEmail } } }";

const UPDATE_INFO: &str = "mutation($i: UpdateAccountInfoInput!) { updateAccountInfo(input: $i) {
    userErrors { code field message } } }";

const CHANGE_PASSWORD: &str = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) {
    userErrors { code field message } } }";

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message } accessKey { id secretId } secretKey } }";

const BIND_METHOD: &str = "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
    userErrors { code field message } loginMethod { id kind } } }";

const UNBIND_METHOD: &str = "mutation($i: UnbindLoginMethodInput!) { unbindLoginMethod(input: $i) {
    userErrors { code field message } } }";

const UNBIND_MFA: &str = "mutation($i: UnbindMfaDeviceInput!) { unbindMfaDevice(input: $i) {
    userErrors { code field message } } }";

const RESET_PASSWORD: &str = "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) {
    userErrors { code field message } account { accountId } } }";

const REQUEST_CANCELLATION: &str =
    "mutation($i: RequestCancellationInput!) { requestCancellation(input: $i) {
    userErrors { code field message } cancellation { id state } unmetPreconditions } }";

const WITHDRAW_CANCELLATION: &str =
    "mutation($i: WithdrawCancellationInput!) { withdrawCancellation(input: $i) {
    userErrors { code field message } cancellation { id state } } }";

const SUBMIT_INDIVIDUAL: &str =
    "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
    userErrors { code field message } verification { id state } } }";

const SUBMIT_ENTERPRISE: &str =
    "mutation($i: SubmitEnterpriseVerificationInput!) { submitEnterpriseVerification(input: $i) {
    userErrors { code field message } verification { id state rechargeAmount } } }";

const REVIEW_VERIFICATION: &str = "mutation($id: ID!, $approve: Boolean!, $reason: String) {
    reviewVerification(verificationId: $id, approve: $approve, reason: $reason) { ok message } }";

const CREATE_SUB_USER: &str = "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
    userErrors { code field message } subUser { id kind name messageCategories } } }";

const CREATE_RECIPIENT: &str =
    "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
    userErrors { code field message } subUser { id kind name messageCategories } } }";

const ADD_COLLABORATOR: &str = "mutation($i: AddCollaboratorInput!) { addCollaborator(input: $i) {
    userErrors { code field message } subUser { id kind } } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message } session { token } } }";

const SUB_USER_CATEGORIES: &str = "query($id: ID!) { node(id: $id) {
    ... on SubUser { messageCategories } } }";

const FAILED_DELIVERIES: &str = "{ failedDeliveries(first: 10) {
    channel target purpose attempts lastError lastAttemptAt } }";

/// The titles the message center shows for each purpose.
const TITLE_PHONE: &str = "Your secure phone was changed";
const TITLE_EMAIL: &str = "Your security e-mail was changed";
const TITLE_PASSWORD: &str = "Your password was changed";
const TITLE_KEY: &str = "An access key was created";
const TITLE_BOUND: &str = "A login method was bound";
const TITLE_UNBOUND: &str = "A login method was unbound";
const TITLE_MFA_BOUND: &str = "An MFA device was bound";
const TITLE_MFA_REMOVED: &str = "An MFA device was removed";
const TITLE_PROTECTION_OFF: &str = "A protection was turned off";
const TITLE_CANCEL_REQUESTED: &str = "Your account is being cancelled";
const TITLE_CANCEL_WITHDRAWN: &str = "The cancellation was withdrawn";
const TITLE_DECISION: &str = "Your real-name verification was decided";
/// An operator's decision names no language: a CHINA account reads it in Chinese.
const TITLE_RECOVERY_APPROVED_ZH: &str = "账号找回申请已通过";
const TITLE_RECOVERY_REJECTED_ZH: &str = "账号找回申请已被驳回";

/// A console mutation's payload as `token` (a top-level error fails the test).
async fn call(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    app.mutate(Some(token), query, field, input).await
}

/// Like `call`, and the payload must carry no user error.
async fn done(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    let out = call(app, token, query, field, input).await;
    assert_eq!(out["userErrors"], json!([]), "{field}: {out}");
    out
}

/// What the sandbox delivered to `target`, newest first.
async fn outbox(app: &TestApp, target: &str) -> Vec<Value> {
    let out = app.ops(OUTBOX, json!({ "t": target })).await;
    out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("an outbox in {out}"))
        .clone()
}

/// The notices of `purpose` the sandbox delivered to `target`, newest first.
async fn delivered(app: &TestApp, target: &str, purpose: &str) -> Vec<Value> {
    outbox(app, target)
        .await
        .into_iter()
        .filter(|m| m["purpose"] == purpose)
        .collect()
}

/// How many notices of `purpose` reached `target`.
async fn times(app: &TestApp, target: &str, purpose: &str) -> usize {
    delivered(app, target, purpose).await.len()
}

/// The viewer's unread count and messages for the given page and filters.
async fn inbox(app: &TestApp, token: &str, variables: Value) -> Value {
    let out = app.gql_as(Some(token), INBOX, variables).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"].clone()
}

/// Every message of the viewer (up to 50), newest first.
async fn messages(app: &TestApp, token: &str) -> Vec<Value> {
    let viewer = inbox(app, token, json!({ "first": 50 })).await;
    nodes(&viewer["messages"])
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges in {connection}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn titles(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    inbox(app, token, json!({ "first": 1 })).await["unreadMessageCount"]
        .as_i64()
        .expect("an unread count")
}

async fn mark_read(app: &TestApp, token: &str, input: Value) -> Value {
    call(app, token, MARK_READ, "markMessagesRead", input).await
}

async fn run_jobs(app: &TestApp) -> String {
    let out = app
        .ops("mutation { runScheduledJobs { ok message } }", json!({}))
        .await;
    assert_eq!(out["data"]["runScheduledJobs"]["ok"], true, "{out}");
    out["data"]["runScheduledJobs"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Binds `phone` as a first secure phone (the caller knows no code went to it this minute).
async fn first_secure_phone(app: &TestApp, token: &str, phone: &str) {
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    done(
        app,
        token,
        CHANGE_SECURE_PHONE,
        "changeSecurePhone",
        json!({ "newPhone": phone, "newPhoneCode": code }),
    )
    .await;
}

async fn set_contacts(app: &TestApp, token: &str, phone: &str, email: &str) {
    done(
        app,
        token,
        UPDATE_INFO,
        "updateAccountInfo",
        json!({ "contactPhone": phone, "contactEmail": email }),
    )
    .await;
}

async fn create_key(app: &TestApp, token: &str) -> Value {
    done(app, token, CREATE_KEY, "createAccessKey", json!({})).await
}

/// An INTERNATIONAL ID-document request, waiting for review; its verification ID.
async fn pending_document(app: &TestApp, token: &str, passport: &str) -> Value {
    let out = done(
        app,
        token,
        SUBMIT_INDIVIDUAL,
        "submitIndividualVerification",
        json!({ "method": "ID_DOCUMENT", "region": "OVERSEAS", "name": "John Smith",
                "idNumber": passport, "birthDate": "1985-05-05" }),
    )
    .await;
    assert_eq!(out["verification"]["state"], "PENDING", "{out}");
    out["verification"]["id"].clone()
}

async fn review(app: &TestApp, id: &Value, approve: bool, reason: Option<&str>) -> Value {
    let out = app
        .ops(
            REVIEW_VERIFICATION,
            json!({ "id": id, "approve": approve, "reason": reason }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["reviewVerification"].clone()
}

/// A sub-user that signs in with the standard password; its global ID.
async fn sub_user(app: &TestApp, token: &str, name: &str, email: Option<&str>) -> String {
    let out = done(
        app,
        token,
        CREATE_SUB_USER,
        "createSubUser",
        json!({ "name": name, "password": PASSWORD, "email": email }),
    )
    .await;
    out["subUser"]["id"].as_str().expect("an ID").to_owned()
}

async fn sub_user_token(app: &TestApp, root_account_id: &str, name: &str) -> String {
    let out = app
        .gql(
            SIGN_IN_SUB_USER,
            json!({ "i": { "rootAccountId": root_account_id, "userName": name,
                           "password": PASSWORD } }),
        )
        .await;
    let payload = &out["data"]["signInSubUser"];
    assert_eq!(payload["userErrors"], json!([]), "{out}");
    payload["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

async fn set_categories(app: &TestApp, token: &str, sub_user_id: &str, categories: Value) -> Value {
    call(
        app,
        token,
        SET_CATEGORIES,
        "setMessageCategories",
        json!({ "subUserId": sub_user_id, "categories": categories }),
    )
    .await
}

fn account_id(account: &Value) -> String {
    account["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned()
}

/// The body texts of `list`, joined, to search for what must not be there.
fn bodies(list: &[Value]) -> String {
    list.iter()
        .map(|m| format!("{} {}", m["title"], m["body"]))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// NTF-01: who hears of a security change
// ---------------------------------------------------------------------------------------

async fn a_contact_change_reaches_the_old_and_the_new_target(app: TestApp) {
    let email = "contacts@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let (first, second) = ("13912340101", "13912340102");

    first_secure_phone(&app, &token, first).await;
    // RULE NTF-01: a new secure phone is told to the new number and the security e-mail.
    assert_eq!(times(&app, first, "SECURE_PHONE_CHANGED").await, 1);
    assert_eq!(times(&app, email, "SECURE_PHONE_CHANGED").await, 1);

    let new_code = app.code_for("SMS", second, "BIND_PHONE").await;
    app.advance(61).await;
    let old_code = app.code_for("SMS", first, "OPERATION").await;
    done(
        &app,
        &token,
        CHANGE_SECURE_PHONE,
        "changeSecurePhone",
        json!({ "newPhone": second, "newPhoneCode": new_code,
                "secondFactor": { "channel": "SMS", "code": old_code } }),
    )
    .await;
    // RULE NTF-01: the change reaches the old number and the new one, and the e-mail.
    let at_old = delivered(&app, first, "SECURE_PHONE_CHANGED").await;
    assert_eq!(at_old.len(), 2, "{at_old:?}");
    assert_eq!(at_old[0]["channel"], "SMS");
    assert_eq!(times(&app, second, "SECURE_PHONE_CHANGED").await, 1);
    assert_eq!(times(&app, email, "SECURE_PHONE_CHANGED").await, 2);
    // RULE NTF-04: the number is masked, and no code or secret travels with the notice.
    let body = at_old[0]["body"].as_str().unwrap_or_default();
    assert!(body.contains("139****0102"), "{body}");
    for secret in [second, new_code.as_str(), old_code.as_str(), PASSWORD] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
    assert_eq!(at_old[0]["code"], Value::Null, "{at_old:?}");

    let new_email = "contacts-new@example.com";
    let new_code = app.code_for("EMAIL", new_email, "BIND_EMAIL").await;
    let old_code = app.code_for("EMAIL", email, "OPERATION").await;
    done(
        &app,
        &token,
        CHANGE_SECURITY_EMAIL,
        "changeSecurityEmail",
        json!({ "newEmail": new_email, "newEmailCode": new_code,
                "secondFactor": { "channel": "EMAIL", "code": old_code } }),
    )
    .await;
    // RULE NTF-01: the old address and the new one hear of it, and the secure phone.
    let at_old = delivered(&app, email, "SECURITY_EMAIL_CHANGED").await;
    assert_eq!(at_old.len(), 1, "{at_old:?}");
    assert_eq!(times(&app, new_email, "SECURITY_EMAIL_CHANGED").await, 1);
    assert_eq!(times(&app, second, "SECURITY_EMAIL_CHANGED").await, 1);
    assert_eq!(times(&app, first, "SECURITY_EMAIL_CHANGED").await, 0);
    // RULE NTF-04: the new address is shown masked.
    let body = at_old[0]["body"].as_str().unwrap_or_default();
    assert!(body.contains("c***@example.com"), "{body}");
    assert!(!body.contains(new_email), "{body}");

    // RULE NTF-02: the message center keeps every notice, newest first.
    let kept = messages(&app, &token).await;
    assert_eq!(titles(&kept), [TITLE_EMAIL, TITLE_PHONE, TITLE_PHONE]);
    assert!(kept.iter().all(|m| m["category"] == "SECURITY"), "{kept:?}");
    assert!(kept[1]["body"].as_str().unwrap().contains("139****0102"));
    // RULE NTF-04: the message center shows no unmasked contact either.
    let text = bodies(&kept);
    for raw in [first, second, new_email] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }

    // RULE NTF-04: once per target: later scheduled runs send nothing again.
    app.advance(600).await;
    run_jobs(&app).await;
    assert_eq!(times(&app, first, "SECURE_PHONE_CHANGED").await, 2);
    assert_eq!(times(&app, second, "SECURE_PHONE_CHANGED").await, 1);
    assert_eq!(times(&app, email, "SECURE_PHONE_CHANGED").await, 2);
    assert_eq!(times(&app, new_email, "SECURITY_EMAIL_CHANGED").await, 1);
}

async fn security_events_reach_the_secure_phone_and_the_security_email(app: TestApp) {
    let email = "events@example.com";
    let phone = "13912340201";
    let (contact_phone, contact_email) = ("13912340209", "events-contact@example.com");
    let (token, _) = app.register_email("CHINA", email).await;
    first_secure_phone(&app, &token, phone).await;
    set_contacts(&app, &token, contact_phone, contact_email).await;

    done(
        &app,
        &token,
        CHANGE_PASSWORD,
        "changePassword",
        json!({ "currentPassword": PASSWORD, "newPassword": "Changed#456" }),
    )
    .await;
    let key = create_key(&app, &token).await;
    let secret_key = key["secretKey"].as_str().expect("a secret key").to_owned();
    let bound = done(
        &app,
        &token,
        BIND_METHOD,
        "bindLoginMethod",
        json!({ "kind": "WECHAT", "providerCode": "sandbox:wx-events" }),
    )
    .await;
    done(
        &app,
        &token,
        UNBIND_METHOD,
        "unbindLoginMethod",
        json!({ "loginMethodId": bound["loginMethod"]["id"] }),
    )
    .await;
    let (secret, _) = bind_virtual(&app, &token, None).await;
    protect_with_mfa(&app, &token, &secret, "loginProtection", true).await;
    protect_with_mfa(&app, &token, &secret, "loginProtection", false).await;
    let code = fresh_code(&app, &secret).await;
    done(
        &app,
        &token,
        UNBIND_MFA,
        "unbindMfaDevice",
        json!({ "code": code }),
    )
    .await;

    for purpose in [
        "PASSWORD_CHANGED",
        "ACCESS_KEY_CREATED",
        "LOGIN_METHOD_BOUND",
        "LOGIN_METHOD_UNBOUND",
        "MFA_DEVICE_BOUND",
        "PROTECTION_OFF",
        "MFA_DEVICE_REMOVED",
    ] {
        // RULE NTF-01: the secure phone and the security e-mail hear of it, once each.
        assert_eq!(times(&app, phone, purpose).await, 1, "{purpose} by SMS");
        assert_eq!(times(&app, email, purpose).await, 1, "{purpose} by e-mail");
        // RULE NTF-01: a SECURITY notice is not sent to the contact phone or e-mail.
        assert_eq!(times(&app, contact_phone, purpose).await, 0, "{purpose}");
        assert_eq!(times(&app, contact_email, purpose).await, 0, "{purpose}");
    }
    // RULE NTF-02: each is kept in the message center, newest first.
    let kept = messages(&app, &token).await;
    assert_eq!(
        titles(&kept),
        [
            TITLE_MFA_REMOVED,
            TITLE_PROTECTION_OFF,
            TITLE_MFA_BOUND,
            TITLE_UNBOUND,
            TITLE_BOUND,
            TITLE_KEY,
            TITLE_PASSWORD,
            TITLE_PHONE,
        ]
    );
    // RULE NTF-04: no secret: not the access key's secret, not the MFA secret, not a
    // password; the WeChat identity is not named either.
    let mut sent = outbox(&app, email).await;
    sent.extend(outbox(&app, phone).await);
    let text = format!("{}\n{}", bodies(&kept), bodies(&sent));
    for secret in [
        secret_key.as_str(),
        secret.as_str(),
        PASSWORD,
        "Changed#456",
        "wx-events",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

async fn resets_and_cancellations_are_notified_and_contacts_hear_of_the_latter(app: TestApp) {
    let email = "leaving@example.com";
    let phone = "13912340301";
    let (contact_phone, contact_email) = ("13912340309", "leaving-contact@example.com");
    let (token, account) = app.register_email("CHINA", email).await;
    first_secure_phone(&app, &token, phone).await;
    set_contacts(&app, &token, contact_phone, contact_email).await;

    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "RESET_PASSWORD").await;
    let new_password = "Reset#New123";
    let out = app
        .mutate(
            None,
            RESET_PASSWORD,
            "resetPassword",
            json!({ "site": "CHINA", "channel": "EMAIL", "target": email, "code": code,
                    "newPassword": new_password }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE NTF-01: a reset password is told to the secure phone and the security e-mail.
    assert_eq!(times(&app, phone, "PASSWORD_RESET").await, 1);
    assert_eq!(times(&app, email, "PASSWORD_RESET").await, 1);
    assert_eq!(times(&app, contact_email, "PASSWORD_RESET").await, 0);
    let sent = delivered(&app, email, "PASSWORD_RESET").await;
    // RULE NTF-04: neither the code nor the new password travels with it.
    assert!(!bodies(&sent).contains(&code) && !bodies(&sent).contains(new_password));
    assert_eq!(viewer_account_id(&app, &token).await, Value::Null);
    let token = session_token(&sign_in(&app, "CHINA", email, new_password, None).await);

    let requested = done(
        &app,
        &token,
        REQUEST_CANCELLATION,
        "requestCancellation",
        json!({}),
    )
    .await;
    assert_eq!(requested["cancellation"]["state"], "COOLING_OFF");
    // RULE NTF-01: a requested cancellation reaches the security contacts, and (not a
    // SECURITY notice) the contact phone and e-mail too.
    for target in [phone, email, contact_phone, contact_email] {
        assert_eq!(
            times(&app, target, "CANCELLATION_REQUESTED").await,
            1,
            "{target}"
        );
    }
    done(
        &app,
        &token,
        WITHDRAW_CANCELLATION,
        "withdrawCancellation",
        json!({ "cancellationId": requested["cancellation"]["id"] }),
    )
    .await;
    // RULE NTF-01: so does its withdrawal.
    for target in [phone, email, contact_phone, contact_email] {
        assert_eq!(
            times(&app, target, "CANCELLATION_WITHDRAWN").await,
            1,
            "{target}"
        );
    }
    let kept = messages(&app, &token).await;
    // RULE NTF-02: kept with the CANCELLATION category.
    assert_eq!(
        titles(&kept[..2]),
        [TITLE_CANCEL_WITHDRAWN, TITLE_CANCEL_REQUESTED]
    );
    assert!(kept[..2].iter().all(|m| m["category"] == "CANCELLATION"));

    done(
        &app,
        &token,
        REQUEST_CANCELLATION,
        "requestCancellation",
        json!({}),
    )
    .await;
    app.advance(15 * 24 * 3600 + 60).await;
    run_jobs(&app).await;
    // RULE NTF-01: the completed cancellation is told to every contact, once.
    for target in [phone, email, contact_phone, contact_email] {
        let sent = delivered(&app, target, "CANCELLATION_COMPLETED").await;
        assert_eq!(sent.len(), 1, "{target}: {sent:?}");
        assert!(
            bodies(&sent).contains(&account_id(&account)),
            "{target}: {sent:?}"
        );
    }
    run_jobs(&app).await;
    assert_eq!(times(&app, email, "CANCELLATION_COMPLETED").await, 1);
}

async fn a_verification_decision_reaches_the_security_and_the_contact_targets(app: TestApp) {
    let email = "decided@example.com";
    let (contact_phone, contact_email) = ("13912340409", "decided-contact@example.com");
    let (token, _) = app.register_email("INTERNATIONAL", email).await;
    set_contacts(&app, &token, contact_phone, contact_email).await;
    let id = pending_document(&app, &token, "P7654321").await;
    let decided = review(&app, &id, false, Some("the photo is unreadable")).await;
    assert_eq!(decided["ok"], true, "{decided}");

    // RULE NTF-01: the decision reaches the security e-mail and, as a VERIFICATION
    // notice, the contact phone and e-mail; once each.
    for target in [email, contact_phone, contact_email] {
        let sent = delivered(&app, target, "VERIFICATION_DECISION").await;
        assert_eq!(sent.len(), 1, "{target}: {sent:?}");
        assert!(
            bodies(&sent).contains("the photo is unreadable"),
            "{sent:?}"
        );
    }
    // RULE NTF-02: kept with the VERIFICATION category, and found by that category only.
    let viewer = inbox(
        &app,
        &token,
        json!({ "first": 10, "category": "VERIFICATION" }),
    )
    .await;
    let kept = nodes(&viewer["messages"]);
    assert_eq!(titles(&kept), [TITLE_DECISION], "{viewer}");
    assert_eq!(kept[0]["category"], "VERIFICATION");
    let viewer = inbox(&app, &token, json!({ "first": 10, "category": "SECURITY" })).await;
    assert_eq!(viewer["messages"]["totalCount"], 0, "{viewer}");
}

async fn a_verification_decided_by_the_bank_is_notified(app: TestApp) {
    let email = "recharged@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let out = done(
        &app,
        &token,
        SUBMIT_ENTERPRISE,
        "submitEnterpriseVerification",
        json!({ "method": "RECHARGE", "region": "MAINLAND", "enterpriseName": "充值公司",
                "creditCode": credit_code(1801), "legalPersonName": "王五",
                "legalPersonIdNumber": resident_id("19800101", 801),
                "licenseIssuedOn": "2020-01-06" }),
    )
    .await;
    let verification = &out["verification"];
    assert_eq!(verification["state"], "PENDING", "{out}");
    let paid = app
        .ops(
            "mutation($id: ID!, $a: String!) { reportRechargeReceived(verificationId: $id, amount: $a) { ok message } }",
            json!({ "id": verification["id"], "a": verification["rechargeAmount"] }),
        )
        .await;
    assert_eq!(paid["data"]["reportRechargeReceived"]["ok"], true, "{paid}");
    let page = app
        .gql_as(
            Some(&token),
            "{ viewer { account { verificationStatus } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        page["data"]["viewer"]["account"]["verificationStatus"], "VERIFIED",
        "{page}"
    );

    let sent = delivered(&app, email, "VERIFICATION_DECISION").await;
    let kept = messages(&app, &token).await;
    let decisions: Vec<&Value> = kept
        .iter()
        .filter(|m| m["category"] == "VERIFICATION")
        .collect();
    // RULE NTF-01: a verification decided by the bank's payment report is notified like
    // an operator's decision: at the security e-mail and in the message center, once.
    assert_eq!(
        (sent.len(), decisions.len()),
        (1, 1),
        "VERIFICATION_DECISION at {email}: {sent:?}; message center: {kept:?}"
    );
}

// ---------------------------------------------------------------------------------------
// NTF-02: the message center
// ---------------------------------------------------------------------------------------

async fn the_message_center_lists_counts_and_marks_read_per_principal(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "center@example.com").await;
    let requested = done(
        &app,
        &token,
        REQUEST_CANCELLATION,
        "requestCancellation",
        json!({}),
    )
    .await;
    done(
        &app,
        &token,
        WITHDRAW_CANCELLATION,
        "withdrawCancellation",
        json!({ "cancellationId": requested["cancellation"]["id"] }),
    )
    .await;
    create_key(&app, &token).await;
    create_key(&app, &token).await;
    sub_user(&app, &token, "reader", None).await;
    let sub_token = sub_user_token(&app, &account_id(&account), "reader").await;
    let (other, _) = app
        .register_email("CHINA", "center-other@example.com")
        .await;
    create_key(&app, &other).await;

    let all = messages(&app, &token).await;
    // RULE NTF-02: every notice, newest first, with category, title, body, time, read state.
    assert_eq!(
        titles(&all),
        [
            TITLE_KEY,
            TITLE_KEY,
            TITLE_CANCEL_WITHDRAWN,
            TITLE_CANCEL_REQUESTED
        ]
    );
    assert_eq!(
        all.iter()
            .map(|m| m["category"].clone())
            .collect::<Vec<_>>(),
        ["SECURITY", "SECURITY", "CANCELLATION", "CANCELLATION"]
    );
    assert!(
        all.iter()
            .all(|m| m["readAt"].is_null() && m["body"].is_string())
    );
    let stamps: Vec<&str> = all
        .iter()
        .map(|m| m["createdAt"].as_str().unwrap())
        .collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        stamps.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");
    assert_eq!(unread(&app, &token).await, 4);

    // RULE NTF-02: pages follow one another without gaps or repeats.
    let first = inbox(&app, &token, json!({ "first": 3 })).await;
    assert_eq!(first["messages"]["totalCount"], 4);
    assert_eq!(
        first["messages"]["pageInfo"]["hasNextPage"], true,
        "{first}"
    );
    let cursor = first["messages"]["pageInfo"]["endCursor"].clone();
    let rest = inbox(&app, &token, json!({ "first": 3, "after": cursor })).await;
    assert_eq!(rest["messages"]["pageInfo"]["hasNextPage"], false, "{rest}");
    let mut paged = ids(&nodes(&first["messages"]));
    paged.extend(ids(&nodes(&rest["messages"])));
    assert_eq!(paged, ids(&all));
    // RULE NTF-02: by category.
    let cancellations = inbox(
        &app,
        &token,
        json!({ "first": 10, "category": "CANCELLATION" }),
    )
    .await;
    assert_eq!(
        ids(&nodes(&cancellations["messages"])),
        ids(&all[2..]),
        "{cancellations}"
    );

    // RULE NTF-02: a message is the owner's only: another account and the sub-user
    // cannot read it.
    let newest = all[0]["id"].clone();
    let own = app
        .gql_as(Some(&token), MESSAGE_NODE, json!({ "id": newest }))
        .await;
    assert_eq!(own["data"]["node"]["__typename"], "Message", "{own}");
    assert_eq!(own["data"]["node"]["title"], TITLE_KEY, "{own}");
    for stranger in [&other, &sub_token] {
        let out = app
            .gql_as(Some(stranger), MESSAGE_NODE, json!({ "id": newest }))
            .await;
        assert_eq!(out["data"]["node"], Value::Null, "{out}");
    }

    // RULE NTF-02: marking another principal's message is NOT_FOUND and marks nothing,
    // not even the caller's own message named with it.
    let others = messages(&app, &other).await;
    assert_eq!(others.len(), 1, "{others:?}");
    let out = mark_read(
        &app,
        &other,
        json!({ "messageIds": [newest, others[0]["id"]] }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(unread(&app, &other).await, 1);
    assert_eq!(unread(&app, &token).await, 4);
    let out = mark_read(&app, &sub_token, json!({ "messageIds": [newest] })).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(unread(&app, &token).await, 4);

    // RULE NTF-02: the owner marks it read; the count follows.
    let out = mark_read(&app, &token, json!({ "messageIds": [newest] })).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["unreadMessageCount"], 3, "{out}");
    let read = app
        .gql_as(Some(&token), MESSAGE_NODE, json!({ "id": newest }))
        .await;
    assert!(read["data"]["node"]["readAt"].is_string(), "{read}");
    let unread_only = inbox(&app, &token, json!({ "first": 10, "unread": true })).await;
    assert_eq!(
        ids(&nodes(&unread_only["messages"])),
        ids(&all[1..]),
        "{unread_only}"
    );
    assert_eq!(unread_only["unreadMessageCount"], 3);

    // RULE NTF-02: a sub-user sees its own notices only; the root does not see them.
    assert_eq!(messages(&app, &sub_token).await, Vec::<Value>::new());
    done(
        &app,
        &sub_token,
        CHANGE_PASSWORD,
        "changePassword",
        json!({ "currentPassword": PASSWORD, "newPassword": "Reader#456" }),
    )
    .await;
    let sub_messages = messages(&app, &sub_token).await;
    assert_eq!(titles(&sub_messages), [TITLE_PASSWORD]);
    assert_eq!(unread(&app, &sub_token).await, 1);
    assert_eq!(ids(&messages(&app, &token).await), ids(&all));
    let out = app
        .gql_as(
            Some(&token),
            MESSAGE_NODE,
            json!({ "id": sub_messages[0]["id"] }),
        )
        .await;
    assert_eq!(out["data"]["node"], Value::Null, "{out}");

    // RULE NTF-02: "all" marks every message of the principal, and only its own.
    let out = mark_read(&app, &token, json!({ "all": true })).await;
    assert_eq!(out["unreadMessageCount"], 0, "{out}");
    let unread_only = inbox(&app, &token, json!({ "first": 10, "unread": true })).await;
    assert_eq!(unread_only["messages"]["totalCount"], 0, "{unread_only}");
    assert_eq!(unread(&app, &sub_token).await, 1);
    assert_eq!(unread(&app, &other).await, 1);
}

// ---------------------------------------------------------------------------------------
// NTF-03: members receive the categories chosen for them
// ---------------------------------------------------------------------------------------

async fn members_receive_the_categories_the_root_chooses(app: TestApp) {
    let (token, account) = app
        .register_email("INTERNATIONAL", "members-root@example.com")
        .await;
    let root_id = account_id(&account);
    let (ops_email, ops_phone) = ("ops-member@example.com", "13912340601");
    let out = done(
        &app,
        &token,
        CREATE_SUB_USER,
        "createSubUser",
        json!({ "name": "ops", "password": PASSWORD, "email": ops_email, "phone": ops_phone }),
    )
    .await;
    let ops = out["subUser"]["id"].as_str().unwrap().to_owned();
    // A new member receives nothing until the root chooses.
    assert_eq!(out["subUser"]["messageCategories"], json!([]), "{out}");
    let quiet_email = "quiet-member@example.com";
    let quiet = sub_user(&app, &token, "quiet", Some(quiet_email)).await;
    let (finance_email, finance_phone) = ("finance-recipient@example.com", "13912340602");
    let out = done(
        &app,
        &token,
        CREATE_RECIPIENT,
        "createMessageRecipient",
        json!({ "name": "Finance", "email": finance_email, "phone": finance_phone }),
    )
    .await;
    let finance = out["subUser"]["id"].as_str().unwrap().to_owned();
    let (collaborator_token, collaborator) = app
        .register_email("INTERNATIONAL", "members-collaborator@example.com")
        .await;
    let id = pending_document(&app, &collaborator_token, "P1111111").await;
    assert_eq!(review(&app, &id, true, None).await["ok"], true);
    let out = done(
        &app,
        &token,
        ADD_COLLABORATOR,
        "addCollaborator",
        json!({ "collaboratorAccountId": account_id(&collaborator) }),
    )
    .await;
    let collaborator_member = out["subUser"]["id"].as_str().unwrap().to_owned();

    let out = set_categories(&app, &token, &ops, json!(["SECURITY"])).await;
    // RULE NTF-03: the root chooses the categories of a sub-user ...
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["messageCategories"], json!(["SECURITY"]));
    let out = set_categories(&app, &token, &finance, json!(["VERIFICATION"])).await;
    // RULE NTF-03: ... and of a message recipient.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["messageCategories"], json!(["VERIFICATION"]));
    let out = set_categories(&app, &token, &collaborator_member, json!(["SECURITY"])).await;
    // RULE NTF-03: a collaborator hears from its own account.
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    let ops_token = sub_user_token(&app, &root_id, "ops").await;
    let quiet_token = sub_user_token(&app, &root_id, "quiet").await;
    let out = app
        .gql_as(
            Some(&ops_token),
            SET_CATEGORIES,
            json!({ "i": { "subUserId": quiet, "categories": ["SECURITY"] } }),
        )
        .await;
    // RULE NTF-03: only the root chooses.
    assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
    assert!(out["data"]["setMessageCategories"].is_null(), "{out}");
    let read = app
        .gql_as(Some(&token), SUB_USER_CATEGORIES, json!({ "id": quiet }))
        .await;
    assert_eq!(
        read["data"]["node"]["messageCategories"],
        json!([]),
        "{read}"
    );

    create_key(&app, &token).await;
    // RULE NTF-03: a SECURITY notice reaches the member subscribed to SECURITY, by e-mail
    // and phone, once each; a sub-user also keeps it in its own message center.
    assert_eq!(times(&app, ops_email, "ACCESS_KEY_CREATED").await, 1);
    assert_eq!(times(&app, ops_phone, "ACCESS_KEY_CREATED").await, 1);
    assert_eq!(titles(&messages(&app, &ops_token).await), [TITLE_KEY]);
    // RULE NTF-03: members without the category hear nothing of it.
    assert_eq!(times(&app, finance_email, "ACCESS_KEY_CREATED").await, 0);
    assert_eq!(times(&app, finance_phone, "ACCESS_KEY_CREATED").await, 0);
    assert_eq!(times(&app, quiet_email, "ACCESS_KEY_CREATED").await, 0);
    assert_eq!(messages(&app, &quiet_token).await, Vec::<Value>::new());

    let id = pending_document(&app, &token, "P2222222").await;
    assert_eq!(
        review(&app, &id, false, Some("expired passport")).await["ok"],
        true
    );
    // RULE NTF-03: a VERIFICATION notice reaches the recipient subscribed to it ...
    assert_eq!(times(&app, finance_email, "VERIFICATION_DECISION").await, 1);
    assert_eq!(times(&app, finance_phone, "VERIFICATION_DECISION").await, 1);
    // RULE NTF-03: ... and not the SECURITY-only sub-user.
    assert_eq!(times(&app, ops_email, "VERIFICATION_DECISION").await, 0);
    assert_eq!(titles(&messages(&app, &ops_token).await), [TITLE_KEY]);
    // The root's own message center has both.
    assert_eq!(
        titles(&messages(&app, &token).await),
        [TITLE_DECISION, TITLE_KEY]
    );

    let out = set_categories(&app, &token, &ops, json!([])).await;
    assert_eq!(out["subUser"]["messageCategories"], json!([]), "{out}");
    create_key(&app, &token).await;
    // RULE NTF-03: once unsubscribed, it receives nothing more.
    assert_eq!(times(&app, ops_email, "ACCESS_KEY_CREATED").await, 1);
    assert_eq!(titles(&messages(&app, &ops_token).await), [TITLE_KEY]);
}

async fn a_sub_users_device_notice_reaches_it_once(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "device-root@example.com").await;
    let member_email = "device-member@example.com";
    let member = sub_user(&app, &token, "devices", Some(member_email)).await;
    let member_token = sub_user_token(&app, &account_id(&account), "devices").await;
    let out = set_categories(&app, &token, &member, json!(["SECURITY"])).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");

    bind_virtual(&app, &token, Some(&member)).await;
    // RULE NTF-01: the sub-user's new device is told to the root's security e-mail.
    assert_eq!(
        times(&app, "device-root@example.com", "MFA_DEVICE_BOUND").await,
        1
    );
    let sent = delivered(&app, member_email, "MFA_DEVICE_BOUND").await;
    let kept = titles(&messages(&app, &member_token).await);
    // RULE NTF-04: each notice is delivered once per target: the sub-user's e-mail is
    // both the device owner's and a SECURITY subscriber's address, yet hears of it once;
    // RULE NTF-02: and the sub-user's message center keeps it once.
    assert_eq!(
        (sent.len(), kept),
        (1, vec![TITLE_MFA_BOUND.to_owned()]),
        "deliveries to {member_email}: {sent:?}"
    );
}

// ---------------------------------------------------------------------------------------
// NTF-04: retries with backoff, then failed for operators
// ---------------------------------------------------------------------------------------

/// The stored delivery of `purpose` by e-mail (one in these scenarios).
async fn email_delivery(app: &TestApp, purpose: &str) -> entity::deliveries::Model {
    use entity::deliveries::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::Purpose.eq(purpose))
        .filter(Column::Channel.eq("EMAIL"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

async fn an_undeliverable_notice_is_retried_with_backoff_then_listed_as_failed(app: TestApp) {
    let email = "bouncing-owner@example.com";
    let phone = "13912340801";
    let bounce = "bounce-7@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    first_secure_phone(&app, &token, phone).await;
    app.advance(61).await;
    // Codes are sent at once, not through the deliveries that bounce: the code for a
    // bounce address is in the outbox.
    let new_code = app.code_for("EMAIL", bounce, "BIND_EMAIL").await;
    assert_eq!(new_code.len(), 6, "{new_code}");
    let old_code = app.code_for("EMAIL", email, "OPERATION").await;
    done(
        &app,
        &token,
        CHANGE_SECURITY_EMAIL,
        "changeSecurityEmail",
        json!({ "newEmail": bounce, "newEmailCode": new_code,
                "secondFactor": { "channel": "EMAIL", "code": old_code } }),
    )
    .await;

    create_key(&app, &token).await;
    let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
    // RULE NTF-04: the first attempt, made at once, failed and waits 30 s.
    assert_eq!(
        (row.state.as_str(), row.attempts),
        ("PENDING", 1),
        "{row:?}"
    );
    assert!(row.last_error.as_deref().unwrap_or("").contains("bounce"));
    assert_eq!(times(&app, phone, "ACCESS_KEY_CREATED").await, 1);
    let mut attempts = 1;
    for wait in [30, 60, 120, 240] {
        let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
        let last = row.last_attempt_at.expect("an attempt time");
        // RULE NTF-04: backoff of 30 s, 1 min, 2 min, 4 min.
        assert_eq!(
            (row.next_attempt_at - last).num_seconds(),
            wait,
            "after attempt {attempts}: {row:?}"
        );
        // Not before its time ...
        app.advance(wait - 8).await;
        run_jobs(&app).await;
        let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
        assert_eq!(row.attempts, attempts, "{wait} s early: {row:?}");
        // ... and at its time.
        app.advance(10).await;
        run_jobs(&app).await;
        attempts += 1;
        let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
        assert_eq!(row.attempts, attempts, "after {wait} s: {row:?}");
    }
    let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
    // RULE NTF-04: after 5 attempts it is failed, and keeps no readable address.
    assert_eq!((row.state.as_str(), row.attempts), ("FAILED", 5), "{row:?}");
    assert_eq!(row.target, "b***@example.com", "{row:?}");

    let listed = app.ops(FAILED_DELIVERIES, json!({})).await;
    let failed = listed["data"]["failedDeliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    let key_notice: Vec<&Value> = failed
        .iter()
        .filter(|f| f["purpose"] == "ACCESS_KEY_CREATED")
        .collect();
    // RULE NTF-04: operators see it, masked, with its attempts and last error.
    assert_eq!(key_notice.len(), 1, "{listed}");
    let entry = key_notice[0];
    assert_eq!(entry["channel"], "EMAIL");
    assert_eq!(entry["target"], "b***@example.com");
    assert_eq!(entry["attempts"], 5);
    assert!(
        entry["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("bounce")),
        "{entry}"
    );
    assert!(entry["lastAttemptAt"].is_string(), "{entry}");
    // The security e-mail change told to the bounce address failed the same way.
    assert!(
        failed
            .iter()
            .any(|f| f["purpose"] == "SECURITY_EMAIL_CHANGED" && f["target"] == "b***@example.com"),
        "{listed}"
    );
    assert!(!listed.to_string().contains(bounce), "{listed}");

    // RULE NTF-04: a failed delivery is not tried again, and what was sent was sent once.
    app.advance(3600).await;
    run_jobs(&app).await;
    let row = email_delivery(&app, "ACCESS_KEY_CREATED").await;
    assert_eq!((row.state.as_str(), row.attempts), ("FAILED", 5), "{row:?}");
    assert_eq!(times(&app, phone, "ACCESS_KEY_CREATED").await, 1);
    assert_eq!(times(&app, email, "SECURITY_EMAIL_CHANGED").await, 1);
    assert_eq!(times(&app, bounce, "ACCESS_KEY_CREATED").await, 0);
    // The message center keeps the notice whatever the delivery did.
    assert_eq!(titles(&messages(&app, &token).await)[0], TITLE_KEY);
}

// ---------------------------------------------------------------------------------------
// A change that rolls back leaves no notice
// ---------------------------------------------------------------------------------------

async fn recovery_purposes(app: &TestApp) -> Vec<String> {
    use entity::deliveries::{Column, Entity};
    Entity::find()
        .filter(Column::Purpose.is_in(["RECOVERY_APPROVED", "RECOVERY_REJECTED"]))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.purpose)
        .collect()
}

async fn a_rolled_back_approval_leaves_no_notice(app: TestApp) {
    let email = "rollback@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let id = account_id(&account);
    let number = resident_id("19900101", 851);
    verify_as(&app, &token, &number).await;
    let wanted = "13912340851";
    let code = app.code_for("SMS", wanted, "RECOVERY").await;
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
                "identityNumber": number, "newSecurePhone": wanted, "newSecurePhoneCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let status_token = out["statusToken"].clone();
    // Meanwhile the number becomes the secure phone of five other accounts (ACC-07).
    for n in 0..5 {
        let (other, _) = app
            .register_email("CHINA", &format!("holder-{n}@example.com"))
            .await;
        app.advance(61).await;
        first_secure_phone(&app, &other, wanted).await;
    }
    let entry = queued(&app, &id).await;
    assert_eq!(entry["subjectMatches"], true, "{entry}");
    let before = messages(&app, &token).await;

    let out = decide(&app, &entry["applicationId"], true, None).await;
    assert_eq!(out["ok"], false, "{out}");
    // RULE NTF-01: the approval rolled back: no RECOVERY_APPROVED message or delivery, the
    // application still PENDING, the owner still signed in.
    assert_eq!(status(&app, &status_token).await["state"], "PENDING");
    assert!(queued(&app, &id).await.is_object());
    assert_eq!(ids(&messages(&app, &token).await), ids(&before));
    assert_eq!(recovery_purposes(&app).await, Vec::<String>::new());
    assert_eq!(times(&app, email, "RECOVERY_APPROVED").await, 0);
    assert_eq!(times(&app, wanted, "RECOVERY_APPROVED").await, 0);
    assert_eq!(viewer_account_id(&app, &token).await, json!(id));

    let out = decide(&app, &entry["applicationId"], false, Some("号码已满")).await;
    assert_eq!(out["ok"], true, "{out}");
    // RULE NTF-01: a rejected application is notified.
    assert_eq!(times(&app, email, "RECOVERY_REJECTED").await, 1);
    assert_eq!(
        titles(&messages(&app, &token).await)[0],
        TITLE_RECOVERY_REJECTED_ZH
    );

    let fresh = "13912340852";
    let code = app.code_for("SMS", fresh, "RECOVERY").await;
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
                "identityNumber": number, "newSecurePhone": fresh, "newSecurePhoneCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let entry = queued(&app, &id).await;
    let out = decide(&app, &entry["applicationId"], true, None).await;
    assert_eq!(out["ok"], true, "{out}");
    // RULE NTF-01: an approved application is told to the old and the new contacts, once.
    assert_eq!(times(&app, email, "RECOVERY_APPROVED").await, 1);
    assert_eq!(times(&app, fresh, "RECOVERY_APPROVED").await, 1);
    assert_eq!(times(&app, wanted, "RECOVERY_APPROVED").await, 0);
    let token = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let decisions: Vec<String> = titles(&messages(&app, &token).await)
        .into_iter()
        .filter(|t| t == TITLE_RECOVERY_APPROVED_ZH || t == TITLE_RECOVERY_REJECTED_ZH)
        .collect();
    // RULE NTF-02: both decisions are kept, newest first, once each.
    assert_eq!(
        decisions,
        [TITLE_RECOVERY_APPROVED_ZH, TITLE_RECOVERY_REJECTED_ZH]
    );
}

db_test!(
    a_contact_change_reaches_the_old_and_the_new_target,
    security_events_reach_the_secure_phone_and_the_security_email,
    resets_and_cancellations_are_notified_and_contacts_hear_of_the_latter,
    a_verification_decision_reaches_the_security_and_the_contact_targets,
    a_verification_decided_by_the_bank_is_notified,
    the_message_center_lists_counts_and_marks_read_per_principal,
    members_receive_the_categories_the_root_chooses,
    a_sub_users_device_notice_reaches_it_once,
    an_undeliverable_notice_is_retried_with_backoff_then_listed_as_failed,
    a_rolled_back_approval_leaves_no_notice,
);
