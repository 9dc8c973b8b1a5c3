//! VER: enterprise real-name verification end to end over GraphQL (console and ops):
//! foreign legal persons (VER-06), the registry delay (VER-07), enterprise quotas (VER-09),
//! corporate remittance (VER-11) and recharge (VER-12), enterprise changes (VER-15, VER-16),
//! incomplete credit codes (VER-17), the contact person (VER-18), the periodic registry
//! check (VER-19) and hostile input.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, credit_code_with_prefix, resident_id},
    sign_in::{move_to_early_utc_morning, server_now, session_token, sign_in},
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const DAY: i64 = 24 * 3600;
/// VER-11, VER-12: the window to confirm a remittance or pay a recharge.
const WINDOW_SECONDS: i64 = 7 * DAY;
/// VER-15: one change per 30 days.
const CHANGE_INTERVAL_SECONDS: i64 = 30 * DAY;
/// A margin for the real time that passes while a test runs (the sandbox clock is real
/// time plus an offset).
const MARGIN_SECONDS: i64 = 60;

const VERIFICATION_FIELDS: &str = "id subjectKind method changeType state region subjectName
    identityNumber rejectionReason submittedAt decidedAt remittanceAttemptsLeft expiresAt
    rechargeAmount nextChangeAllowedAt inForce contactName contactPhone";

const CAPABILITIES: [&str; 6] = [
    "PURCHASE",
    "USE_MAINLAND_RESOURCES",
    "INVOICE",
    "ONLINE_CONTRACT",
    "PUBLIC_BETA",
    "PARTNER",
];

/// A new session on a CHINA account (sessions last 12 hours: tests that move the clock by
/// days sign in again).
async fn signed_in(app: &TestApp, email: &str) -> String {
    session_token(&sign_in(app, "CHINA", email, PASSWORD, None).await)
}

/// A query or mutation with `VFIELDS` standing for every Verification field.
fn with_fields(template: &str) -> String {
    template.replace("VFIELDS", VERIFICATION_FIELDS)
}

fn ts(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a DateTime, got {value}"))
}

/// Asserts that no clear identity value appears anywhere in a response (VER-22).
fn assert_hidden(response: &Value, secrets: &[&str]) {
    let text = response.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} leaked in {text}");
    }
}

/// The legal person's mainland ID number for an enterprise numbered `seq`.
fn legal_person_id(seq: u32) -> String {
    resident_id("19800101", seq)
}

/// A complete, valid enterprise request (CHINA, mainland) for `method`.
fn enterprise(method: &str, name: &str, code: &str, seq: u32) -> Value {
    let mut input = json!({
        "method": method,
        "region": "MAINLAND",
        "enterpriseName": name,
        "creditCode": code,
        "legalPersonName": "王五",
        "legalPersonIdNumber": legal_person_id(seq),
        "licenseIssuedOn": "2020-01-06",
    });
    if method == "CORPORATE_REMITTANCE" {
        input["bankAccount"] = json!("6222 0210-0112 3456 789");
    }
    input
}

/// The same input with one field replaced (or removed, for `Value::Null`).
fn with(mut input: Value, key: &str, value: Value) -> Value {
    if value.is_null() {
        input.as_object_mut().unwrap().remove(key);
    } else {
        input[key] = value;
    }
    input
}

async fn mutation(
    app: &TestApp,
    token: &str,
    query: &str,
    input: Value,
    field: &str,
) -> (Value, Value) {
    let out = app
        .gql_as(Some(token), &with_fields(query), json!({ "i": input }))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    (out["data"][field].clone(), out)
}

const SUBMIT_ENTERPRISE: &str = "mutation($i: SubmitEnterpriseVerificationInput!) {
    submitEnterpriseVerification(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus status freezeReasons } } }";

const SUBMIT_INDIVIDUAL: &str = "mutation($i: SubmitIndividualVerificationInput!) {
    submitIndividualVerification(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus } } }";

const CONFIRM_REMITTANCE: &str = "mutation($i: ConfirmRemittanceInput!) {
    confirmRemittance(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus } } }";

const WITHDRAW: &str = "mutation($i: WithdrawVerificationInput!) {
    withdrawVerification(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus } } }";

const COMPLETE_CREDIT_CODE: &str = "mutation($i: CompleteCreditCodeInput!) {
    completeCreditCode(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus } } }";

const UPDATE_CONTACT: &str = "mutation($i: UpdateEnterpriseContactInput!) {
    updateEnterpriseContact(input: $i) {
        userErrors { code field message }
        verification { VFIELDS }
        account { verificationStatus } } }";

const ACCOUNT_STATE: &str = "{ viewer { account { accountId status freezeReasons
    verificationStatus
    verification { VFIELDS }
    pendingVerification { VFIELDS }
    verificationHistory(first: 50) { totalCount edges { node { VFIELDS } } }
    capabilities { capability allowed reason } } } }";

/// The submission payload and the whole response (for leak checks).
async fn submit_enterprise_full(app: &TestApp, token: &str, input: Value) -> (Value, Value) {
    mutation(
        app,
        token,
        SUBMIT_ENTERPRISE,
        input,
        "submitEnterpriseVerification",
    )
    .await
}

async fn submit_enterprise(app: &TestApp, token: &str, input: Value) -> Value {
    submit_enterprise_full(app, token, input).await.0
}

/// Submits and expects no user error; returns the verification.
async fn submitted(app: &TestApp, token: &str, input: Value, state: &str) -> Value {
    let payload = submit_enterprise(app, token, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["verification"]["state"], state, "{payload}");
    payload["verification"].clone()
}

/// An instant enterprise verification by the WeChat official platform, approved.
async fn verify_enterprise(app: &TestApp, token: &str, name: &str, code: &str, seq: u32) -> Value {
    let input = enterprise("WECHAT_OFFICIAL_PLATFORM", name, code, seq);
    submitted(app, token, input, "APPROVED").await
}

/// Asserts the refusal code (and field, when given) of a payload.
fn assert_refused(payload: &Value, code: &str, field: Option<&[&str]>) {
    assert_eq!(error_code(payload), code, "{payload}");
    if let Some(field) = field {
        assert_eq!(payload["userErrors"][0]["field"], json!(field), "{payload}");
    }
    assert!(payload["verification"].is_null(), "{payload}");
}

/// The account's verification fields as the console reads them.
async fn state(app: &TestApp, token: &str) -> Value {
    let out = app
        .gql_as(Some(token), &with_fields(ACCOUNT_STATE), json!({}))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

fn history(account: &Value) -> Vec<Value> {
    account["verificationHistory"]["edges"]
        .as_array()
        .expect("history edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn history_entry(account: &Value, id: &Value) -> Value {
    history(account)
        .into_iter()
        .find(|v| &v["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the history of {account}"))
}

/// Asserts every capability allowed, or every one denied with a reason (VER-20).
fn assert_capabilities(account: &Value, allowed: bool) {
    let grants = account["capabilities"].as_array().expect("capabilities");
    let names: Vec<&str> = grants
        .iter()
        .map(|g| g["capability"].as_str().unwrap())
        .collect();
    assert_eq!(names, CAPABILITIES, "{account}");
    for grant in grants {
        assert_eq!(grant["allowed"], allowed, "{account}");
        assert_eq!(grant["reason"].is_string(), !allowed, "{account}");
    }
}

async fn ops_result(app: &TestApp, query: &str, vars: Value, field: &str) -> (bool, Value) {
    let out = app.ops(query, vars).await;
    assert!(out.get("errors").is_none(), "{out}");
    let result = &out["data"][field];
    (
        result["ok"].as_bool().unwrap_or_else(|| panic!("{out}")),
        result["message"].clone(),
    )
}

async fn review(app: &TestApp, id: &Value, approve: bool, reason: Option<&str>) -> bool {
    ops_result(
        app,
        "mutation($id: ID!, $a: Boolean!, $r: String) {
            reviewVerification(verificationId: $id, approve: $a, reason: $r) { ok message } }",
        json!({ "id": id, "a": approve, "r": reason }),
        "reviewVerification",
    )
    .await
    .0
}

async fn report_recharge(app: &TestApp, id: &Value, amount: &str) -> bool {
    ops_result(
        app,
        "mutation($id: ID!, $a: String!) {
            reportRechargeReceived(verificationId: $id, amount: $a) { ok message } }",
        json!({ "id": id, "a": amount }),
        "reportRechargeReceived",
    )
    .await
    .0
}

async fn set_quota(app: &TestApp, code: &str, quota: i32) -> bool {
    ops_result(
        app,
        "mutation($c: String!, $q: Int!) { setEnterpriseQuota(creditCode: $c, quota: $q) { ok message } }",
        json!({ "c": code, "q": quota }),
        "setEnterpriseQuota",
    )
    .await
    .0
}

async fn recheck(app: &TestApp, code: &str, outcome: &str) -> bool {
    ops_result(
        app,
        "mutation($c: String!, $o: RecheckOutcome!) { recheckEnterprise(creditCode: $c, outcome: $o) { ok message } }",
        json!({ "c": code, "o": outcome }),
        "recheckEnterprise",
    )
    .await
    .0
}

