//! VER: real-name verification of individuals (RULES.md VER-01..05, VER-08, VER-13..15,
//! VER-20, VER-22), end to end over the console and ops GraphQL APIs, on both databases:
//! instant methods and the provider's rejection, manual review on INTERNATIONAL, age and
//! region rules, the per-site identity quota, states and final decisions, changes, the
//! capabilities an account gains, masking, and hostile input that must change nothing.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, resident_id, with_wrong_check},
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const DAY: i64 = 86_400;

const SUBMIT_INDIVIDUAL: &str = "mutation($i: SubmitIndividualVerificationInput!) {
    submitIndividualVerification(input: $i) {
        userErrors { code field message }
        verification { id subjectKind method changeType state region subjectName
            identityNumber rejectionReason submittedAt decidedAt nextChangeAllowedAt inForce }
        account { verificationStatus } } }";

const SUBMIT_ENTERPRISE: &str = "mutation($i: SubmitEnterpriseVerificationInput!) {
    submitEnterpriseVerification(input: $i) {
        userErrors { code field message }
        verification { id subjectKind method changeType state region inForce }
        account { verificationStatus } } }";

const WITHDRAW: &str = "mutation($i: WithdrawVerificationInput!) {
    withdrawVerification(input: $i) {
        userErrors { code field message }
        verification { id state decidedAt }
        account { verificationStatus } } }";

/// The console's verification page: status, what is in force, what is pending, the
/// history (newest first) and the capabilities.
const PAGE: &str = "{ viewer { account { accountId status freezeReasons verificationStatus
    verification { id subjectKind method changeType state region subjectName identityNumber
        rejectionReason submittedAt decidedAt nextChangeAllowedAt inForce }
    pendingVerification { id subjectKind method changeType state region subjectName
        identityNumber rejectionReason submittedAt decidedAt inForce }
    verificationHistory(first: 50) { totalCount edges { node { id subjectKind method
        changeType state region subjectName identityNumber rejectionReason decidedAt inForce } } }
    capabilities { capability allowed reason } } } }";

const CAPABILITIES: [&str; 6] = [
    "PURCHASE",
    "USE_MAINLAND_RESOURCES",
    "INVOICE",
    "ONLINE_CONTRACT",
    "PUBLIC_BETA",
    "PARTNER",
];

/// An individual's request.
fn person(method: &str, region: &str, name: &str, id_number: &str, birth_date: &str) -> Value {
    json!({ "method": method, "region": region, "name": name,
            "idNumber": id_number, "birthDate": birth_date })
}

/// A mainland resident born 1990-01-01, WeChat scan, ID numbered by `seq`.
fn mainland(name: &str, seq: u32) -> Value {
    person(
        "WECHAT_SCAN",
        "MAINLAND",
        name,
        &resident_id("19900101", seq),
        "1990-01-01",
    )
}

/// An INTERNATIONAL-site ID-document request of an overseas resident.
fn overseas_document(name: &str, passport: &str) -> Value {
    person("ID_DOCUMENT", "OVERSEAS", name, passport, "1985-05-05")
}

/// An enterprise that verifies at once (WeChat official platform).
fn enterprise(name: &str, seq: u32) -> Value {
    json!({ "method": "WECHAT_OFFICIAL_PLATFORM", "region": "MAINLAND", "enterpriseName": name,
            "creditCode": credit_code(seq), "legalPersonName": "王五",
            "legalPersonIdNumber": resident_id("19800202", 900 + seq) })
}

/// `submitIndividualVerification`'s payload (no top-level error allowed).
async fn submit(app: &TestApp, token: &str, input: Value) -> Value {
    let out = app
        .gql_as(Some(token), SUBMIT_INDIVIDUAL, json!({ "i": input }))
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["submitIndividualVerification"].clone()
}

/// `submitEnterpriseVerification`'s payload (no top-level error allowed).
async fn submit_enterprise(app: &TestApp, token: &str, input: Value) -> Value {
    let out = app
        .gql_as(Some(token), SUBMIT_ENTERPRISE, json!({ "i": input }))
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["submitEnterpriseVerification"].clone()
}

/// Submits and asserts the request was accepted in `state`; returns the verification.
async fn submitted(app: &TestApp, token: &str, input: Value, state: &str) -> Value {
    let payload = submit(app, token, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["verification"]["state"], state, "{payload}");
    payload["verification"].clone()
}

/// The whole `withdrawVerification` response (top-level errors included).
async fn withdraw(app: &TestApp, token: &str, verification_id: &str) -> Value {
    app.gql_as(
        Some(token),
        WITHDRAW,
        json!({ "i": { "verificationId": verification_id } }),
    )
    .await
}

/// The account page as JSON.
async fn page(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), PAGE, json!({})).await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

/// The ops `reviewVerification` result: `{ ok message }`.
async fn review(
    app: &TestApp,
    verification_id: &str,
    approve: bool,
    reason: Option<&str>,
) -> Value {
    let out = app
        .ops(
            "mutation($v: ID!, $a: Boolean!, $r: String) {
                reviewVerification(verificationId: $v, approve: $a, reason: $r) { ok message } }",
            json!({ "v": verification_id, "a": approve, "r": reason }),
        )
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["reviewVerification"].clone()
}

/// The verification IDs ops `pendingReviews` lists, with their account IDs and methods.
async fn pending_reviews(app: &TestApp) -> Vec<Value> {
    let out = app
        .ops(
            "{ pendingReviews(first: 100) { verificationId accountId method submittedAt } }",
            json!({}),
        )
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["pendingReviews"]
        .as_array()
        .expect("a list")
        .clone()
}

fn listed(reviews: &[Value], verification_id: &str) -> Option<Value> {
    reviews
        .iter()
        .find(|r| r["verificationId"] == verification_id)
        .cloned()
}

/// Asserts a refused payload: the code, the field (when given), and nothing created.
fn assert_refused(payload: &Value, code: &str, field: Option<&[&str]>) {
    assert_eq!(error_code(payload), code, "{payload}");
    if let Some(field) = field {
        assert_eq!(payload["userErrors"][0]["field"], json!(field), "{payload}");
    }
    assert!(payload["verification"].is_null(), "{payload}");
}

fn id_of(verification: &Value) -> String {
    verification["id"]
        .as_str()
        .expect("a verification ID")
        .to_owned()
}

