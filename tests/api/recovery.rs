//! Recovery (REC) through GraphQL: resetting a forgotten password (REC-01), the recovery
//! application and its review (REC-03), and the login methods of a known account ID (REC-05).

use futures::future::join_all;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{CAPTCHA_OK, PASSWORD, TestApp, error_code},
    identities::resident_id,
    mfa::{bind_virtual, fresh_code},
    sign_in::viewer_account_id,
};

const FIND_LOGIN_METHODS: &str = "mutation($i: FindLoginMethodsInput!) {
    findLoginMethods(input: $i) {
        userErrors { code field message retryAfterSeconds }
        loginMethods { kind identifier } } }";

async fn find(app: &TestApp, site: &str, account_id: &str, captcha: &str) -> Value {
    let input = json!({ "site": site, "accountId": account_id, "captcha": captcha });
    app.mutate(None, FIND_LOGIN_METHODS, "findLoginMethods", input)
        .await
}

async fn the_login_methods_of_a_known_account_id_and_nothing_else(app: TestApp) {
    let (token, registered) = app.register_email("CHINA", "forgetful@example.com").await;
    let account_id = registered["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned();
    let wechat = app
        .mutate(
            Some(&token),
            "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) { userErrors { code } } }",
            "bindLoginMethod",
            json!({ "kind": "WECHAT", "providerCode": "sandbox:wx-forgetful" }),
        )
        .await;
    assert_eq!(wechat["userErrors"], json!([]), "{wechat}");

    // RULE REC-05: a captcha first; without it nothing is listed.
    let out = find(&app, "CHINA", &account_id, "not-solved").await;
    assert_eq!(error_code(&out), "CAPTCHA_REQUIRED", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "captcha"]),
        "{out}"
    );
    assert!(out["loginMethods"].is_null(), "{out}");

    // RULE REC-05: the kinds bound and the masked login e-mail, nothing else.
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(
        out["loginMethods"],
        json!([
            { "kind": "EMAIL", "identifier": "f***@example.com" },
            { "kind": "WECHAT", "identifier": null },
        ]),
        "{out}"
    );
    assert!(!out.to_string().contains("forgetful@"), "{out}");

    // The account ID is the CHINA site's: the INTERNATIONAL site knows no such account.
    let out = find(&app, "INTERNATIONAL", &account_id, CAPTCHA_OK).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(
        out["userErrors"][0]["field"],
        json!(["input", "accountId"]),
        "{out}"
    );
}

async fn lookups_are_limited_per_account_id_and_per_client(app: TestApp) {
    let (_, registered) = app.register_email("CHINA", "looked-up@example.com").await;
    let account_id = registered["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned();
    app.start_fresh_window(3600).await;
    // RULE REC-05: five lookups of one account ID an hour (site policy), solved or not.
    for n in 0..5 {
        let captcha = if n % 2 == 0 { CAPTCHA_OK } else { "wrong" };
        let out = find(&app, "CHINA", &account_id, captcha).await;
        assert_ne!(error_code(&out), "RATE_LIMITED", "lookup {n}: {out}");
    }
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    let retry = out["userErrors"][0]["retryAfterSeconds"].as_i64();
    assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{out}");
    assert!(out["loginMethods"].is_null(), "{out}");

    // RULE REC-05: twenty per client address an hour, over any account IDs.
    let mut limited = 0;
    for n in 0..20 {
        let out = find(
            &app,
            "CHINA",
            &format!("{:012}", 100_000_000_000_u64 + n),
            CAPTCHA_OK,
        )
        .await;
        if error_code(&out) == "RATE_LIMITED" {
            limited += 1;
        } else {
            assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
        }
    }
    // Five of the client's twenty went to the first account ID above (the sixth was
    // refused per account ID before the client's count).
    assert_eq!(limited, 5);

    // The window passes: the owner may look again.
    app.advance(3600).await;
    let out = find(&app, "CHINA", &account_id, CAPTCHA_OK).await;
    assert_eq!(out["loginMethods"][0]["kind"], "EMAIL", "{out}");
}

// --- REC-01: resetting a forgotten password --------------------------------------------

const RESET: &str = "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) {
    userErrors { code field message retryAfterSeconds }
    account { accountId } accountChoices { accountId } } }";

const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) {
    userErrors { code } session { token } } }";

const NEW_PASSWORD: &str = "Brand#New123";