async fn run_scheduled_jobs(app: &TestApp) {
    let (ok, message) = ops_result(
        app,
        "mutation { runScheduledJobs { ok message } }",
        json!({}),
        "runScheduledJobs",
    )
    .await;
    assert!(ok, "{message}");
}

async fn pending_review_ids(app: &TestApp) -> Vec<(Value, Value)> {
    let out = app
        .ops(
            "{ pendingReviews(first: 100) { verificationId accountId method submittedAt } }",
            json!({}),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["pendingReviews"]
        .as_array()
        .expect("pending reviews")
        .iter()
        .map(|r| (r["verificationId"].clone(), r["accountId"].clone()))
        .collect()
}

async fn remittance_amount(app: &TestApp, id: &Value) -> String {
    let out = app
        .ops(
            "query($id: ID!) { remittanceAmount(verificationId: $id) }",
            json!({ "id": id }),
        )
        .await;
    out["data"]["remittanceAmount"]
        .as_str()
        .unwrap_or_else(|| panic!("a remittance amount in {out}"))
        .to_owned()
}

async fn outbox_purposes(app: &TestApp, target: &str) -> Vec<String> {
    let out = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 50) { purpose body } }",
            json!({ "t": target }),
        )
        .await;
    out["data"]["outbox"]
        .as_array()
        .expect("outbox")
        .iter()
        .map(|m| m["purpose"].as_str().unwrap().to_owned())
        .collect()
}

/// Cents of a "0.xx" amount, checked to lie between 0.01 and 0.99 yuan.
fn small_amount_cents(amount: &str) -> i64 {
    let cents = amount
        .strip_prefix("0.")
        .filter(|c| c.len() == 2 && c.chars().all(|d| d.is_ascii_digit()))
        .and_then(|c| c.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("an amount written 0.xx, got {amount:?}"));
    assert!((1..=99).contains(&cents), "{amount}");
    cents
}

/// An amount that is well formed but not `amount`.
fn other_amount(amount: &str) -> String {
    let cents = small_amount_cents(amount);
    format!("0.{:02}", if cents == 1 { 2 } else { cents - 1 })
}

/// A date from which `n` Monday–Friday days lie in (date, today].
fn working_days_before(today: NaiveDate, n: u32) -> NaiveDate {
    let mut day = today;
    let mut counted = 0;
    while counted < n {
        if day.weekday().number_from_monday() <= 5 {
            counted += 1;
        }
        day = day - Days::new(1);
    }
    day
}

async fn confirm(app: &TestApp, token: &str, id: &Value, amount: &str) -> Value {
    mutation(
        app,
        token,
        CONFIRM_REMITTANCE,
        json!({ "verificationId": id, "amount": amount }),
        "confirmRemittance",
    )
    .await
    .0
}

// ---------------------------------------------------------------------------------------
// VER-23: a request not yet proven holds no place; the quota is checked at the proof
// ---------------------------------------------------------------------------------------

async fn unproven_requests_cannot_squat_the_quota(app: TestApp) {
    // SECURITY quota-squatting: strangers submit RECHARGE and CORPORATE_REMITTANCE requests
    // with a public credit code and never pay.
    let code = credit_code(1301);
    let mut squatters = Vec::new();
    for n in 0..3 {
        let (token, _) = app
            .register_email("CHINA", &format!("squatter-{n}@example.com"))
            .await;
        squatters.push(token);
    }
    let first = submitted(
        &app,
        &squatters[0],
        recharge("公开公司", &code, 41),
        "PENDING",
    )
    .await;
    let second = submitted(
        &app,
        &squatters[1],
        recharge("公开公司", &code, 41),
        "PENDING",
    )
    .await;
    let remitting = submitted(
        &app,
        &squatters[2],
        enterprise("CORPORATE_REMITTANCE", "公开公司", &code, 41),
        "PENDING",
    )
    .await;

    // RULE VER-23: the real enterprise verifies its three accounts all the same.
    let mut owners = Vec::new();
    for n in 0..3 {
        let (token, _) = app
            .register_email("CHINA", &format!("real-owner-{n}@example.com"))
            .await;
        verify_enterprise(&app, &token, "公开公司", &code, 41).await;
        owners.push(token);
    }

    // RULE VER-23: a proof that arrives to a full quota is refused, and the refusal tells
    // neither which nor how many accounts use the enterprise.
    let amount = remittance_amount(&app, &remitting["id"]).await;
    let refused = confirm(&app, &squatters[2], &remitting["id"], &amount).await;
    assert_refused(&refused, "IDENTITY_QUOTA_EXCEEDED", None);
    let message = refused["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.chars().any(|c| c.is_ascii_digit()), "{message}");
    let page = state(&app, &squatters[2]).await;
    assert_eq!(page["verificationStatus"], "UNVERIFIED", "{page}");
    assert!(page["pendingVerification"].is_null(), "{page}");
    assert_eq!(
        page["verificationHistory"]["edges"][0]["node"]["state"], "REJECTED",
        "{page}"
    );

    // RULE VER-23: a recharge paid to a full quota is rejected, and the payment credited.
    let paid = first["rechargeAmount"]
        .as_str()
        .expect("an amount")
        .to_owned();
    let (ok, message) = ops_result(
        &app,
        "mutation($id: ID!, $a: String!) {
            reportRechargeReceived(verificationId: $id, amount: $a) { ok message } }",
        json!({ "id": first["id"], "a": paid }),
        "reportRechargeReceived",
    )
    .await;
    assert!(ok, "{message}");
    assert!(
        message.as_str().unwrap_or_default().contains("credited"),
        "{message}"
    );
    let page = state(&app, &squatters[0]).await;
    assert_eq!(page["verificationStatus"], "UNVERIFIED", "{page}");
    assert_eq!(
        page["verificationHistory"]["edges"][0]["node"]["state"], "REJECTED",
        "{page}"
    );

    // With a place made by the operator, the next proof verifies.
    assert!(set_quota(&app, &code, 4).await);
    let paid = second["rechargeAmount"]
        .as_str()
        .expect("an amount")
        .to_owned();
    assert!(report_recharge(&app, &second["id"], &paid).await);
    assert_eq!(
        state(&app, &squatters[1]).await["verificationStatus"],
        "VERIFIED"
    );
    for owner in &owners {
        assert_eq!(state(&app, owner).await["verificationStatus"], "VERIFIED");
    }
}

// ---------------------------------------------------------------------------------------
// VER-06, VER-05: foreign legal persons and non-mainland enterprises on the CHINA site
// ---------------------------------------------------------------------------------------

async fn foreign_legal_person_may_not_use_the_legal_person_methods(app: TestApp) {
    let foreign = |method: &str, code: &str| {
        let input = enterprise(method, "外资公司", code, 1);
        let input = with(input, "legalPersonForeign", json!(true));
        with(input, "legalPersonIdNumber", json!("P1234567"))
    };
    let (token, _) = app.register_email("CHINA", "foreign-lp@example.com").await;
    for method in ["LEGAL_PERSON_WECHAT_SCAN", "LEGAL_PERSON_FACE_RECOGNITION"] {
        let payload = submit_enterprise(&app, &token, foreign(method, &credit_code(601))).await;
        // RULE VER-06
        assert_refused(&payload, "METHOD_NOT_AVAILABLE", Some(&["input", "method"]));
    }
    let account = state(&app, &token).await;
    assert_eq!(account["verificationHistory"]["totalCount"], 0, "{account}");
    assert_eq!(account["verificationStatus"], "UNVERIFIED");

    // The three other enterprise methods are open to a foreign legal person.
    let (t1, _) = app
        .register_email("CHINA", "foreign-lp-1@example.com")
        .await;
    let (t2, _) = app
        .register_email("CHINA", "foreign-lp-2@example.com")
        .await;
    let (t3, _) = app
        .register_email("CHINA", "foreign-lp-3@example.com")
        .await;
    // RULE VER-06
    let remittance = submitted(
        &app,
        &t1,
        foreign("CORPORATE_REMITTANCE", &credit_code(602)),
        "PENDING",
    )
    .await;
    assert_eq!(remittance["method"], "CORPORATE_REMITTANCE");
    let input = with(
        foreign("RECHARGE", &credit_code(603)),
        "bankAccount",
        Value::Null,
    );
    // RULE VER-06
    let recharge = submitted(&app, &t2, input, "PENDING").await;
    assert_eq!(recharge["method"], "RECHARGE");
    // RULE VER-06
    let platform = submitted(
        &app,
        &t3,
        foreign("WECHAT_OFFICIAL_PLATFORM", &credit_code(604)),
        "APPROVED",
    )
    .await;
    assert_eq!(platform["subjectKind"], "ENTERPRISE");
    assert_eq!(state(&app, &t3).await["verificationStatus"], "VERIFIED");
}

