//! VER: the rules that cut across the verification page — quotas under concurrency
//! (VER-10), operation protection on a change (MFA-07), identity numbers never stored in
//! clear, and the scenario a person runs in GraphiQL.

use futures::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, resident_id},
};

const SUBMIT_INDIVIDUAL: &str = "mutation($i: SubmitIndividualVerificationInput!) {
    submitIndividualVerification(input: $i) {
        userErrors { code field message }
        verification { id state method changeType subjectName identityNumber rejectionReason }
        account { verificationStatus } } }";

const SUBMIT_ENTERPRISE: &str = "mutation($i: SubmitEnterpriseVerificationInput!) {
    submitEnterpriseVerification(input: $i) {
        userErrors { code field message }
        verification { id state method changeType rechargeAmount remittanceAttemptsLeft expiresAt }
        account { verificationStatus } } }";

const PAGE: &str = "{ viewer { account { verificationStatus
    verification { id state subjectName identityNumber changeType inForce nextChangeAllowedAt }
    pendingVerification { id state remittanceAttemptsLeft }
    verificationHistory(first: 20) { totalCount edges { node { id state inForce } } }
    capabilities { capability allowed reason } } } }";

fn individual(name: &str, id_number: &str) -> Value {
    json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": name,
            "idNumber": id_number, "birthDate": "1990-01-01" })
}

fn enterprise(method: &str, name: &str, code: &str) -> Value {
    json!({ "method": method, "region": "MAINLAND", "enterpriseName": name, "creditCode": code,
            "legalPersonName": "王五", "legalPersonIdNumber": resident_id("19800202", 7),
            "licenseIssuedOn": "2020-01-06", "bankAccount": "6222 0200 1234 5678" })
}

async fn submit(app: &TestApp, token: &str, mutation: &str, input: Value) -> Value {
    let out = app
        .gql_as(Some(token), mutation, json!({ "i": input }))
        .await;
    let field = if mutation.contains("submitIndividual") {
        "submitIndividualVerification"
    } else {
        "submitEnterpriseVerification"
    };
    assert!(out["errors"].is_null(), "{out}");
    out["data"][field].clone()
}

/// Signs in again (sessions last 12 hours; some scenarios move the clock by weeks).
async fn sign_in(app: &TestApp, email: &str) -> String {
    let out = app
        .gql(
            "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } session { token } } }",
            json!({ "i": { "site": "CHINA", "email": email, "password": PASSWORD } }),
        )
        .await;
    out["data"]["signIn"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

async fn page(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), PAGE, json!({})).await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

/// Registers `n` CHINA accounts; returns their tokens.
async fn accounts(app: &TestApp, n: usize, prefix: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for i in 0..n {
        let (token, _) = app
            .register_email("CHINA", &format!("{prefix}{i}@example.com"))
            .await;
        tokens.push(token);
    }
    tokens
}

async fn eight_accounts_racing_one_identity_verify_exactly_three(app: TestApp) {
    let tokens = accounts(&app, 8, "race").await;
    let number = resident_id("19900101", 1);
    let outcomes = join_all(
        tokens
            .iter()
            .map(|token| submit(&app, token, SUBMIT_INDIVIDUAL, individual("张三", &number))),
    )
    .await;
    let approved = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    let refused: Vec<String> = outcomes
        .iter()
        .filter(|p| p["verification"].is_null())
        .map(error_code)
        .collect();
    // RULE VER-10
    assert_eq!(approved, 3, "{outcomes:?}");
    // RULE VER-08
    assert_eq!(refused, vec!["IDENTITY_QUOTA_EXCEEDED"; 5], "{outcomes:?}");
    let mut verified = 0;
    for token in &tokens {
        if page(&app, token).await["verificationStatus"] == "VERIFIED" {
            verified += 1;
        }
    }
    assert_eq!(verified, 3);
}

async fn eight_accounts_racing_one_enterprise_verify_exactly_the_quota(app: TestApp) {
    let tokens = accounts(&app, 8, "corp").await;
    let code = credit_code(42);
    let outcomes = join_all(tokens.iter().map(|token| {
        submit(
            &app,
            token,
            SUBMIT_ENTERPRISE,
            enterprise("WECHAT_OFFICIAL_PLATFORM", "示例科技有限公司", &code),
        )
    }))
    .await;
    let approved = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    // RULE VER-10 (CHINA enterprise quota 3, VER-09)
    assert_eq!(approved, 3, "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|p| error_code(p) == "IDENTITY_QUOTA_EXCEEDED")
            .count(),
        5
    );
}

async fn racing_proofs_fill_the_quota_exactly(app: TestApp) {
    // Remittances not yet confirmed hold no place (VER-23): all six wait for their amount.
    let tokens = accounts(&app, 6, "pend").await;
    let code = credit_code(43);
    let outcomes = join_all(tokens.iter().map(|token| {
        submit(
            &app,
            token,
            SUBMIT_ENTERPRISE,
            enterprise("CORPORATE_REMITTANCE", "示例贸易有限公司", &code),
        )
    }))
    .await;
    let pending: Vec<Value> = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "PENDING")
        .map(|p| p["verification"]["id"].clone())
        .collect();
    // RULE VER-23
    assert_eq!(pending.len(), 6, "{outcomes:?}");
    let mut amounts = Vec::new();
    for id in &pending {
        let out = app
            .ops(
                "query($id: ID!) { remittanceAmount(verificationId: $id) }",
                json!({ "id": id }),
            )
            .await;
        amounts.push(
            out["data"]["remittanceAmount"]
                .as_str()
                .expect("an amount")
                .to_owned(),
        );
    }
    // The six proofs arrive at once: the quota is checked at each, under one lock.
    let confirmed = join_all(tokens.iter().zip(&pending).zip(&amounts).map(
        |((token, id), amount)| {
            let app = app.clone();
            async move {
                let out = app
                    .gql_as(
                        Some(token),
                        "mutation($i: ConfirmRemittanceInput!) { confirmRemittance(input: $i) {
                        userErrors { code } verification { state } } }",
                        json!({ "i": { "verificationId": id, "amount": amount } }),
                    )
                    .await;
                out["data"]["confirmRemittance"].clone()
            }
        },
    ))
    .await;
    let approved = confirmed
        .iter()
        .filter(|p| p["verification"]["state"] == "APPROVED")
        .count();
    // RULE VER-10 RULE VER-23 (CHINA enterprise quota 3, VER-09)
    assert_eq!(approved, 3, "{confirmed:?}");
    assert_eq!(
        confirmed
            .iter()
            .filter(|p| error_code(p) == "IDENTITY_QUOTA_EXCEEDED")
            .count(),
        3,
        "{confirmed:?}"
    );
}