fn ts(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a DateTime"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// The history's states, newest first.
fn history_states(page: &Value) -> Vec<String> {
    page["verificationHistory"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["state"].as_str().expect("a state").to_owned())
        .collect()
}

/// How many verifications of the history are in force.
fn in_force_count(page: &Value) -> usize {
    page["verificationHistory"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["inForce"] == true)
        .count()
}

/// The sandbox clock's date on the CHINA site (UTC+8: ages count in the site's time zone),
/// kept clear of midnight so that "today" cannot roll over during the scenario.
async fn sandbox_today(app: &TestApp) -> NaiveDate {
    let now = |out: Value| ts(&out["data"]["now"]) + Duration::hours(8);
    let mut at = now(app.ops("{ now }", json!({})).await);
    if at.date_naive() != (at + Duration::minutes(10)).date_naive() {
        app.advance(15 * 60).await;
        at = now(app.ops("{ now }", json!({})).await);
    }
    at.date_naive()
}

/// Moves the clock `days` forward and signs in again (sessions last 12 hours).
async fn days_later(app: &TestApp, days: i64, site: &str, email: &str) -> String {
    app.advance(days * DAY).await;
    let out = app
        .gql(
            "mutation($i: SignInInput!) { signIn(input: $i) {
                userErrors { code message } session { token } } }",
            json!({ "i": { "site": site, "email": email, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(out["data"]["signIn"]["userErrors"], json!([]), "{out}");
    out["data"]["signIn"]["session"]["token"]
        .as_str()
        .expect("a session token")
        .to_owned()
}

/// `years` before `date`, same month and day (`None` for 29 February in a common year).
fn years_before(date: NaiveDate, years: i32) -> Option<NaiveDate> {
    date.with_year(date.year() - years)
}

/// The capability grants as (name, allowed, has a reason).
fn grants(page: &Value) -> Vec<(String, bool, bool)> {
    page["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .map(|g| {
            let reason = g["reason"].as_str().is_some_and(|r| !r.trim().is_empty());
            (
                g["capability"].as_str().expect("a capability").to_owned(),
                g["allowed"].as_bool().expect("allowed"),
                reason,
            )
        })
        .collect()
}

fn all_denied() -> Vec<(String, bool, bool)> {
    CAPABILITIES
        .iter()
        .map(|c| ((*c).to_owned(), false, true))
        .collect()
}

// ---------------------------------------------------------------------------------------
// VER-01: one subject per account
// ---------------------------------------------------------------------------------------

async fn a_verified_accounts_next_submission_is_a_change_of_its_one_subject(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "one-subject@example.com").await;
    let first = submitted(&app, &token, mainland("张三", 101), "APPROVED").await;
    assert_eq!(first["subjectKind"], "INDIVIDUAL");
    assert_eq!(first["changeType"], "INITIAL");

    let token = days_later(&app, 31, "CHINA", "one-subject@example.com").await;
    let second = submitted(&app, &token, mainland("李四", 102), "APPROVED").await;
    // RULE VER-01: the next submission replaces the subject, it never adds a second one.
    assert_eq!(second["changeType"], "CHANGE_INDIVIDUAL");
    let after_change = page(&app, &token).await;
    assert_eq!(after_change["verificationHistory"]["totalCount"], 2);
    assert_eq!(in_force_count(&after_change), 1, "{after_change}");
    assert_eq!(after_change["verification"]["id"], second["id"]);
    assert_eq!(after_change["verification"]["subjectKind"], "INDIVIDUAL");

    let third = submit_enterprise(&app, &token, enterprise("一体科技有限公司", 101)).await;
    assert_eq!(third["userErrors"], json!([]), "{third}");
    assert_eq!(third["verification"]["state"], "APPROVED", "{third}");
    let after_enterprise = page(&app, &token).await;
    // RULE VER-01: one subject in force, and the page says which kind it is.
    assert_eq!(after_enterprise["verificationHistory"]["totalCount"], 3);
    assert_eq!(in_force_count(&after_enterprise), 1, "{after_enterprise}");
    assert_eq!(
        after_enterprise["verification"]["id"],
        third["verification"]["id"]
    );
    assert_eq!(
        after_enterprise["verification"]["subjectKind"],
        "ENTERPRISE"
    );
    assert_eq!(after_enterprise["verificationStatus"], "VERIFIED");
    assert!(after_enterprise["pendingVerification"].is_null());
}

// ---------------------------------------------------------------------------------------
// VER-02: CHINA individual methods are decided at once
// ---------------------------------------------------------------------------------------

async fn each_china_individual_method_approves_at_once(app: TestApp) {
    for (n, method) in ["WECHAT_SCAN", "QQ_SCAN", "FACE_RECOGNITION"]
        .into_iter()
        .enumerate()
    {
        let seq = 201 + u32::try_from(n).unwrap();
        let (token, _) = app
            .register_email("CHINA", &format!("instant{n}@example.com"))
            .await;
        let input = person(
            method,
            "MAINLAND",
            "张三",
            &resident_id("19900101", seq),
            "1990-01-01",
        );
        let payload = submit(&app, &token, input).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        let v = &payload["verification"];
        // RULE VER-02: instant methods are decided at submission.
        assert_eq!(v["state"], "APPROVED", "{method}: {payload}");
        assert_eq!(v["method"], method);
        assert_eq!(v["inForce"], true);
        assert_eq!(v["decidedAt"], v["submittedAt"], "{payload}");
        assert_eq!(payload["account"]["verificationStatus"], "VERIFIED");
        assert!(page(&app, &token).await["pendingVerification"].is_null());
    }

    // The CHINA site has no document review for mainland individuals.
    let (token, _) = app.register_email("CHINA", "no-document@example.com").await;
    let refused = submit(
        &app,
        &token,
        person(
            "ID_DOCUMENT",
            "MAINLAND",
            "张三",
            &resident_id("19900101", 204),
            "1990-01-01",
        ),
    )
    .await;
    // RULE VER-02
    assert_refused(&refused, "METHOD_NOT_AVAILABLE", Some(&["input", "method"]));
}

async fn a_provider_rejection_carries_its_reason_and_the_user_submits_again(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "rejected@example.com").await;
    let payload = submit(&app, &token, mainland("REJECT:face mismatch", 211)).await;
    // A rejection is a decision, not a refused request.
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    // RULE VER-02: the provider decides at once, here against the user.
    assert_eq!(payload["verification"]["state"], "REJECTED", "{payload}");
    // RULE VER-13: with a reason the user can read.
    assert_eq!(payload["verification"]["rejectionReason"], "face mismatch");
    assert_eq!(payload["verification"]["inForce"], false);
    assert!(payload["verification"]["decidedAt"].is_string());
    assert_eq!(payload["account"]["verificationStatus"], "UNVERIFIED");
    let rejected = page(&app, &token).await;
    assert!(rejected["verification"].is_null());
    assert!(rejected["pendingVerification"].is_null());

    // RULE VER-13: a rejected user submits again (the same identity: a rejection holds no
    // quota place and no pending request).
    let again = submitted(&app, &token, mainland("张三", 211), "APPROVED").await;
    assert_eq!(again["changeType"], "INITIAL");
    let after = page(&app, &token).await;
    assert_eq!(after["verificationStatus"], "VERIFIED");
    assert_eq!(history_states(&after), ["APPROVED", "REJECTED"]);
    assert_eq!(
        after["verificationHistory"]["edges"][1]["node"]["rejectionReason"],
        "face mismatch"
    );
}