async fn china_site_refuses_enterprises_from_outside_the_mainland(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "hk-enterprise@example.com")
        .await;
    for region in ["HONG_KONG", "MACAO", "TAIWAN", "OVERSEAS"] {
        for method in [
            "WECHAT_OFFICIAL_PLATFORM",
            "CORPORATE_REMITTANCE",
            "RECHARGE",
        ] {
            let input = with(
                enterprise(method, "境外公司", &credit_code(611), 2),
                "region",
                json!(region),
            );
            let payload = submit_enterprise(&app, &token, input).await;
            // RULE VER-05
            assert_refused(&payload, "WRONG_SITE", Some(&["input", "region"]));
        }
    }
    // A business document is the INTERNATIONAL site's method, even for a mainland enterprise.
    let payload = submit_enterprise(
        &app,
        &token,
        enterprise("BUSINESS_DOCUMENT", "本地公司", &credit_code(612), 2),
    )
    .await;
    assert_refused(&payload, "METHOD_NOT_AVAILABLE", Some(&["input", "method"]));
    let account = state(&app, &token).await;
    assert_eq!(account["verificationHistory"]["totalCount"], 0, "{account}");
}

// ---------------------------------------------------------------------------------------
// VER-07: a licence younger than 7 working days is not yet in the registry
// ---------------------------------------------------------------------------------------

