//! COL: collaborators at work, end to end on both databases — the root accounts a
//! collaborator sees and switches into and back from (COL-01), the permissions it has
//! there (SUB-08) and the data of its own account it does not, the root's login and
//! operation protection answered with the collaborator's own factors (COL-02), removal and
//! leaving (COL-03, also with requests in flight), and the end of its memberships when its
//! own account is cancelled or its password changes (COL-04, LOG-09).

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::resident_id,
    mfa,
    projects_and_access::{self as pa, Access, MUTATION_ACCESS, RootFixture},
};

const SWITCH: &str = "mutation($i: SwitchAccountInput!) { switchAccount(input: $i) {
    userErrors { code field message }
    session { token expiresAt } challenge { id methods expiresAt }
    passwordChangeRequired deviceToken } }";

const LEAVE: &str = "mutation($i: LeaveCollaborationInput!) { leaveCollaboration(input: $i) {
    userErrors { code field message } } }";

const ADD_COLLABORATOR: &str = "mutation($i: AddCollaboratorInput!) { addCollaborator(input: $i) {
    userErrors { code field message } subUser { id kind name } } }";

const DELETE_SUB_USER: &str = "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
    userErrors { code field message } deletedId } }";

const DELETE_KEY: &str = "mutation($i: DeleteAccessKeyInput!) { deleteAccessKey(input: $i) {
    userErrors { code field message } deletedId } }";

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message } accessKey { id secretId status } secretKey } }";

const COMPLETE_CHALLENGE: &str =
    "mutation($i: CompleteLoginChallengeInput!) { completeLoginChallenge(input: $i) {
    userErrors { code field message } session { token } challenge { id } deviceToken } }";

const CHANGE_PASSWORD: &str = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) {
    userErrors { code field message } account { accountId } } }";

const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) {
    userErrors { code field message } session { token } challenge { id } } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message } session { token } } }";

const VIEWER: &str = "{ viewer {
    account { accountId }
    subUser { id kind name }
    collaborations { rootAccountId rootNickname since member { id kind name } } } }";

const MEMBER_COUNT: &str = "{ viewer { account { subUsers(first: 1) { totalCount } } } }";

const MEMBER_KEYS: &str =
    "query($id: ID!) { node(id: $id) { ... on SubUser { accessKeys { id status } } } }";

const HISTORY: &str = "{ viewer { account {
    loginHistory(first: 50) { edges { node { success switchedAccountId } } }
    auditLog(first: 100) { edges { node { action actor targetId } } } } } }";

const MEMBERS_MESSAGES: &str = "{ viewer { messages(first: 20, category: MEMBERS) {
    totalCount edges { node { title body category } } } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";

/// CAN-02: the default cooling-off period.
const COOLING_OFF_SECONDS: i64 = 15 * 24 * 3600;

// --- helpers ---------------------------------------------------------------------------

/// A registered CHINA root account.
struct Root {
    email: String,
    token: String,
    /// The numeric account ID.
    id: String,
    /// The Account node's global ID.
    gid: String,
}

async fn root(app: &TestApp, tag: &str) -> Root {
    let email = format!("{tag}@example.com");
    let (token, account) = app.register_email("CHINA", &email).await;
    Root {
        email,
        token,
        id: account["accountId"].as_str().unwrap().to_owned(),
        gid: account["id"].as_str().unwrap().to_owned(),
    }
}

/// Verifies an account at once (WECHAT_SCAN, MAINLAND), with an identity of its own.
async fn verify(app: &TestApp, token: &str, seq: u32) {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code field message } verification { state } } }",
            "submitIndividualVerification",
            json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                    "idNumber": resident_id("19900101", seq), "birthDate": "1990-01-01" }),
        )
        .await;
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

/// `collaborator` joins `root_token`'s account; returns the member's global ID.
async fn add_collaborator(app: &TestApp, root_token: &str, collaborator: &str) -> String {
    let out = app
        .mutate(
            Some(root_token),
            ADD_COLLABORATOR,
            "addCollaborator",
            json!({ "collaboratorAccountId": collaborator }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["kind"], "COLLABORATOR", "{out}");
    out["subUser"]["id"].as_str().unwrap().to_owned()
}

/// A fresh session of an account without login protection.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let out = app
        .mutate(
            None,
            SIGN_IN,
            "signIn",
            json!({ "site": "CHINA", "email": email, "password": password }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {out}"))
        .to_owned()
}

/// The whole answer to `switchAccount`.
async fn switch_raw(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(Some(token), SWITCH, json!({ "i": input })).await
}

/// The `switchAccount` payload (a top-level error fails the test).
async fn switch(app: &TestApp, token: &str, input: Value) -> Value {
    app.mutate(Some(token), SWITCH, "switchAccount", input)
        .await
}

/// The session token of a payload that opened one.
fn session_of(payload: &Value) -> String {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["challenge"], Value::Null, "{payload}");
    payload["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {payload}"))
        .to_owned()
}

/// Switches `token`'s account into `root_id` (no login protection in the way).
async fn switch_into(app: &TestApp, token: &str, root_id: &str) -> String {
    session_of(&switch(app, token, json!({ "rootAccountId": root_id })).await)
}

async fn leave(app: &TestApp, token: &str, root_id: &str) -> Value {
    app.mutate(
        Some(token),
        LEAVE,
        "leaveCollaboration",
        json!({ "rootAccountId": root_id }),
    )
    .await
}

/// `viewer` of a token; `Value::Null` when the token signs nobody in.
async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), VIEWER, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"].clone()
}

/// SUB-02: the root account's members (sub-users and collaborators; none of the others
/// exist in these scenarios).
async fn member_count(app: &TestApp, root_token: &str) -> i64 {
    let out = app.gql_as(Some(root_token), MEMBER_COUNT, json!({})).await;
    out["data"]["viewer"]["account"]["subUsers"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("a member count in {out}"))
}

