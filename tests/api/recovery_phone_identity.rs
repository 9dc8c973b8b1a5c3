//! Recovery of a recycled secure phone (REC-06) and finding accounts by verified identity (REC-04), through GraphQL.
//!
//! REC-06 is played by three parties: the holders (accounts whose secure phone is the
//! number), the stranger who now has the number, and the scheduler that releases it after
//! the waiting period. Sessions last 12 hours and the waiting period is 7 days, so holders
//! sign in again after the clock moves. REC-04 needs accounts with a verification in force,
//! which WeChat scan (individuals) and the WeChat official platform (enterprises) give at
//! once in the sandbox.

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, resident_id},
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const DAY: i64 = 24 * 3600;
/// REC-06: the site policy's waiting period (`SitePolicy::phone_release_wait`).
const RELEASE_WAIT_SECONDS: i64 = 7 * DAY;
/// The sandbox clock is the wall clock plus an offset: this much real time may pass
/// between reading the clock and the server reading it.
const MARGIN_SECONDS: i64 = 60;
/// The face-check token the sandbox real-name provider accepts.
const FACE_OK: &str = "sandbox-face-ok";
/// ACC-07: a number may be the secure phone of this many accounts per site.
const PHONE_BINDING_LIMIT: usize = 5;

const VIEWER: &str = "{ viewer { account {
    accountId registeredAt registrationMethod securePhone securePhoneReleaseDeadline } } }";

const SEND_CODE: &str = "mutation($i: SendVerificationCodeInput!) {
    sendVerificationCode(input: $i) { userErrors { code field message } retryAfterSeconds } }";

const REQUEST_RELEASE: &str = "mutation($i: RequestPhoneReleaseInput!) {
    requestPhoneRelease(input: $i) { userErrors { code field message } holders releaseAt } }";

const KEEP: &str = "mutation($i: KeepSecurePhoneInput!) { keepSecurePhone(input: $i) {
    userErrors { code field message } account { securePhone securePhoneReleaseDeadline } } }";

const CHANGE_SECURE_PHONE: &str = "mutation($i: ChangeSecurePhoneInput!) {
    changeSecurePhone(input: $i) { userErrors { code field message } account { securePhone } } }";

const FIND_BY_IDENTITY: &str = "mutation($i: FindAccountsByIdentityInput!) {
    findAccountsByIdentity(input: $i) {
        userErrors { code field message retryAfterSeconds }
        accounts { accountId nickname registrationMethod registeredAt } } }";

fn ts(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a DateTime, got {value}"))
}

async fn server_now(app: &TestApp) -> DateTime<Utc> {
    ts(&app.ops("{ now }", json!({})).await["data"]["now"])
}

/// Asks for a code on the CHINA site and returns the whole payload: REC-06 wants the
/// answers for a held and an unheld number compared as they are.
async fn send_code(app: &TestApp, channel: &str, target: &str, purpose: &str) -> Value {
    let input =
        json!({ "channel": channel, "target": target, "purpose": purpose, "site": "CHINA" });
    app.mutate(None, SEND_CODE, "sendVerificationCode", input)
        .await
}

/// Waits out the one-code-per-target-per-minute rule first: the same number gets codes
/// for binding, releasing and keeping in one scenario.
async fn fresh_code(app: &TestApp, channel: &str, target: &str, purpose: &str) -> String {
    app.advance(61).await;
    let sent = send_code(app, channel, target, purpose).await;
    assert_eq!(sent["userErrors"], json!([]), "{sent}");
    app.last_code(target).await
}

/// A new CHINA session by e-mail and password (the clock moves past 12-hour sessions).
async fn session(app: &TestApp, email: &str) -> String {
    session_on(app, "CHINA", email).await
}

async fn session_on(app: &TestApp, site: &str, email: &str) -> String {
    let out = app
        .gql(
            "mutation($i: SignInInput!) { signIn(input: $i) {
                userErrors { code message } session { token } } }",
            json!({ "i": { "site": site, "email": email, "password": PASSWORD } }),
        )
        .await;
    out["data"]["signIn"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

/// The signed-in account; a top-level error fails the test.
async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), VIEWER, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

async fn change_secure_phone(app: &TestApp, token: &str, phone: &str, code: &str) -> Value {
    let input = json!({ "newPhone": phone, "newPhoneCode": code });
    app.mutate(Some(token), CHANGE_SECURE_PHONE, "changeSecurePhone", input)
        .await
}