async fn young_licence_fails_the_legal_person_methods(app: TestApp) {
    move_to_early_utc_morning(&app).await;
    let today = server_now(&app).await.date_naive();
    let issued = |n: u32| working_days_before(today, n).to_string();
    let (token, _) = app.register_email("CHINA", "licence@example.com").await;
    let code = credit_code(701);
    let scan = |licence: Value| {
        with(
            enterprise("LEGAL_PERSON_WECHAT_SCAN", "新开公司", &code, 3),
            "licenseIssuedOn",
            licence,
        )
    };

    // Without the issue date the registry cannot be asked.
    let payload = submit_enterprise(&app, &token, scan(Value::Null)).await;
    // RULE VER-07
    assert_refused(
        &payload,
        "INVALID_INPUT",
        Some(&["input", "licenseIssuedOn"]),
    );
    let payload = submit_enterprise(&app, &token, scan(json!(""))).await;
    assert_refused(
        &payload,
        "INVALID_INPUT",
        Some(&["input", "licenseIssuedOn"]),
    );
    // A licence issued tomorrow does not exist.
    let tomorrow = (today + Days::new(1)).to_string();
    let payload = submit_enterprise(&app, &token, scan(json!(tomorrow))).await;
    // RULE VER-07
    assert_refused(
        &payload,
        "INVALID_INPUT",
        Some(&["input", "licenseIssuedOn"]),
    );
    for malformed in ["2020-13-01", "06/01/2020", "yesterday"] {
        let payload = submit_enterprise(&app, &token, scan(json!(malformed))).await;
        assert_refused(
            &payload,
            "INVALID_INPUT",
            Some(&["input", "licenseIssuedOn"]),
        );
    }
    assert_eq!(
        state(&app, &token).await["verificationHistory"]["totalCount"],
        0
    );

    // Three, then six working days: stored REJECTED with the registry reason.
    for (n, method) in [
        (3, "LEGAL_PERSON_WECHAT_SCAN"),
        (6, "LEGAL_PERSON_FACE_RECOGNITION"),
    ] {
        let input = with(scan(json!(issued(n))), "method", json!(method));
        let payload = submit_enterprise(&app, &token, input).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        // RULE VER-07
        assert_eq!(payload["verification"]["state"], "REJECTED", "{payload}");
        let reason = payload["verification"]["rejectionReason"]
            .as_str()
            .unwrap_or_default();
        assert!(reason.contains("not yet in the registry"), "{payload}");
        assert_eq!(payload["account"]["verificationStatus"], "UNVERIFIED");
    }

    // Seven working days: the registry knows it.
    let input = with(
        scan(json!(issued(7))),
        "method",
        json!("LEGAL_PERSON_FACE_RECOGNITION"),
    );
    let payload = submit_enterprise(&app, &token, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-07
    assert_eq!(payload["verification"]["state"], "APPROVED", "{payload}");
    assert!(payload["verification"]["rejectionReason"].is_null());
    let account = state(&app, &token).await;
    assert_eq!(account["verificationStatus"], "VERIFIED");
    assert_eq!(account["verificationHistory"]["totalCount"], 3, "{account}");

    // Methods that do not ask the registry about the legal person are not delayed.
    let (other, _) = app.register_email("CHINA", "licence-2@example.com").await;
    let input = with(
        enterprise(
            "WECHAT_OFFICIAL_PLATFORM",
            "新开公司二",
            &credit_code(702),
            4,
        ),
        "licenseIssuedOn",
        json!(issued(1)),
    );
    // RULE VER-07
    submitted(&app, &other, input, "APPROVED").await;
}

// ---------------------------------------------------------------------------------------
// VER-09: enterprise quotas
// ---------------------------------------------------------------------------------------

async fn china_enterprise_verifies_three_accounts_unless_raised(app: TestApp) {
    let code = credit_code(901);
    let mut tokens = Vec::new();
    for n in 0..4 {
        let (token, _) = app
            .register_email("CHINA", &format!("quota-cn-{n}@example.com"))
            .await;
        tokens.push(token);
    }
    for token in &tokens[..3] {
        verify_enterprise(&app, token, "配额公司", &code, 9).await;
    }
    let payload = submit_enterprise(
        &app,
        &tokens[3],
        enterprise("WECHAT_OFFICIAL_PLATFORM", "配额公司", &code, 9),
    )
    .await;
    // RULE VER-09
    assert_refused(&payload, "IDENTITY_QUOTA_EXCEEDED", None);
    let fourth = state(&app, &tokens[3]).await;
    assert_eq!(fourth["verificationStatus"], "UNVERIFIED");
    assert_eq!(fourth["verificationHistory"]["totalCount"], 0, "{fourth}");
    // Pending requests hold a place too.
    let payload = submit_enterprise(
        &app,
        &tokens[3],
        with(
            enterprise("RECHARGE", "配额公司", &code, 9),
            "bankAccount",
            Value::Null,
        ),
    )
    .await;
    assert_refused(&payload, "IDENTITY_QUOTA_EXCEEDED", None);

    // The CHINA quota is the CHINA site's: the INTERNATIONAL site counts its own accounts.
    let (intl, _) = app
        .register_email("INTERNATIONAL", "quota-intl@example.com")
        .await;
    let input = with(
        with(
            enterprise("BUSINESS_DOCUMENT", "Quota Ltd", &code, 9),
            "region",
            json!("OVERSEAS"),
        ),
        "licenseIssuedOn",
        Value::Null,
    );
    // RULE ACC-01
    submitted(&app, &intl, input, "PENDING").await;

    // An operator raises this enterprise's quota to 4.
    // RULE VER-09
    assert!(set_quota(&app, &code, 4).await);
    let verification = verify_enterprise(&app, &tokens[3], "配额公司", &code, 9).await;
    assert_eq!(verification["state"], "APPROVED");
    assert_eq!(
        state(&app, &tokens[3]).await["verificationStatus"],
        "VERIFIED"
    );
    // A fifth CHINA account is refused again.
    let (fifth, _) = app.register_email("CHINA", "quota-cn-4@example.com").await;
    let payload = submit_enterprise(
        &app,
        &fifth,
        enterprise("WECHAT_OFFICIAL_PLATFORM", "配额公司", &code, 9),
    )
    .await;
    // RULE VER-09
    assert_refused(&payload, "IDENTITY_QUOTA_EXCEEDED", None);
    // Another enterprise is not affected by this one's quota.
    verify_enterprise(&app, &fifth, "别的公司", &credit_code(902), 10).await;
    // An invalid code is refused by the operator API.
    assert!(!set_quota(&app, "9111 NOT A CODE!", 4).await);
}

async fn international_enterprise_holds_ten_places_pending_included(app: TestApp) {
    let code = credit_code(911);
    let input = with(
        with(
            with(
                enterprise("BUSINESS_DOCUMENT", "Ten Places Ltd", &code, 11),
                "region",
                json!("OVERSEAS"),
            ),
            "legalPersonForeign",
            json!(true),
        ),
        "legalPersonIdNumber",
        json!("P7654321"),
    );
    let mut pending = Vec::new();
    for n in 0..10 {
        let (token, _) = app
            .register_email("INTERNATIONAL", &format!("quota-ten-{n}@example.com"))
            .await;
        let verification = submitted(&app, &token, input.clone(), "PENDING").await;
        assert_eq!(verification["method"], "BUSINESS_DOCUMENT");
        pending.push((token, verification["id"].clone()));
    }
    let reviews = pending_review_ids(&app).await;
    for (_, id) in &pending {
        assert!(reviews.iter().any(|(r, _)| r == id), "{id} not in review");
    }
    let (eleventh, _) = app
        .register_email("INTERNATIONAL", "quota-ten-10@example.com")
        .await;
    let payload = submit_enterprise(&app, &eleventh, input.clone()).await;
    // RULE VER-09
    assert_refused(&payload, "IDENTITY_QUOTA_EXCEEDED", None);
    assert_eq!(
        state(&app, &eleventh).await["verificationHistory"]["totalCount"],
        0
    );
    // A withdrawn request gives its place back.
    let (token, id) = &pending[0];
    let (payload, _) = mutation(
        &app,
        token,
        WITHDRAW,
        json!({ "verificationId": id }),
        "withdrawVerification",
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["verification"]["state"], "WITHDRAWN");
    // RULE VER-09
    submitted(&app, &eleventh, input, "PENDING").await;
}

// ---------------------------------------------------------------------------------------
// VER-11: corporate remittance
// ---------------------------------------------------------------------------------------

const BANK_ACCOUNT_CLEAR: &str = "62220210011234567";

async fn remittance_confirmed_after_one_wrong_amount(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "remit@example.com").await;
    let code = credit_code(1101);
    let (payload, out) = submit_enterprise_full(
        &app,
        &token,
        enterprise("CORPORATE_REMITTANCE", "汇款公司", &code, 21),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let verification = &payload["verification"];
    // RULE VER-11
    assert_eq!(verification["state"], "PENDING");
    assert_eq!(verification["remittanceAttemptsLeft"], 2);
    assert_eq!(
        ts(&verification["expiresAt"]) - ts(&verification["submittedAt"]),
        TimeDelta::seconds(WINDOW_SECONDS)
    );
    assert!(verification["rechargeAmount"].is_null());
    assert_eq!(payload["account"]["verificationStatus"], "PENDING");
    // RULE VER-22
    assert_hidden(
        &out,
        &[&code, &legal_person_id(21), BANK_ACCOUNT_CLEAR, "6222 0210"],
    );
    let id = verification["id"].clone();
    let amount = remittance_amount(&app, &id).await;
    // RULE VER-11
    small_amount_cents(&amount);

    // Malformed amounts are not attempts.
    for malformed in ["0.1.2", "-0.5", "1e-2", "", "abc"] {
        let payload = confirm(&app, &token, &id, malformed).await;
        // RULE VER-11
        assert_refused(&payload, "INVALID_INPUT", Some(&["input", "amount"]));
    }
    let account = state(&app, &token).await;
    assert_eq!(account["pendingVerification"]["remittanceAttemptsLeft"], 2);

    let payload = confirm(&app, &token, &id, &other_amount(&amount)).await;
    // RULE VER-11
    assert_refused(&payload, "WRONG_AMOUNT", Some(&["input", "amount"]));
    let account = state(&app, &token).await;
    assert_eq!(account["pendingVerification"]["id"], id);
    assert_eq!(account["pendingVerification"]["state"], "PENDING");
    assert_eq!(account["pendingVerification"]["remittanceAttemptsLeft"], 1);
    for malformed in ["0.1.2", "abc"] {
        let payload = confirm(&app, &token, &id, malformed).await;
        assert_refused(&payload, "INVALID_INPUT", Some(&["input", "amount"]));
    }
    let account = state(&app, &token).await;
    assert_eq!(account["pendingVerification"]["remittanceAttemptsLeft"], 1);

    let (payload, out) = mutation(
        &app,
        &token,
        CONFIRM_REMITTANCE,
        json!({ "verificationId": id, "amount": amount }),
        "confirmRemittance",
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-11
    assert_eq!(payload["verification"]["state"], "APPROVED");
    assert_eq!(payload["account"]["verificationStatus"], "VERIFIED");
    assert_hidden(&out, &[&code, BANK_ACCOUNT_CLEAR]);
    let account = state(&app, &token).await;
    assert_eq!(account["verification"]["id"], id);
    assert!(account["pendingVerification"].is_null());
    assert_capabilities(&account, true);
    // Decided: no further confirmation.
    let payload = confirm(&app, &token, &id, &amount).await;
    assert_refused(&payload, "NOT_PENDING", None);
}

async fn two_wrong_remittance_amounts_end_the_attempt(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "remit-wrong@example.com").await;
    let input = enterprise("CORPORATE_REMITTANCE", "汇款公司二", &credit_code(1111), 22);
    let verification = submitted(&app, &token, input.clone(), "PENDING").await;
    let id = verification["id"].clone();
    let amount = remittance_amount(&app, &id).await;
    let wrong = other_amount(&amount);

    let payload = confirm(&app, &token, &id, &wrong).await;
    // RULE VER-11
    assert_refused(&payload, "WRONG_AMOUNT", Some(&["input", "amount"]));
    let payload = confirm(&app, &token, &id, &wrong).await;
    // RULE VER-11
    assert_refused(&payload, "ATTEMPTS_EXHAUSTED", Some(&["input", "amount"]));
    let account = state(&app, &token).await;
    assert_eq!(account["verificationStatus"], "UNVERIFIED");
    assert!(account["pendingVerification"].is_null(), "{account}");
    let ended = history_entry(&account, &id);
    // RULE VER-11
    assert_eq!(ended["state"], "REJECTED");
    assert!(ended["rejectionReason"].is_string(), "{ended}");
    // The right amount is too late now.
    let payload = confirm(&app, &token, &id, &amount).await;
    assert_refused(&payload, "NOT_PENDING", None);
    assert_eq!(
        history_entry(&state(&app, &token).await, &id)["state"],
        "REJECTED"
    );

    // The user submits the bank account again: a fresh attempt with two tries.
    // RULE VER-11
    let again = submitted(&app, &token, input, "PENDING").await;
    assert_ne!(again["id"], id);
    assert_eq!(again["remittanceAttemptsLeft"], 2);
    let amount = remittance_amount(&app, &again["id"]).await;
    let payload = confirm(&app, &token, &again["id"], &amount).await;
    assert_eq!(payload["verification"]["state"], "APPROVED", "{payload}");
}

async fn remittance_expires_after_seven_days(app: TestApp) {
    let (late, _) = app.register_email("CHINA", "remit-late@example.com").await;
    let (timely, _) = app
        .register_email("CHINA", "remit-timely@example.com")
        .await;
    app.register_email("CHINA", "remit-idle@example.com").await;
    let late_v = submitted(
        &app,
        &late,
        enterprise("CORPORATE_REMITTANCE", "迟到公司", &credit_code(1121), 23),
        "PENDING",
    )
    .await;
    let timely_v = submitted(
        &app,
        &timely,
        enterprise("CORPORATE_REMITTANCE", "准时公司", &credit_code(1122), 24),
        "PENDING",
    )
    .await;
    let late_amount = remittance_amount(&app, &late_v["id"]).await;
    let timely_amount = remittance_amount(&app, &timely_v["id"]).await;

    // Just inside the window.
    app.advance(WINDOW_SECONDS - MARGIN_SECONDS).await;
    let (late, timely, idle) = (
        signed_in(&app, "remit-late@example.com").await,
        signed_in(&app, "remit-timely@example.com").await,
        signed_in(&app, "remit-idle@example.com").await,
    );
    let payload = confirm(&app, &timely, &timely_v["id"], &timely_amount).await;
    // RULE VER-11
    assert_eq!(payload["verification"]["state"], "APPROVED", "{payload}");

    // Just past it.
    app.advance(MARGIN_SECONDS + 1).await;
    let payload = confirm(&app, &late, &late_v["id"], &late_amount).await;
    // RULE VER-11
    assert_refused(&payload, "VERIFICATION_EXPIRED", None);
    let account = state(&app, &late).await;
    assert_eq!(history_entry(&account, &late_v["id"])["state"], "EXPIRED");
    assert_eq!(account["verificationStatus"], "UNVERIFIED");
    assert!(account["pendingVerification"].is_null());

    // The scheduler expires requests nobody confirms.
    let idle_v = submitted(
        &app,
        &idle,
        enterprise("CORPORATE_REMITTANCE", "闲置公司", &credit_code(1123), 25),
        "PENDING",
    )
    .await;
    run_scheduled_jobs(&app).await;
    assert_eq!(
        state(&app, &idle).await["pendingVerification"]["state"],
        "PENDING"
    );
    app.advance(WINDOW_SECONDS + 1).await;
    let idle = signed_in(&app, "remit-idle@example.com").await;
    let timely = signed_in(&app, "remit-timely@example.com").await;
    run_scheduled_jobs(&app).await;
    let account = state(&app, &idle).await;
    // RULE VER-11
    assert_eq!(history_entry(&account, &idle_v["id"])["state"], "EXPIRED");
    assert!(account["pendingVerification"].is_null(), "{account}");
    assert_eq!(account["verificationStatus"], "UNVERIFIED");
    let amount = remittance_amount(&app, &idle_v["id"]).await;
    let payload = confirm(&app, &idle, &idle_v["id"], &amount).await;
    assert_eq!(error_code(&payload), "NOT_PENDING", "{payload}");
    // What was approved in time stays approved.
    assert_eq!(state(&app, &timely).await["verificationStatus"], "VERIFIED");
}

// ---------------------------------------------------------------------------------------
// VER-12: recharge
// ---------------------------------------------------------------------------------------

fn recharge(name: &str, code: &str, seq: u32) -> Value {
    enterprise("RECHARGE", name, code, seq)
}

async fn recharge_of_the_named_amount_verifies(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "recharge@example.com").await;
    let verification = submitted(
        &app,
        &token,
        recharge("充值公司", &credit_code(1201), 31),
        "PENDING",
    )
    .await;
    let id = verification["id"].clone();
    let amount = verification["rechargeAmount"]
        .as_str()
        .expect("a recharge amount")
        .to_owned();
    // RULE VER-12
    small_amount_cents(&amount);
    assert_eq!(
        ts(&verification["expiresAt"]) - ts(&verification["submittedAt"]),
        TimeDelta::seconds(WINDOW_SECONDS)
    );
    assert!(verification["remittanceAttemptsLeft"].is_null());
    let account = state(&app, &token).await;
    assert_eq!(account["verificationStatus"], "PENDING");
    assert_eq!(account["pendingVerification"]["rechargeAmount"], amount);
    assert_capabilities(&account, false);

    // RULE VER-12
    assert!(!report_recharge(&app, &id, &other_amount(&amount)).await);
    assert!(!report_recharge(&app, &id, "1.00").await);
    let account = state(&app, &token).await;
    assert_eq!(account["pendingVerification"]["state"], "PENDING");
    assert_eq!(account["verificationStatus"], "PENDING");

    // RULE VER-12
    assert!(report_recharge(&app, &id, &amount).await);
    let account = state(&app, &token).await;
    assert_eq!(account["verificationStatus"], "VERIFIED");
    assert_eq!(account["verification"]["id"], id);
    assert_eq!(account["verification"]["state"], "APPROVED");
    assert!(account["pendingVerification"].is_null());
    assert_capabilities(&account, true);
    // A second payment report finds nothing pending.
    assert!(!report_recharge(&app, &id, &amount).await);
}