fn top_level_code(out: &Value) -> String {
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Asserts a refusal NOT_A_COLLABORATOR at `input.rootAccountId`.
fn assert_not_a_collaborator(payload: &Value) {
    assert_eq!(error_code(payload), "NOT_A_COLLABORATOR", "{payload}");
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "rootAccountId"]),
        "{payload}"
    );
}

/// (switchedAccountId of every switch in the login history, audit actions), newest first.
async fn history(app: &TestApp, token: &str) -> (Vec<String>, Vec<String>) {
    let out = app.gql_as(Some(token), HISTORY, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    let account = &out["data"]["viewer"]["account"];
    let switches = account["loginHistory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["node"]["switchedAccountId"].as_str())
        .map(str::to_owned)
        .collect();
    let actions = account["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
        .collect();
    (switches, actions)
}

async fn members_messages(app: &TestApp, token: &str) -> Vec<Value> {
    let out = app.gql_as(Some(token), MEMBERS_MESSAGES, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn node(app: &TestApp, token: &str, id: &str) -> Value {
    let out = app.gql_as(Some(token), NODE, json!({ "id": id })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["node"].clone()
}

async fn delete_member(app: &TestApp, root_token: &str, member: &str) -> Value {
    app.mutate(
        Some(root_token),
        DELETE_SUB_USER,
        "deleteSubUser",
        json!({ "subUserId": member }),
    )
    .await
}

/// The database's row ID of an account, by its numeric account ID.
async fn account_pk(app: &TestApp, account_id: &str) -> i64 {
    entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(account_id))
        .one(&app.db)
        .await
        .expect("account row")
        .unwrap_or_else(|| panic!("no account {account_id}"))
        .id
}

/// Runs the scheduled jobs; returns how many cancellations the run completed.
async fn run_jobs(app: &TestApp) -> u64 {
    let out = app
        .ops("mutation { runScheduledJobs { ok message } }", json!({}))
        .await;
    let result = &out["data"]["runScheduledJobs"];
    assert_eq!(result["ok"], true, "{out}");
    result["message"]
        .as_str()
        .unwrap_or_default()
        .strip_prefix("completed ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("\"completed N cancellations\" in {out}"))
}

// --- COL-01: seeing and switching -------------------------------------------------------

async fn a_collaborator_sees_its_root_accounts_and_switches_in_and_back(app: TestApp) {
    let b = root(&app, "col01-b").await;
    let c = root(&app, "col01-c").await;
    let d = root(&app, "col01-d").await;
    verify(&app, &c.token, 101).await;
    verify(&app, &d.token, 102).await;
    let renamed = app
        .mutate(
            Some(&b.token),
            "mutation($i: UpdateAccountInfoInput!) { updateAccountInfo(input: $i) {
                userErrors { code } account { nickname } } }",
            "updateAccountInfo",
            json!({ "nickname": "Bee Works" }),
        )
        .await;
    assert_eq!(renamed["account"]["nickname"], "Bee Works", "{renamed}");
    let member = add_collaborator(&app, &b.token, &c.id).await;

    let own = viewer(&app, &c.token).await;
    assert_eq!(own["account"]["accountId"], c.id.as_str());
    assert_eq!(own["subUser"], Value::Null);
    let listed = own["collaborations"].as_array().unwrap();
    // RULE COL-01: signed in to its own account, it sees the root account it works in.
    assert_eq!(listed.len(), 1, "{own}");
    assert_eq!(listed[0]["rootAccountId"], b.id.as_str(), "{own}");
    assert_eq!(listed[0]["rootNickname"], "Bee Works", "{own}");
    assert_eq!(
        listed[0]["member"],
        json!({ "id": member, "kind": "COLLABORATOR", "name": c.id }),
        "{own}"
    );
    assert!(listed[0]["since"].is_string(), "{own}");
    // Nobody else collaborates anywhere.
    assert_eq!(viewer(&app, &d.token).await["collaborations"], json!([]));
    assert_eq!(viewer(&app, &b.token).await["collaborations"], json!([]));

    // The root account's objects are not reachable through the member record from C's
    // own session.
    for selection in [
        "account { accountId }",
        "accessKeys { id }",
        "mfaDevice { id }",
        "projects { id }",
    ] {
        let query = format!("{{ viewer {{ collaborations {{ member {{ id {selection} }} }} }} }}");
        let out = app.gql_as(Some(&c.token), &query, json!({})).await;
        // RULE COL-01: none of the root's data outside a switched session.
        assert_eq!(top_level_code(&out), "FORBIDDEN", "{selection}: {out}");
        assert!(!out.to_string().contains(&b.gid), "{out}");
    }

    // Only a root account it collaborates on can be switched into.
    for target in [d.id.as_str(), "999999999999", c.id.as_str(), ""] {
        let out = switch(&app, &c.token, json!({ "rootAccountId": target })).await;
        // RULE COL-01: not its membership: NOT_A_COLLABORATOR, and no session.
        assert_not_a_collaborator(&out);
        assert_eq!(out["session"], Value::Null, "{out}");
        assert_eq!(out["challenge"], Value::Null, "{out}");
    }
    assert_eq!(
        viewer(&app, &c.token).await["account"]["accountId"],
        c.id.as_str()
    );

    let out = switch(&app, &c.token, json!({ "rootAccountId": b.id })).await;
    let switched = session_of(&out);
    assert_eq!(out["passwordChangeRequired"], false, "{out}");
    assert!(out["session"]["expiresAt"].is_string(), "{out}");
    let inside = viewer(&app, &switched).await;
    // RULE COL-01: the session acts in the root account, as the collaborator's member.
    assert_eq!(inside["account"]["accountId"], b.id.as_str(), "{inside}");
    assert_eq!(
        inside["subUser"],
        json!({ "id": member, "kind": "COLLABORATOR", "name": c.id }),
        "{inside}"
    );
    assert_eq!(inside["collaborations"], json!([]), "{inside}");
    // RULE COL-01: the session the switch was asked from has ended.
    assert_eq!(viewer(&app, &c.token).await, Value::Null);
    let out = switch_raw(&app, &c.token, json!({ "rootAccountId": b.id })).await;
    assert_eq!(top_level_code(&out), "UNAUTHENTICATED", "{out}");

    // Switching back is for a switched session only.
    let second = sign_in(&app, &c.email, PASSWORD).await;
    let out = switch(&app, &second, json!({})).await;
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    assert_eq!(
        viewer(&app, &second).await["account"]["accountId"],
        c.id.as_str()
    );

    let home = session_of(&switch(&app, &switched, json!({})).await);
    let back = viewer(&app, &home).await;
    // RULE COL-01: switching back returns to its own account.
    assert_eq!(back["account"]["accountId"], c.id.as_str(), "{back}");
    assert_eq!(back["subUser"], Value::Null, "{back}");
    assert_eq!(back["collaborations"][0]["rootAccountId"], b.id.as_str());
    assert_eq!(viewer(&app, &switched).await, Value::Null);

    // Both accounts record the switches.
    let (b_switches, b_actions) = history(&app, &b.token).await;
    let (c_switches, c_actions) = history(&app, &home).await;
    // RULE COL-01: the root's login history names the collaborator that switched in...
    assert_eq!(b_switches, vec![c.id.clone()], "{b_actions:?}");
    // ...and the collaborator's names the root account, in and back.
    assert_eq!(
        c_switches,
        vec![b.id.clone(), b.id.clone()],
        "{c_actions:?}"
    );
    for action in ["collaborator.switch_in", "collaborator.switch_out"] {
        assert_eq!(
            b_actions.iter().filter(|a| *a == action).count(),
            1,
            "{action} in {b_actions:?}"
        );
        assert!(!c_actions.iter().any(|a| a == action), "{c_actions:?}");
    }
    for action in ["collaboration.switch_in", "collaboration.switch_back"] {
        assert_eq!(
            c_actions.iter().filter(|a| *a == action).count(),
            1,
            "{action} in {c_actions:?}"
        );
        assert!(!b_actions.iter().any(|a| a == action), "{b_actions:?}");
    }

    // A sub-user cannot collaborate: switching and leaving are FORBIDDEN to it.
    pa::create_sub_user(&app, &b.token, "helper", true).await;
    let helper = app
        .mutate(
            None,
            SIGN_IN_SUB_USER,
            "signInSubUser",
            json!({ "rootAccountId": b.id, "userName": "helper", "password": PASSWORD }),
        )
        .await;
    let helper = session_of(&helper);
    for (query, input) in [
        (SWITCH, json!({ "rootAccountId": b.id })),
        (SWITCH, json!({ "rootAccountId": c.id })),
        (SWITCH, json!({})),
        (LEAVE, json!({ "rootAccountId": b.id })),
    ] {
        let out = app
            .gql_as(Some(&helper), query, json!({ "i": input }))
            .await;
        // RULE SUB-03 RULE COL-01: a sub-user is no collaborator.
        assert_eq!(top_level_code(&out), "FORBIDDEN", "{input}: {out}");
    }
    assert_eq!(viewer(&app, &helper).await["subUser"]["name"], "helper");
    assert_eq!(member_count(&app, &b.token).await, 2);
    assert_eq!(
        viewer(&app, &home).await["collaborations"][0]["member"]["id"],
        member.as_str()
    );

    // From one root account straight into another.
    let in_d = add_collaborator(&app, &d.token, &c.id).await;
    let listed: Vec<Value> = viewer(&app, &home).await["collaborations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rootAccountId"].clone())
        .collect();
    // RULE COL-01: every root account it collaborates on, oldest membership first.
    assert_eq!(listed, vec![json!(b.id), json!(d.id)]);
    let in_b = switch_into(&app, &home, &b.id).await;
    let across = switch_into(&app, &in_b, &d.id).await;
    let inside = viewer(&app, &across).await;
    // RULE COL-01: a switched session switches on, as the member of the other account.
    assert_eq!(inside["account"]["accountId"], d.id.as_str(), "{inside}");
    assert_eq!(inside["subUser"]["id"], in_d.as_str(), "{inside}");
    assert_eq!(viewer(&app, &in_b).await, Value::Null);
    let back = session_of(&switch(&app, &across, json!({})).await);
    assert_eq!(
        viewer(&app, &back).await["account"]["accountId"],
        c.id.as_str()
    );
}

// --- COL-01, SUB-08: a sub-user's permissions, none of its own account's data -----------

async fn a_switched_collaborator_has_a_sub_users_permissions_only(app: TestApp) {
    let schema = pa::served_mutations(&app).await;
    let b = root(&app, "perm-b").await;
    let c = root(&app, "perm-c").await;
    verify(&app, &c.token, 111).await;
    let login_method = pa::login_method_ids(&app, &b.token).await[0].1.clone();
    let (verification, remittance_amount) =
        pa::pending_remittance(&app, &b.token, "汇款有限公司", 31).await;
    let other = pa::create_sub_user(&app, &b.token, "other", true).await;
    let idle = pa::create_sub_user(&app, &b.token, "idle", false).await;
    let (root_key, _) = pa::create_key(&app, &b.token, None).await;
    let (other_key, _) = pa::create_key(&app, &b.token, Some(&other)).await;
    let project = pa::project_id(&app, &b.token, "shared").await;
    pa::add_member(&app, &b.token, &project, &other).await;
    let disabled_project = pa::project_id(&app, &b.token, "frozen").await;
    pa::set_project_status(&app, &b.token, &disabled_project, false).await;
    let member = add_collaborator(&app, &b.token, &c.id).await;

    // C's own account has objects of its own.
    let c_project = pa::project_id(&app, &c.token, "c-private").await;
    let c_sub = pa::create_sub_user(&app, &c.token, "c-helper", false).await;
    let (c_key, _) = pa::create_key(&app, &c.token, None).await;
    let c_methods = pa::login_method_ids(&app, &c.token).await;
    let c_home = sign_in(&app, &c.email, PASSWORD).await;
    let c_before = pa::snapshot(&app, &c_home).await;

    let switched = switch_into(&app, &c.token, &b.id).await;
    let f = RootFixture {
        token: b.token.clone(),
        account_id: b.id.clone(),
        login_method,
        verification,
        remittance_amount,
        worker: member.clone(),
        other: other.clone(),
        idle,
        root_key: root_key.clone(),
        other_key,
        project: project.clone(),
        disabled_project,
    };
    let before = pa::snapshot(&app, &b.token).await;
    let mut tried = BTreeSet::new();
    for (name, access) in MUTATION_ACCESS {
        // Switching and leaving are the collaborator's own (tested below and apart).
        if *access != Access::RootOnly || ["switchAccount", "leaveCollaboration"].contains(name) {
            continue;
        }
        for input in pa::root_only_inputs(name, &f) {
            let out = pa::mutate(&app, &schema, Some(&switched), name, input.clone()).await;
            // RULE COL-01 RULE SUB-08: switched in, the root's alone stays the root's.
            assert_eq!(
                top_level_code(&out),
                "FORBIDDEN",
                "{name} with {input} as a switched collaborator: {out}"
            );
            assert!(
                out["data"].is_null() || out["data"][name].is_null(),
                "{name}: {out}"
            );
            tried.insert(*name);
        }
    }
    assert!(tried.len() > 25, "{tried:?}");
    // RULE SUB-08: nothing changed in the root account...
    assert_eq!(pa::snapshot(&app, &b.token).await, before);
    // RULE COL-01: ...nor in the collaborator's own.
    assert_eq!(pa::snapshot(&app, &c_home).await, c_before);

    // Its password and MFA device are its own account's, managed there.
    let pending = mfa::begin(&app, &c_home, None).await;
    assert_eq!(pending["userErrors"], json!([]), "{pending}");
    let secret = pending["secret"].as_str().unwrap().to_owned();
    let code = mfa::code_now(&app, &secret).await;
    for (name, input) in [
        (
            "changePassword",
            json!({ "currentPassword": PASSWORD, "newPassword": "Another#456" }),
        ),
        ("beginVirtualMfaBinding", json!({})),
        (
            "bindHardwareMfa",
            json!({ "serialNumber": "HW-COL-0001", "code": "123456" }),
        ),
        ("unbindMfaDevice", json!({ "code": "123456" })),
    ] {
        let out = pa::mutate(&app, &schema, Some(&switched), name, input.clone()).await;
        // RULE COL-01: its own account's password and device are not changed from here.
        assert_eq!(top_level_code(&out), "FORBIDDEN", "{name}: {out}");
    }
    let out = pa::mutate(
        &app,
        &schema,
        Some(&switched),
        "confirmVirtualMfaBinding",
        json!({ "bindingId": pending["bindingId"], "code": code }),
    )
    .await;
    // RULE COL-02: its MFA device is bound in its own account, never from a switched
    // session, whatever binding it names.
    assert_eq!(top_level_code(&out), "FORBIDDEN", "{out}");
    sign_in(&app, &c.email, PASSWORD).await;
    let out = app
        .gql_as(
            Some(&c_home),
            "{ viewer { account { mfaDevice { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["viewer"]["account"]["mfaDevice"],
        Value::Null,
        "{out}"
    );
    // The binding is still C's to finish, in its own account.
    let bound = mfa::confirm(&app, &c_home, &pending["bindingId"], &code).await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");

    // Its own access keys in the root account, like a sub-user.
    let out = pa::mutate(&app, &schema, Some(&switched), "createAccessKey", json!({})).await;
    let created = &out["data"]["createAccessKey"];
    // RULE SUB-08 RULE SUB-05: a switched collaborator creates its own key.
    assert_eq!(created["userErrors"], json!([]), "{out}");
    assert!(created["secretKey"].is_string(), "{out}");
    let own_key = created["accessKey"]["id"].as_str().unwrap().to_owned();
    let held = app
        .gql_as(Some(&b.token), MEMBER_KEYS, json!({ "id": member }))
        .await;
    assert_eq!(
        held["data"]["node"]["accessKeys"][0]["id"],
        own_key.as_str(),
        "{held}"
    );
    let out = pa::mutate(
        &app,
        &schema,
        Some(&switched),
        "createAccessKey",
        json!({ "subUserId": other }),
    )
    .await;
    // RULE SUB-08: another member's key is the root's to make.
    assert_eq!(top_level_code(&out), "FORBIDDEN", "{out}");
    let out = pa::mutate(
        &app,
        &schema,
        Some(&switched),
        "setAccessKeyStatus",
        json!({ "accessKeyId": root_key, "status": "DISABLED" }),
    )
    .await;
    assert_eq!(
        error_code(&out["data"]["setAccessKeyStatus"]),
        "NOT_FOUND",
        "{out}"
    );

    // node(id:): the root's objects resolve, the collaborator's own account's do not.
    for (id, kind) in [
        (&b.gid, "Account"),
        (&project, "Project"),
        (&other, "SubUser"),
        (&member, "SubUser"),
        (&root_key, "AccessKey"),
    ] {
        let found = node(&app, &switched, id).await;
        assert_eq!(found["__typename"], kind, "{id}: {found}");
    }
    let mut own_ids = vec![c.gid.clone(), c_project, c_sub, c_key];
    own_ids.extend(c_methods.into_iter().map(|(_, id)| id));
    for id in &own_ids {
        // Each is real: C's own session resolves it.
        assert!(node(&app, &c_home, id).await["id"].is_string(), "{id}");
        // RULE COL-01: switched in, none of its own account's data.
        assert_eq!(node(&app, &switched, id).await, Value::Null, "{id}");
    }
    let out = app
        .gql_as(Some(&switched), NODES, json!({ "ids": own_ids }))
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    assert!(
        out["data"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_null),
        "{out}"
    );
}

// --- COL-02: the root's protection, the collaborator's own factors ----------------------

async fn operation_protection_takes_the_collaborators_own_mfa_code(app: TestApp) {
    let b = root(&app, "ops-b").await;
    let c = root(&app, "ops-c").await;
    verify(&app, &c.token, 121).await;
    add_collaborator(&app, &b.token, &c.id).await;
    let (b_secret, _) = mfa::bind_virtual(&app, &b.token, None).await;
    let (c_secret, _) = mfa::bind_virtual(&app, &c.token, None).await;
    mfa::protect_with_mfa(&app, &b.token, &b_secret, "operationProtection", true).await;
    let switched = switch_into(&app, &c.token, &b.id).await;
    let create = |factor: Value| {
        let app = app.clone();
        let switched = switched.clone();
        async move {
            let mut input = json!({});
            if !factor.is_null() {
                input["secondFactor"] = factor;
            }
            app.mutate(Some(&switched), CREATE_KEY, "createAccessKey", input)
                .await
        }
    };

    let out = create(Value::Null).await;
    // RULE MFA-07 RULE COL-02: the root's operation protection applies while switched in.
    assert_eq!(error_code(&out), "SECOND_FACTOR_REQUIRED", "{out}");
    assert_eq!(out["accessKey"], Value::Null);
    let code = mfa::fresh_code(&app, &c_secret).await;
    let out = create(json!({ "mfaCode": mfa::wrong(&code) })).await;
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    let b_code = mfa::code_now(&app, &b_secret).await;
    let out = create(json!({ "mfaCode": b_code })).await;
    // RULE COL-02: the root's own device does not answer for the collaborator.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["accessKey"], Value::Null);
    let out = create(json!({ "mfaCode": code })).await;
    // RULE COL-02: the collaborator's own MFA device answers.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert!(out["secretKey"].is_string(), "{out}");
    let out = create(json!({ "mfaCode": code })).await;
    // RULE MFA-04: not the same code twice; a replay is told as such.
    assert_eq!(error_code(&out), "CODE_ALREADY_USED", "{out}");
    // Only the one key was made.
    let keys = app
        .gql_as(
            Some(&switched),
            "{ viewer { subUser { accessKeys { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        keys["data"]["viewer"]["subUser"]["accessKeys"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{keys}"
    );
}

async fn login_protection_asks_the_collaborator_for_its_own_second_factor(app: TestApp) {
    let b = root(&app, "login-b").await;
    let c = root(&app, "login-c").await;
    verify(&app, &c.token, 131).await;
    let member = add_collaborator(&app, &b.token, &c.id).await;
    // B has a secure phone, C has none: the factors offered tell whose they are.
    let phone = "13912340001";
    let code = app.code_for("SMS", phone, "BIND_PHONE").await;
    let bound = app
        .mutate(
            Some(&b.token),
            "mutation($i: ChangeSecurePhoneInput!) { changeSecurePhone(input: $i) {
                userErrors { code message } } }",
            "changeSecurePhone",
            json!({ "newPhone": phone, "newPhoneCode": code }),
        )
        .await;
    assert_eq!(bound["userErrors"], json!([]), "{bound}");
    let (b_secret, _) = mfa::bind_virtual(&app, &b.token, None).await;
    mfa::protect_with_mfa(&app, &b.token, &b_secret, "loginProtection", true).await;
    let (c_secret, _) = mfa::bind_virtual(&app, &c.token, None).await;

    let out = switch(&app, &c.token, json!({ "rootAccountId": b.id })).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE COL-02: the root's login protection applies to the switch...
    assert_eq!(out["session"], Value::Null, "{out}");
    let challenge = out["challenge"].clone();
    let methods: Vec<&str> = challenge["methods"]
        .as_array()
        .unwrap_or_else(|| panic!("a challenge in {out}"))
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    // RULE COL-02: ...with the collaborator's own factors (its device; not B's phone).
    assert_eq!(methods, ["MFA", "EMAIL"], "{out}");
    // Until it is answered, the session it was asked from goes on.
    assert_eq!(
        viewer(&app, &c.token).await["account"]["accountId"],
        c.id.as_str()
    );

    let b_code = mfa::fresh_code(&app, &b_secret).await;
    let complete = |input: Value| {
        let app = app.clone();
        async move {
            app.mutate(None, COMPLETE_CHALLENGE, "completeLoginChallenge", input)
                .await
        }
    };
    let out = complete(json!({ "challengeId": challenge["id"],
        "secondFactor": { "mfaCode": b_code } }))
    .await;
    // RULE COL-02: the root's device does not answer the collaborator's challenge.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
    let c_code = mfa::code_now(&app, &c_secret).await;
    let out = complete(json!({ "challengeId": challenge["id"],
        "secondFactor": { "mfaCode": c_code }, "trustDevice": true }))
    .await;
    // RULE COL-02: the collaborator's own device opens the switched session.
    let switched = session_of(&out);
    let device = out["deviceToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a device token in {out}"))
        .to_owned();
    let inside = viewer(&app, &switched).await;
    assert_eq!(inside["account"]["accountId"], b.id.as_str(), "{inside}");
    assert_eq!(inside["subUser"]["id"], member.as_str(), "{inside}");
    // RULE COL-01: the session it was asked from ended when the new one opened.
    assert_eq!(viewer(&app, &c.token).await, Value::Null);

    // RULE MFA-06: the trusted device skips the challenge next time...
    let home = sign_in(&app, &c.email, PASSWORD).await;
    let out = switch(
        &app,
        &home,
        json!({ "rootAccountId": b.id, "deviceToken": device }),
    )
    .await;
    let again = session_of(&out);
    assert_eq!(viewer(&app, &again).await["subUser"]["id"], member.as_str());
    // ...and without it, the challenge is back.
    let home = sign_in(&app, &c.email, PASSWORD).await;
    let out = switch(&app, &home, json!({ "rootAccountId": b.id })).await;
    assert_eq!(out["session"], Value::Null, "{out}");
    let challenge = out["challenge"]["id"].clone();
    assert!(challenge.is_string(), "{out}");

    // A code to the collaborator's security e-mail answers it too; one to the root's not.
    app.advance(61).await;
    let b_mail = app.code_for("EMAIL", &b.email, "LOGIN_CHALLENGE").await;
    let out = complete(json!({ "challengeId": challenge,
        "secondFactor": { "channel": "EMAIL", "code": b_mail } }))
    .await;
    // RULE COL-02: the root's security e-mail does not answer for the collaborator.
    assert_eq!(error_code(&out), "INVALID_CODE", "{out}");
    let c_mail = app.code_for("EMAIL", &c.email, "LOGIN_CHALLENGE").await;
    let out = complete(json!({ "challengeId": challenge,
        "secondFactor": { "channel": "EMAIL", "code": c_mail } }))
    .await;
    // RULE COL-02: the collaborator's own security e-mail does.
    let by_mail = session_of(&out);
    assert_eq!(
        viewer(&app, &by_mail).await["subUser"]["id"],
        member.as_str()
    );

    // A switch still waiting for its second factor ends with the collaborator's password.
    let home = sign_in(&app, &c.email, PASSWORD).await;
    let out = switch(&app, &home, json!({ "rootAccountId": b.id })).await;
    let pending = out["challenge"]["id"].clone();
    assert!(pending.is_string(), "{out}");
    let other = sign_in(&app, &c.email, PASSWORD).await;
    let changed = app
        .mutate(
            Some(&other),
            CHANGE_PASSWORD,
            "changePassword",
            json!({ "currentPassword": PASSWORD, "newPassword": "Another#456" }),
        )
        .await;
    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    // RULE LOG-09: the password change ended its switched sessions...
    assert_eq!(viewer(&app, &by_mail).await, Value::Null);
    let c_code = mfa::fresh_code(&app, &c_secret).await;
    let out = complete(json!({ "challengeId": pending,
        "secondFactor": { "mfaCode": c_code } }))
    .await;
    // ...and the switch half done opens nothing.
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    assert_eq!(out["session"], Value::Null, "{out}");
}