// ---------------------------------------------------------------------------------------
// VER-03: INTERNATIONAL documents are reviewed by an operator
// ---------------------------------------------------------------------------------------

async fn an_international_document_is_reviewed_rejected_then_approved(app: TestApp) {
    let email = "review@example.com";
    let (token, account) = app.register_email("INTERNATIONAL", email).await;
    let account_id = account["accountId"].as_str().unwrap().to_owned();

    let first = submitted(
        &app,
        &token,
        overseas_document("John Smith", "P1234567"),
        "PENDING",
    )
    .await;
    let first_id = id_of(&first);
    // RULE VER-03: an ID document waits for manual review.
    assert!(first["decidedAt"].is_null(), "{first}");
    let waiting = page(&app, &token).await;
    assert_eq!(waiting["verificationStatus"], "PENDING");
    assert_eq!(waiting["pendingVerification"]["id"], first_id.as_str());
    assert!(waiting["verification"].is_null());
    let reviews = pending_reviews(&app).await;
    let entry = listed(&reviews, &first_id).expect("listed for review");
    // RULE VER-03: the operator's queue lists it.
    assert_eq!(entry["accountId"], account_id.as_str());
    assert_eq!(entry["method"], "ID_DOCUMENT");

    let rejected = review(&app, &first_id, false, Some("the photo is unreadable")).await;
    assert_eq!(rejected["ok"], true, "{rejected}");
    let after_reject = page(&app, &token).await;
    let node = &after_reject["verificationHistory"]["edges"][0]["node"];
    // RULE VER-03: the review can reject with a reason the user reads.
    assert_eq!(node["state"], "REJECTED");
    assert_eq!(node["rejectionReason"], "the photo is unreadable");
    assert_eq!(after_reject["verificationStatus"], "UNVERIFIED");
    assert!(listed(&pending_reviews(&app).await, &first_id).is_none());
    let outbox = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 10) { purpose body } }",
            json!({ "t": email }),
        )
        .await;
    let rejection_notice = outbox["data"]["outbox"][0].clone();
    // RULE VER-03: the decision is sent to the security e-mail.
    assert_eq!(
        rejection_notice["purpose"], "VERIFICATION_DECISION",
        "{outbox}"
    );
    assert!(
        rejection_notice["body"]
            .as_str()
            .unwrap()
            .contains("the photo is unreadable"),
        "{outbox}"
    );

    let second = submitted(
        &app,
        &token,
        overseas_document("John Smith", "P1234567"),
        "PENDING",
    )
    .await;
    let second_id = id_of(&second);
    assert!(listed(&pending_reviews(&app).await, &second_id).is_some());
    let approved = review(&app, &second_id, true, None).await;
    assert_eq!(approved["ok"], true, "{approved}");
    let after_approve = page(&app, &token).await;
    // RULE VER-03: the review can approve.
    assert_eq!(after_approve["verificationStatus"], "VERIFIED");
    assert_eq!(after_approve["verification"]["id"], second_id.as_str());
    assert_eq!(after_approve["verification"]["state"], "APPROVED");
    assert_eq!(after_approve["verification"]["method"], "ID_DOCUMENT");
    assert_eq!(history_states(&after_approve), ["APPROVED", "REJECTED"]);
    let outbox = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 10) { purpose body } }",
            json!({ "t": email }),
        )
        .await;
    let decisions: Vec<&Value> = outbox["data"]["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["purpose"] == "VERIFICATION_DECISION")
        .collect();
    // RULE VER-03: both decisions reached the outbox, the approval last.
    assert_eq!(decisions.len(), 2, "{outbox}");
    assert!(
        decisions[0]["body"].as_str().unwrap().contains("approved"),
        "{outbox}"
    );
}

// ---------------------------------------------------------------------------------------
// VER-04: at least 18 years old
// ---------------------------------------------------------------------------------------

async fn an_individual_must_be_eighteen_on_the_day_of_submission(app: TestApp) {
    let mut today = sandbox_today(&app).await;
    if years_before(today, 18).is_none() {
        // 29 February: step to 1 March so "18 years ago today" exists.
        app.advance(DAY).await;
        today = sandbox_today(&app).await;
    }
    let eighteen_today = years_before(today, 18).unwrap();
    let seventeen = eighteen_today + Duration::days(1);
    let tomorrow = today + Duration::days(1);
    let compact = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();

    let (token, _) = app.register_email("CHINA", "age@example.com").await;
    let young = submit(
        &app,
        &token,
        person(
            "WECHAT_SCAN",
            "MAINLAND",
            "张三",
            &resident_id(&compact(seventeen), 401),
            &iso(seventeen),
        ),
    )
    .await;
    // RULE VER-04: 18 tomorrow is still 17 today.
    assert_refused(&young, "UNDERAGE", Some(&["input", "birthDate"]));

    let unborn = submit(
        &app,
        &token,
        person(
            "WECHAT_SCAN",
            "MAINLAND",
            "张三",
            &resident_id(&compact(tomorrow), 402),
            &iso(tomorrow),
        ),
    )
    .await;
    // RULE VER-04: a birth date in the future is not a date of birth.
    assert_refused(&unborn, "INVALID_INPUT", Some(&["input", "birthDate"]));
    assert_eq!(
        page(&app, &token).await["verificationHistory"]["totalCount"],
        0
    );

    let adult = submitted(
        &app,
        &token,
        person(
            "WECHAT_SCAN",
            "MAINLAND",
            "张三",
            &resident_id(&compact(eighteen_today), 403),
            &iso(eighteen_today),
        ),
        "APPROVED",
    )
    .await;
    // RULE VER-04: 18 today is old enough.
    assert_eq!(adult["inForce"], true);
}

