//! CAN: account cancellation (RULES.md CAN-01 .. CAN-06) end to end over GraphQL: the
//! preconditions (each listed at once), the cooling-off period and its withdrawal, the
//! scheduled completion (sign-in gone, identifiers released, personal data erased, the
//! result sent once), accounts sharing a phone or WeChat, and several scheduler instances.

use std::sync::{Arc, Mutex};

use account_center::config::ServeArgs;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Backend, PASSWORD, TestApp, error_code, run_with},
    identities::resident_id,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// CAN-02: the default cooling-off period (`SitePolicy::cancellation_cooling_off`).
const COOLING_OFF_SECONDS: i64 = 15 * 24 * 3600;

/// CAN-01: every precondition code, in the order a refusal lists them.
const ALL_PRECONDITIONS: [&str; 7] = [
    "OPEN_ORDERS",
    "AMOUNT_OWED",
    "CASH_BALANCE",
    "VOUCHERS",
    "ACTIVE_RESOURCES",
    "MEMBERS",
    "PENDING_COMPLAINTS",
];

const REQUEST: &str = "mutation($i: RequestCancellationInput!) { requestCancellation(input: $i) {
    userErrors { code field message }
    cancellation { id state requestedAt coolingOffEndsAt }
    unmetPreconditions } }";

const WITHDRAW: &str =
    "mutation($i: WithdrawCancellationInput!) { withdrawCancellation(input: $i) {
    userErrors { code field message }
    cancellation { id state requestedAt coolingOffEndsAt }
    unmetPreconditions } }";

const ACCOUNT: &str = "{ viewer { account { id accountId status freezeReasons
    verificationStatus securePhone securityEmail
    loginMethods { kind identifier }
    capabilities { capability allowed reason }
    cancellation { id state requestedAt coolingOffEndsAt }
    cancellationReadiness { ready blockers { code message } } } } }";

const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) {
    userErrors { code field message }
    session { token }
    challenge { id }
    accountChoices } }";

const SIGN_IN_WITH_PROVIDER: &str =
    "mutation($i: SignInWithProviderInput!) { signInWithProvider(input: $i) {
    userErrors { code field message }
    session { token }
    challenge { id }
    accountChoices } }";

const SUBMIT_INDIVIDUAL: &str = "mutation($i: SubmitIndividualVerificationInput!) {
    submitIndividualVerification(input: $i) {
        userErrors { code field message }
        verification { state }
        account { verificationStatus } } }";

async fn mutate(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    app.mutate(Some(token), query, field, input).await
}

async fn request(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(app, token, REQUEST, "requestCancellation", input).await
}

/// A request that must be accepted; returns the cancellation.
async fn accepted(app: &TestApp, token: &str) -> Value {
    let out = request(app, token, json!({})).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["unmetPreconditions"], Value::Null, "{out}");
    assert_eq!(out["cancellation"]["state"], "COOLING_OFF", "{out}");
    out["cancellation"].clone()
}

async fn withdraw(app: &TestApp, token: &str, cancellation_id: &Value) -> Value {
    mutate(
        app,
        token,
        WITHDRAW,
        "withdrawCancellation",
        json!({ "cancellationId": cancellation_id }),
    )
    .await
}