async fn unpaid_recharge_expires_after_seven_days(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "recharge-late@example.com")
        .await;
    app.register_email("CHINA", "recharge-new@example.com")
        .await;
    let old = submitted(
        &app,
        &token,
        recharge("过期公司", &credit_code(1211), 32),
        "PENDING",
    )
    .await;
    let amount = old["rechargeAmount"].as_str().unwrap().to_owned();
    app.advance(WINDOW_SECONDS + 1).await;
    let token = signed_in(&app, "recharge-late@example.com").await;
    let fresh = signed_in(&app, "recharge-new@example.com").await;
    // Submitted after the advance: its own window is still open.
    let young = submitted(
        &app,
        &fresh,
        recharge("新公司", &credit_code(1212), 33),
        "PENDING",
    )
    .await;
    run_scheduled_jobs(&app).await;
    let account = state(&app, &token).await;
    // RULE VER-12
    assert_eq!(history_entry(&account, &old["id"])["state"], "EXPIRED");
    assert!(account["pendingVerification"].is_null(), "{account}");
    assert_eq!(account["verificationStatus"], "UNVERIFIED");
    // RULE VER-12
    assert!(!report_recharge(&app, &old["id"], &amount).await);
    assert_eq!(
        history_entry(&state(&app, &token).await, &old["id"])["state"],
        "EXPIRED"
    );
    assert_eq!(
        state(&app, &fresh).await["pendingVerification"]["id"],
        young["id"]
    );
}

async fn late_recharge_report_expires_the_request(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "recharge-report@example.com")
        .await;
    let old = submitted(
        &app,
        &token,
        recharge("迟付公司", &credit_code(1221), 34),
        "PENDING",
    )
    .await;
    let amount = old["rechargeAmount"].as_str().unwrap().to_owned();
    app.advance(WINDOW_SECONDS + 1).await;
    let token = signed_in(&app, "recharge-report@example.com").await;
    // The payment arrives after the window, before the scheduler ran.
    // RULE VER-12
    assert!(!report_recharge(&app, &old["id"], &amount).await);
    let account = state(&app, &token).await;
    assert_eq!(history_entry(&account, &old["id"])["state"], "EXPIRED");
    assert_eq!(account["verificationStatus"], "UNVERIFIED");
}

// ---------------------------------------------------------------------------------------
// VER-16, VER-15: enterprise changes
// ---------------------------------------------------------------------------------------

async fn enterprise_changes_are_reviewed_and_keep_the_old_in_force(app: TestApp) {
    let (t_subject, a_subject) = app.register_email("CHINA", "chg-subject@example.com").await;
    let (t_name, a_name) = app.register_email("CHINA", "chg-name@example.com").await;
    let (t_legal, a_legal) = app.register_email("CHINA", "chg-legal@example.com").await;
    let code_subject = credit_code(1601);
    let code_name = credit_code(1602);
    let code_legal = credit_code(1603);
    let old_subject = verify_enterprise(&app, &t_subject, "旧主体公司", &code_subject, 41).await;
    let old_name = verify_enterprise(&app, &t_name, "旧名公司", &code_name, 42).await;
    let old_legal = verify_enterprise(&app, &t_legal, "法人公司", &code_legal, 43).await;
    app.advance(31 * DAY).await;
    let t_subject = signed_in(&app, "chg-subject@example.com").await;
    let t_name = signed_in(&app, "chg-name@example.com").await;
    let t_legal = signed_in(&app, "chg-legal@example.com").await;

    // Each change, whatever its method (these are instant ones), waits for a review.
    let new_code = credit_code(1604);
    let changes = [
        (
            &t_subject,
            &a_subject,
            &old_subject,
            with(
                enterprise("WECHAT_OFFICIAL_PLATFORM", "新主体公司", &new_code, 44),
                "changeType",
                json!("CHANGE_SUBJECT"),
            ),
            "CHANGE_SUBJECT",
            "新****",
        ),
        (
            &t_name,
            &a_name,
            &old_name,
            with(
                enterprise(
                    "LEGAL_PERSON_FACE_RECOGNITION",
                    "新名字公司",
                    &code_name,
                    42,
                ),
                "changeType",
                json!("CHANGE_NAME"),
            ),
            "CHANGE_NAME",
            "新****",
        ),
        (
            &t_legal,
            &a_legal,
            &old_legal,
            with(
                with(
                    enterprise("LEGAL_PERSON_WECHAT_SCAN", "法人公司", &code_legal, 45),
                    "legalPersonName",
                    json!("赵六"),
                ),
                "changeType",
                json!("UPDATE_LEGAL_PERSON"),
            ),
            "UPDATE_LEGAL_PERSON",
            "法***",
        ),
    ];
    let mut change_ids = Vec::new();
    for (token, account, old, input, change_type, masked_name) in &changes {
        let payload = submit_enterprise(&app, token, input.clone()).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        let change = &payload["verification"];
        // RULE VER-16
        assert_eq!(change["state"], "PENDING", "{payload}");
        assert_eq!(change["changeType"], *change_type);
        assert_eq!(change["subjectName"], *masked_name);
        assert_eq!(change["inForce"], false);
        assert_eq!(payload["account"]["verificationStatus"], "VERIFIED");
        let now = state(&app, token).await;
        // RULE VER-16
        assert_eq!(now["verificationStatus"], "VERIFIED");
        assert_eq!(now["verification"]["id"], old["id"]);
        assert_eq!(now["verification"]["inForce"], true);
        assert_eq!(now["pendingVerification"]["id"], change["id"]);
        assert_capabilities(&now, true);
        let reviews = pending_review_ids(&app).await;
        // RULE VER-16
        assert!(
            reviews
                .iter()
                .any(|(id, acc)| id == &change["id"] && acc == &account["accountId"]),
            "{:?} not in {reviews:?}",
            change["id"]
        );
        change_ids.push(change["id"].clone());
    }

    // Withdrawn during review: the old verification stays.
    let (payload, _) = mutation(
        &app,
        &t_name,
        WITHDRAW,
        json!({ "verificationId": change_ids[1] }),
        "withdrawVerification",
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-16
    assert_eq!(payload["verification"]["state"], "WITHDRAWN");
    let now = state(&app, &t_name).await;
    assert_eq!(now["verificationStatus"], "VERIFIED");
    assert_eq!(now["verification"]["id"], old_name["id"]);
    assert_eq!(now["verification"]["subjectName"], "旧***");
    assert!(now["pendingVerification"].is_null());
    assert!(
        !pending_review_ids(&app)
            .await
            .iter()
            .any(|(id, _)| id == &change_ids[1])
    );
    // A withdrawn request is no longer reviewable.
    assert!(!review(&app, &change_ids[1], true, None).await);

    // Approved: the change supersedes the old verification.
    for (i, (token, account, old, _, change_type, masked_name)) in changes.iter().enumerate() {
        if i == 1 {
            continue;
        }
        // RULE VER-16
        assert!(review(&app, &change_ids[i], true, None).await);
        let now = state(&app, token).await;
        assert_eq!(now["verificationStatus"], "VERIFIED");
        assert_eq!(now["verification"]["id"], change_ids[i]);
        assert_eq!(now["verification"]["changeType"], *change_type);
        assert_eq!(now["verification"]["subjectName"], *masked_name);
        assert!(now["pendingVerification"].is_null());
        let superseded = history_entry(&now, &old["id"]);
        // RULE VER-16
        assert_eq!(superseded["state"], "APPROVED");
        assert_eq!(superseded["inForce"], false);
        assert_eq!(now["verificationHistory"]["totalCount"], 2);
        let _ = account;
    }
    let now = state(&app, &t_subject).await;
    let n = new_code.len();
    assert_eq!(
        now["verification"]["identityNumber"],
        format!(
            "{}{}{}",
            &new_code[..1],
            "*".repeat(n - 2),
            &new_code[n - 1..]
        )
    );
    assert!(
        outbox_purposes(&app, "chg-subject@example.com")
            .await
            .contains(&"VERIFICATION_DECISION".to_owned())
    );
}

async fn enterprise_change_needs_its_type_and_the_right_code(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "chg-type@example.com").await;
    let code = credit_code(1611);
    let old = verify_enterprise(&app, &token, "类型公司", &code, 46).await;
    app.advance(31 * DAY).await;
    let token = signed_in(&app, "chg-type@example.com").await;

    let payload = submit_enterprise(
        &app,
        &token,
        enterprise(
            "WECHAT_OFFICIAL_PLATFORM",
            "另一公司",
            &credit_code(1612),
            47,
        ),
    )
    .await;
    // RULE VER-16
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "changeType"]));
    let payload = submit_enterprise(
        &app,
        &token,
        enterprise("WECHAT_OFFICIAL_PLATFORM", "类型公司新名", &code, 46),
    )
    .await;
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "changeType"]));
    // A name change keeps the credit code.
    let payload = submit_enterprise(
        &app,
        &token,
        with(
            enterprise(
                "WECHAT_OFFICIAL_PLATFORM",
                "另一公司",
                &credit_code(1612),
                47,
            ),
            "changeType",
            json!("CHANGE_NAME"),
        ),
    )
    .await;
    // RULE VER-16
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "creditCode"]));
    // The same enterprise again is no change.
    let payload = submit_enterprise(
        &app,
        &token,
        with(
            enterprise("WECHAT_OFFICIAL_PLATFORM", "类型公司", &code, 46),
            "changeType",
            json!("CHANGE_SUBJECT"),
        ),
    )
    .await;
    assert_refused(&payload, "ALREADY_VERIFIED", None);
    let now = state(&app, &token).await;
    assert_eq!(now["verificationHistory"]["totalCount"], 1, "{now}");
    assert_eq!(now["verification"]["id"], old["id"]);
}

