//! Several server instances on one database (behind a load balancer): the quotas, the
//! member limit, single-use MFA codes, one-per-target codes, the secure-phone limit, the
//! failed-password lock and the scheduled work hold across instances, because every
//! invariant is held by the database (locks, unique indexes, conditional updates), never
//! by a process's memory.

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, CAPTCHA_OK, PASSWORD, TestApp, error_code, run_two},
    identities::{credit_code, resident_id},
    mfa,
    sign_in::{move_to_early_utc_morning, sign_in},
};

/// Alternates requests between the two instances.
fn pick<'a>(i: usize, first: &'a TestApp, second: &'a TestApp) -> &'a TestApp {
    if i.is_multiple_of(2) { first } else { second }
}

async fn submit_identity(app: &TestApp, token: &str, number: &str) -> Value {
    let out = app
        .gql_as(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code } verification { state } } }",
            json!({ "i": { "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                           "idNumber": number, "birthDate": "1990-01-01" } }),
        )
        .await;
    out["data"]["submitIndividualVerification"].clone()
}

async fn quotas_limits_and_codes_hold_across_two_instances(first: TestApp, second: TestApp) {
    // VER-08 / VER-10: eight accounts, one identity, requests spread over both instances.
    let mut tokens = Vec::new();
    for i in 0..8 {
        let (token, _) = first
            .register_email("CHINA", &format!("multi{i}@example.com"))
            .await;
        tokens.push(token);
    }
    let number = resident_id("19900101", 901);
    let outcomes = join_all(
        tokens
            .iter()
            .enumerate()
            .map(|(i, token)| submit_identity(pick(i, &first, &second), token, &number)),
    )
    .await;
    let approved = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    // RULE VER-10
    assert_eq!(approved, 3, "{outcomes:?}");

    // SUB-02: 998 members exist; six creations over two instances, exactly two succeed.
    let root = &tokens[0];
    crate::console_page::insert_members(&first, root_id(&first, root).await, 998).await;
    let created = join_all((0..6).map(|i| {
        pick(i, &first, &second).gql_as(
            Some(root),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } subUser { id } } }",
            json!({ "i": { "name": format!("race-{i}"), "consoleLogin": false } }),
        )
    }))
    .await;
    let made = created
        .iter()
        .filter(|o| o["data"]["createSubUser"]["subUser"].is_object())
        .count();
    // RULE SUB-02
    assert_eq!(made, 2, "{created:?}");
    assert!(
        created
            .iter()
            .filter(|o| o["data"]["createSubUser"]["subUser"].is_null())
            .all(|o| error_code(&o["data"]["createSubUser"]) == "MEMBER_LIMIT")
    );

    // MFA-04: one code sent to both instances at once unbinds once.
    let (secret, _) = mfa::bind_virtual(&first, &tokens[1], None).await;
    first.advance(30).await;
    let code = mfa::code_now(&first, &secret).await;
    let unbind = "mutation($i: UnbindMfaDeviceInput!) { unbindMfaDevice(input: $i) { userErrors { code } account { id } } }";
    let tries = join_all(
        [&first, &second]
            .map(|app| app.gql_as(Some(&tokens[1]), unbind, json!({ "i": { "code": code } }))),
    )
    .await;
    let unbound = tries
        .iter()
        .filter(|o| o["data"]["unbindMfaDevice"]["account"].is_object())
        .count();
    // RULE MFA-04
    assert_eq!(unbound, 1, "{tries:?}");

    // Codes are paced per target (one a minute) across instances too.
    let send = "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) { userErrors { code } } }";
    let sent = join_all([&first, &second].map(|app| {
        app.gql(
            send,
            json!({ "i": { "channel": "EMAIL", "target": "paced@example.com", "purpose": "REGISTER" } }),
        )
    }))
    .await;
    let accepted = sent
        .iter()
        .filter(|o| o["data"]["sendVerificationCode"]["userErrors"] == json!([]))
        .count();
    assert_eq!(accepted, 1, "{sent:?}");

    // The sandbox time is shared: moved on one instance, seen by the other's ops API.
    let now = |app: &TestApp| {
        let app = app.clone();
        async move {
            app.ops("{ now }", json!({})).await["data"]["now"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    first.advance(3 * 86_400).await;
    let (a, b) = (now(&first).await, now(&second).await);
    let a = chrono::DateTime::parse_from_rfc3339(&a).unwrap();
    let b = chrono::DateTime::parse_from_rfc3339(&b).unwrap();
    assert!((a - b).num_seconds().abs() < 60, "{a} vs {b}");
}

/// An ops request on `app`, which makes it catch up with the shared sandbox time (moved
/// by the other instance); returns that time.
async fn sync(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    let out = app.ops("{ now }", json!({})).await;
    out["data"]["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a time in {out}"))
}

/// The first user error code of each payload ("" for a success).
fn codes_of(payloads: &[Value]) -> Vec<String> {
    payloads.iter().map(error_code).collect()
}

fn count(codes: &[String], code: &str) -> usize {
    codes.iter().filter(|c| *c == code).count()
}

/// `n` CHINA accounts registered by WeChat (no code spent), alternately on each instance.
async fn wechat_accounts(first: &TestApp, second: &TestApp, tag: &str, n: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for i in 0..n {
        let app = pick(i, first, second);
        let (token, _) = app
            .register_provider("CHINA", "WECHAT", &format!("{tag}-{i}"))
            .await;
        tokens.push(token);
    }
    tokens
}

/// An instant enterprise verification request (WeChat official platform, CHINA).
async fn submit_enterprise(app: &TestApp, token: &str, code: &str) -> Value {
    let input = json!({ "method": "WECHAT_OFFICIAL_PLATFORM", "region": "MAINLAND",
        "enterpriseName": "双实例公司", "creditCode": code, "legalPersonName": "王五",
        "legalPersonIdNumber": resident_id("19800101", 9), "licenseIssuedOn": "2020-01-06" });
    let out = app
        .gql_as(
            Some(token),
            "mutation($i: SubmitEnterpriseVerificationInput!) { submitEnterpriseVerification(input: $i) {
                userErrors { code } verification { state } } }",
            json!({ "i": input }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["submitEnterpriseVerification"].clone()
}

/// VER-09 / VER-10: eight CHINA accounts submit one enterprise at once over both instances;
/// the CHINA quota (3) holds. An operator raise made on one instance holds on both.
async fn enterprise_quota_holds_across_instances(first: &TestApp, second: &TestApp) {
    let tokens = wechat_accounts(first, second, "enterprise", 8).await;
    let code = credit_code(951);
    let outcomes = join_all(
        tokens
            .iter()
            .enumerate()
            .map(|(i, token)| submit_enterprise(pick(i, first, second), token, &code)),
    )
    .await;
    let approved: Vec<usize> = (0..tokens.len())
        .filter(|&i| outcomes[i]["verification"]["state"] == "APPROVED")
        .collect();
    let codes = codes_of(&outcomes);
    // RULE VER-09 RULE VER-10
    assert_eq!(approved.len(), 3, "{outcomes:?}");
    // RULE VER-09: every other submission is refused with the quota error.
    assert_eq!(count(&codes, "IDENTITY_QUOTA_EXCEEDED"), 5, "{codes:?}");

    // The operator raises the quota to 5 on the second instance; the five refused accounts
    // try again at once over both: exactly two more places.
    let raised = second
        .ops(
            "mutation($c: String!, $q: Int!) { setEnterpriseQuota(creditCode: $c, quota: $q) { ok message } }",
            json!({ "c": code, "q": 5 }),
        )
        .await;
    assert_eq!(raised["data"]["setEnterpriseQuota"]["ok"], true, "{raised}");
    let refused: Vec<&String> = (0..tokens.len())
        .filter(|i| !approved.contains(i))
        .map(|i| &tokens[i])
        .collect();
    let again = join_all(
        refused
            .iter()
            .enumerate()
            .map(|(i, token)| submit_enterprise(pick(i + 1, first, second), token, &code)),
    )
    .await;
    let approved_again = again
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    // RULE VER-09 RULE VER-10
    assert_eq!(approved_again, 2, "{again:?}");
    // RULE VER-09
    assert_eq!(
        count(&codes_of(&again), "IDENTITY_QUOTA_EXCEEDED"),
        3,
        "{again:?}"
    );
}

/// ACC-07: seven accounts bind one mobile number as their secure phone at once over both
/// instances; exactly five hold it.
async fn secure_phone_limit_holds_across_instances(first: &TestApp, second: &TestApp) {
    let phone = "13866660707";
    let tokens = wechat_accounts(first, second, "phone", 7).await;
    // Each account holds its own live code (one a minute per number), sent and timed by
    // alternate instances; the sandbox time is shared through the database.
    let mut codes = Vec::new();
    for i in 0..tokens.len() {
        let app = pick(i, first, second);
        app.advance(61).await;
        codes.push(app.code_for("SMS", phone, "BIND_PHONE").await);
    }
    sync(first).await;
    sync(second).await;
    let bind = "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) {
        userErrors { code field } account { securePhone } } }";
    let results = join_all(
        tokens
            .iter()
            .zip(&codes)
            .enumerate()
            .map(|(i, (token, code))| {
                let app = pick(i, first, second);
                async move {
                    let input = json!({ "newPhone": phone, "newPhoneCode": code });
                    app.gql_as(Some(token), bind, json!({ "i": input })).await
                }
            }),
    )
    .await;
    let payloads: Vec<Value> = results
        .iter()
        .map(|o| o["data"]["changeSecurePhone"].clone())
        .collect();
    let codes = codes_of(&payloads);
    // RULE ACC-07
    assert_eq!(count(&codes, ""), 5, "{results:?}");
    // RULE ACC-07: the others are refused with the limit error.
    assert_eq!(count(&codes, "PHONE_BINDING_LIMIT"), 2, "{results:?}");

    // Both instances see five accounts on the number.
    let mut on_phone = 0;
    for (i, token) in tokens.iter().enumerate() {
        let out = pick(i + 1, first, second)
            .gql_as(
                Some(token),
                "{ viewer { account { securePhone } } }",
                json!({}),
            )
            .await;
        if out["data"]["viewer"]["account"]["securePhone"] == "138****0707" {
            on_phone += 1;
        }
    }
    // RULE ACC-07
    assert_eq!(on_phone, 5);
}