async fn reset(app: &TestApp, input: Value) -> Value {
    app.mutate(None, RESET, "resetPassword", input).await
}

/// The error code of a password sign-in ("" when it opened a session).
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let input =
        json!({ "site": "CHINA", "email": email, "password": password, "captcha": CAPTCHA_OK });
    let out = app.mutate(None, SIGN_IN, "signIn", input).await;
    if out["session"]["token"].is_string() {
        String::new()
    } else {
        error_code(&out)
    }
}

async fn send_code(app: &TestApp, channel: &str, target: &str, purpose: &str) -> Value {
    app.mutate(
        None,
        "mutation($i: SendVerificationCodeInput!) { sendVerificationCode(input: $i) {
            userErrors { code } retryAfterSeconds } }",
        "sendVerificationCode",
        json!({ "channel": channel, "target": target, "purpose": purpose, "site": "CHINA" }),
    )
    .await
}

/// Binds `phone` as the account's first secure phone.
async fn bind_secure_phone(app: &TestApp, token: &str, phone: &str) {
    // One code per target a minute: the phone may just have had one.
    app.advance(61).await;
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    let out = app
        .mutate(
            Some(token),
            "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) {
                userErrors { code message } } }",
            "changeSecurePhone",
            json!({ "newPhone": phone, "newPhoneCode": code }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

fn account_id(account: &Value) -> String {
    account["accountId"]
        .as_str()
        .expect("an account ID")
        .to_owned()
}

async fn a_forgotten_password_is_reset_with_a_code(app: TestApp) {
    let email = "forgot@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    // Ten wrong passwords lock password sign-in for the day (LOG-07).
    for _ in 0..10 {
        sign_in(&app, email, "Wrong#999").await;
    }
    assert_eq!(sign_in(&app, email, PASSWORD).await, "ACCOUNT_LOCKED");
    // The registration code went out a moment ago; one code per target a minute.
    app.advance(61).await;

    // RULE REC-01: sending a reset code answers the same whether or not the target is known.
    let known = send_code(&app, "EMAIL", email, "RESET_PASSWORD").await;
    let unknown = send_code(&app, "EMAIL", "stranger@example.com", "RESET_PASSWORD").await;
    assert_eq!(known, unknown);
    assert_eq!(known["userErrors"], json!([]), "{known}");
    let code = app.last_code(email).await;

    // A weak password is refused and the code stays usable.
    let weak = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": code, "newPassword": "short" }),
    )
    .await;
    assert_eq!(error_code(&weak), "PASSWORD_TOO_WEAK", "{weak}");
    let wrong = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": "000000", "newPassword": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&wrong), "INVALID_CODE", "{wrong}");
    assert_eq!(sign_in(&app, email, PASSWORD).await, "ACCOUNT_LOCKED");

    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": code, "newPassword": NEW_PASSWORD }),
    )
    .await;
    // RULE REC-01: the code sets a new password without the old one.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["accountId"], account["accountId"], "{out}");
    // RULE REC-01: every session ends; the lock is cleared; only the new password works.
    assert_eq!(viewer_account_id(&app, &token).await, Value::Null);
    assert_eq!(sign_in(&app, email, PASSWORD).await, "INVALID_CREDENTIALS");
    assert_eq!(sign_in(&app, email, NEW_PASSWORD).await, "");
    // The code is spent.
    let again = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": code, "newPassword": "Other#New456" }),
    )
    .await;
    assert_eq!(error_code(&again), "INVALID_CODE", "{again}");

    // RULE REC-01: a proven target that reaches no account is told so; nothing changes.
    let stray = app.last_code("stranger@example.com").await;
    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL",
        "target": "stranger@example.com", "code": stray, "newPassword": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
}