// ---------------------------------------------------------------------------------------
// VER-05: Hong Kong, Macao, Taiwan and overseas individuals
// ---------------------------------------------------------------------------------------

async fn hong_kong_macao_taiwan_use_wechat_scan_and_overseas_the_other_site(app: TestApp) {
    let documents = [
        ("HONG_KONG", "H12345678"),
        ("MACAO", "M23456789"),
        ("TAIWAN", "T34567890"),
    ];
    for (n, (region, document)) in documents.into_iter().enumerate() {
        let (token, _) = app
            .register_email("CHINA", &format!("sar{n}@example.com"))
            .await;
        for method in ["QQ_SCAN", "FACE_RECOGNITION", "ID_DOCUMENT"] {
            let refused = submit(
                &app,
                &token,
                person(method, region, "陈大文", document, "1990-01-01"),
            )
            .await;
            // RULE VER-05: only WECHAT_SCAN for these regions on the CHINA site.
            assert_refused(&refused, "METHOD_NOT_AVAILABLE", Some(&["input", "method"]));
        }
        assert_eq!(
            page(&app, &token).await["verificationHistory"]["totalCount"],
            0
        );
        let ok = submitted(
            &app,
            &token,
            person("WECHAT_SCAN", region, "陈大文", document, "1990-01-01"),
            "APPROVED",
        )
        .await;
        // RULE VER-05: WeChat scan with a travel permit.
        assert_eq!(ok["region"], region);
    }

    let (token, _) = app.register_email("CHINA", "overseas@example.com").await;
    for method in ["WECHAT_SCAN", "QQ_SCAN", "FACE_RECOGNITION"] {
        let refused = submit(
            &app,
            &token,
            person(method, "OVERSEAS", "John Smith", "P1234567", "1990-01-01"),
        )
        .await;
        // RULE VER-05: overseas users are sent to the INTERNATIONAL site.
        assert_refused(&refused, "WRONG_SITE", Some(&["input", "region"]));
        let message = refused["userErrors"][0]["message"].as_str().unwrap();
        assert!(message.contains("INTERNATIONAL"), "{refused}");
    }
    let after = page(&app, &token).await;
    assert_eq!(after["verificationHistory"]["totalCount"], 0);
    assert_eq!(after["verificationStatus"], "UNVERIFIED");
}

// ---------------------------------------------------------------------------------------
// VER-08: one identity verifies at most 3 accounts per site
// ---------------------------------------------------------------------------------------

async fn one_identity_verifies_at_most_three_accounts_per_site(app: TestApp) {
    let number = resident_id("19900101", 801);
    let same = || mainland("张三", 801);
    let mut china = Vec::new();
    for n in 0..4 {
        let (token, _) = app
            .register_email("CHINA", &format!("quota{n}@example.com"))
            .await;
        china.push(token);
    }
    for token in &china[..3] {
        submitted(&app, token, same(), "APPROVED").await;
    }
    let fourth = submit(&app, &china[3], same()).await;
    // RULE VER-08: the fourth account of the site is refused, saying why.
    assert_refused(&fourth, "IDENTITY_QUOTA_EXCEEDED", None);
    // RULE VER-23: without telling how many accounts use the identity.
    let message = fourth["userErrors"][0]["message"].as_str().unwrap();
    assert!(message.contains("no verification place left"), "{fourth}");
    assert!(!message.chars().any(|c| c.is_ascii_digit()), "{fourth}");
    let refused_page = page(&app, &china[3]).await;
    assert_eq!(refused_page["verificationStatus"], "UNVERIFIED");
    assert_eq!(refused_page["verificationHistory"]["totalCount"], 0);

    // The same identity on the INTERNATIONAL site is counted there, from zero.
    let mut international = Vec::new();
    for n in 0..4 {
        let (token, _) = app
            .register_email("INTERNATIONAL", &format!("quota-intl{n}@example.com"))
            .await;
        international.push(token);
    }
    let in_review = || person("ID_DOCUMENT", "MAINLAND", "张三", &number, "1990-01-01");
    let mut pending_ids = Vec::new();
    for token in &international[..3] {
        // RULE VER-08: the other site's three accounts do not count here.
        let v = submitted(&app, token, in_review(), "PENDING").await;
        pending_ids.push(id_of(&v));
    }
    let held = submit(&app, &international[3], in_review()).await;
    // RULE VER-08: pending requests hold their places.
    assert_refused(&held, "IDENTITY_QUOTA_EXCEEDED", None);

    let withdrawn = withdraw(&app, &international[2], &pending_ids[2]).await;
    assert_eq!(
        withdrawn["data"]["withdrawVerification"]["verification"]["state"], "WITHDRAWN",
        "{withdrawn}"
    );
    // RULE VER-08: a withdrawn request frees its place.
    let freed = submitted(&app, &international[3], in_review(), "PENDING").await;
    let approved = review(&app, &id_of(&freed), true, None).await;
    assert_eq!(approved["ok"], true, "{approved}");
    assert_eq!(
        page(&app, &international[3]).await["verificationStatus"],
        "VERIFIED"
    );

    // The CHINA site is still full.
    let still_full = submit(&app, &china[3], same()).await;
    assert_refused(&still_full, "IDENTITY_QUOTA_EXCEEDED", None);
}

// ---------------------------------------------------------------------------------------
// VER-13: states; decisions are final
// ---------------------------------------------------------------------------------------