/// LOG-07: wrong passwords fired at once over both instances: exactly three pass without a
/// captcha, exactly ten are tried in all, then both instances refuse the right password.
async fn password_lock_counts_across_instances(first: &TestApp, second: &TestApp) {
    let email = "two-instance-lock@example.com";
    first.register_email("CHINA", email).await;
    move_to_early_utc_morning(first).await;
    sync(second).await;

    let wrong = |i: usize, captcha: Option<&'static str>| {
        sign_in(pick(i, first, second), "CHINA", email, "Wrong#123", captcha)
    };
    // Without a captcha: three failures are counted, every further attempt needs one.
    let answers = codes_of(&join_all((0..8).map(|i| wrong(i, None))).await);
    // RULE LOG-07
    assert_eq!(count(&answers, "INVALID_CREDENTIALS"), 3, "{answers:?}");
    // RULE LOG-07
    assert_eq!(count(&answers, "CAPTCHA_REQUIRED"), 5, "{answers:?}");

    // With the captcha: seven more failures reach the lock at ten; the rest are locked.
    let answers = codes_of(&join_all((0..20).map(|i| wrong(i, Some(CAPTCHA_OK)))).await);
    // RULE LOG-07
    assert_eq!(count(&answers, "INVALID_CREDENTIALS"), 7, "{answers:?}");
    // RULE LOG-07
    assert_eq!(count(&answers, "ACCOUNT_LOCKED"), 13, "{answers:?}");

    // The lock is the database's: the right password is refused on both instances.
    for app in [first, second] {
        let out = sign_in(app, "CHINA", email, PASSWORD, Some(CAPTCHA_OK)).await;
        // RULE LOG-07
        assert_eq!(error_code(&out), "ACCOUNT_LOCKED", "{}: {out}", app.base);
        assert_eq!(out["session"], Value::Null, "{out}");
    }
}