async fn a_shared_phone_lets_the_person_choose_and_mfa_is_asked(app: TestApp) {
    let phone = "13912340001";
    let (first_token, first) = app.register_email("CHINA", "phone-a@example.com").await;
    let (second_token, second) = app.register_email("CHINA", "phone-b@example.com").await;
    bind_secure_phone(&app, &first_token, phone).await;
    bind_secure_phone(&app, &second_token, phone).await;
    let (secret, _) = bind_virtual(&app, &second_token, None).await;
    app.advance(61).await;
    let code = app.code_for("SMS", phone, "RESET_PASSWORD").await;
    let base = json!({ "site": "CHINA", "channel": "SMS", "target": phone, "code": code,
        "newPassword": NEW_PASSWORD });

    let out = reset(&app, base.clone()).await;
    // RULE REC-01: a target that reaches several accounts lists them; the code is not spent.
    let choices: Vec<String> = out["accountChoices"]
        .as_array()
        .unwrap_or_else(|| panic!("choices in {out}"))
        .iter()
        .map(account_id)
        .collect();
    assert_eq!(choices, vec![account_id(&first), account_id(&second)]);
    assert!(out["account"].is_null(), "{out}");

    let mut chosen = base.clone();
    chosen["accountId"] = json!(account_id(&second));
    let out = reset(&app, chosen.clone()).await;
    // RULE REC-01: an account with an MFA device also needs an MFA or recovery code.
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    chosen["mfaCode"] = json!(fresh_code(&app, &secret).await);
    let out = reset(&app, chosen).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["account"]["accountId"], second["accountId"], "{out}");
    assert_eq!(sign_in(&app, "phone-b@example.com", NEW_PASSWORD).await, "");
    // The other account on the phone keeps its password.
    assert_eq!(sign_in(&app, "phone-a@example.com", PASSWORD).await, "");
    // An account ID the phone does not reach is not found.
    let code = app.code_for("SMS", "13912340002", "RESET_PASSWORD").await;
    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "SMS", "target": "13912340002",
        "code": code, "accountId": account_id(&first), "newPassword": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
}

async fn a_reset_voids_a_sign_in_waiting_for_its_second_factor(app: TestApp) {
    let email = "half-signed-in@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let (secret, _) = bind_virtual(&app, &token, None).await;
    crate::mfa::protect_with_mfa(&app, &token, &secret, "loginProtection", true).await;
    // Someone who knows the old password gets as far as the second factor.
    let out = app
        .mutate(
            None,
            "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } challenge { id } } }",
            "signIn",
            json!({ "site": "CHINA", "email": email, "password": PASSWORD }),
        )
        .await;
    let challenge = out["challenge"]["id"].clone();
    assert!(challenge.is_string(), "{out}");
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "RESET_PASSWORD").await;
    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": code, "newPassword": NEW_PASSWORD, "mfaCode": fresh_code(&app, &secret).await }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE REC-01: the reset ends every way in that the old password opened, pending
    // second factors included.
    app.advance(31).await;
    let out = app
        .mutate(
            None,
            "mutation($i: CompleteLoginChallengeInput!) { completeLoginChallenge(input: $i) {
                userErrors { code } session { token } } }",
            "completeLoginChallenge",
            json!({ "challengeId": challenge, "secondFactor": { "mfaCode": fresh_code(&app, &secret).await } }),
        )
        .await;
    assert!(out["session"].is_null(), "{out}");
    assert_ne!(error_code(&out), "", "{out}");
}

async fn an_account_without_a_password_signs_in_with_its_provider(app: TestApp) {
    let (token, _) = app.register_provider("CHINA", "WECHAT", "wx-reset").await;
    let phone = "13912340003";
    bind_secure_phone(&app, &token, phone).await;
    app.advance(61).await;
    let code = app.code_for("SMS", phone, "RESET_PASSWORD").await;
    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "SMS", "target": phone,
        "code": code, "newPassword": NEW_PASSWORD }),
    )
    .await;
    // RULE REC-01: no e-mail login method, no password to reset.
    assert_eq!(error_code(&out), "METHOD_NOT_AVAILABLE", "{out}");
    assert!(
        out["userErrors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("sign in with"))
    );
}

async fn two_resets_with_one_code_set_one_password(app: TestApp) {
    let email = "race-reset@example.com";
    app.register_email("CHINA", email).await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "RESET_PASSWORD").await;
    let passwords = [
        "Racer#One111",
        "Racer#Two222",
        "Racer#Six666",
        "Racer#Ten000",
    ];
    let answers = join_all(passwords.iter().map(|p| {
        reset(
            &app,
            json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
            "code": code, "newPassword": p }),
        )
    }))
    .await;
    // RULE REC-01: one code, one reset, whatever races.
    let won: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i]["userErrors"] == json!([]))
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| *i != won[0]) {
        assert!(
            ["CODE_ALREADY_USED", "INVALID_CODE"].contains(&error_code(answer).as_str()),
            "{i}: {answer}"
        );
    }
    for (i, password) in passwords.iter().enumerate() {
        let expected = if i == won[0] {
            ""
        } else {
            "INVALID_CREDENTIALS"
        };
        assert_eq!(sign_in(&app, email, password).await, expected, "{password}");
    }
}