// --- COL-03: removal and leaving --------------------------------------------------------

async fn removing_or_leaving_ends_the_switched_sessions(app: TestApp) {
    let b = root(&app, "rm-b").await;
    let c = root(&app, "rm-c").await;
    let d = root(&app, "rm-d").await;
    verify(&app, &c.token, 141).await;
    let member = add_collaborator(&app, &b.token, &c.id).await;
    assert_eq!(member_count(&app, &b.token).await, 1);
    let switched = switch_into(&app, &c.token, &b.id).await;

    let out = delete_member(&app, &b.token, &member).await;
    assert_eq!(out["deletedId"], member.as_str(), "{out}");
    // RULE COL-03: removing the collaborator ends its switched session at once.
    assert_eq!(viewer(&app, &switched).await, Value::Null);
    // RULE SUB-02: it no longer counts.
    assert_eq!(member_count(&app, &b.token).await, 0);
    let home = sign_in(&app, &c.email, PASSWORD).await;
    assert_eq!(viewer(&app, &home).await["collaborations"], json!([]));
    let out = switch(&app, &home, json!({ "rootAccountId": b.id })).await;
    assert_not_a_collaborator(&out);

    // Leaving from its own session.
    let member = add_collaborator(&app, &b.token, &c.id).await;
    let switched = switch_into(&app, &home, &b.id).await;
    let home = sign_in(&app, &c.email, PASSWORD).await;
    let out = leave(&app, &home, &b.id).await;
    // RULE COL-03: a collaborator leaves on its own...
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // ...its switched sessions end and its member record goes.
    assert_eq!(viewer(&app, &switched).await, Value::Null);
    assert_eq!(node(&app, &b.token, &member).await, Value::Null);
    assert_eq!(member_count(&app, &b.token).await, 0);
    assert_eq!(viewer(&app, &home).await["collaborations"], json!([]));
    let messages = members_messages(&app, &b.token).await;
    // RULE COL-03 RULE NTF-02: the root account is told, in its message center.
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["category"], "MEMBERS", "{messages:?}");
    assert!(
        messages[0]["body"].as_str().unwrap().contains(&c.id),
        "{messages:?}"
    );
    for target in [b.id.as_str(), d.id.as_str(), "999999999999"] {
        let out = leave(&app, &home, target).await;
        // RULE COL-03: only a membership it has can be left.
        assert_not_a_collaborator(&out);
    }
    let (_, b_actions) = history(&app, &b.token).await;
    let (_, c_actions) = history(&app, &home).await;
    assert!(
        b_actions.contains(&"collaborator.left".to_owned()),
        "{b_actions:?}"
    );
    assert!(
        c_actions.contains(&"collaboration.leave".to_owned()),
        "{c_actions:?}"
    );

    // Leaving from the switched session itself.
    let member = add_collaborator(&app, &b.token, &c.id).await;
    let switched = switch_into(&app, &home, &b.id).await;
    let out = leave(&app, &switched, &b.id).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE COL-03: the session it left from ends with the membership.
    assert_eq!(viewer(&app, &switched).await, Value::Null);
    assert_eq!(node(&app, &b.token, &member).await, Value::Null);
    assert_eq!(member_count(&app, &b.token).await, 0);
    assert_eq!(members_messages(&app, &b.token).await.len(), 2);
}