/// The signed-in account as the console reads it; `Value::Null` when nobody is signed in.
async fn account(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), ACCOUNT, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    let out = app
        .gql(
            SIGN_IN,
            json!({ "i": { "site": "CHINA", "email": email, "password": password } }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["signIn"].clone()
}

/// A fresh session by e-mail and password (sessions last 12 hours).
async fn session(app: &TestApp, email: &str) -> String {
    let out = sign_in(app, email, PASSWORD).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

async fn sign_in_with_wechat(app: &TestApp, external: &str, account_id: Option<&Value>) -> Value {
    let mut input =
        json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": format!("sandbox:{external}") });
    if let Some(id) = account_id {
        input["accountId"] = id.clone();
    }
    let out = app.gql(SIGN_IN_WITH_PROVIDER, json!({ "i": input })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["signInWithProvider"].clone()
}

/// The ops `setAccountStanding` (fields not given are zero).
async fn set_standing(app: &TestApp, account_id: &Value, standing: Value) {
    let mut input = standing;
    input["accountId"] = account_id.clone();
    let out = app
        .ops(
            "mutation($i: AccountStandingInput!) { setAccountStanding(input: $i) { ok message } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(out["data"]["setAccountStanding"]["ok"], true, "{out}");
}

/// Runs the scheduled jobs on `app`; returns how many cancellations this run completed.
async fn run_jobs(app: &TestApp) -> u64 {
    completed_count(
        &app.ops("mutation { runScheduledJobs { ok message } }", json!({}))
            .await,
    )
}

/// "completed N cancellations" from a `runScheduledJobs` response.
fn completed_count(out: &Value) -> u64 {
    let result = &out["data"]["runScheduledJobs"];
    assert_eq!(result["ok"], true, "{out}");
    let message = result["message"].as_str().unwrap_or_default();
    message
        .strip_prefix("completed ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("\"completed N cancellations\" in {out}"))
}

/// The CANCELLATION_COMPLETED messages the sandbox delivered to `target`.
async fn completion_messages(app: &TestApp, target: &str) -> Vec<Value> {
    let out = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 100) { channel target purpose body } }",
            json!({ "t": target }),
        )
        .await;
    out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("an outbox in {out}"))
        .iter()
        .filter(|m| m["purpose"] == "CANCELLATION_COMPLETED")
        .cloned()
        .collect()
}