async fn resets_are_limited_per_target(app: TestApp) {
    let email = "limited-reset@example.com";
    app.register_email("CHINA", email).await;
    app.start_fresh_window(3600).await;
    // RULE REC-01: five attempts per target an hour (policy), right code or not.
    for n in 0..5 {
        let out = reset(
            &app,
            json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
            "code": format!("{:06}", n), "newPassword": NEW_PASSWORD }),
        )
        .await;
        assert_ne!(error_code(&out), "RATE_LIMITED", "{n}: {out}");
    }
    let out = reset(
        &app,
        json!({ "site": "CHINA", "channel": "EMAIL", "target": email,
        "code": "000000", "newPassword": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    assert!(
        out["userErrors"][0]["retryAfterSeconds"]
            .as_i64()
            .is_some_and(|s| (1..=3600).contains(&s))
    );
}

// --- REC-03: recovery applications ------------------------------------------------------

const SUBMIT: &str = "mutation($i: SubmitRecoveryApplicationInput!) {
    submitRecoveryApplication(input: $i) {
        userErrors { code field message retryAfterSeconds }
        application { id state changes submittedAt decidedAt rejectionReason }
        statusToken } }";

const STATUS: &str = "query($t: String!) { recoveryApplication(statusToken: $t) {
    id state changes decidedAt rejectionReason } }";

const PENDING: &str = "{ pendingRecoveryApplications(first: 50) {
    applicationId accountId changes subjectMatches submittedAt } }";

const REVIEW: &str = "mutation($id: ID!, $approve: Boolean!, $reason: String) {
    reviewRecoveryApplication(applicationId: $id, approve: $approve, reason: $reason) { ok message } }";

pub async fn apply(app: &TestApp, input: Value) -> Value {
    app.mutate(None, SUBMIT, "submitRecoveryApplication", input)
        .await
}

pub async fn status(app: &TestApp, token: &Value) -> Value {
    let out = app.gql(STATUS, json!({ "t": token })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["recoveryApplication"].clone()
}

/// The operator's queue entry for `account_id`.
pub async fn queued(app: &TestApp, account_id: &str) -> Value {
    let out = app.ops(PENDING, json!({})).await;
    out["data"]["pendingRecoveryApplications"]
        .as_array()
        .unwrap_or_else(|| panic!("a queue in {out}"))
        .iter()
        .find(|a| a["accountId"] == account_id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The operator's decision: `ok` and the message.
pub async fn decide(app: &TestApp, id: &Value, approve: bool, reason: Option<&str>) -> Value {
    let out = app
        .ops(
            REVIEW,
            json!({ "id": id, "approve": approve, "reason": reason }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["reviewRecoveryApplication"].clone()
}

/// Verifies the account as 张三 with `number` (instant WeChat scan in the sandbox).
pub async fn verify_as(app: &TestApp, token: &str, number: &str) {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code message } verification { state } } }",
            "submitIndividualVerification",
            json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                "idNumber": number, "birthDate": "1990-01-01" }),
        )
        .await;
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