// --- COL-04, LOG-09: the collaborator's own account ends, or its password changes -------

async fn a_cancelled_collaborator_leaves_every_root_account(app: TestApp) {
    let b1 = root(&app, "can-b1").await;
    let b2 = root(&app, "can-b2").await;
    let c = root(&app, "can-c").await;
    verify(&app, &c.token, 151).await;
    let m1 = add_collaborator(&app, &b1.token, &c.id).await;
    let m2 = add_collaborator(&app, &b2.token, &c.id).await;
    pa::create_sub_user(&app, &b1.token, "stays", false).await;
    assert_eq!(member_count(&app, &b1.token).await, 2);
    assert_eq!(member_count(&app, &b2.token).await, 1);

    let out = app
        .mutate(
            Some(&c.token),
            "mutation($i: RequestCancellationInput!) { requestCancellation(input: $i) {
                userErrors { code field message } cancellation { state } unmetPreconditions } }",
            "requestCancellation",
            json!({}),
        )
        .await;
    assert_eq!(out["cancellation"]["state"], "COOLING_OFF", "{out}");
    app.advance(COOLING_OFF_SECONDS - 60).await;
    assert_eq!(run_jobs(&app).await, 0);
    // A switched session alive when the cancellation completes.
    let home = sign_in(&app, &c.email, PASSWORD).await;
    let switched = switch_into(&app, &home, &b1.id).await;
    assert_eq!(viewer(&app, &switched).await["subUser"]["id"], m1.as_str());
    app.advance(61).await;
    // RULE CAN-03: the scheduler completes the cancellation.
    assert_eq!(run_jobs(&app).await, 1);

    // RULE COL-04: its switched session ends with its memberships...
    assert_eq!(viewer(&app, &switched).await, Value::Null);
    let b1_token = sign_in(&app, &b1.email, PASSWORD).await;
    let b2_token = sign_in(&app, &b2.email, PASSWORD).await;
    // ...which are removed and stop counting toward the limit (SUB-02).
    assert_eq!(member_count(&app, &b1_token).await, 1);
    assert_eq!(member_count(&app, &b2_token).await, 0);
    assert_eq!(node(&app, &b1_token, &m1).await, Value::Null);
    assert_eq!(node(&app, &b2_token, &m2).await, Value::Null);
    for token in [&b1_token, &b2_token] {
        let messages = members_messages(&app, token).await;
        // RULE COL-04: each root account is told.
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0]["body"].as_str().unwrap().contains(&c.id),
            "{messages:?}"
        );
    }
    let c_pk = account_pk(&app, &c.id).await;
    let live = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CollaboratorAccountId.eq(c_pk))
        .filter(entity::sessions::Column::RevokedAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    assert!(live.is_empty(), "{live:?}");
}