/// Binds `phone` as the secure phone of an account that has none yet. The caller has let
/// the code interval pass since the last code to `phone`.
async fn bind_secure_phone(app: &TestApp, token: &str, phone: &str) {
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    let out = mutate(
        app,
        token,
        "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) {
            userErrors { code message } } }",
        "changeSecurePhone",
        json!({ "newPhone": phone, "newPhoneCode": code }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

/// A WeChat-scan verification of a mainland resident, approved at once.
async fn verify(app: &TestApp, token: &str, name: &str, id_number: &str) {
    let out = mutate(
        app,
        token,
        SUBMIT_INDIVIDUAL,
        "submitIndividualVerification",
        json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": name,
                "idNumber": id_number, "birthDate": "1990-01-01" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
    assert_eq!(out["account"]["verificationStatus"], "VERIFIED", "{out}");
}

fn ts(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a DateTime"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn codes(blockers: &Value) -> Vec<String> {
    blockers
        .as_array()
        .expect("a list")
        .iter()
        .map(|b| b["code"].as_str().expect("a code").to_owned())
        .collect()
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

fn grant<'a>(account: &'a Value, capability: &str) -> &'a Value {
    account["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .find(|g| g["capability"] == capability)
        .unwrap_or_else(|| panic!("{capability} in {account}"))
}

/// The stored account row by its numeric account ID.
async fn row(app: &TestApp, account_id: &Value) -> entity::accounts::Model {
    entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(account_id.as_str().expect("an ID")))
        .one(&app.db)
        .await
        .expect("query accounts")
        .unwrap_or_else(|| panic!("account {account_id} is stored"))
}

/// The stored cancellation requests of an account (internal ID), oldest first.
async fn cancellations(app: &TestApp, id: i64) -> Vec<entity::cancellations::Model> {
    let mut rows = entity::cancellations::Entity::find()
        .filter(entity::cancellations::Column::AccountId.eq(id))
        .all(&app.db)
        .await
        .expect("query cancellations");
    rows.sort_by_key(|c| c.id);
    rows
}

// ---------------------------------------------------------------------------------------
// CAN-01, CAN-04: preconditions, all at once; fixing them lets the request through
// ---------------------------------------------------------------------------------------

async fn a_refusal_lists_every_unmet_precondition_at_once(app: TestApp) {
    let email = "preconditions@example.com";
    let (token, registered) = app.register_email("CHINA", email).await;
    let account_id = &registered["accountId"];

    // Nothing stands in the way of a fresh account.
    let page = account(&app, &token).await;
    assert_eq!(page["cancellationReadiness"]["ready"], true, "{page}");
    assert_eq!(
        page["cancellationReadiness"]["blockers"],
        json!([]),
        "{page}"
    );
    assert_eq!(page["cancellation"], Value::Null, "{page}");

    // Billing says everything at once, and the account has a sub-user.
    set_standing(
        &app,
        account_id,
        json!({ "openOrders": 1, "amountOwed": "12.50", "overduePayment": true,
                "cashBalance": "3.00", "vouchers": 2, "activeResources": 4,
                "pendingComplaints": 1 }),
    )
    .await;
    let created = mutate(
        &app,
        &token,
        "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
            userErrors { code message } subUser { id } } }",
        "createSubUser",
        json!({ "name": "dev1", "password": PASSWORD }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let sub_user_id = created["subUser"]["id"].clone();

    // The console's pre-flight lists them before asking.
    let page = account(&app, &token).await;
    let readiness = &page["cancellationReadiness"];
    assert_eq!(readiness["ready"], false, "{page}");
    // RULE CAN-01: every unmet precondition, in the fixed order.
    assert_eq!(codes(&readiness["blockers"]), ALL_PRECONDITIONS, "{page}");
    for blocker in readiness["blockers"].as_array().expect("blockers") {
        assert!(
            !blocker["message"].as_str().unwrap_or_default().is_empty(),
            "{blocker}"
        );
    }

    // The request is refused with every one of them at once, and nothing is created.
    let out = request(&app, &token, json!({})).await;
    assert_eq!(out["cancellation"], Value::Null, "{out}");
    // RULE CAN-01: a refused request lists every unmet precondition at once.
    assert_eq!(
        strings(&out["unmetPreconditions"]),
        ALL_PRECONDITIONS,
        "{out}"
    );
    let errors = out["userErrors"].as_array().expect("userErrors");
    assert_eq!(errors.len(), ALL_PRECONDITIONS.len(), "{out}");
    for (error, blocker) in errors
        .iter()
        .zip(readiness["blockers"].as_array().expect("blockers"))
    {
        assert_eq!(error["code"], "CANCELLATION_PRECONDITIONS", "{out}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "a human message: {out}");
        assert_eq!(error["message"], blocker["message"], "{out}");
    }
    // Nothing changed: no cooling-off (the overdue payment froze the account, ACC-09).
    let page = account(&app, &token).await;
    assert_eq!(page["status"], "FROZEN", "{page}");
    assert!(
        !strings(&page["freezeReasons"]).contains(&"CANCELLATION_PENDING".to_owned()),
        "{page}"
    );
    assert_eq!(page["cancellation"], Value::Null, "{page}");

    // Each precondition on its own is reported alone.
    let single: [(&str, Value); 7] = [
        ("OPEN_ORDERS", json!({ "openOrders": 2 })),
        ("AMOUNT_OWED", json!({ "amountOwed": "0.01" })),
        ("AMOUNT_OWED", json!({ "overduePayment": true })),
        ("CASH_BALANCE", json!({ "cashBalance": "0.01" })),
        ("VOUCHERS", json!({ "vouchers": 1 })),
        ("ACTIVE_RESOURCES", json!({ "activeResources": 1 })),
        ("PENDING_COMPLAINTS", json!({ "pendingComplaints": 1 })),
    ];
    for (code, standing) in single {
        set_standing(&app, account_id, standing.clone()).await;
        let out = request(&app, &token, json!({})).await;
        // The sub-user is still there, so MEMBERS comes too, in its place.
        let expected: Vec<&str> = ALL_PRECONDITIONS
            .into_iter()
            .filter(|c| *c == code || *c == "MEMBERS")
            .collect();
        // RULE CAN-01
        assert_eq!(
            strings(&out["unmetPreconditions"]),
            expected,
            "{standing}: {out}"
        );
        assert_eq!(out["cancellation"], Value::Null, "{out}");
    }

    // Billing is settled; only the sub-user remains.
    set_standing(&app, account_id, json!({})).await;
    let out = request(&app, &token, json!({})).await;
    assert_eq!(strings(&out["unmetPreconditions"]), ["MEMBERS"], "{out}");
    assert_eq!(error_code(&out), "CANCELLATION_PRECONDITIONS", "{out}");
    let deleted = mutate(
        &app,
        &token,
        "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
            userErrors { code message } deletedId } }",
        "deleteSubUser",
        json!({ "subUserId": sub_user_id }),
    )
    .await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");

    // A message recipient is a member too.
    let recipient = mutate(
        &app,
        &token,
        "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
            userErrors { code message } subUser { id } } }",
        "createMessageRecipient",
        json!({ "name": "billing-desk", "email": "desk@example.com" }),
    )
    .await;
    assert_eq!(recipient["userErrors"], json!([]), "{recipient}");
    let out = request(&app, &token, json!({})).await;
    // RULE CAN-01: message recipients must be deleted as well.
    assert_eq!(strings(&out["unmetPreconditions"]), ["MEMBERS"], "{out}");
    let deleted = mutate(
        &app,
        &token,
        "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
            userErrors { code message } deletedId } }",
        "deleteSubUser",
        json!({ "subUserId": recipient["subUser"]["id"] }),
    )
    .await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");

    // So is a collaborator (a verified account of the same site).
    let (partner_token, partner) = app.register_email("CHINA", "partner@example.com").await;
    verify(&app, &partner_token, "李四", &resident_id("19900101", 611)).await;
    let collaborator = mutate(
        &app,
        &token,
        "mutation($i: AddCollaboratorInput!) { addCollaborator(input: $i) {
            userErrors { code message } subUser { id } } }",
        "addCollaborator",
        json!({ "collaboratorAccountId": partner["accountId"] }),
    )
    .await;
    assert_eq!(collaborator["userErrors"], json!([]), "{collaborator}");
    let page = account(&app, &token).await;
    assert_eq!(
        codes(&page["cancellationReadiness"]["blockers"]),
        ["MEMBERS"],
        "{page}"
    );
    let out = request(&app, &token, json!({})).await;
    // RULE CAN-01: collaborators must be removed as well.
    assert_eq!(strings(&out["unmetPreconditions"]), ["MEMBERS"], "{out}");
    let deleted = mutate(
        &app,
        &token,
        "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
            userErrors { code message } deletedId } }",
        "deleteSubUser",
        json!({ "subUserId": collaborator["subUser"]["id"] }),
    )
    .await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");

    // Everything fixed: ready, and the same request now goes through.
    let page = account(&app, &token).await;
    assert_eq!(page["cancellationReadiness"]["ready"], true, "{page}");
    assert_eq!(
        page["cancellationReadiness"]["blockers"],
        json!([]),
        "{page}"
    );
    // RULE CAN-04: a rejected request can be made again after fixing the reasons.
    let cancellation = accepted(&app, &token).await;
    assert_eq!(cancellation["state"], "COOLING_OFF");
    let page = account(&app, &token).await;
    assert_eq!(page["status"], "CANCELLING", "{page}");
}