/// An account without a secure phone (and without operation protection) binds one with
/// the code to the new number alone.
async fn bind_first_secure_phone(app: &TestApp, token: &str, phone: &str) {
    let code = fresh_code(app, "SMS", phone, "BIND_PHONE").await;
    let out = change_secure_phone(app, token, phone, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

/// A CHINA account registered by e-mail (its security e-mail is its login e-mail) that
/// holds `phone` as its secure phone; returns its session and account ID.
async fn holder(app: &TestApp, email: &str, phone: &str) -> (String, String) {
    let (token, account) = app.register_email("CHINA", email).await;
    bind_first_secure_phone(app, &token, phone).await;
    (token, account["accountId"].as_str().unwrap().to_owned())
}

async fn request_release(app: &TestApp, phone: &str, code: &str) -> Value {
    let input = json!({ "site": "CHINA", "phone": phone, "code": code });
    app.mutate(None, REQUEST_RELEASE, "requestPhoneRelease", input)
        .await
}

/// The stranger's whole move: a PHONE_RELEASE code to the number, then the request.
/// Returns the payload and the server time just before the request.
async fn stranger_requests_release(app: &TestApp, phone: &str) -> (Value, DateTime<Utc>) {
    let code = fresh_code(app, "SMS", phone, "PHONE_RELEASE").await;
    let asked_at = server_now(app).await;
    let out = request_release(app, phone, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    (out, asked_at)
}

async fn keep(app: &TestApp, token: &str, code: &str) -> Value {
    app.mutate(
        Some(token),
        KEEP,
        "keepSecurePhone",
        json!({ "code": code }),
    )
    .await
}

/// "released N secure phones" from one `runScheduledJobs` answer, which must be ok.
fn released_count(out: &Value) -> u64 {
    let result = &out["data"]["runScheduledJobs"];
    assert_eq!(result["ok"], true, "{out}");
    let message = result["message"].as_str().unwrap_or_default();
    message
        .split("released ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("\"released N secure phones\" in {out}"))
}

/// Runs the scheduled work `runs` times at once (as several instances would) and returns
/// how many releases the runs made together: each due release must land exactly once.
async fn run_jobs_concurrently(app: &TestApp, runs: usize) -> u64 {
    let answers = join_all(
        (0..runs).map(|_| app.ops("mutation { runScheduledJobs { ok message } }", json!({}))),
    )
    .await;
    answers.iter().map(released_count).sum()
}

/// The messages the sandbox delivered to `target` with `purpose`, newest first.
async fn notices(app: &TestApp, target: &str, purpose: &str) -> Vec<Value> {
    let out = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 100) {
                channel target purpose code body sentAt } }",
            json!({ "t": target }),
        )
        .await;
    out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("an outbox in {out}"))
        .iter()
        .filter(|m| m["purpose"] == purpose)
        .cloned()
        .collect()
}

/// Asserts two deadlines are the same instant. PostgreSQL keeps microseconds while the
/// server computes in nanoseconds, so a deadline read back may differ from the one the
/// request answered by less than a microsecond.
fn assert_same_instant(left: &Value, right: &Value) {
    let gap = (ts(left) - ts(right)).abs();
    assert!(
        gap < TimeDelta::microseconds(1),
        "{left} and {right} differ by {gap}"
    );
}

/// Asserts a deadline is the waiting period after `asked_at` (within the margin).
fn assert_release_wait(deadline: &Value, asked_at: DateTime<Utc>) {
    let wait = ts(deadline) - asked_at;
    let expected = TimeDelta::seconds(RELEASE_WAIT_SECONDS);
    assert!(
        wait >= expected && wait <= expected + TimeDelta::seconds(MARGIN_SECONDS),
        "deadline {deadline} is not 7 days after {asked_at}"
    );
}

/// Moves the clock to `seconds` after (or, negative, before) `deadline`.
async fn advance_to(app: &TestApp, deadline: &Value, seconds: i64) {
    let now = server_now(app).await;
    let target = ts(deadline) + TimeDelta::seconds(seconds);
    app.advance((target - now).num_seconds()).await;
}

/// A WeChat-scan verification of a mainland resident born 1990-01-01, approved at once.
async fn verify_person(app: &TestApp, token: &str, name: &str, id_number: &str) {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) {
                submitIndividualVerification(input: $i) {
                    userErrors { code field message } verification { state } } }",
            "submitIndividualVerification",
            json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": name,
                    "idNumber": id_number, "birthDate": "1990-01-01" }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

/// A WeChat-official-platform verification of a mainland enterprise, approved at once.
async fn verify_enterprise(app: &TestApp, token: &str, name: &str, code: &str, legal: &str) {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: SubmitEnterpriseVerificationInput!) {
                submitEnterpriseVerification(input: $i) {
                    userErrors { code field message } verification { state } } }",
            "submitEnterpriseVerification",
            json!({ "method": "WECHAT_OFFICIAL_PLATFORM", "region": "MAINLAND",
                    "enterpriseName": name, "creditCode": code, "legalPersonName": legal,
                    "legalPersonIdNumber": resident_id("19800101", 77),
                    "licenseIssuedOn": "2020-01-06" }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

/// Who is being looked up in `findAccountsByIdentity`.
struct Identity<'a> {
    kind: &'a str,
    name: &'a str,
    number: &'a str,
    legal_person: Option<&'a str>,
}