async fn outbox_purposes(app: &TestApp, target: &str) -> Vec<String> {
    let out = app
        .ops(
            "query($t: String!) { outbox(target: $t, last: 20) { purpose } }",
            json!({ "t": target }),
        )
        .await;
    out["data"]["outbox"]
        .as_array()
        .unwrap_or_else(|| panic!("an outbox in {out}"))
        .iter()
        .map(|m| m["purpose"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn an_approved_application_gives_the_owner_back_the_account(app: TestApp) {
    let old_email = "lost-everything@example.com";
    let (token, account) = app.register_email("CHINA", old_email).await;
    let id = account_id(&account);
    let number = resident_id("19900101", 301);
    verify_as(&app, &token, &number).await;
    bind_secure_phone(&app, &token, "13912340101").await;
    bind_virtual(&app, &token, None).await;

    let new_email = "found-again@example.com";
    let new_phone = "13912340102";
    let email_code = app.code_for("EMAIL", new_email, "RECOVERY").await;
    let phone_code = app.code_for("SMS", new_phone, "RECOVERY").await;
    let input = json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "newLoginEmail": new_email, "newLoginEmailCode": email_code,
        "newSecurePhone": new_phone, "newSecurePhoneCode": phone_code, "removeMfaDevice": true });
    let out = apply(&app, input.clone()).await;
    // RULE REC-03: filed, pending, with a status token; nothing changes before review.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["application"]["state"], "PENDING");
    assert_eq!(
        out["application"]["changes"],
        json!(["NEW_LOGIN_EMAIL", "NEW_SECURE_PHONE", "REMOVE_MFA_DEVICE"])
    );
    let status_token = out["statusToken"].clone();
    assert_eq!(status(&app, &status_token).await["state"], "PENDING");
    assert_eq!(status(&app, &json!("not-a-token")).await, Value::Null);
    assert!(viewer_account_id(&app, &token).await.is_string());
    // The owner hears of it at once.
    assert!(
        outbox_purposes(&app, "13912340101")
            .await
            .contains(&"RECOVERY_SUBMITTED".to_owned())
    );

    // RULE REC-03: at most one pending application per account.
    let again = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "removeMfaDevice": true }),
    )
    .await;
    assert_eq!(error_code(&again), "APPLICATION_PENDING", "{again}");

    let entry = queued(&app, &id).await;
    // RULE REC-03: the operator sees that the subject matches the verification in force.
    assert_eq!(entry["subjectMatches"], true, "{entry}");
    assert_eq!(
        entry["changes"],
        json!(["NEW_LOGIN_EMAIL", "NEW_SECURE_PHONE", "REMOVE_MFA_DEVICE"])
    );
    let decided = decide(&app, &entry["applicationId"], true, None).await;
    assert_eq!(decided["ok"], true, "{decided}");

    // RULE REC-03: every change applied at once; every session ends.
    let read = status(&app, &status_token).await;
    assert_eq!(read["state"], "APPROVED", "{read}");
    assert!(read["decidedAt"].is_string());
    assert_eq!(viewer_account_id(&app, &token).await, Value::Null);
    assert_eq!(
        sign_in(&app, old_email, PASSWORD).await,
        "INVALID_CREDENTIALS"
    );
    let fresh = app
        .mutate(
            None,
            SIGN_IN,
            "signIn",
            json!({ "site": "CHINA", "email": new_email, "password": PASSWORD }),
        )
        .await;
    let fresh = fresh["session"]["token"]
        .as_str()
        .expect("a session")
        .to_owned();
    let viewer = app
        .gql_as(
            Some(&fresh),
            "{ viewer { account { accountId securePhone mfaDevice { id } loginMethods { kind } } } }",
            json!({}),
        )
        .await;
    let seen = &viewer["data"]["viewer"]["account"];
    assert_eq!(seen["accountId"], json!(id), "{viewer}");
    assert_eq!(seen["securePhone"], "139****0102", "{viewer}");
    assert_eq!(seen["mfaDevice"], Value::Null, "{viewer}");
    // RULE REC-03: the old and the new contacts hear of it.
    for contact in ["13912340101", old_email, new_email, new_phone] {
        assert!(
            outbox_purposes(&app, contact)
                .await
                .contains(&"RECOVERY_APPROVED".to_owned()),
            "{contact}"
        );
    }
    // Decided once.
    let twice = decide(&app, &entry["applicationId"], true, None).await;
    assert_eq!(twice["ok"], false, "{twice}");
}