async fn enterprise_change_waits_thirty_days_after_the_last_decision(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "chg-soon@example.com").await;
    let code = credit_code(1621);
    let other = credit_code(1622);
    let old = verify_enterprise(&app, &token, "频繁公司", &code, 48).await;
    // RULE VER-15
    assert_eq!(
        ts(&old["nextChangeAllowedAt"]) - ts(&old["decidedAt"]),
        TimeDelta::seconds(CHANGE_INTERVAL_SECONDS)
    );
    let change_subject = with(
        enterprise("WECHAT_OFFICIAL_PLATFORM", "换主体公司", &other, 49),
        "changeType",
        json!("CHANGE_SUBJECT"),
    );
    let payload = submit_enterprise(&app, &token, change_subject.clone()).await;
    // RULE VER-16
    assert_refused(&payload, "CHANGE_TOO_SOON", None);
    app.advance(CHANGE_INTERVAL_SECONDS - MARGIN_SECONDS).await;
    let token = signed_in(&app, "chg-soon@example.com").await;
    let payload = submit_enterprise(&app, &token, change_subject.clone()).await;
    // RULE VER-16
    assert_refused(&payload, "CHANGE_TOO_SOON", None);
    assert_eq!(
        state(&app, &token).await["verificationHistory"]["totalCount"],
        1
    );
    app.advance(MARGIN_SECONDS + 1).await;
    let token = signed_in(&app, "chg-soon@example.com").await;
    let change = submitted(&app, &token, change_subject, "PENDING").await;
    assert!(review(&app, &change["id"], true, None).await);
    let now = state(&app, &token).await;
    assert_eq!(now["verification"]["id"], change["id"]);
    // The 30 days count again from this decision.
    assert_eq!(
        ts(&now["verification"]["nextChangeAllowedAt"]) - ts(&now["verification"]["decidedAt"]),
        TimeDelta::seconds(CHANGE_INTERVAL_SECONDS)
    );
    let payload = submit_enterprise(
        &app,
        &token,
        with(
            enterprise("WECHAT_OFFICIAL_PLATFORM", "换名公司", &other, 49),
            "changeType",
            json!("CHANGE_NAME"),
        ),
    )
    .await;
    // RULE VER-16
    assert_refused(&payload, "CHANGE_TOO_SOON", None);
}

async fn rejected_enterprise_change_keeps_the_old(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "chg-reject@example.com").await;
    let code = credit_code(1631);
    let old = verify_enterprise(&app, &token, "驳回公司", &code, 50).await;
    app.advance(31 * DAY).await;
    let token = signed_in(&app, "chg-reject@example.com").await;
    let change = submitted(
        &app,
        &token,
        with(
            enterprise("WECHAT_OFFICIAL_PLATFORM", "驳回公司新", &code, 50),
            "changeType",
            json!("CHANGE_NAME"),
        ),
        "PENDING",
    )
    .await;
    // A rejection needs its reason.
    assert!(!review(&app, &change["id"], false, None).await);
    assert!(review(&app, &change["id"], false, Some("名称与执照不符")).await);
    let now = state(&app, &token).await;
    // RULE VER-16
    assert_eq!(now["verification"]["id"], old["id"]);
    assert_eq!(now["verification"]["inForce"], true);
    let rejected = history_entry(&now, &change["id"]);
    assert_eq!(rejected["state"], "REJECTED");
    assert_eq!(rejected["rejectionReason"], "名称与执照不符");
}

async fn enterprise_cannot_change_to_an_individual(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "ent-to-person@example.com")
        .await;
    let old = verify_enterprise(&app, &token, "企业转个人", &credit_code(1501), 51).await;
    app.advance(31 * DAY).await;
    let token = signed_in(&app, "ent-to-person@example.com").await;
    let (payload, _) = mutation(
        &app,
        &token,
        SUBMIT_INDIVIDUAL,
        json!({
            "method": "WECHAT_SCAN",
            "region": "MAINLAND",
            "name": "张三",
            "idNumber": resident_id("19900101", 52),
            "birthDate": "1990-01-01",
        }),
        "submitIndividualVerification",
    )
    .await;
    // RULE VER-15
    assert_refused(&payload, "CHANGE_NOT_SUPPORTED", None);
    let now = state(&app, &token).await;
    assert_eq!(now["verification"]["id"], old["id"]);
    assert_eq!(now["verification"]["subjectKind"], "ENTERPRISE");
    assert_eq!(now["verificationHistory"]["totalCount"], 1);
}

// ---------------------------------------------------------------------------------------
// VER-17: incomplete credit codes
// ---------------------------------------------------------------------------------------

const LEGACY_NUMBER: &str = "110105012345678";

async fn legacy_registration_number_is_completed(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "legacy@example.com").await;
    // Before any enterprise verification there is nothing to complete.
    let (payload, _) = mutation(
        &app,
        &token,
        COMPLETE_CREDIT_CODE,
        json!({ "creditCode": credit_code(1701) }),
        "completeCreditCode",
    )
    .await;
    // RULE VER-17
    assert_refused(&payload, "NOT_VERIFIED", None);

    let old = verify_enterprise(&app, &token, "老字号公司", LEGACY_NUMBER, 53).await;
    // RULE VER-17
    assert_eq!(old["identityNumber"], "1*************8");

    for bad in [
        crate::identities::with_wrong_check(&credit_code(1701)),
        "ABC".to_owned(),
        "110105012345678".to_owned(),
        format!("{}I", &credit_code(1701)[..17]),
    ] {
        let (payload, _) = mutation(
            &app,
            &token,
            COMPLETE_CREDIT_CODE,
            json!({ "creditCode": bad }),
            "completeCreditCode",
        )
        .await;
        // RULE VER-17
        assert_refused(&payload, "INVALID_INPUT", Some(&["input", "creditCode"]));
    }
    let now = state(&app, &token).await;
    assert_eq!(now["verification"]["identityNumber"], "1*************8");

    let full = credit_code(1701);
    let (payload, out) = mutation(
        &app,
        &token,
        COMPLETE_CREDIT_CODE,
        json!({ "creditCode": full }),
        "completeCreditCode",
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-17
    assert_eq!(payload["verification"]["id"], old["id"]);
    assert_eq!(
        payload["verification"]["identityNumber"],
        format!("9{}{}", "*".repeat(16), &full[17..])
    );
    assert_eq!(payload["verification"]["state"], "APPROVED");
    assert_hidden(&out, &[&full, LEGACY_NUMBER]);

    // Complete now: nothing more to complete.
    let (payload, _) = mutation(
        &app,
        &token,
        COMPLETE_CREDIT_CODE,
        json!({ "creditCode": credit_code(1702) }),
        "completeCreditCode",
    )
    .await;
    // RULE VER-17
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "creditCode"]));

    // The completed code is the enterprise's identity: a name change now keeps it.
    app.advance(31 * DAY).await;
    let token = signed_in(&app, "legacy@example.com").await;
    let change = submitted(
        &app,
        &token,
        with(
            enterprise("WECHAT_OFFICIAL_PLATFORM", "老字号新名", &full, 53),
            "changeType",
            json!("CHANGE_NAME"),
        ),
        "PENDING",
    )
    .await;
    assert_eq!(change["changeType"], "CHANGE_NAME");
}