impl<'a> Identity<'a> {
    fn person(name: &'a str, number: &'a str) -> Self {
        Self {
            kind: "INDIVIDUAL",
            name,
            number,
            legal_person: None,
        }
    }
}

async fn find_by_identity(app: &TestApp, site: &str, who: &Identity<'_>, face: &str) -> Value {
    let input = json!({ "site": site, "subjectKind": who.kind, "subjectName": who.name,
        "identityNumber": who.number, "legalPersonName": who.legal_person,
        "faceCheckToken": face });
    app.mutate(None, FIND_BY_IDENTITY, "findAccountsByIdentity", input)
        .await
}

/// The account IDs of a successful look-up, in the order given.
fn found_ids(payload: &Value) -> Vec<String> {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("accounts in {payload}"))
        .iter()
        .map(|a| a["accountId"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_rate_limited(payload: &Value) {
    assert_eq!(error_code(payload), "RATE_LIMITED", "{payload}");
    let retry = payload["userErrors"][0]["retryAfterSeconds"].as_i64();
    assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{payload}");
    assert!(payload["accounts"].is_null(), "{payload}");
}

// ---------------------------------------------------------------------------------------
// REC-06 a recycled mobile number
// ---------------------------------------------------------------------------------------

async fn a_recycled_number_is_released_from_holders_that_do_not_keep_it(app: TestApp) {
    let phone = "13900001111";
    let unheld = "13900002222";
    // A: registered by e-mail, with a security e-mail of its own.
    let a_login = "keeper@example.com";
    let a_security = "keeper-security@example.com";
    let (a_token, _) = holder(&app, a_login, phone).await;
    let new_code = fresh_code(&app, "EMAIL", a_security, "BIND_EMAIL").await;
    let old_code = fresh_code(&app, "EMAIL", a_login, "OPERATION").await;
    let changed = app
        .mutate(
            Some(&a_token),
            "mutation($i: ChangeSecurityEmailInput!) { changeSecurityEmail(input: $i) {
                userErrors { code message } } }",
            "changeSecurityEmail",
            json!({ "newEmail": a_security, "newEmailCode": new_code,
                    "secondFactor": { "channel": "EMAIL", "code": old_code } }),
        )
        .await;
    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    // B: registered by WeChat, with a login e-mail and no security e-mail.
    let b_login = "forgetter@example.com";
    let (b_token, _) = app
        .register_provider("CHINA", "WECHAT", "wx-forgetter")
        .await;
    let code = fresh_code(&app, "EMAIL", b_login, "BIND_EMAIL").await;
    let bound = app
        .mutate(
            Some(&b_token),
            "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
                userErrors { code message } } }",
            "bindLoginMethod",
            json!({ "kind": "EMAIL", "email": b_login, "password": PASSWORD, "emailCode": code }),
        )
        .await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    bind_first_secure_phone(&app, &b_token, phone).await;
    // C: the same number on the INTERNATIONAL site.
    let c_login = "abroad-holder@example.com";
    let (c_token, _) = app.register_email("INTERNATIONAL", c_login).await;
    bind_first_secure_phone(&app, &c_token, phone).await;

    // The stranger asks for codes to the held number and to a number nobody holds.
    app.advance(61).await;
    let to_held = send_code(&app, "SMS", phone, "PHONE_RELEASE").await;
    let to_unheld = send_code(&app, "SMS", unheld, "PHONE_RELEASE").await;
    // RULE REC-06: the code request does not tell whether the number is anyone's secure phone.
    assert_eq!(to_held, to_unheld);
    assert_eq!(to_held["userErrors"], json!([]), "{to_held}");
    let held_code = app.last_code(phone).await;
    let unheld_code = app.last_code(unheld).await;

    let out = request_release(&app, unheld, &unheld_code).await;
    // RULE REC-06: a number nobody holds has nothing to release.
    assert_eq!(
        out,
        json!({ "userErrors": [], "holders": 0, "releaseAt": null })
    );

    let wrong = if held_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let out = request_release(&app, phone, wrong).await;
    // RULE REC-06: without proof of control of the number nothing is asked.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["userErrors"][0]["field"], json!(["input", "code"]));
    assert!(
        out["holders"].is_null() && out["releaseAt"].is_null(),
        "{out}"
    );
    for token in [&a_token, &b_token] {
        // RULE REC-06: a refused request starts no waiting period.
        assert!(viewer(&app, token).await["securePhoneReleaseDeadline"].is_null());
    }
    for email in [a_security, b_login] {
        // RULE REC-06: a refused request notifies nobody.
        assert!(
            notices(&app, email, "PHONE_RELEASE_REQUESTED")
                .await
                .is_empty()
        );
    }

    let asked_at = server_now(&app).await;
    let out = request_release(&app, phone, &held_code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE REC-06: both accounts of the site holding the number are asked to release it.
    assert_eq!(out["holders"], 2, "{out}");
    // RULE REC-06: the waiting period is 7 days.
    assert_release_wait(&out["releaseAt"], asked_at);
    let release_at = out["releaseAt"].clone();
    for token in [&a_token, &b_token] {
        let account = viewer(&app, token).await;
        // RULE REC-06: each holder sees when its secure phone goes unless kept.
        assert_same_instant(&account["securePhoneReleaseDeadline"], &release_at);
        assert_eq!(account["securePhone"], "139****1111", "{account}");
    }
    // RULE REC-06: the holder is told at its security e-mail...
    let told_a = notices(&app, a_security, "PHONE_RELEASE_REQUESTED").await;
    assert_eq!(told_a.len(), 1, "{told_a:?}");
    assert_eq!(told_a[0]["channel"], "EMAIL");
    assert!(
        notices(&app, a_login, "PHONE_RELEASE_REQUESTED")
            .await
            .is_empty()
    );
    // RULE REC-06: ...else at its login e-mail.
    assert_eq!(
        notices(&app, b_login, "PHONE_RELEASE_REQUESTED")
            .await
            .len(),
        1
    );
    // RULE REC-06: the other site's holder is not asked.
    assert!(viewer(&app, &c_token).await["securePhoneReleaseDeadline"].is_null());
    assert!(
        notices(&app, c_login, "PHONE_RELEASE_REQUESTED")
            .await
            .is_empty()
    );
    // RULE REC-06: never by the number in question, which the stranger holds.
    assert!(
        notices(&app, phone, "PHONE_RELEASE_REQUESTED")
            .await
            .is_empty()
    );
    let out = request_release(&app, phone, &held_code).await;
    // RULE REC-06: a spent code does not ask again.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");

    // A proves it still has the number; a wrong code first keeps nothing.
    let out = keep(&app, &a_token, wrong).await;
    // RULE REC-06: keeping needs a code sent to the secure phone.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_same_instant(
        &viewer(&app, &a_token).await["securePhoneReleaseDeadline"],
        &release_at,
    );
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = keep(&app, &a_token, &code).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE REC-06: a holder that proves control within the waiting period keeps the number.
    assert_eq!(
        out["account"],
        json!({ "securePhone": "139****1111", "securePhoneReleaseDeadline": null })
    );
    // RULE REC-06: one holder keeping does not end the other's waiting period.
    assert_same_instant(
        &viewer(&app, &b_token).await["securePhoneReleaseDeadline"],
        &release_at,
    );
    let out = keep(&app, &a_token, &code).await;
    // RULE REC-06: with nothing waiting there is nothing to keep.
    assert_eq!(error_code(&out), "NOT_PENDING", "{out}");

    advance_to(&app, &release_at, 60).await;
    // RULE REC-06: the release after the deadline lands once, however many runs race.
    assert_eq!(run_jobs_concurrently(&app, 3).await, 1);
    let b_token = session(&app, b_login).await;
    let b = viewer(&app, &b_token).await;
    // RULE REC-06: the holder that did not keep the number loses it.
    assert!(b["securePhone"].is_null(), "{b}");
    assert!(b["securePhoneReleaseDeadline"].is_null(), "{b}");
    let released = notices(&app, b_login, "SECURE_PHONE_RELEASED").await;
    // RULE REC-06: the released holder is told once.
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(released[0]["channel"], "EMAIL");
    let a_token = session(&app, a_login).await;
    let a = viewer(&app, &a_token).await;
    // RULE REC-06: the holder that kept the number still has it.
    assert_eq!(a["securePhone"], "139****1111", "{a}");
    assert!(a["securePhoneReleaseDeadline"].is_null(), "{a}");
    assert!(
        notices(&app, a_security, "SECURE_PHONE_RELEASED")
            .await
            .is_empty()
    );
    let c = viewer(&app, &session_on(&app, "INTERNATIONAL", c_login).await).await;
    // RULE REC-06: the other site's holder keeps the number.
    assert_eq!(c["securePhone"], "139****1111", "{c}");

    // Later runs find nothing more to do.
    assert_eq!(run_jobs_concurrently(&app, 1).await, 0);
    assert_eq!(
        notices(&app, b_login, "SECURE_PHONE_RELEASED").await.len(),
        1
    );
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = keep(&app, &b_token, &code).await;
    // RULE REC-06: a released number cannot be kept afterwards.
    assert_eq!(error_code(&out), "NOT_PENDING", "{out}");
    assert!(viewer(&app, &b_token).await["securePhone"].is_null());
}