// ---------------------------------------------------------------------------------------
// CAN-02: cooling-off, the frozen account, withdrawal
// ---------------------------------------------------------------------------------------

async fn an_accepted_request_cools_off_and_can_be_withdrawn(app: TestApp) {
    let email = "cooling@example.com";
    let (token, registered) = app.register_email("CHINA", email).await;
    verify(&app, &token, "张三", &resident_id("19900101", 621)).await;
    let before = account(&app, &token).await;
    assert_eq!(before["status"], "ACTIVE", "{before}");
    for capability in ["PURCHASE", "USE_MAINLAND_RESOURCES"] {
        assert_eq!(grant(&before, capability)["allowed"], true, "{before}");
    }

    let cancellation = accepted(&app, &token).await;
    let requested = ts(&cancellation["requestedAt"]);
    let ends = ts(&cancellation["coolingOffEndsAt"]);
    // RULE CAN-02: the cooling-off period is 15 days.
    assert_eq!(
        ends - requested,
        TimeDelta::seconds(COOLING_OFF_SECONDS),
        "{cancellation}"
    );

    let page = account(&app, &token).await;
    // RULE CAN-02: the account is CANCELLING and frozen with CANCELLATION_PENDING.
    assert_eq!(page["status"], "CANCELLING", "{page}");
    assert!(
        strings(&page["freezeReasons"]).contains(&"CANCELLATION_PENDING".to_owned()),
        "{page}"
    );
    assert_eq!(page["cancellation"], cancellation, "{page}");
    for capability in ["PURCHASE", "USE_MAINLAND_RESOURCES"] {
        let denied = grant(&page, capability);
        // RULE CAN-02: no purchases, no new resources during cooling-off.
        assert_eq!(denied["allowed"], false, "{page}");
        let reason = denied["reason"].as_str().unwrap_or_default();
        assert!(reason.to_lowercase().contains("cancel"), "{denied}");
    }

    // A second request while one cools off is refused.
    let again = request(&app, &token, json!({})).await;
    assert_eq!(error_code(&again), "ACCOUNT_NOT_ACTIVE", "{again}");
    assert_eq!(again["cancellation"], Value::Null, "{again}");
    assert_eq!(
        cancellations(&app, row(&app, &registered["accountId"]).await.id)
            .await
            .len(),
        1
    );

    // The owner can still sign in (ACC-09: a frozen account signs in and reads).
    let fresh = session(&app, email).await;
    assert_eq!(account(&app, &fresh).await["status"], "CANCELLING");

    // Another account's request is not this owner's to withdraw.
    let (other_token, _) = app.register_email("CHINA", "other@example.com").await;
    let foreign = accepted(&app, &other_token).await;
    let out = withdraw(&app, &token, &foreign["id"]).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["cancellation"], Value::Null, "{out}");
    let other = account(&app, &other_token).await;
    assert_eq!(other["cancellation"]["state"], "COOLING_OFF", "{other}");
    assert_eq!(other["status"], "CANCELLING", "{other}");

    // RULE CAN-02: the owner withdraws during cooling-off.
    let out = withdraw(&app, &token, &cancellation["id"]).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["cancellation"]["id"], cancellation["id"], "{out}");
    assert_eq!(out["cancellation"]["state"], "WITHDRAWN", "{out}");
    let page = account(&app, &token).await;
    assert_eq!(page["status"], "ACTIVE", "{page}");
    assert!(
        !strings(&page["freezeReasons"]).contains(&"CANCELLATION_PENDING".to_owned()),
        "{page}"
    );
    assert_eq!(page["cancellation"]["state"], "WITHDRAWN", "{page}");
    for capability in ["PURCHASE", "USE_MAINLAND_RESOURCES"] {
        assert_eq!(grant(&page, capability)["allowed"], true, "{page}");
    }

    // Withdrawn is final.
    let out = withdraw(&app, &token, &cancellation["id"]).await;
    assert_eq!(error_code(&out), "NOT_CANCELLING", "{out}");

    // A withdrawn request never completes; the other account's does.
    app.advance(COOLING_OFF_SECONDS + 1).await;
    assert_eq!(run_jobs(&app).await, 1);
    let token = session(&app, email).await;
    let page = account(&app, &token).await;
    assert_eq!(page["status"], "ACTIVE", "{page}");
    assert_eq!(page["cancellation"]["state"], "WITHDRAWN", "{page}");

    // And the owner may ask again later.
    let again = accepted(&app, &token).await;
    assert_ne!(again["id"], cancellation["id"]);
}