async fn pending_requests_are_withdrawn_and_decisions_are_final(app: TestApp) {
    let (token, _) = app
        .register_email("INTERNATIONAL", "states@example.com")
        .await;
    let first = submitted(
        &app,
        &token,
        overseas_document("Jane Doe", "X7654321"),
        "PENDING",
    )
    .await;
    let first_id = id_of(&first);
    let busy = submit(&app, &token, overseas_document("Jane Doe", "X7654322")).await;
    // RULE VER-13: one pending request at a time.
    assert_refused(&busy, "VERIFICATION_IN_PROGRESS", None);

    let out = withdraw(&app, &token, &first_id).await;
    assert!(out["errors"].is_null(), "{out}");
    let payload = &out["data"]["withdrawVerification"];
    // RULE VER-13: PENDING → WITHDRAWN by the user.
    assert_eq!(payload["userErrors"], json!([]), "{out}");
    assert_eq!(payload["verification"]["state"], "WITHDRAWN");
    assert_eq!(payload["verification"]["id"], first_id.as_str());
    assert_eq!(payload["account"]["verificationStatus"], "UNVERIFIED");
    let after = page(&app, &token).await;
    assert!(after["pendingVerification"].is_null(), "{after}");
    assert_eq!(history_states(&after), ["WITHDRAWN"]);
    assert!(listed(&pending_reviews(&app).await, &first_id).is_none());

    let again = withdraw(&app, &token, &first_id).await;
    // RULE VER-13: only a pending request can be withdrawn.
    assert_refused(&again["data"]["withdrawVerification"], "NOT_PENDING", None);
    let late_review = review(&app, &first_id, true, None).await;
    // RULE VER-13: a withdrawn request cannot be decided afterwards.
    assert_eq!(late_review["ok"], false, "{late_review}");
    assert_eq!(history_states(&page(&app, &token).await), ["WITHDRAWN"]);

    let second = submitted(
        &app,
        &token,
        overseas_document("Jane Doe", "X7654321"),
        "PENDING",
    )
    .await;
    let second_id = id_of(&second);
    let no_reason = review(&app, &second_id, false, None).await;
    // A rejection without a reason is not accepted.
    assert_eq!(no_reason["ok"], false, "{no_reason}");
    assert_eq!(
        page(&app, &token).await["pendingVerification"]["id"],
        second_id.as_str()
    );
    assert_eq!(
        review(&app, &second_id, false, Some("expired passport")).await["ok"],
        true
    );
    let overturn = review(&app, &second_id, true, None).await;
    // RULE VER-13: decisions are final.
    assert_eq!(overturn["ok"], false, "{overturn}");
    let withdraw_rejected = withdraw(&app, &token, &second_id).await;
    assert_refused(
        &withdraw_rejected["data"]["withdrawVerification"],
        "NOT_PENDING",
        None,
    );
    let rejected = page(&app, &token).await;
    assert_eq!(history_states(&rejected), ["REJECTED", "WITHDRAWN"]);
    assert_eq!(rejected["verificationStatus"], "UNVERIFIED");

    let third = submitted(
        &app,
        &token,
        overseas_document("Jane Doe", "X7654321"),
        "PENDING",
    )
    .await;
    let third_id = id_of(&third);
    assert_eq!(review(&app, &third_id, true, None).await["ok"], true);
    let reject_later = review(&app, &third_id, false, Some("changed my mind")).await;
    // RULE VER-13: an approval is final too.
    assert_eq!(reject_later["ok"], false, "{reject_later}");
    let approved = page(&app, &token).await;
    assert_eq!(
        history_states(&approved),
        ["APPROVED", "REJECTED", "WITHDRAWN"]
    );
    assert_eq!(approved["verification"]["id"], third_id.as_str());
    assert_eq!(approved["verificationStatus"], "VERIFIED");
}

// ---------------------------------------------------------------------------------------
// VER-14: a verified status is never removed
// ---------------------------------------------------------------------------------------

async fn no_mutation_removes_a_verified_status(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "kept@example.com").await;
    let approved = submitted(&app, &token, mainland("张三", 1401), "APPROVED").await;
    let approved_id = id_of(&approved);
    let out = withdraw(&app, &token, &approved_id).await;
    // RULE VER-14: withdrawing the approved verification is refused.
    assert_refused(&out["data"]["withdrawVerification"], "NOT_PENDING", None);
    let review_out = review(&app, &approved_id, false, Some("revoke")).await;
    // RULE VER-14: an operator review cannot revoke it either.
    assert_eq!(review_out["ok"], false, "{review_out}");
    let after = page(&app, &token).await;
    assert_eq!(after["verificationStatus"], "VERIFIED");
    assert_eq!(after["verification"]["id"], approved_id.as_str());
    assert_eq!(after["verification"]["inForce"], true);
    assert_eq!(history_states(&after), ["APPROVED"]);

    // A change under review that is withdrawn or rejected leaves the old subject in force.
    let (token, _) = app
        .register_email("INTERNATIONAL", "kept-intl@example.com")
        .await;
    let old = submitted(
        &app,
        &token,
        overseas_document("Jane Doe", "K1111111"),
        "PENDING",
    )
    .await;
    let old_id = id_of(&old);
    assert_eq!(review(&app, &old_id, true, None).await["ok"], true);
    let token = days_later(&app, 31, "INTERNATIONAL", "kept-intl@example.com").await;
    let change = submitted(
        &app,
        &token,
        overseas_document("Jane Roe", "K2222222"),
        "PENDING",
    )
    .await;
    assert_eq!(change["changeType"], "CHANGE_INDIVIDUAL");
    let during = page(&app, &token).await;
    assert_eq!(during["verificationStatus"], "VERIFIED");
    assert_eq!(during["verification"]["id"], old_id.as_str());
    let out = withdraw(&app, &token, &id_of(&change)).await;
    assert_eq!(
        out["data"]["withdrawVerification"]["verification"]["state"], "WITHDRAWN",
        "{out}"
    );
    let change = submitted(
        &app,
        &token,
        overseas_document("Jane Roe", "K2222222"),
        "PENDING",
    )
    .await;
    assert_eq!(
        review(&app, &id_of(&change), false, Some("blurred")).await["ok"],
        true
    );
    let after = page(&app, &token).await;
    // RULE VER-14: still verified, by the same subject.
    assert_eq!(after["verificationStatus"], "VERIFIED");
    assert_eq!(after["verification"]["id"], old_id.as_str());
    assert_eq!(after["verification"]["inForce"], true);
    assert_eq!(
        history_states(&after),
        ["REJECTED", "WITHDRAWN", "APPROVED"]
    );
}