async fn a_released_number_no_longer_counts_toward_the_binding_limit(app: TestApp) {
    let phone = "13900003333";
    let mut holders = Vec::new();
    for n in 0..PHONE_BINDING_LIMIT {
        let email = format!("holder{n}@example.com");
        let (token, _) = holder(&app, &email, phone).await;
        holders.push((email, token));
    }
    // The person who got the number now has an account of their own.
    let newcomer = "newcomer@example.com";
    let (newcomer_token, _) = app.register_email("CHINA", newcomer).await;
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = change_secure_phone(&app, &newcomer_token, phone, &code).await;
    // RULE ACC-07: five accounts already hold the number.
    assert_eq!(error_code(&out), "PHONE_BINDING_LIMIT", "{out}");

    let (out, _) = stranger_requests_release(&app, phone).await;
    // RULE REC-06: every holder is asked.
    assert_eq!(out["holders"], 5, "{out}");
    let release_at = out["releaseAt"].clone();
    for (_, token) in &holders[..2] {
        let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
        let kept = keep(&app, token, &code).await;
        assert_eq!(kept["userErrors"], json!([]), "{kept}");
    }
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = change_secure_phone(&app, &newcomer_token, phone, &code).await;
    // RULE REC-06 RULE ACC-07: a number waiting for release still counts until released.
    assert_eq!(error_code(&out), "PHONE_BINDING_LIMIT", "{out}");

    advance_to(&app, &release_at, 60).await;
    // RULE REC-06: the three holders that did not keep the number are released.
    assert_eq!(run_jobs_concurrently(&app, 2).await, 3);
    for (n, (email, _)) in holders.iter().enumerate() {
        let account = viewer(&app, &session(&app, email).await).await;
        if n < 2 {
            assert_eq!(
                account["securePhone"], "139****3333",
                "holder {n}: {account}"
            );
        } else {
            // RULE REC-06: released holders have no secure phone.
            assert!(account["securePhone"].is_null(), "holder {n}: {account}");
        }
    }
    let newcomer_token = session(&app, newcomer).await;
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = change_secure_phone(&app, &newcomer_token, phone, &code).await;
    // RULE REC-06 RULE ACC-07: released holders no longer count: the number can be bound.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["securePhone"], "139****3333", "{out}");

    let (out, _) = stranger_requests_release(&app, phone).await;
    // RULE REC-06: the two that kept it and the newcomer hold it now.
    assert_eq!(out["holders"], 3, "{out}");
}