// ---------------------------------------------------------------------------------------
// MFA-07: operation protection guards the request
// ---------------------------------------------------------------------------------------

async fn operation_protection_asks_for_a_second_factor(app: TestApp) {
    let email = "protected-cancel@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = mutate(
        &app,
        &token,
        "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
            userErrors { code message } account { operationProtection } } }",
        "updateProtection",
        json!({ "operationProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["operationProtection"], true, "{out}");

    // RULE MFA-07: requesting cancellation needs a fresh second factor.
    let out = request(&app, &token, json!({})).await;
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(out["cancellation"], Value::Null, "{out}");
    assert_eq!(account(&app, &token).await["status"], "ACTIVE");

    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let out = request(
        &app,
        &token,
        json!({ "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    // RULE MFA-07
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["cancellation"]["state"], "COOLING_OFF", "{out}");
    assert_eq!(account(&app, &token).await["status"], "CANCELLING");
}

// ---------------------------------------------------------------------------------------
// CAN-03, CAN-04: completion, release of the identifiers, erasure, the result sent once
// ---------------------------------------------------------------------------------------

async fn cooling_off_ends_in_completion_and_erasure(app: TestApp) {
    let email = "leaving@example.com";
    let phone = "13912345678";
    let name = "欧阳清风";
    let id_number = resident_id("19900101", 631);
    let (token, registered) = app.register_email("CHINA", email).await;
    let account_id = registered["accountId"].clone();
    bind_secure_phone(&app, &token, phone).await;
    verify(&app, &token, name, &id_number).await;
    // A WeChat login method, to be released as well.
    let bound = mutate(
        &app,
        &token,
        "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
            userErrors { code message } loginMethod { kind } } }",
        "bindLoginMethod",
        json!({ "kind": "WECHAT", "providerCode": "sandbox:wx-leaving" }),
    )
    .await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    // Finding the account by its phone leaves a rate-limit bucket for the number.
    app.advance(61).await;
    let code = app.code_for("SMS", phone, "FIND_ACCOUNT").await;
    let found = app
        .gql(
            "mutation($i: FindAccountsInput!) { findAccounts(input: $i) { userErrors { code } } }",
            json!({ "i": { "site": "CHINA", "channel": "SMS", "target": phone, "code": code } }),
        )
        .await;
    assert_eq!(
        found["data"]["findAccounts"]["userErrors"],
        json!([]),
        "{found}"
    );
    let stored = row(&app, &account_id).await;
    assert!(stored.secure_phone.is_some() && stored.security_email.is_some());
    // The data the erasure must remove is there before (the search below is meaningful).
    let before = app.dump_database_text(false).await;
    assert!(before.contains(email) && before.contains(phone));

    accepted(&app, &token).await;
    // Scheduled work before the end of cooling-off changes nothing.
    assert_eq!(run_jobs(&app).await, 0);
    app.advance(COOLING_OFF_SECONDS - 60).await;
    assert_eq!(run_jobs(&app).await, 0);
    let last_session = session(&app, email).await;
    let page = account(&app, &last_session).await;
    // RULE CAN-02: still cooling off a minute before the end.
    assert_eq!(page["status"], "CANCELLING", "{page}");
    assert_eq!(page["cancellation"]["state"], "COOLING_OFF", "{page}");
    assert!(completion_messages(&app, email).await.is_empty());

    app.advance(61).await;
    // RULE CAN-03: at the end of cooling-off the scheduler completes the cancellation.
    assert_eq!(run_jobs(&app).await, 1);
    let stored = row(&app, &account_id).await;
    assert_eq!(stored.lifecycle, "CANCELLED", "{stored:?}");
    assert_eq!(stored.account_number, account_id.as_str().unwrap());
    let requests = cancellations(&app, stored.id).await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].state, "COMPLETED", "{requests:?}");

    // Erasure: no stored row (outside the provider outbox) keeps the e-mail, the phone,
    // the verified name or the ID number.
    // SECURITY erasure-keys: every table, lock keys, rate-limit buckets and code rows too.
    let text = app.dump_database_text(false).await;
    for (what, value) in [
        ("e-mail", email),
        ("secure phone", phone),
        ("verified name", name),
        ("ID number", id_number.as_str()),
    ] {
        // RULE CAN-03: personal data is erased.
        assert!(!text.contains(value), "the {what} {value} is still stored");
    }
    // The audit trail stays, without where the requests came from.
    let audit = entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::AccountId.eq(stored.id))
        .all(&app.db)
        .await
        .expect("audit events");
    assert!(!audit.is_empty());
    assert!(
        audit.iter().all(|e| e.client_address.is_none()),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|e| e.action == "cancellation.request"),
        "{audit:?}"
    );

    // RULE CAN-04: the result reached the security e-mail and the secure phone, once each.
    let mails = completion_messages(&app, email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["channel"], "EMAIL", "{mails:?}");
    let texts = completion_messages(&app, phone).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0]["channel"], "SMS", "{texts:?}");
    assert!(
        mails[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains(account_id.as_str().unwrap()),
        "{mails:?}"
    );
    // Running again completes nothing and sends nothing.
    assert_eq!(run_jobs(&app).await, 0);
    assert_eq!(completion_messages(&app, email).await.len(), 1);
    assert_eq!(completion_messages(&app, phone).await.len(), 1);

    // RULE CAN-03: it can no longer sign in, and its sessions are gone.
    assert_eq!(account(&app, &last_session).await, Value::Null);
    let out = sign_in(&app, email, PASSWORD).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    let out = sign_in_with_wechat(&app, "wx-leaving", None).await;
    assert_eq!(out["session"], Value::Null, "{out}");

    // RULE CAN-03: the e-mail and the WeChat identity register again, as new accounts; the
    // old account ID is kept and never reused.
    let (new_token, renewed) = app.register_email("CHINA", email).await;
    assert_ne!(renewed["accountId"], account_id, "{renewed}");
    assert_eq!(account(&app, &new_token).await["status"], "ACTIVE");
    let (_, wechat) = app.register_provider("CHINA", "WECHAT", "wx-leaving").await;
    assert_ne!(wechat["accountId"], account_id, "{wechat}");
    assert_ne!(wechat["accountId"], renewed["accountId"], "{wechat}");
    let old = row(&app, &account_id).await;
    assert_eq!(old.lifecycle, "CANCELLED", "{old:?}");
    assert_eq!(old.id, stored.id);
}