async fn limits_hold_across_two_instances(first: TestApp, second: TestApp) {
    enterprise_quota_holds_across_instances(&first, &second).await;
    secure_phone_limit_holds_across_instances(&first, &second).await;
    password_lock_counts_across_instances(&first, &second).await;
}

/// CAN-02: the default cooling-off period.
const COOLING_OFF_SECONDS: i64 = 15 * 24 * 3600;

const RUN_JOBS: &str = "mutation { runScheduledJobs { ok message } }";

/// "completed N cancellations" from a `runScheduledJobs` response.
fn completed_count(out: &Value) -> u64 {
    let result = &out["data"]["runScheduledJobs"];
    assert_eq!(result["ok"], true, "{out}");
    result["message"]
        .as_str()
        .and_then(|m| m.strip_prefix("completed "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("\"completed N cancellations\" in {out}"))
}

/// Runs the scheduled work `per_instance` times on each instance, all at once; returns how
/// many cancellations the runs completed together.
async fn run_jobs_at_once(first: &TestApp, second: &TestApp, per_instance: usize) -> u64 {
    let runs =
        join_all((0..2 * per_instance).map(|i| pick(i, first, second).ops(RUN_JOBS, json!({}))))
            .await;
    runs.iter().map(completed_count).sum()
}

/// A CHINA e-mail account that asks to be cancelled (accepted), on `app`; with a secure
/// phone when one is given. Returns its account ID.
async fn leaving_account(app: &TestApp, email: &str, phone: Option<&str>) -> Value {
    let (token, account) = app.register_email("CHINA", email).await;
    if let Some(phone) = phone {
        let code = app.code_for("SMS", phone, "BIND_PHONE").await;
        let bound = app
            .gql_as(
                Some(&token),
                "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) { userErrors { code } } }",
                json!({ "i": { "newPhone": phone, "newPhoneCode": code } }),
            )
            .await;
        assert_eq!(
            bound["data"]["changeSecurePhone"]["userErrors"],
            json!([]),
            "{bound}"
        );
    }
    let out = app
        .gql_as(
            Some(&token),
            "mutation { requestCancellation(input: {}) { userErrors { code } cancellation { state } } }",
            json!({}),
        )
        .await;
    let payload = &out["data"]["requestCancellation"];
    assert_eq!(payload["cancellation"]["state"], "COOLING_OFF", "{out}");
    account["accountId"].clone()
}

/// The stored account row by its numeric account ID.
async fn account_row(app: &TestApp, account_id: &Value) -> entity::accounts::Model {
    entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(account_id.as_str().unwrap()))
        .one(&app.db)
        .await
        .expect("query accounts")
        .unwrap_or_else(|| panic!("account {account_id} is stored"))
}