async fn the_collaborators_password_change_ends_its_switched_sessions(app: TestApp) {
    let b = root(&app, "pwd-b").await;
    let c = root(&app, "pwd-c").await;
    verify(&app, &c.token, 161).await;
    let member = add_collaborator(&app, &b.token, &c.id).await;
    let switched = switch_into(&app, &c.token, &b.id).await;
    let change = |token: String| {
        let app = app.clone();
        async move {
            app.mutate(
                Some(&token),
                CHANGE_PASSWORD,
                "changePassword",
                json!({ "currentPassword": PASSWORD, "newPassword": "Another#456" }),
            )
            .await
        }
    };

    // The root revoking its own sessions leaves the collaborator's alone.
    let b_other = sign_in(&app, &b.email, PASSWORD).await;
    let out = change(b.token.clone()).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(viewer(&app, &b_other).await, Value::Null);
    // RULE LOG-09: the root's password change ends the root's other sessions only.
    assert_eq!(
        viewer(&app, &switched).await["subUser"]["id"],
        member.as_str()
    );

    let home = sign_in(&app, &c.email, PASSWORD).await;
    let out = change(home.clone()).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // RULE LOG-09 RULE COL-01: the collaborator's password change ends its switched
    // sessions too (they are its sessions)...
    assert_eq!(viewer(&app, &switched).await, Value::Null);
    // ...not the one it changed the password in.
    assert_eq!(
        viewer(&app, &home).await["account"]["accountId"],
        c.id.as_str()
    );
    // The membership stays.
    assert_eq!(member_count(&app, &b.token).await, 1);
    let again = switch_into(&app, &home, &b.id).await;
    assert_eq!(viewer(&app, &again).await["subUser"]["id"], member.as_str());
}