async fn online_name_change_needs_a_code_starting_with_nine(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "social-org@example.com").await;
    let (legacy, _) = app
        .register_email("CHINA", "legacy-change@example.com")
        .await;
    let code = credit_code_with_prefix("51", 1711);
    verify_enterprise(&app, &token, "某某协会", &code, 54).await;
    verify_enterprise(&app, &legacy, "老字号二", LEGACY_NUMBER, 55).await;
    app.advance(31 * DAY).await;
    let token = signed_in(&app, "social-org@example.com").await;
    let legacy = signed_in(&app, "legacy-change@example.com").await;
    for change_type in ["CHANGE_NAME", "UPDATE_LEGAL_PERSON"] {
        let payload = submit_enterprise(
            &app,
            &token,
            with(
                enterprise("WECHAT_OFFICIAL_PLATFORM", "某某新协会", &code, 54),
                "changeType",
                json!(change_type),
            ),
        )
        .await;
        // RULE VER-17
        assert_refused(&payload, "CHANGE_NOT_SUPPORTED", None);
        let payload = submit_enterprise(
            &app,
            &legacy,
            with(
                enterprise("WECHAT_OFFICIAL_PLATFORM", "老字号二新", LEGACY_NUMBER, 55),
                "changeType",
                json!(change_type),
            ),
        )
        .await;
        // RULE VER-17
        assert_refused(&payload, "CHANGE_NOT_SUPPORTED", None);
    }
    assert_eq!(
        state(&app, &token).await["verificationHistory"]["totalCount"],
        1
    );
    assert_eq!(
        state(&app, &legacy).await["verificationHistory"]["totalCount"],
        1
    );
}

// ---------------------------------------------------------------------------------------
// VER-18: the enterprise contact person
// ---------------------------------------------------------------------------------------