// ---------------------------------------------------------------------------------------
// CAN-06: unverified accounts can be cancelled
// ---------------------------------------------------------------------------------------

async fn unverified_accounts_can_be_cancelled(app: TestApp) {
    let email = "never-verified@example.com";
    let (token, registered) = app.register_email("CHINA", email).await;
    let page = account(&app, &token).await;
    assert_eq!(page["verificationStatus"], "UNVERIFIED", "{page}");
    assert_eq!(page["cancellationReadiness"]["ready"], true, "{page}");

    // RULE CAN-06: the request of an unverified account is accepted.
    let cancellation = accepted(&app, &token).await;
    let page = account(&app, &token).await;
    assert_eq!(page["status"], "CANCELLING", "{page}");
    assert_eq!(page["verificationStatus"], "UNVERIFIED", "{page}");
    assert_eq!(page["cancellation"]["id"], cancellation["id"], "{page}");

    app.advance(COOLING_OFF_SECONDS + 1).await;
    // RULE CAN-06: and completed like any other.
    assert_eq!(run_jobs(&app).await, 1);
    let stored = row(&app, &registered["accountId"]).await;
    assert_eq!(stored.lifecycle, "CANCELLED", "{stored:?}");
    let requests = cancellations(&app, stored.id).await;
    assert_eq!(requests.last().map(|c| c.state.as_str()), Some("COMPLETED"));
    // RULE CAN-04: no secure phone, so the security e-mail alone is told, once.
    assert_eq!(completion_messages(&app, email).await.len(), 1);
    let out = sign_in(&app, email, PASSWORD).await;
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
}