// --- COL-03 under load: removal while the switched session has requests in flight --------

/// One console request as the server answered it: (HTTP status, body).
async fn post(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

const CLEAN_ERRORS: [&str; 3] = ["UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN"];

/// A success, or a clean refusal: never INTERNAL, never a 5xx. Returns how it ended.
fn assert_clean(status: u16, body: &Value, member: &str, root_id: &str) -> String {
    assert!(status < 500, "{status}: {body}");
    assert!(!body.to_string().contains("INTERNAL"), "{status}: {body}");
    if let Some(errors) = body["errors"].as_array() {
        for error in errors {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(CLEAN_ERRORS.contains(&code), "{status}: {body}");
        }
        return top_level_code(body);
    }
    let data = &body["data"];
    if let Some(payload) = data.get("createAccessKey") {
        match payload["userErrors"][0]["code"].as_str() {
            None => {
                assert!(payload["secretKey"].is_string(), "{body}");
                "key created".to_owned()
            }
            Some(code) => {
                assert!(["NOT_FOUND", "ACCESS_KEY_LIMIT"].contains(&code), "{body}");
                code.to_owned()
            }
        }
    } else if data["viewer"].is_null() {
        "signed out".to_owned()
    } else {
        assert_eq!(data["viewer"]["account"]["accountId"], root_id, "{body}");
        assert_eq!(data["viewer"]["subUser"]["id"], member, "{body}");
        "viewer".to_owned()
    }
}

async fn removing_a_collaborator_with_requests_in_flight_leaves_nothing_behind(app: TestApp) {
    let b = root(&app, "race-b").await;
    let c = root(&app, "race-c").await;
    verify(&app, &c.token, 171).await;
    let b_pk = account_pk(&app, &b.id).await;
    let c_pk = account_pk(&app, &c.id).await;
    let mut home = c.token.clone();
    let mut refused_for_keys = 0;
    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    for round in 0..3 {
        let member = add_collaborator(&app, &b.token, &c.id).await;
        let switched = switch_into(&app, &home, &b.id).await;
        home = sign_in(&app, &c.email, PASSWORD).await;
        // Eight one-shot key creations, and eight readers that keep asking until the
        // session has ended, so that requests are in flight all through the deletion.
        let mut in_flight = Vec::new();
        for i in 0..16 {
            let app = app.clone();
            let switched = switched.clone();
            in_flight.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                if i % 2 == 1 {
                    answers.push(post(&app, &switched, CREATE_KEY, json!({ "i": {} })).await);
                    return answers;
                }
                for _ in 0..300 {
                    let answer = post(
                        &app,
                        &switched,
                        "{ viewer { account { accountId } subUser { id } } }",
                        json!({}),
                    )
                    .await;
                    let ended = answer.1["data"]["viewer"].is_null();
                    answers.push(answer);
                    if ended {
                        break;
                    }
                }
                answers
            }));
        }
        // The root deletes the member meanwhile; a key made first is deleted, then again.
        loop {
            let out = delete_member(&app, &b.token, &member).await;
            if out["deletedId"] == member.as_str() {
                break;
            }
            assert_eq!(
                error_code(&out),
                "ACTIVE_ACCESS_KEYS",
                "round {round}: {out}"
            );
            refused_for_keys += 1;
            let keys = app
                .gql_as(Some(&b.token), MEMBER_KEYS, json!({ "id": member }))
                .await;
            for key in keys["data"]["node"]["accessKeys"].as_array().unwrap() {
                let out = app
                    .mutate(
                        Some(&b.token),
                        DELETE_KEY,
                        "deleteAccessKey",
                        json!({ "accessKeyId": key["id"] }),
                    )
                    .await;
                assert!(
                    out["userErrors"] == json!([]) || error_code(&out) == "NOT_FOUND",
                    "{out}"
                );
            }
        }
        for task in in_flight {
            let answers = task.await.expect("request task");
            for (status, body) in &answers {
                // RULE COL-03: in-flight requests end cleanly, never in an internal error.
                let outcome = assert_clean(*status, body, &member, &b.id);
                *outcomes.entry(outcome).or_insert(0) += 1;
            }
            let (_, last) = answers.last().unwrap();
            // Every reader saw the session end.
            assert!(
                last.get("createAccessKey").is_some()
                    || last["data"].get("createAccessKey").is_some()
                    || last["data"]["viewer"].is_null(),
                "round {round}: {last}"
            );
        }
        // RULE COL-03: the switched session has ended...
        assert_eq!(viewer(&app, &switched).await, Value::Null, "round {round}");
        let (_, out) = post(&app, &switched, CREATE_KEY, json!({ "i": {} })).await;
        assert_eq!(top_level_code(&out), "UNAUTHENTICATED", "{out}");
        // ...and nothing of the member survives: no key, no live session.
        let keys = entity::access_keys::Entity::find()
            .filter(entity::access_keys::Column::AccountId.eq(b_pk))
            .all(&app.db)
            .await
            .unwrap();
        assert!(keys.is_empty(), "round {round}: {keys:?}");
        let live = entity::sessions::Entity::find()
            .filter(entity::sessions::Column::CollaboratorAccountId.eq(c_pk))
            .filter(entity::sessions::Column::RevokedAt.is_null())
            .all(&app.db)
            .await
            .unwrap();
        assert!(live.is_empty(), "round {round}: {live:?}");
        assert_eq!(member_count(&app, &b.token).await, 0);
    }
    eprintln!(
        "in-flight outcomes {outcomes:?}; deleteSubUser refused for active keys {refused_for_keys} time(s)"
    );
}