// ---------------------------------------------------------------------------------------
// VER-15: changes
// ---------------------------------------------------------------------------------------

async fn an_individual_change_waits_thirty_days_and_supersedes_the_old_one(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "change@example.com").await;
    let old = submitted(&app, &token, mainland("张三", 1501), "APPROVED").await;
    let decided = ts(&old["decidedAt"]);
    // RULE VER-15: the next change may start 30 days after the decision in force.
    assert_eq!(
        ts(&old["nextChangeAllowedAt"]),
        decided + Duration::days(30)
    );

    let token = days_later(&app, 29, "CHINA", "change@example.com").await;
    let early = submit(&app, &token, mainland("李四", 1502)).await;
    // RULE VER-15: at day 29 the change is too soon.
    assert_refused(&early, "CHANGE_TOO_SOON", None);
    let at_day_29 = page(&app, &token).await;
    assert_eq!(
        ts(&at_day_29["verification"]["nextChangeAllowedAt"]),
        decided + Duration::days(30)
    );
    let day = at_day_29["verification"]["nextChangeAllowedAt"]
        .as_str()
        .unwrap()
        .get(..10)
        .unwrap()
        .to_owned();
    assert!(
        early["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&day),
        "the refusal names when: {early}"
    );
    assert_eq!(at_day_29["verificationHistory"]["totalCount"], 1);

    let token = days_later(&app, 2, "CHINA", "change@example.com").await;
    let same = submit(&app, &token, mainland("张三", 1501)).await;
    // RULE VER-15: changing to the identity already in force is no change.
    assert_refused(&same, "ALREADY_VERIFIED", None);

    let new = submitted(&app, &token, mainland("李四", 1502), "APPROVED").await;
    // RULE VER-15: at day 31 the change is allowed.
    assert_eq!(new["changeType"], "CHANGE_INDIVIDUAL");
    let after = page(&app, &token).await;
    // RULE VER-15: the approved change supersedes the old verification.
    assert_eq!(after["verification"]["id"], new["id"]);
    assert_eq!(after["verification"]["subjectName"], "李*");
    assert_eq!(after["verificationHistory"]["totalCount"], 2);
    let edges = &after["verificationHistory"]["edges"];
    assert_eq!(edges[0]["node"]["id"], new["id"]);
    assert_eq!(edges[0]["node"]["inForce"], true);
    assert_eq!(edges[1]["node"]["id"], old["id"]);
    assert_eq!(edges[1]["node"]["state"], "APPROVED");
    assert_eq!(edges[1]["node"]["inForce"], false);
    // The 30 days now count from the new decision.
    assert_eq!(
        ts(&after["verification"]["nextChangeAllowedAt"]),
        ts(&new["decidedAt"]) + Duration::days(30)
    );
    let next = submit(&app, &token, mainland("王五", 1503)).await;
    assert_refused(&next, "CHANGE_TOO_SOON", None);
}

async fn a_mainland_individual_cannot_become_an_overseas_one(app: TestApp) {
    let (token, _) = app
        .register_email("INTERNATIONAL", "mainland-intl@example.com")
        .await;
    let mainland_doc = |seq: u32| {
        person(
            "ID_DOCUMENT",
            "MAINLAND",
            "张三",
            &resident_id("19900101", seq),
            "1990-01-01",
        )
    };
    let old = submitted(&app, &token, mainland_doc(1511), "PENDING").await;
    assert_eq!(review(&app, &id_of(&old), true, None).await["ok"], true);
    let token = days_later(&app, 31, "INTERNATIONAL", "mainland-intl@example.com").await;

    let overseas = submit(&app, &token, overseas_document("Zhang San", "P7777777")).await;
    // RULE VER-15: mainland → overseas individual is not supported.
    assert_refused(&overseas, "CHANGE_NOT_SUPPORTED", None);
    let after = page(&app, &token).await;
    assert_eq!(after["verificationHistory"]["totalCount"], 1);
    assert!(after["pendingVerification"].is_null());

    // Another mainland identity is an allowed change, reviewed like any document.
    let change = submitted(&app, &token, mainland_doc(1512), "PENDING").await;
    assert_eq!(change["changeType"], "CHANGE_INDIVIDUAL");
    assert_eq!(change["region"], "MAINLAND");
}

async fn an_overdue_payment_blocks_a_change_but_not_a_first_verification(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "overdue@example.com").await;
    let account_id = account["accountId"].as_str().unwrap();
    let overdue = app
        .ops(
            "mutation($i: AccountStandingInput!) { setAccountStanding(input: $i) { ok message } }",
            json!({ "i": { "accountId": account_id, "overduePayment": true, "amountOwed": "12.00" } }),
        )
        .await;
    assert_eq!(
        overdue["data"]["setAccountStanding"]["ok"], true,
        "{overdue}"
    );
    // An initial verification is not a change: the overdue payment does not block it.
    submitted(&app, &token, mainland("张三", 1521), "APPROVED").await;
    let token = days_later(&app, 31, "CHINA", "overdue@example.com").await;

    let change = submit(&app, &token, mainland("李四", 1522)).await;
    // RULE VER-15: a change cannot start while a payment is overdue.
    assert_refused(&change, "OVERDUE_PAYMENT", None);
    let to_enterprise = submit_enterprise(&app, &token, enterprise("欠费科技有限公司", 1521)).await;
    // RULE VER-15: not even INDIVIDUAL → ENTERPRISE.
    assert_refused(&to_enterprise, "OVERDUE_PAYMENT", None);
    let after = page(&app, &token).await;
    assert_eq!(after["verificationHistory"]["totalCount"], 1);
    assert_eq!(after["verification"]["subjectName"], "张*");
}