async fn one_account_racing_itself_gets_one_request(app: TestApp) {
    let tokens = accounts(&app, 1, "self").await;
    let outcomes = join_all((0..6).map(|i| {
        submit(
            &app,
            &tokens[0],
            SUBMIT_ENTERPRISE,
            enterprise("RECHARGE", "自营有限公司", &credit_code(100 + i)),
        )
    }))
    .await;
    let created = outcomes
        .iter()
        .filter(|p| p["verification"]["state"] == "PENDING")
        .count();
    // RULE VER-13: one pending request per account, even when submitted at once.
    assert_eq!(created, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|p| p["verification"].is_null())
            .all(|p| error_code(p) == "VERIFICATION_IN_PROGRESS"),
        "{outcomes:?}"
    );
}

async fn a_change_needs_a_second_factor_under_operation_protection(app: TestApp) {
    let email = "guarded@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let first = submit(
        &app,
        &token,
        SUBMIT_INDIVIDUAL,
        individual("李四", &resident_id("19900101", 2)),
    )
    .await;
    assert_eq!(first["verification"]["state"], "APPROVED", "{first}");
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let on = app
        .gql_as(
            Some(&token),
            "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) { userErrors { code } } }",
            json!({ "i": { "operationProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } } }),
        )
        .await;
    assert_eq!(
        on["data"]["updateProtection"]["userErrors"],
        json!([]),
        "{on}"
    );
    app.advance(31 * 86_400).await;
    let token = sign_in(&app, email).await;

    let change = individual("李四", &resident_id("19900101", 3));
    let refused = submit(&app, &token, SUBMIT_INDIVIDUAL, change.clone()).await;
    // RULE MFA-07: changing the verification is a protected operation.
    assert_eq!(error_code(&refused), "SECOND_FACTOR_REQUIRED", "{refused}");
    assert_eq!(
        page(&app, &token).await["verificationHistory"]["totalCount"],
        1
    );

    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let mut with_factor = change;
    with_factor["secondFactor"] = json!({ "channel": "EMAIL", "code": code });
    let changed = submit(&app, &token, SUBMIT_INDIVIDUAL, with_factor).await;
    assert_eq!(changed["verification"]["state"], "APPROVED", "{changed}");
    assert_eq!(changed["verification"]["changeType"], "CHANGE_INDIVIDUAL");
}

async fn identity_numbers_are_stored_hashed_and_sealed_only(app: TestApp) {
    let tokens = accounts(&app, 1, "sealed").await;
    let number = resident_id("19900101", 4);
    let code = credit_code(44);
    submit(
        &app,
        &tokens[0],
        SUBMIT_INDIVIDUAL,
        individual("赵六", &number),
    )
    .await;
    let out = submit(
        &app,
        &tokens[0],
        SUBMIT_ENTERPRISE,
        enterprise("CORPORATE_REMITTANCE", "密封有限公司", &code),
    )
    .await;
    assert_eq!(out["verification"]["state"], "PENDING", "{out}");
    let whole_page = page(&app, &tokens[0]).await.to_string();
    for secret in [
        number.as_str(),
        code.as_str(),
        "6222020012345678",
        "赵六",
        "密封有限公司",
    ] {
        // RULE VER-22: the console only ever shows masked personal data.
        assert!(!whole_page.contains(secret), "{secret} in {whole_page}");
    }
    let dump = app.dump_database_text(true).await;
    for secret in [
        number.as_str(),
        code.as_str(),
        "6222020012345678",
        "赵六",
        "密封有限公司",
    ] {
        // RULE VER-10: identity numbers are matched by a keyed hash, never stored in clear.
        assert!(!dump.contains(secret), "{secret} stored in clear");
    }
}

async fn a_person_runs_every_flow_as_in_graphiql(app: TestApp) {
    let tokens = accounts(&app, 4, "flow").await;
    // WeChat scan: approved at once.
    let scan = submit(
        &app,
        &tokens[0],
        SUBMIT_INDIVIDUAL,
        individual("张三", &resident_id("19900101", 5)),
    )
    .await;
    assert_eq!(scan["verification"]["state"], "APPROVED", "{scan}");
    assert_eq!(scan["account"]["verificationStatus"], "VERIFIED");

    // A corporate remittance: one wrong amount, then the right one.
    let remit = submit(
        &app,
        &tokens[1],
        SUBMIT_ENTERPRISE,
        enterprise("CORPORATE_REMITTANCE", "汇款有限公司", &credit_code(45)),
    )
    .await;
    let id = remit["verification"]["id"].as_str().unwrap().to_owned();
    let paid = app
        .ops(
            "query($v: ID!) { remittanceAmount(verificationId: $v) }",
            json!({ "v": id }),
        )
        .await["data"]["remittanceAmount"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = if paid == "0.50" { "0.51" } else { "0.50" };
    let confirm = "mutation($i: ConfirmRemittanceInput!) { confirmRemittance(input: $i) {
        userErrors { code } verification { state } } }";
    let first = app
        .gql_as(
            Some(&tokens[1]),
            confirm,
            json!({ "i": { "verificationId": id, "amount": wrong } }),
        )
        .await;
    assert_eq!(
        error_code(&first["data"]["confirmRemittance"]),
        "WRONG_AMOUNT"
    );
    let second = app
        .gql_as(
            Some(&tokens[1]),
            confirm,
            json!({ "i": { "verificationId": id, "amount": paid } }),
        )
        .await;
    assert_eq!(
        second["data"]["confirmRemittance"]["verification"]["state"], "APPROVED",
        "{second}"
    );

    // A recharge reported received.
    let recharge = submit(
        &app,
        &tokens[2],
        SUBMIT_ENTERPRISE,
        enterprise("RECHARGE", "充值有限公司", &credit_code(46)),
    )
    .await;
    let id = recharge["verification"]["id"].as_str().unwrap();
    let amount = recharge["verification"]["rechargeAmount"].as_str().unwrap();
    let received = app
        .ops(
            "mutation($v: ID!, $a: String!) { reportRechargeReceived(verificationId: $v, amount: $a) { ok message } }",
            json!({ "v": id, "a": amount }),
        )
        .await;
    assert_eq!(
        received["data"]["reportRechargeReceived"]["ok"], true,
        "{received}"
    );
    assert_eq!(
        page(&app, &tokens[2]).await["verificationStatus"],
        "VERIFIED"
    );
    // RULE VER-12: the recharge is credited to the balance (billing's record; no console
    // field shows a balance, so the stored standing is read).
    let cents: i64 = amount.replace('.', "").parse().unwrap();
    let standings = entity::account_standings::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(standings.len(), 1, "{standings:?}");
    assert_eq!(standings[0].cash_balance_cents, cents);

    // A change refused as too soon, then allowed 31 days later.
    let change = individual("张三", &resident_id("19900101", 6));
    let early = submit(&app, &tokens[0], SUBMIT_INDIVIDUAL, change.clone()).await;
    assert_eq!(error_code(&early), "CHANGE_TOO_SOON", "{early}");
    app.advance(31 * 86_400).await;
    let token = sign_in(&app, "flow0@example.com").await;
    let later = submit(&app, &token, SUBMIT_INDIVIDUAL, change).await;
    assert_eq!(later["verification"]["state"], "APPROVED", "{later}");
    let history = page(&app, &token).await;
    assert_eq!(history["verificationHistory"]["totalCount"], 2);
    assert_eq!(
        history["verificationHistory"]["edges"][1]["node"]["inForce"],
        false
    );
}

db_test!(
    eight_accounts_racing_one_identity_verify_exactly_three,
    eight_accounts_racing_one_enterprise_verify_exactly_the_quota,
    racing_proofs_fill_the_quota_exactly,
    one_account_racing_itself_gets_one_request,
    a_change_needs_a_second_factor_under_operation_protection,
    identity_numbers_are_stored_hashed_and_sealed_only,
    a_person_runs_every_flow_as_in_graphiql,
);