async fn the_answer_never_tells_whether_the_subject_matched(app: TestApp) {
    let (token, account) = app.register_email("CHINA", "guarded@example.com").await;
    let id = account_id(&account);
    let number = resident_id("19900101", 302);

    // RULE REC-03: an unverified account cannot apply, and is told so.
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "removeMfaDevice": true }),
    )
    .await;
    assert_eq!(error_code(&out), "NOT_VERIFIED", "{out}");
    verify_as(&app, &token, &number).await;

    // Bad input changes nothing.
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    let out = apply(&app, json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "newLoginEmail": "x@example.com", "newLoginEmailCode": "000000" }))
    .await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(queued(&app, &id).await, Value::Null);

    // A stranger's subject and an account ID nobody holds get the same answer as the owner.
    let stranger = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "李四",
        "identityNumber": resident_id("19850101", 303), "removeMfaDevice": true }),
    )
    .await;
    let nobody = apply(
        &app,
        json!({ "site": "CHINA", "accountId": "199999999999",
        "subjectName": "张三", "identityNumber": number, "removeMfaDevice": true }),
    )
    .await;
    // RULE REC-03: the submission never says whether the subject matched.
    for out in [&stranger, &nobody] {
        assert_eq!(out["userErrors"], json!([]), "{out}");
        assert_eq!(out["application"]["state"], "PENDING", "{out}");
        assert!(out["statusToken"].is_string(), "{out}");
    }
    for queue_id in [id.as_str(), "199999999999"] {
        let entry = queued(&app, queue_id).await;
        // RULE REC-03: the operator sees the mismatch and cannot approve it.
        assert_eq!(entry["subjectMatches"], false, "{entry}");
        let refused = decide(&app, &entry["applicationId"], true, None).await;
        assert_eq!(refused["ok"], false, "{refused}");
        let no_reason = decide(&app, &entry["applicationId"], false, None).await;
        assert_eq!(no_reason["ok"], false, "{no_reason}");
        let rejected = decide(&app, &entry["applicationId"], false, Some("不是本人")).await;
        assert_eq!(rejected["ok"], true, "{rejected}");
    }
    // RULE REC-03: the rejection carries its reason to the applicant.
    let read = status(&app, &stranger["statusToken"]).await;
    assert_eq!(read["state"], "REJECTED", "{read}");
    assert_eq!(read["rejectionReason"], "不是本人", "{read}");
    assert!(viewer_account_id(&app, &token).await.is_string());

    // RULE REC-03: three applications per account a day (the stranger's counted). The
    // hour's five requests per account ID (REC, per target) have passed.
    app.advance(3600).await;
    for n in 0..2 {
        let out = apply(
            &app,
            json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
            "identityNumber": number, "removeMfaDevice": true }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{n}: {out}");
        let entry = queued(&app, &id).await;
        decide(
            &app,
            &entry["applicationId"],
            false,
            Some("no device bound"),
        )
        .await;
    }
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "removeMfaDevice": true }),
    )
    .await;
    assert_eq!(error_code(&out), "RATE_LIMITED", "{out}");
    app.advance(24 * 3600 + 60).await;
    let out = apply(
        &app,
        json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "removeMfaDevice": true }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
}

async fn parallel_applications_and_approvals_land_once(app: TestApp) {
    let (token, account) = app
        .register_email("CHINA", "parallel-apply@example.com")
        .await;
    let id = account_id(&account);
    let number = resident_id("19900101", 304);
    verify_as(&app, &token, &number).await;
    bind_virtual(&app, &token, None).await;
    let input = json!({ "site": "CHINA", "accountId": id, "subjectName": "张三",
        "identityNumber": number, "removeMfaDevice": true });
    // Five at once: the hour's allowance of one account ID (REC, per target).
    let answers = join_all((0..5).map(|_| apply(&app, input.clone()))).await;
    // RULE REC-03: one pending application per account, whatever races.
    let filed = answers
        .iter()
        .filter(|a| a["userErrors"] == json!([]))
        .count();
    assert_eq!(filed, 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a["userErrors"] != json!([])) {
        assert_eq!(error_code(answer), "APPLICATION_PENDING", "{answer}");
    }
    let entry = queued(&app, &id).await;
    let decisions =
        join_all((0..4).map(|_| decide(&app, &entry["applicationId"], true, None))).await;
    // RULE REC-03: one decision lands; the device is removed once.
    let landed = decisions.iter().filter(|d| d["ok"] == true).count();
    assert_eq!(landed, 1, "{decisions:?}");
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let approvals = entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::Action.eq("recovery.approved"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(approvals, 1);
    assert_eq!(viewer_account_id(&app, &token).await, Value::Null);
}

db_test!(
    a_forgotten_password_is_reset_with_a_code,
    a_shared_phone_lets_the_person_choose_and_mfa_is_asked,
    an_account_without_a_password_signs_in_with_its_provider,
    a_reset_voids_a_sign_in_waiting_for_its_second_factor,
    two_resets_with_one_code_set_one_password,
    resets_are_limited_per_target,
    an_approved_application_gives_the_owner_back_the_account,
    the_answer_never_tells_whether_the_subject_matched,
    parallel_applications_and_approvals_land_once,
    the_login_methods_of_a_known_account_id_and_nothing_else,
    lookups_are_limited_per_account_id_and_per_client
);