// ---------------------------------------------------------------------------------------
// CAN-05: accounts sharing a phone or a WeChat identity are not affected
// ---------------------------------------------------------------------------------------

async fn cancelling_one_account_spares_those_sharing_its_phone_or_wechat(app: TestApp) {
    let phone = "13700001111";
    let leaving_email = "shared-leaving@example.com";
    let staying_email = "shared-staying@example.com";
    let (leaving_token, leaving) = app.register_email("CHINA", leaving_email).await;
    let (staying_token, staying) = app.register_email("CHINA", staying_email).await;
    // RULE ACC-07: one number can be the secure phone of several accounts.
    bind_secure_phone(&app, &leaving_token, phone).await;
    app.advance(61).await;
    bind_secure_phone(&app, &staying_token, phone).await;
    let staying_phone_before = row(&app, &staying["accountId"]).await.secure_phone;
    assert!(staying_phone_before.is_some());

    // RULE LOG-04: one WeChat identity may belong to several accounts.
    let (wx_leaving_token, wx_leaving) =
        app.register_provider("CHINA", "WECHAT", "wx-shared").await;
    let (_, wx_staying) = app.register_provider("CHINA", "WECHAT", "wx-shared").await;
    let out = sign_in_with_wechat(&app, "wx-shared", None).await;
    let mut choices = strings(&out["accountChoices"]);
    choices.sort();
    let mut expected = vec![
        wx_leaving["accountId"].as_str().unwrap().to_owned(),
        wx_staying["accountId"].as_str().unwrap().to_owned(),
    ];
    expected.sort();
    assert_eq!(choices, expected, "{out}");

    accepted(&app, &leaving_token).await;
    accepted(&app, &wx_leaving_token).await;
    app.advance(COOLING_OFF_SECONDS + 1).await;
    assert_eq!(run_jobs(&app).await, 2);
    assert_eq!(
        row(&app, &leaving["accountId"]).await.lifecycle,
        "CANCELLED"
    );
    assert_eq!(
        row(&app, &wx_leaving["accountId"]).await.lifecycle,
        "CANCELLED"
    );
    // RULE CAN-04: the shared phone was told once, for the cancelled account.
    assert_eq!(completion_messages(&app, phone).await.len(), 1);

    // RULE CAN-05: the account sharing the phone keeps it and works as before.
    let token = session(&app, staying_email).await;
    let page = account(&app, &token).await;
    assert_eq!(page["accountId"], staying["accountId"], "{page}");
    assert_eq!(page["status"], "ACTIVE", "{page}");
    assert!(page["securePhone"].is_string(), "{page}");
    assert_eq!(
        row(&app, &staying["accountId"]).await.secure_phone,
        staying_phone_before
    );
    assert!(
        page["loginMethods"]
            .as_array()
            .expect("login methods")
            .iter()
            .any(|m| m["kind"] == "EMAIL"),
        "{page}"
    );
    // The phone still receives codes.
    app.advance(61).await;
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    assert!(!code.is_empty());

    // RULE CAN-05: the account sharing the WeChat identity keeps it; the identity now
    // signs straight into it.
    let out = sign_in_with_wechat(&app, "wx-shared", None).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["accountChoices"], Value::Null, "{out}");
    let token = out["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned();
    let page = account(&app, &token).await;
    assert_eq!(page["accountId"], wx_staying["accountId"], "{page}");
    assert_eq!(page["status"], "ACTIVE", "{page}");
    assert!(
        page["loginMethods"]
            .as_array()
            .expect("login methods")
            .iter()
            .any(|m| m["kind"] == "WECHAT"),
        "{page}"
    );
    // Choosing the cancelled account explicitly does not sign into it.
    let out = sign_in_with_wechat(&app, "wx-shared", Some(&wx_leaving["accountId"])).await;
    assert_eq!(out["session"], Value::Null, "{out}");
}