async fn keeping_just_before_the_deadline_wins_over_concurrent_releases(app: TestApp) {
    let phone = "13900004444";
    let keeper = "last-minute@example.com";
    let other = "other-holder@example.com";
    holder(&app, keeper, phone).await;
    holder(&app, other, phone).await;
    let (out, _) = stranger_requests_release(&app, phone).await;
    assert_eq!(out["holders"], 2, "{out}");
    let release_at = out["releaseAt"].clone();

    advance_to(&app, &release_at, -60).await;
    let token = session(&app, keeper).await;
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    let (kept, released) =
        futures::join!(keep(&app, &token, &code), run_jobs_concurrently(&app, 3));
    assert_eq!(kept["userErrors"], json!([]), "{kept}");
    // RULE REC-06: kept within the waiting period: the number stays.
    assert_eq!(
        kept["account"],
        json!({ "securePhone": "139****4444", "securePhoneReleaseDeadline": null })
    );
    // RULE REC-06: nothing is released before the deadline.
    assert_eq!(released, 0);
    let other_token = session(&app, other).await;
    assert_same_instant(
        &viewer(&app, &other_token).await["securePhoneReleaseDeadline"],
        &release_at,
    );

    advance_to(&app, &release_at, 60).await;
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let out = keep(&app, &other_token, &code).await;
    // RULE REC-06: after the waiting period the number can no longer be kept.
    assert_eq!(error_code(&out), "NOT_PENDING", "{out}");
    // RULE REC-06: the holder that did not keep it is released, the keeper is not.
    assert_eq!(run_jobs_concurrently(&app, 3).await, 1);
    assert!(viewer(&app, &other_token).await["securePhone"].is_null());
    let kept = viewer(&app, &token).await;
    assert_eq!(kept["securePhone"], "139****4444", "{kept}");
    assert!(kept["securePhoneReleaseDeadline"].is_null(), "{kept}");
    assert!(
        notices(&app, keeper, "SECURE_PHONE_RELEASED")
            .await
            .is_empty()
    );
    assert_eq!(notices(&app, other, "SECURE_PHONE_RELEASED").await.len(), 1);
}