async fn an_individual_becomes_an_enterprise_at_any_time(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "to-enterprise@example.com")
        .await;
    let person = submitted(&app, &token, mainland("张三", 1531), "APPROVED").await;
    // Day 1: an individual change would be too soon...
    let token = days_later(&app, 1, "CHINA", "to-enterprise@example.com").await;
    let individual = submit(&app, &token, mainland("李四", 1532)).await;
    assert_refused(&individual, "CHANGE_TOO_SOON", None);

    // ...an enterprise is not.
    let out = submit_enterprise(&app, &token, enterprise("转企科技有限公司", 1531)).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE VER-15: INDIVIDUAL → ENTERPRISE is allowed at any time.
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
    assert_eq!(out["verification"]["changeType"], "PERSONAL_TO_ENTERPRISE");
    assert_eq!(out["verification"]["subjectKind"], "ENTERPRISE");
    let after = page(&app, &token).await;
    assert_eq!(after["verification"]["id"], out["verification"]["id"]);
    assert_eq!(
        after["verificationHistory"]["edges"][1]["node"]["id"],
        person["id"]
    );
    assert_eq!(
        after["verificationHistory"]["edges"][1]["node"]["inForce"],
        false
    );

    // The explicit change type is accepted as well, on another account.
    let (token, _) = app
        .register_email("CHINA", "to-enterprise2@example.com")
        .await;
    submitted(&app, &token, mainland("王五", 1533), "APPROVED").await;
    let mut explicit = enterprise("明示科技有限公司", 1532);
    explicit["changeType"] = json!("PERSONAL_TO_ENTERPRISE");
    let out = submit_enterprise(&app, &token, explicit).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["changeType"], "PERSONAL_TO_ENTERPRISE");
}

// ---------------------------------------------------------------------------------------
// VER-20: capabilities
// ---------------------------------------------------------------------------------------

async fn capabilities_follow_the_verification_and_a_freeze(app: TestApp) {
    let (token, account) = app
        .register_email("INTERNATIONAL", "capable@example.com")
        .await;
    let unverified = page(&app, &token).await;
    // RULE VER-20: an unverified account may do none of these, each with its reason.
    assert_eq!(grants(&unverified), all_denied(), "{unverified}");

    let pending = submitted(
        &app,
        &token,
        overseas_document("John Smith", "C1234567"),
        "PENDING",
    )
    .await;
    let waiting = page(&app, &token).await;
    assert_eq!(waiting["verificationStatus"], "PENDING");
    // RULE VER-20: pending is not verified.
    assert_eq!(grants(&waiting), all_denied(), "{waiting}");

    assert_eq!(review(&app, &id_of(&pending), true, None).await["ok"], true);
    let verified = page(&app, &token).await;
    let allowed: Vec<(String, bool, bool)> = CAPABILITIES
        .iter()
        .map(|c| ((*c).to_owned(), true, false))
        .collect();
    // RULE VER-20: a verified account may do all of them.
    assert_eq!(grants(&verified), allowed, "{verified}");

    let frozen = app
        .ops(
            "mutation($a: String!) { freezeAccount(accountId: $a, reason: VIOLATION) { ok message } }",
            json!({ "a": account["accountId"] }),
        )
        .await;
    assert_eq!(frozen["data"]["freezeAccount"]["ok"], true, "{frozen}");
    let after = page(&app, &token).await;
    assert_eq!(after["status"], "FROZEN");
    assert_eq!(after["freezeReasons"], json!(["VIOLATION"]));
    assert_eq!(after["verificationStatus"], "VERIFIED");
    let expected: Vec<(String, bool, bool)> = CAPABILITIES
        .iter()
        .map(|c| {
            let buys = matches!(*c, "PURCHASE" | "USE_MAINLAND_RESOURCES");
            ((*c).to_owned(), !buys, buys)
        })
        .collect();
    // RULE VER-20: a frozen verified account loses buying and mainland resources only.
    assert_eq!(grants(&after), expected, "{after}");
}

// ---------------------------------------------------------------------------------------
// VER-22: masking
// ---------------------------------------------------------------------------------------