db_test!(
    a_refusal_lists_every_unmet_precondition_at_once,
    an_accepted_request_cools_off_and_can_be_withdrawn,
    operation_protection_asks_for_a_second_factor,
    cooling_off_ends_in_completion_and_erasure,
    unverified_accounts_can_be_cancelled,
    cancelling_one_account_spares_those_sharing_its_phone_or_wechat,
);

// ---------------------------------------------------------------------------------------
// CAN-03, CAN-04: several scheduler instances complete each cancellation exactly once
// ---------------------------------------------------------------------------------------

async fn two_instances_complete_each_cancellation_once(backend: Backend) {
    let slot: Arc<Mutex<Option<ServeArgs>>> = Arc::default();
    let configured = slot.clone();
    run_with(
        backend,
        move |a| *configured.lock().unwrap() = Some(a.clone()),
        |first| async move {
            let args = slot.lock().unwrap().clone();
            let args = args.expect("the first instance's settings");
            let built = account_center::build(&args).await.expect("second instance");
            let second = TestApp::serve(built, backend).await;

            let emails: Vec<String> = (0..3).map(|n| format!("due{n}@example.com")).collect();
            let mut account_ids = Vec::new();
            for email in &emails {
                let (token, registered) = first.register_email("CHINA", email).await;
                accepted(&first, &token).await;
                account_ids.push(registered["accountId"].clone());
            }
            // Each instance has its own sandbox clock: move both past the cooling-off.
            first.advance(COOLING_OFF_SECONDS + 1).await;
            second.advance(COOLING_OFF_SECONDS + 1).await;

            let run = "mutation { runScheduledJobs { ok message } }";
            let (a, b) = futures::join!(first.ops(run, json!({})), second.ops(run, json!({})));
            // RULE CAN-03: the two runs together complete each due cancellation once.
            assert_eq!(
                completed_count(&a) + completed_count(&b),
                3,
                "first: {a}\nsecond: {b}"
            );
            for (email, account_id) in emails.iter().zip(&account_ids) {
                let stored = row(&first, account_id).await;
                assert_eq!(stored.lifecycle, "CANCELLED", "{stored:?}");
                // RULE CAN-04: the result was sent exactly once.
                let sent = completion_messages(&first, email).await;
                assert_eq!(sent.len(), 1, "{email}: {sent:?}");
                // RULE CAN-03: completed (and erased) once: the audit trail (ACC-12) records
                // one completion, not one per instance that saw it.
                let completions = entity::audit_events::Entity::find()
                    .filter(entity::audit_events::Column::AccountId.eq(stored.id))
                    .filter(entity::audit_events::Column::Action.eq("cancellation.complete"))
                    .all(&first.db)
                    .await
                    .expect("audit events");
                assert_eq!(completions.len(), 1, "{email}: {completions:?}");
            }
            // Later runs on either instance find nothing left to do.
            assert_eq!(run_jobs(&first).await + run_jobs(&second).await, 0);
        },
    )
    .await;
}

mod two_instances_complete_each_cancellation_once {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::two_instances_complete_each_cancellation_once(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::two_instances_complete_each_cancellation_once(Backend::Postgres).await;
    }
}