async fn a_second_request_leaves_earlier_deadlines_alone(app: TestApp) {
    let phone = "13900005555";
    let keeper = "keeps-once@example.com";
    let waiting = "still-waiting@example.com";
    let (keeper_token, _) = holder(&app, keeper, phone).await;
    holder(&app, waiting, phone).await;
    let (first, _) = stranger_requests_release(&app, phone).await;
    let first_deadline = first["releaseAt"].clone();
    let code = fresh_code(&app, "SMS", phone, "BIND_PHONE").await;
    let kept = keep(&app, &keeper_token, &code).await;
    assert_eq!(kept["userErrors"], json!([]), "{kept}");

    app.advance(DAY).await;
    let (second, asked_again_at) = stranger_requests_release(&app, phone).await;
    assert_eq!(second["holders"], 2, "{second}");
    // RULE REC-06: releaseAt is the latest deadline: the keeper's new one.
    assert_release_wait(&second["releaseAt"], asked_again_at);
    let second_deadline = second["releaseAt"].clone();
    let keeper_token = session(&app, keeper).await;
    let waiting_token = session(&app, waiting).await;
    assert_same_instant(
        &viewer(&app, &keeper_token).await["securePhoneReleaseDeadline"],
        &second_deadline,
    );
    // RULE REC-06: an account already waiting keeps its earlier deadline.
    assert_same_instant(
        &viewer(&app, &waiting_token).await["securePhoneReleaseDeadline"],
        &first_deadline,
    );
    // RULE REC-06: only the holders newly asked are told again.
    assert_eq!(
        notices(&app, keeper, "PHONE_RELEASE_REQUESTED").await.len(),
        2
    );
    assert_eq!(
        notices(&app, waiting, "PHONE_RELEASE_REQUESTED")
            .await
            .len(),
        1
    );

    advance_to(&app, &first_deadline, 60).await;
    // RULE REC-06: at the first deadline only the account waiting since then is released.
    assert_eq!(run_jobs_concurrently(&app, 2).await, 1);
    let waiting_token = session(&app, waiting).await;
    assert!(viewer(&app, &waiting_token).await["securePhone"].is_null());
    let keeper_token = session(&app, keeper).await;
    let account = viewer(&app, &keeper_token).await;
    assert_eq!(account["securePhone"], "139****5555", "{account}");
    assert_same_instant(&account["securePhoneReleaseDeadline"], &second_deadline);
}

async fn a_holder_cancelled_while_waiting_leaves_nothing_due(app: TestApp) {
    let phone = "13900006666";
    let (leaving_token, leaving_id) = holder(&app, "leaving-holder@example.com", phone).await;
    holder(&app, "staying-holder@example.com", phone).await;
    let cancellation = app
        .mutate(
            Some(&leaving_token),
            "mutation($i: RequestCancellationInput!) { requestCancellation(input: $i) {
                userErrors { code message } cancellation { state coolingOffEndsAt } } }",
            "requestCancellation",
            json!({}),
        )
        .await;
    assert_eq!(
        cancellation["cancellation"]["state"], "COOLING_OFF",
        "{cancellation}"
    );
    let cooling_off_ends = cancellation["cancellation"]["coolingOffEndsAt"].clone();

    // The number is recycled while the account cools off: its cancellation completes
    // within the waiting period, before the release is due.
    app.advance(9 * DAY).await;
    let (out, _) = stranger_requests_release(&app, phone).await;
    // RULE REC-06: an account in cooling-off still holds the number.
    assert_eq!(out["holders"], 2, "{out}");
    let release_at = out["releaseAt"].clone();
    assert!(ts(&cooling_off_ends) < ts(&release_at));
    advance_to(&app, &cooling_off_ends, 60).await;
    let ran = app
        .ops("mutation { runScheduledJobs { ok message } }", json!({}))
        .await;
    let message = ran["data"]["runScheduledJobs"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("completed 1 cancellations"), "{ran}");

    advance_to(&app, &release_at, 60).await;
    // RULE REC-06: the live holder that did not keep the number is released.
    assert_eq!(run_jobs_concurrently(&app, 2).await, 1);
    // RULE REC-06: once every deadline has passed and the scheduled work has run, no
    // release is left waiting. The API shows no cancelled account, so the stored rows are
    // read: a cancelled account left with a deadline and no phone is read and skipped by
    // every later run, and as each run reads at most 500 due accounts (in no order),
    // enough of them would keep live holders from ever being released.
    let waiting = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::SecurePhoneReleaseAt.is_not_null())
        .all(&app.db)
        .await
        .expect("read accounts");
    let waiting: Vec<_> = waiting
        .iter()
        .map(|a| (&a.account_number, &a.lifecycle, a.secure_phone_release_at))
        .collect();
    assert!(
        waiting.is_empty(),
        "still waiting for a release after every deadline (account {leaving_id} was cancelled): {waiting:?}"
    );
}