/// How many CANCELLATION_COMPLETED messages the sandbox delivered to `target`.
async fn completion_messages(app: &TestApp, target: &str) -> usize {
    let out = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 100) { purpose } }",
            json!({ "t": target }),
        )
        .await;
    let messages = out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"));
    messages
        .iter()
        .filter(|m| m["purpose"] == "CANCELLATION_COMPLETED")
        .count()
}

/// How many completions the audit trail (ACC-12) records for an account.
async fn audited_completions(app: &TestApp, id: i64) -> u64 {
    entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::AccountId.eq(id))
        .filter(entity::audit_events::Column::Action.eq("cancellation.complete"))
        .count(&app.db)
        .await
        .expect("audit events")
}

/// CAN-02 .. CAN-04: six due cancellations, requested on alternate instances; both
/// instances run their scheduled work at once (three runs each): every account is
/// completed, audited and told exactly once; one not yet due is left alone.
async fn scheduled_work_runs_once_across_two_instances(first: TestApp, second: TestApp) {
    let mut leaving = Vec::new();
    for i in 0..6_usize {
        let email = format!("leaving{i}@example.com");
        let phone = i.is_multiple_of(2).then(|| format!("1370000{i:04}"));
        let id = leaving_account(pick(i, &first, &second), &email, phone.as_deref()).await;
        leaving.push((email, phone, id));
    }
    // The shared sandbox time moves on one instance only; the other catches up.
    first.advance(COOLING_OFF_SECONDS + 1).await;
    sync(&second).await;
    let staying_email = "not-yet-due@example.com";
    let staying = leaving_account(&second, staying_email, None).await;

    // RULE CAN-03: together the six runs complete each due cancellation exactly once.
    assert_eq!(run_jobs_at_once(&first, &second, 3).await, 6);
    for (i, (email, phone, account_id)) in leaving.iter().enumerate() {
        let stored = account_row(&first, account_id).await;
        // RULE CAN-03
        assert_eq!(stored.lifecycle, "CANCELLED", "{email}: {stored:?}");
        // RULE CAN-03: completed (and erased) once, not once per run that saw it.
        assert_eq!(audited_completions(&first, stored.id).await, 1, "{email}");
        // RULE CAN-04: the result reached the security e-mail once...
        let reader = pick(i + 1, &first, &second);
        assert_eq!(completion_messages(reader, email).await, 1, "{email}");
        if let Some(phone) = phone {
            // RULE CAN-04: ...and the secure phone once.
            assert_eq!(completion_messages(reader, phone).await, 1, "{phone}");
        }
        // RULE CAN-03: it can no longer sign in, on either instance.
        let out = sign_in(reader, "CHINA", email, PASSWORD, None).await;
        assert_eq!(error_code(&out), "INVALID_CREDENTIALS", "{out}");
    }
    // RULE CAN-02: the request still cooling off is untouched.
    let stored = account_row(&second, &staying).await;
    assert_eq!(stored.lifecycle, "CANCELLING", "{stored:?}");
    assert_eq!(completion_messages(&first, staying_email).await, 0);

    // Later runs on both instances find nothing left to do.
    // RULE CAN-03
    assert_eq!(run_jobs_at_once(&first, &second, 2).await, 0);
    // Its cooling-off over (time moved on the other instance), it is completed once too.
    second.advance(COOLING_OFF_SECONDS + 1).await;
    // RULE CAN-03
    assert_eq!(run_jobs_at_once(&first, &second, 3).await, 1);
    let stored = account_row(&first, &staying).await;
    assert_eq!(stored.lifecycle, "CANCELLED", "{stored:?}");
    // RULE CAN-04
    assert_eq!(completion_messages(&second, staying_email).await, 1);
    assert_eq!(audited_completions(&second, stored.id).await, 1);
}

async fn root_id(app: &TestApp, token: &str) -> i64 {
    let out = app
        .gql_as(Some(token), "{ viewer { account { id } } }", json!({}))
        .await;
    let gid = out["data"]["viewer"]["account"]["id"].as_str().unwrap();
    let raw = base64_decode(gid);
    raw.split_once(':').unwrap().1.parse().unwrap()
}

fn base64_decode(s: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sqlite() {
    run_two(
        Backend::Sqlite,
        quotas_limits_and_codes_hold_across_two_instances,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_postgres() {
    run_two(
        Backend::Postgres,
        quotas_limits_and_codes_hold_across_two_instances,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_limits_sqlite() {
    run_two(Backend::Sqlite, limits_hold_across_two_instances).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_limits_postgres() {
    run_two(Backend::Postgres, limits_hold_across_two_instances).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_scheduled_work_sqlite() {
    run_two(
        Backend::Sqlite,
        scheduled_work_runs_once_across_two_instances,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_scheduled_work_postgres() {
    run_two(
        Backend::Postgres,
        scheduled_work_runs_once_across_two_instances,
    )
    .await;
}