async fn a_switch_racing_the_removal_leaves_no_live_session(app: TestApp) {
    let b = root(&app, "swrace-b").await;
    let c = root(&app, "swrace-c").await;
    verify(&app, &c.token, 181).await;
    let c_pk = account_pk(&app, &c.id).await;
    let mut opened = 0;
    for round in 0..3 {
        let member = add_collaborator(&app, &b.token, &c.id).await;
        let mut homes = Vec::new();
        for _ in 0..6 {
            homes.push(sign_in(&app, &c.email, PASSWORD).await);
        }
        let switches: Vec<_> = homes
            .into_iter()
            .map(|home| {
                let app = app.clone();
                let root_id = b.id.clone();
                tokio::spawn(async move {
                    post(
                        &app,
                        &home,
                        SWITCH,
                        json!({ "i": { "rootAccountId": root_id } }),
                    )
                    .await
                })
            })
            .collect();
        let out = delete_member(&app, &b.token, &member).await;
        assert_eq!(out["deletedId"], member.as_str(), "round {round}: {out}");
        for task in switches {
            let (status, body) = task.await.expect("switch task");
            assert!(status < 500, "{status}: {body}");
            assert!(body.get("errors").is_none(), "round {round}: {body}");
            let payload = &body["data"]["switchAccount"];
            if let Some(token) = payload["session"]["token"].as_str() {
                opened += 1;
                // RULE COL-03: a switch that won the race ended with the removal.
                assert_eq!(viewer(&app, token).await, Value::Null, "round {round}");
            } else {
                // RULE COL-03: one that lost it opened nothing.
                assert_not_a_collaborator(payload);
            }
        }
        let live = entity::sessions::Entity::find()
            .filter(entity::sessions::Column::CollaboratorAccountId.eq(c_pk))
            .filter(entity::sessions::Column::RevokedAt.is_null())
            .all(&app.db)
            .await
            .unwrap();
        assert!(live.is_empty(), "round {round}: {live:?}");
    }
    eprintln!("switches opened before the removal: {opened} of 18");
}

db_test!(
    a_collaborator_sees_its_root_accounts_and_switches_in_and_back,
    a_switched_collaborator_has_a_sub_users_permissions_only,
    operation_protection_takes_the_collaborators_own_mfa_code,
    login_protection_asks_the_collaborator_for_its_own_second_factor,
    removing_or_leaving_ends_the_switched_sessions,
    a_cancelled_collaborator_leaves_every_root_account,
    the_collaborators_password_change_ends_its_switched_sessions,
    removing_a_collaborator_with_requests_in_flight_leaves_nothing_behind,
    a_switch_racing_the_removal_leaves_no_live_session,
);