// ---------------------------------------------------------------------------------------
// REC-04 find accounts by verified identity
// ---------------------------------------------------------------------------------------

async fn a_verified_person_finds_the_accounts_their_identity_verifies(app: TestApp) {
    let name = "张三";
    let number = resident_id("19900101", 401);
    let (older_token, older) = app.register_email("CHINA", "older@example.com").await;
    let (newer_token, newer) = app.register_email("CHINA", "newer@example.com").await;
    let (other_token, other) = app.register_email("CHINA", "other@example.com").await;
    app.register_email("CHINA", "unverified@example.com").await;
    // Verified newest first, so that the answer's order is the accounts' own age.
    verify_person(&app, &newer_token, name, &number).await;
    verify_person(&app, &older_token, name, &number).await;
    let other_number = resident_id("19900101", 402);
    verify_person(&app, &other_token, "李四", &other_number).await;
    // The same person on the INTERNATIONAL site (an ID document, reviewed).
    let (intl_token, intl) = app
        .register_email("INTERNATIONAL", "abroad@example.com")
        .await;
    let submitted = app
        .mutate(
            Some(&intl_token),
            "mutation($i: SubmitIndividualVerificationInput!) {
                submitIndividualVerification(input: $i) {
                    userErrors { code message } verification { id state } } }",
            "submitIndividualVerification",
            json!({ "method": "ID_DOCUMENT", "region": "MAINLAND", "name": name,
                    "idNumber": number, "birthDate": "1990-01-01" }),
        )
        .await;
    assert_eq!(submitted["verification"]["state"], "PENDING", "{submitted}");
    let reviewed = app
        .ops(
            "mutation($v: ID!) { reviewVerification(verificationId: $v, approve: true) { ok message } }",
            json!({ "v": submitted["verification"]["id"] }),
        )
        .await;
    assert_eq!(
        reviewed["data"]["reviewVerification"]["ok"], true,
        "{reviewed}"
    );

    let person = Identity::person(name, &number);
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    let older_id = older["accountId"].as_str().unwrap().to_owned();
    let newer_id = newer["accountId"].as_str().unwrap().to_owned();
    // RULE REC-04: every account of the site the identity verifies, oldest first.
    assert_eq!(found_ids(&out), [older_id.clone(), newer_id.clone()]);
    let older_page = viewer(&app, &older_token).await;
    // RULE REC-04: what an account looks like to someone who is not signed in.
    assert_eq!(
        out["accounts"][0],
        json!({ "accountId": older_id, "nickname": null, "registrationMethod": "EMAIL",
                "registeredAt": older_page["registeredAt"] })
    );

    let out = find_by_identity(&app, "CHINA", &person, "sandbox-face-failed").await;
    // RULE REC-04: without a passed face check nothing is listed.
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "faceCheckToken"])
    );
    assert!(out["accounts"].is_null(), "{out}");

    let out = find_by_identity(&app, "CHINA", &Identity::person("张四", &number), FACE_OK).await;
    // RULE REC-04: the name must be the verified one.
    assert!(found_ids(&out).is_empty(), "{out}");
    let unused = resident_id("19900101", 403);
    let out = find_by_identity(&app, "CHINA", &Identity::person(name, &unused), FACE_OK).await;
    // RULE REC-04: an identity nobody verified finds nothing.
    assert!(found_ids(&out).is_empty(), "{out}");
    let out = find_by_identity(
        &app,
        "CHINA",
        &Identity::person("李四", &other_number),
        FACE_OK,
    )
    .await;
    // RULE REC-04: another person finds their own account only.
    assert_eq!(found_ids(&out), [other["accountId"].as_str().unwrap()]);
    let out = find_by_identity(&app, "INTERNATIONAL", &person, FACE_OK).await;
    // RULE REC-04: each site lists its own accounts.
    assert_eq!(found_ids(&out), [intl["accountId"].as_str().unwrap()]);

    // One account starts its cancellation: still live during cooling-off, gone after it.
    let cancelled = app
        .mutate(
            Some(&newer_token),
            "mutation($i: RequestCancellationInput!) { requestCancellation(input: $i) {
                userErrors { code message } cancellation { state } } }",
            "requestCancellation",
            json!({}),
        )
        .await;
    assert_eq!(
        cancelled["cancellation"]["state"], "COOLING_OFF",
        "{cancelled}"
    );
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    // RULE REC-04: an account in cooling-off is still live.
    assert_eq!(found_ids(&out), [older_id.clone(), newer_id.clone()]);
    app.advance(16 * DAY).await;
    let ran = app
        .ops("mutation { runScheduledJobs { ok message } }", json!({}))
        .await;
    assert_eq!(ran["data"]["runScheduledJobs"]["ok"], true, "{ran}");
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    // RULE REC-04: a cancelled account is not listed.
    assert_eq!(found_ids(&out), [older_id]);
}