async fn enterprise_contact_is_editable_and_masked(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "contact@example.com").await;
    let (payload, _) = mutation(
        &app,
        &token,
        UPDATE_CONTACT,
        json!({ "contactName": "赵六", "contactPhone": "13912345678" }),
        "updateEnterpriseContact",
    )
    .await;
    // RULE VER-18
    assert_refused(&payload, "NOT_VERIFIED", None);

    let code = credit_code(1801);
    let input = with(
        with(
            enterprise("WECHAT_OFFICIAL_PLATFORM", "联系公司", &code, 56),
            "contactName",
            json!("李四"),
        ),
        "contactPhone",
        json!("13800138000"),
    );
    let verification = submitted(&app, &token, input, "APPROVED").await;
    assert_eq!(verification["contactName"], "李*");
    assert_eq!(verification["contactPhone"], "138****8000");

    let (payload, out) = mutation(
        &app,
        &token,
        UPDATE_CONTACT,
        json!({ "contactName": "欧阳娜娜", "contactPhone": "139 1234 5678" }),
        "updateEnterpriseContact",
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-18
    assert_eq!(payload["verification"]["contactName"], "欧***");
    assert_eq!(payload["verification"]["contactPhone"], "139****5678");
    assert_eq!(payload["verification"]["id"], verification["id"]);
    assert_eq!(
        payload["verification"]["identityNumber"],
        verification["identityNumber"]
    );
    // RULE VER-22
    assert_hidden(&out, &["欧阳娜娜", "13912345678", &code]);
    let now = state(&app, &token).await;
    assert_eq!(now["verification"]["contactName"], "欧***");
    assert_eq!(now["verification"]["contactPhone"], "139****5678");

    // Only the name: the phone stays.
    let (payload, _) = mutation(
        &app,
        &token,
        UPDATE_CONTACT,
        json!({ "contactName": "钱七" }),
        "updateEnterpriseContact",
    )
    .await;
    assert_eq!(payload["verification"]["contactName"], "钱*", "{payload}");
    assert_eq!(payload["verification"]["contactPhone"], "139****5678");
    // Bad values are refused.
    let (payload, _) = mutation(
        &app,
        &token,
        UPDATE_CONTACT,
        json!({ "contactPhone": "not-a-phone" }),
        "updateEnterpriseContact",
    )
    .await;
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "contactPhone"]));
    let (payload, _) = mutation(
        &app,
        &token,
        UPDATE_CONTACT,
        json!({ "contactName": "钱\u{0007}七" }),
        "updateEnterpriseContact",
    )
    .await;
    assert_refused(&payload, "INVALID_INPUT", Some(&["input", "contactName"]));

    // There is no field to edit the identity number.
    let out = app
        .gql_as(
            Some(&token),
            "{ __type(name: \"UpdateEnterpriseContactInput\") { inputFields { name } } }",
            json!({}),
        )
        .await;
    let fields: Vec<&str> = out["data"]["__type"]["inputFields"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"))
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // RULE VER-18
    assert_eq!(fields, ["contactName", "contactPhone"]);
    let out = app
        .gql_as(
            Some(&token),
            "mutation { updateEnterpriseContact(input: { contactName: \"x\", idNumber: \"1\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert!(out["errors"].is_array(), "{out}");

    // An individual verification has no enterprise contact.
    let (person, _) = app
        .register_email("CHINA", "contact-person@example.com")
        .await;
    let (payload, _) = mutation(
        &app,
        &person,
        SUBMIT_INDIVIDUAL,
        json!({
            "method": "WECHAT_SCAN",
            "region": "MAINLAND",
            "name": "张三",
            "idNumber": resident_id("19900101", 57),
            "birthDate": "1990-01-01",
        }),
        "submitIndividualVerification",
    )
    .await;
    assert_eq!(payload["verification"]["state"], "APPROVED", "{payload}");
    let (payload, _) = mutation(
        &app,
        &person,
        UPDATE_CONTACT,
        json!({ "contactName": "赵六" }),
        "updateEnterpriseContact",
    )
    .await;
    // RULE VER-18
    assert_refused(&payload, "NOT_VERIFIED", None);
}

// ---------------------------------------------------------------------------------------
// VER-19: the periodic registry check
// ---------------------------------------------------------------------------------------

async fn failed_registry_check(app: &TestApp, outcome: &str, re_verify_by_recharge: bool) {
    let tag = outcome.to_lowercase();
    let email_a = format!("recheck-{tag}-a@example.com");
    let email_b = format!("recheck-{tag}-b@example.com");
    let email_c = format!("recheck-{tag}-c@example.com");
    let (ta, _) = app.register_email("CHINA", &email_a).await;
    let (tb, _) = app.register_email("CHINA", &email_b).await;
    let (tc, _) = app.register_email("CHINA", &email_c).await;
    let code = credit_code(1901);
    let old_a = verify_enterprise(app, &ta, "注销公司", &code, 61).await;
    verify_enterprise(app, &tb, "注销公司", &code, 61).await;
    verify_enterprise(app, &tc, "正常公司", &credit_code(1902), 62).await;

    // A clean check changes nothing.
    assert!(recheck(app, &code, "OK").await);
    for token in [&ta, &tb] {
        let now = state(app, token).await;
        // RULE VER-19
        assert_eq!(now["verificationStatus"], "VERIFIED");
        assert_eq!(now["status"], "ACTIVE");
        assert_eq!(now["freezeReasons"], json!([]));
    }
    assert!(
        !outbox_purposes(app, &email_a)
            .await
            .contains(&"VERIFICATION_FAILED".to_owned())
    );

    assert!(recheck(app, &code, outcome).await);
    for (token, email) in [(&ta, &email_a), (&tb, &email_b)] {
        // RULE VER-19
        assert!(
            outbox_purposes(app, email)
                .await
                .contains(&"VERIFICATION_FAILED".to_owned()),
            "{email} was not notified"
        );
        let now = state(app, token).await;
        // RULE VER-19
        assert_eq!(now["verificationStatus"], "UNVERIFIED");
        assert!(now["verification"].is_null(), "{now}");
        assert_eq!(now["status"], "FROZEN");
        assert_eq!(now["freezeReasons"], json!(["VERIFICATION_FAILED"]));
        assert_capabilities(&now, false);
    }
    let now = state(app, &ta).await;
    let revoked = history_entry(&now, &old_a["id"]);
    assert_eq!(revoked["inForce"], false);
    // Another enterprise's account is untouched.
    let other = state(app, &tc).await;
    assert_eq!(other["verificationStatus"], "VERIFIED");
    assert_eq!(other["status"], "ACTIVE");
    assert!(
        !outbox_purposes(app, &email_c)
            .await
            .contains(&"VERIFICATION_FAILED".to_owned())
    );

    // Verifying again (a new, initial submission) lifts the freeze.
    let new_code = credit_code(1903);
    let again = if re_verify_by_recharge {
        let pending = submitted(app, &ta, recharge("重新认证公司", &new_code, 63), "PENDING").await;
        let frozen = state(app, &ta).await;
        assert_eq!(
            frozen["status"], "FROZEN",
            "a pending request lifts nothing"
        );
        let amount = pending["rechargeAmount"].as_str().unwrap().to_owned();
        assert!(report_recharge(app, &pending["id"], &amount).await);
        pending
    } else {
        verify_enterprise(app, &ta, "重新认证公司", &new_code, 63).await
    };
    assert_eq!(again["changeType"], "INITIAL");
    let now = state(app, &ta).await;
    // RULE VER-19
    assert_eq!(now["verificationStatus"], "VERIFIED");
    assert_eq!(now["verification"]["id"], again["id"]);
    assert_eq!(now["status"], "ACTIVE");
    assert_eq!(now["freezeReasons"], json!([]));
    assert_capabilities(&now, true);
    // The other dropped account stays frozen until it verifies.
    assert_eq!(state(app, &tb).await["status"], "FROZEN");
}

async fn deregistered_enterprise_drops_its_accounts(app: TestApp) {
    failed_registry_check(&app, "DEREGISTERED", false).await;
}

async fn mismatched_enterprise_drops_its_accounts(app: TestApp) {
    failed_registry_check(&app, "MISMATCH", true).await;
}

// ---------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------

async fn hostile_enterprise_input_is_refused_and_nothing_stored(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "hostile-ent@example.com").await;
    let code = credit_code(2001);
    let base = |method: &str| enterprise(method, "正常公司", &code, 71);
    let body = &code[..17];
    let mut wrong_check = code.clone();
    wrong_check.replace_range(17.., if code.ends_with('0') { "1" } else { "0" });
    let mut cases: Vec<(Value, &str, Option<&str>)> = vec![
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!("公".repeat(101)),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!(""),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!("正常\u{0000}公司"),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!("正常\n公司"),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!("正常\u{200B}公司"),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "enterpriseName",
                json!("正常\u{202E}公司"),
            ),
            "INVALID_INPUT",
            Some("enterpriseName"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "legalPersonName",
                json!("王\u{0008}五"),
            ),
            "INVALID_INPUT",
            Some("legalPersonName"),
        ),
        (
            with(
                base("CORPORATE_REMITTANCE"),
                "bankAccount",
                json!("1234567"),
            ),
            "INVALID_INPUT",
            Some("bankAccount"),
        ),
        (
            with(
                base("CORPORATE_REMITTANCE"),
                "bankAccount",
                json!("1".repeat(35)),
            ),
            "INVALID_INPUT",
            Some("bankAccount"),
        ),
        (
            with(
                base("CORPORATE_REMITTANCE"),
                "bankAccount",
                json!("6222'; DROP TABLE x;--"),
            ),
            "INVALID_INPUT",
            Some("bankAccount"),
        ),
        (
            with(base("CORPORATE_REMITTANCE"), "bankAccount", Value::Null),
            "INVALID_INPUT",
            Some("bankAccount"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "creditCode",
                json!(wrong_check),
            ),
            "INVALID_INPUT",
            Some("creditCode"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "creditCode",
                json!("9".repeat(31)),
            ),
            "INVALID_INPUT",
            Some("creditCode"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "creditCode",
                json!("12345"),
            ),
            "INVALID_INPUT",
            Some("creditCode"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "creditCode",
                json!("ABC_12345"),
            ),
            "INVALID_INPUT",
            Some("creditCode"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "legalPersonIdNumber",
                json!(crate::identities::with_wrong_check(&legal_person_id(71))),
            ),
            "INVALID_INPUT",
            Some("legalPersonIdNumber"),
        ),
        (
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "contactPhone",
                json!("12ab"),
            ),
            "INVALID_INPUT",
            Some("contactPhone"),
        ),
        (base("WECHAT_SCAN"), "METHOD_NOT_AVAILABLE", Some("method")),
        (
            base("FACE_RECOGNITION"),
            "METHOD_NOT_AVAILABLE",
            Some("method"),
        ),
        (base("ID_DOCUMENT"), "METHOD_NOT_AVAILABLE", Some("method")),
    ];
    // I, O, S, V and Z are not in the credit-code alphabet, wherever they stand.
    for letter in ["I", "O", "S", "V", "Z"] {
        let mut bad = body.to_owned();
        bad.replace_range(10..11, letter);
        bad.push_str(&code[17..]);
        cases.push((
            with(base("WECHAT_OFFICIAL_PLATFORM"), "creditCode", json!(bad)),
            "INVALID_INPUT",
            Some("creditCode"),
        ));
        cases.push((
            with(
                base("WECHAT_OFFICIAL_PLATFORM"),
                "creditCode",
                json!(format!("{body}{letter}")),
            ),
            "INVALID_INPUT",
            Some("creditCode"),
        ));
    }
    for (input, code_expected, field) in cases {
        let (payload, out) = submit_enterprise_full(&app, &token, input.clone()).await;
        // RULE VER-02: only enterprise methods verify an enterprise.
        // RULE VER-17: an 18-character credit code must be a valid GB 32100 code.
        assert_eq!(error_code(&payload), code_expected, "{input} -> {payload}");
        if let Some(field) = field {
            // The whole class of hostile input is refused at the field at fault.
            assert_eq!(
                payload["userErrors"][0]["field"],
                json!(["input", field]),
                "{input} -> {payload}"
            );
        }
        assert!(payload["verification"].is_null(), "{payload}");
        assert_hidden(&out, &[&legal_person_id(71)]);
        let now = state(&app, &token).await;
        assert_eq!(
            now["verificationHistory"]["totalCount"], 0,
            "{input} stored something: {now}"
        );
        assert_eq!(now["verificationStatus"], "UNVERIFIED");
    }
    // The limits themselves are accepted: a 100-character name.
    let verification = submitted(
        &app,
        &token,
        with(
            base("WECHAT_OFFICIAL_PLATFORM"),
            "enterpriseName",
            json!("公".repeat(100)),
        ),
        "APPROVED",
    )
    .await;
    assert_eq!(verification["subjectName"], format!("公{}", "*".repeat(99)));
}

async fn other_accounts_verification_ids_are_not_found(app: TestApp) {
    let (owner, _) = app.register_email("CHINA", "remit-owner@example.com").await;
    let (stranger, _) = app
        .register_email("CHINA", "remit-stranger@example.com")
        .await;
    let verification = submitted(
        &app,
        &owner,
        enterprise("CORPORATE_REMITTANCE", "所有者公司", &credit_code(2101), 72),
        "PENDING",
    )
    .await;
    let amount = remittance_amount(&app, &verification["id"]).await;
    let payload = confirm(&app, &stranger, &verification["id"], &amount).await;
    // RULE SUB-08: another root account's object answers NOT_FOUND.
    assert_refused(&payload, "NOT_FOUND", None);
    let (payload, _) = mutation(
        &app,
        &stranger,
        WITHDRAW,
        json!({ "verificationId": verification["id"] }),
        "withdrawVerification",
    )
    .await;
    assert_refused(&payload, "NOT_FOUND", None);
    let now = state(&app, &owner).await;
    assert_eq!(now["pendingVerification"]["remittanceAttemptsLeft"], 2);
    assert_eq!(now["pendingVerification"]["state"], "PENDING");
}

db_test!(
    unproven_requests_cannot_squat_the_quota,
    foreign_legal_person_may_not_use_the_legal_person_methods,
    china_site_refuses_enterprises_from_outside_the_mainland,
    young_licence_fails_the_legal_person_methods,
    china_enterprise_verifies_three_accounts_unless_raised,
    international_enterprise_holds_ten_places_pending_included,
    remittance_confirmed_after_one_wrong_amount,
    two_wrong_remittance_amounts_end_the_attempt,
    remittance_expires_after_seven_days,
    recharge_of_the_named_amount_verifies,
    unpaid_recharge_expires_after_seven_days,
    late_recharge_report_expires_the_request,
    enterprise_changes_are_reviewed_and_keep_the_old_in_force,
    enterprise_change_needs_its_type_and_the_right_code,
    enterprise_change_waits_thirty_days_after_the_last_decision,
    rejected_enterprise_change_keeps_the_old,
    enterprise_cannot_change_to_an_individual,
    legacy_registration_number_is_completed,
    online_name_change_needs_a_code_starting_with_nine,
    enterprise_contact_is_editable_and_masked,
    deregistered_enterprise_drops_its_accounts,
    mismatched_enterprise_drops_its_accounts,
    hostile_enterprise_input_is_refused_and_nothing_stored,
    other_accounts_verification_ids_are_not_found,
);