async fn names_and_numbers_are_masked_everywhere(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "masked@example.com").await;
    let number = resident_id("19900101", 2201);
    let payload = submit(
        &app,
        &token,
        person("WECHAT_SCAN", "MAINLAND", "张三丰", &number, "1990-01-01"),
    )
    .await;
    let v = &payload["verification"];
    let expected_number = format!("{}{}{}", &number[..1], "*".repeat(16), &number[17..]);
    // RULE VER-22: the name shows its first character, the number its first and last.
    assert_eq!(v["subjectName"], "张**", "{payload}");
    assert_eq!(v["identityNumber"], expected_number.as_str(), "{payload}");

    // A refused submission does not echo the number either.
    let refused = submit(
        &app,
        &token,
        person("WECHAT_SCAN", "MAINLAND", "张三丰", &number, "1990-01-02"),
    )
    .await;
    assert_refused(&refused, "INVALID_INPUT", Some(&["input", "idNumber"]));

    let id = id_of(v);
    let node = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { node(id: $id) { ... on Verification { id subjectName identityNumber } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        node["data"]["node"]["identityNumber"],
        expected_number.as_str()
    );
    let whole_page = app.gql_as(Some(&token), PAGE, json!({})).await;
    let texts = [
        payload.to_string(),
        refused.to_string(),
        node.to_string(),
        whole_page.to_string(),
    ];
    for text in &texts {
        for secret in [
            number.as_str(),
            &number[..17],
            &number[1..17],
            "张三丰",
            "三丰",
        ] {
            // RULE VER-22: no response holds the clear ID number or name.
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }

    // A passport number on INTERNATIONAL, before and after the review.
    let (token, _) = app
        .register_email("INTERNATIONAL", "masked-intl@example.com")
        .await;
    let pending = submitted(
        &app,
        &token,
        overseas_document("Marie Curie", "AB1234567"),
        "PENDING",
    )
    .await;
    // RULE VER-22
    assert_eq!(pending["subjectName"], "M**********");
    assert_eq!(pending["identityNumber"], "A*******7");
    assert_eq!(review(&app, &id_of(&pending), true, None).await["ok"], true);
    let text = app.gql_as(Some(&token), PAGE, json!({})).await.to_string();
    for secret in ["AB1234567", "B123456", "Marie", "Curie"] {
        // RULE VER-22
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile input: refused, and nothing changes
// ---------------------------------------------------------------------------------------

async fn hostile_individual_input_changes_nothing(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "hostile@example.com").await;
    let good_id = resident_id("19900101", 3001);
    let good = |name: &str, id_number: &str, birth: &str| {
        person("WECHAT_SCAN", "MAINLAND", name, id_number, birth)
    };
    let impossible_inside = resident_id("19900230", 3002);
    let mut enterprise_method = good("张三", &good_id, "1990-01-01");
    enterprise_method["method"] = json!("WECHAT_OFFICIAL_PLATFORM");
    let sar = |id_number: &str| {
        person(
            "WECHAT_SCAN",
            "HONG_KONG",
            "陈大文",
            id_number,
            "1990-01-01",
        )
    };

    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "65-character name",
            good(&"张".repeat(65), &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "bell in the name",
            good("张\u{7}三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "newline in the name",
            good("张\n三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "NUL in the name",
            good("张\u{0}三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "zero-width space",
            good("张\u{200B}三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "zero-width joiner",
            good("张\u{200D}三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "byte-order mark",
            good("\u{FEFF}张三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "right-to-left override",
            good("张\u{202E}三", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "empty name",
            good("", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "blank name",
            good("   ", &good_id, "1990-01-01"),
            "INVALID_INPUT",
            "name",
        ),
        (
            "wrong check character",
            good("张三", &with_wrong_check(&good_id), "1990-01-01"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "17 characters",
            good("张三", &good_id[..17], "1990-01-01"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "19 characters",
            good("张三", &format!("{good_id}0"), "1990-01-01"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "letters inside",
            good(
                "张三",
                &format!("11010519900101A{}", &good_id[15..]),
                "1990-01-01",
            ),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "impossible date inside",
            good("张三", &impossible_inside, "1990-02-28"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "birth date mismatch",
            good("张三", &good_id, "1990-01-02"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "empty ID number",
            good("张三", "", "1990-01-01"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "impossible birth date",
            good("张三", &good_id, "1990-02-30"),
            "INVALID_INPUT",
            "birthDate",
        ),
        (
            "slashed birth date",
            good("张三", &good_id, "1990/01/01"),
            "INVALID_INPUT",
            "birthDate",
        ),
        (
            "empty birth date",
            good("张三", &good_id, ""),
            "INVALID_INPUT",
            "birthDate",
        ),
        (
            "document without digits",
            sar("ABCDEFG"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "document too short",
            sar("H123"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "document too long",
            sar("H12345678901234567890"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "document with a space",
            sar("H123 4567"),
            "INVALID_INPUT",
            "idNumber",
        ),
        (
            "enterprise method",
            enterprise_method,
            "METHOD_NOT_AVAILABLE",
            "method",
        ),
    ];
    for (what, input, code, field) in cases {
        let payload = submit(&app, &token, input).await;
        // RULE VER-02 (methods), VER-04 (birth date), VER-22 (names and ID numbers are
        // personal data of a fixed shape): a malformed request is refused field by field.
        assert_eq!(error_code(&payload), code, "{what}: {payload}");
        assert_eq!(
            payload["userErrors"][0]["field"],
            json!(["input", field]),
            "{what}: {payload}"
        );
        assert!(payload["verification"].is_null(), "{what}: {payload}");
    }

    // Missing fields never reach the rules: a GraphQL validation error, no data.
    let mut missing_name = good("张三", &good_id, "1990-01-01");
    missing_name.as_object_mut().unwrap().remove("name");
    let mut null_id = good("张三", &good_id, "1990-01-01");
    null_id["idNumber"] = Value::Null;
    for input in [missing_name, null_id] {
        let out = app
            .gql_as(Some(&token), SUBMIT_INDIVIDUAL, json!({ "i": input }))
            .await;
        assert!(
            out["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "{out}"
        );
        assert!(out["data"].is_null(), "{out}");
    }

    // Another account's pending request.
    let (victim, _) = app
        .register_email("INTERNATIONAL", "victim@example.com")
        .await;
    let theirs = submitted(
        &app,
        &victim,
        overseas_document("Jane Doe", "V1234567"),
        "PENDING",
    )
    .await;
    let out = withdraw(&app, &token, &id_of(&theirs)).await;
    assert!(out["errors"].is_null(), "{out}");
    // RULE VER-13: only the owner withdraws a request; another's is not found.
    assert_refused(&out["data"]["withdrawVerification"], "NOT_FOUND", None);
    let foreign_node = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id_of(&theirs) }),
        )
        .await;
    assert!(foreign_node["data"]["node"].is_null(), "{foreign_node}");
    assert_eq!(
        page(&app, &victim).await["pendingVerification"]["id"],
        theirs["id"]
    );

    // A global ID of another type, and no global ID at all.
    let not_a_verification = account["id"].as_str().unwrap().to_owned();
    for id in [not_a_verification.as_str(), "not-an-id"] {
        let out = withdraw(&app, &token, id).await;
        assert_eq!(
            out["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{out}"
        );
        assert!(out["data"].is_null(), "{out}");
    }

    // Nothing was stored.
    let after = page(&app, &token).await;
    // RULE VER-13: a refused request leaves no verification in the history.
    assert_eq!(after["verificationHistory"]["totalCount"], 0, "{after}");
    assert_eq!(after["verificationStatus"], "UNVERIFIED");
    assert!(after["verification"].is_null());
    assert!(after["pendingVerification"].is_null());

    // The same form with a 64-character name passes: the refusals above were the input's.
    let ok = submitted(
        &app,
        &token,
        good(&"张".repeat(64), &good_id, "1990-01-01"),
        "APPROVED",
    )
    .await;
    assert_eq!(ok["subjectName"], format!("张{}", "*".repeat(63)));
}

db_test!(
    a_verified_accounts_next_submission_is_a_change_of_its_one_subject,
    each_china_individual_method_approves_at_once,
    a_provider_rejection_carries_its_reason_and_the_user_submits_again,
    an_international_document_is_reviewed_rejected_then_approved,
    an_individual_must_be_eighteen_on_the_day_of_submission,
    hong_kong_macao_taiwan_use_wechat_scan_and_overseas_the_other_site,
    one_identity_verifies_at_most_three_accounts_per_site,
    pending_requests_are_withdrawn_and_decisions_are_final,
    no_mutation_removes_a_verified_status,
    an_individual_change_waits_thirty_days_and_supersedes_the_old_one,
    a_mainland_individual_cannot_become_an_overseas_one,
    an_overdue_payment_blocks_a_change_but_not_a_first_verification,
    an_individual_becomes_an_enterprise_at_any_time,
    capabilities_follow_the_verification_and_a_freeze,
    names_and_numbers_are_masked_everywhere,
    hostile_individual_input_changes_nothing,
);