async fn an_enterprise_finds_its_accounts_through_its_legal_person(app: TestApp) {
    let enterprise = "青山科技有限公司";
    let code = credit_code(4401);
    let legal = "王五";
    let mut ids = Vec::new();
    for n in 0..2 {
        let (token, account) = app
            .register_email("CHINA", &format!("company{n}@example.com"))
            .await;
        verify_enterprise(&app, &token, enterprise, &code, legal).await;
        ids.push(account["accountId"].as_str().unwrap().to_owned());
    }
    let (other_token, _) = app.register_email("CHINA", "rival@example.com").await;
    verify_enterprise(
        &app,
        &other_token,
        "绿水贸易有限公司",
        &credit_code(4402),
        legal,
    )
    .await;

    let company = Identity {
        kind: "ENTERPRISE",
        name: enterprise,
        number: &code,
        legal_person: Some(legal),
    };
    let out = find_by_identity(&app, "CHINA", &company, FACE_OK).await;
    // RULE REC-04: the enterprise's name, credit code and legal person find its accounts.
    assert_eq!(found_ids(&out), ids);

    let out = find_by_identity(&app, "CHINA", &company, "sandbox-face-failed").await;
    // RULE REC-04: the legal person's face check is required.
    assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    assert!(out["accounts"].is_null(), "{out}");
    let stranger = Identity {
        legal_person: Some("赵六"),
        ..company
    };
    let out = find_by_identity(&app, "CHINA", &stranger, FACE_OK).await;
    // RULE REC-04: another legal person finds nothing.
    assert!(found_ids(&out).is_empty(), "{out}");
    let as_person = Identity::person(enterprise, &code);
    let out = find_by_identity(&app, "CHINA", &as_person, FACE_OK).await;
    // RULE REC-04: an enterprise's code does not verify a person.
    assert!(found_ids(&out).is_empty(), "{out}");
    let unnamed = Identity {
        legal_person: None,
        ..company
    };
    let out = find_by_identity(&app, "CHINA", &unnamed, FACE_OK).await;
    // RULE REC-04: an enterprise is named with its legal person.
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    assert!(out["accounts"].is_null(), "{out}");
}

async fn identity_look_ups_are_limited_per_identity_and_per_client(app: TestApp) {
    let name = "王小明";
    let number = resident_id("19900101", 501);
    let (token, account) = app.register_email("CHINA", "limited@example.com").await;
    verify_person(&app, &token, name, &number).await;
    let person = Identity::person(name, &number);

    app.start_fresh_window(3600).await;
    for n in 0..5 {
        let face = if n % 2 == 0 {
            FACE_OK
        } else {
            "sandbox-face-failed"
        };
        let out = find_by_identity(&app, "CHINA", &person, face).await;
        assert_ne!(error_code(&out), "RATE_LIMITED", "look-up {n}: {out}");
    }
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    // RULE REC-04: five look-ups of one identity an hour, face check passed or not.
    assert_rate_limited(&out);

    // A new window: the identity may look again.
    app.start_fresh_window(3600).await;
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    assert_eq!(found_ids(&out), [account["accountId"].as_str().unwrap()]);
    // The client's other recovery requests (phone releases with made-up codes) and look-ups
    // of other identities fill its twenty.
    for n in 0..14 {
        let out = request_release(&app, &format!("1390000{:04}", 6000 + n), "000000").await;
        assert_eq!(error_code(&out), "INVALID_CODE", "release {n}: {out}");
    }
    for n in 0..5 {
        let other = resident_id("19900101", 510 + n);
        let out = find_by_identity(&app, "CHINA", &Identity::person(name, &other), FACE_OK).await;
        assert!(found_ids(&out).is_empty(), "other identity {n}: {out}");
    }
    let fresh = resident_id("19900101", 520);
    let out = find_by_identity(&app, "CHINA", &Identity::person(name, &fresh), FACE_OK).await;
    // RULE REC-04: twenty recovery requests per client address an hour, shared across
    // recovery endpoints.
    assert_rate_limited(&out);
    let out = find_by_identity(&app, "CHINA", &person, FACE_OK).await;
    assert_rate_limited(&out);
}

db_test!(
    a_recycled_number_is_released_from_holders_that_do_not_keep_it,
    a_released_number_no_longer_counts_toward_the_binding_limit,
    keeping_just_before_the_deadline_wins_over_concurrent_releases,
    a_second_request_leaves_earlier_deadlines_alone,
    a_holder_cancelled_while_waiting_leaves_nothing_due,
    a_verified_person_finds_the_accounts_their_identity_verifies,
    an_enterprise_finds_its_accounts_through_its_legal_person,
    identity_look_ups_are_limited_per_identity_and_per_client,
);
