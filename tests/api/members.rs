//! SUB: members of a root account end to end — the three kinds (SUB-01), the member limit
//! under concurrency (SUB-02), collaborators (SUB-03, VER-21), sub-user sign-in and its
//! lockout (SUB-04), access keys (SUB-05, SUB-06), deleting a sub-user (SUB-07, MFA-07),
//! console sign-in switched off, and the members connection.

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{CAPTCHA_OK, PASSWORD, TestApp, error_code},
    identities::resident_id,
    sign_in::move_to_early_utc_morning,
};

const CREATE_SUB_USER: &str = "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
    userErrors { code field message }
    subUser { id kind name remark email phone consoleLogin } } }";

const ADD_COLLABORATOR: &str = "mutation($i: AddCollaboratorInput!) { addCollaborator(input: $i) {
    userErrors { code field message }
    subUser { id kind name remark email phone consoleLogin } } }";

const CREATE_RECIPIENT: &str =
    "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
    userErrors { code field message }
    subUser { id kind name remark email phone consoleLogin } } }";

const UPDATE_SUB_USER: &str = "mutation($i: UpdateSubUserInput!) { updateSubUser(input: $i) {
    userErrors { code field message }
    subUser { id kind name remark email phone consoleLogin } } }";

const DELETE_SUB_USER: &str = "mutation($i: DeleteSubUserInput!) { deleteSubUser(input: $i) {
    userErrors { code field message } deletedId } }";

const CREATE_KEY: &str = "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
    userErrors { code field message }
    accessKey { id secretId status createdAt lastUsedAt } secretKey } }";

const SET_KEY_STATUS: &str =
    "mutation($i: SetAccessKeyStatusInput!) { setAccessKeyStatus(input: $i) {
    userErrors { code field message } accessKey { id secretId status } } }";

const DELETE_KEY: &str = "mutation($i: DeleteAccessKeyInput!) { deleteAccessKey(input: $i) {
    userErrors { code field message } deletedId } }";

const SIGN_IN_SUB_USER: &str = "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
    userErrors { code field message }
    session { token expiresAt } challenge { id } } }";

const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) {
    userErrors { code field message } session { token } } }";

const VIEWER: &str = "{ viewer {
    account { accountId verificationStatus }
    subUser { id kind name consoleLogin accessKeys { id secretId status } }
    session { expiresAt } } }";

const MEMBERS: &str =
    "query($first: Int, $after: String, $kind: SubUserKind, $search: String) { viewer { account {
    subUsers(first: $first, after: $after, kind: $kind, search: $search) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id kind name } } } } } }";

const SUB_USER_NODE: &str = "query($id: ID!) { node(id: $id) { __typename ... on SubUser {
    id kind name consoleLogin
    accessKeys { id secretId status }
    projects { id name } } } }";

const KEY_NODE: &str = "query($id: ID!) { node(id: $id) { __typename ... on AccessKey {
    id secretId status } } }";

const CREATE_PROJECT: &str = "mutation($i: CreateProjectInput!) { createProject(input: $i) {
    userErrors { code field message } project { id name status } } }";

const ADD_PROJECT_MEMBER: &str = "mutation($i: ProjectMemberInput!) { addProjectMember(input: $i) {
    userErrors { code field message } project { id members { totalCount } } } }";

const PROJECT_MEMBERS: &str = "query($id: ID!) { node(id: $id) { ... on Project {
    members(first: 50) { totalCount edges { node { id name } } } } } }";

const SUBMIT_INDIVIDUAL: &str =
    "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
    userErrors { code field message } verification { state } } }";

const UPDATE_PROTECTION: &str =
    "mutation($i: UpdateProtectionInput!) { updateProtection(input: $i) {
    userErrors { code field message } account { operationProtection } } }";

// --- helpers ---------------------------------------------------------------------------

async fn mutate(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    app.mutate(Some(token), query, field, input).await
}

/// The top-level error code of a request (e.g. FORBIDDEN); "" when there is none.
async fn top_level_code(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    let out = app.gql_as(Some(token), query, variables).await;
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Registers a CHINA root account; returns its token and numeric account ID.
async fn root(app: &TestApp, email: &str) -> (String, String) {
    let (token, account) = app.register_email("CHINA", email).await;
    let id = account["accountId"].as_str().expect("accountId").to_owned();
    (token, id)
}

/// Verifies an account at once (WECHAT_SCAN, MAINLAND), with an identity of its own.
async fn verify(app: &TestApp, token: &str, seq: u32) {
    let out = mutate(
        app,
        token,
        SUBMIT_INDIVIDUAL,
        "submitIndividualVerification",
        json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
                "idNumber": resident_id("19900101", seq), "birthDate": "1990-01-01" }),
    )
    .await;
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
}

async fn create_sub_user(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(app, token, CREATE_SUB_USER, "createSubUser", input).await
}

/// A sub-user with console sign-in and the standard password; returns its global ID.
async fn sub_user(app: &TestApp, token: &str, name: &str) -> String {
    let out = create_sub_user(app, token, json!({ "name": name, "password": PASSWORD })).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["subUser"]["id"].as_str().expect("id").to_owned()
}

async fn add_collaborator(app: &TestApp, token: &str, account_id: &str) -> Value {
    mutate(
        app,
        token,
        ADD_COLLABORATOR,
        "addCollaborator",
        json!({ "collaboratorAccountId": account_id }),
    )
    .await
}

async fn create_recipient(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(
        app,
        token,
        CREATE_RECIPIENT,
        "createMessageRecipient",
        input,
    )
    .await
}

async fn sign_in_sub_user(
    app: &TestApp,
    root_account_id: &str,
    user_name: &str,
    password: &str,
    captcha: Option<&str>,
) -> Value {
    let out = app
        .gql(
            SIGN_IN_SUB_USER,
            json!({ "i": { "rootAccountId": root_account_id, "userName": user_name,
                           "password": password, "captcha": captcha } }),
        )
        .await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["signInSubUser"].clone()
}

fn token_of(payload: &Value) -> String {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session in {payload}"))
        .to_owned()
}

/// The sub-user's session token (a successful sign-in with the standard password).
async fn sub_user_token(app: &TestApp, root_account_id: &str, user_name: &str) -> String {
    token_of(&sign_in_sub_user(app, root_account_id, user_name, PASSWORD, None).await)
}

async fn viewer(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), VIEWER, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"].clone()
}

async fn members(app: &TestApp, token: &str, variables: Value) -> Value {
    let out = app.gql_as(Some(token), MEMBERS, variables).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["viewer"]["account"]["subUsers"].clone()
}

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn node(app: &TestApp, token: &str, query: &str, id: &str) -> Value {
    let out = app.gql_as(Some(token), query, json!({ "id": id })).await;
    assert!(out.get("errors").is_none(), "{out}");
    out["data"]["node"].clone()
}

async fn create_key(app: &TestApp, token: &str, sub_user_id: Option<&str>) -> Value {
    let input = match sub_user_id {
        Some(id) => json!({ "subUserId": id }),
        None => json!({}),
    };
    mutate(app, token, CREATE_KEY, "createAccessKey", input).await
}

async fn set_key_status(app: &TestApp, token: &str, key_id: &str, status: &str) -> Value {
    mutate(
        app,
        token,
        SET_KEY_STATUS,
        "setAccessKeyStatus",
        json!({ "accessKeyId": key_id, "status": status }),
    )
    .await
}

async fn delete_key(app: &TestApp, token: &str, key_id: &str) -> Value {
    mutate(
        app,
        token,
        DELETE_KEY,
        "deleteAccessKey",
        json!({ "accessKeyId": key_id }),
    )
    .await
}

async fn delete_sub_user(app: &TestApp, token: &str, input: Value) -> Value {
    mutate(app, token, DELETE_SUB_USER, "deleteSubUser", input).await
}

/// The key's global ID from a successful createAccessKey payload.
fn key_id(payload: &Value) -> String {
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["accessKey"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a key in {payload}"))
        .to_owned()
}

// --- SUB-01: the three kinds ------------------------------------------------------------

async fn three_kinds_of_member_are_created_and_listed_by_kind_and_search(app: TestApp) {
    let (token, own_id) = root(&app, "kinds@example.com").await;
    let (other, other_id) = root(&app, "partner@example.com").await;
    verify(&app, &other, 11).await;

    let dev = create_sub_user(
        &app,
        &token,
        json!({ "name": "Dev.Ops", "password": PASSWORD, "email": "dev.ops@example.com",
                "phone": "13800138000", "remark": "on call" }),
    )
    .await;
    assert_eq!(dev["userErrors"], json!([]), "{dev}");
    // RULE SUB-01: a sub-user is created by the root and signs in to the console by default.
    assert_eq!(dev["subUser"]["kind"], "SUB_USER");
    assert_eq!(dev["subUser"]["name"], "Dev.Ops");
    assert_eq!(dev["subUser"]["consoleLogin"], true);
    assert_eq!(dev["subUser"]["remark"], "on call");
    // RULE VER-22: contacts are shown masked.
    assert_eq!(dev["subUser"]["email"], "d***@example.com");
    assert_eq!(dev["subUser"]["phone"], "138****8000");

    // Console sign-in needs a password, and a strong one.
    let no_password = create_sub_user(&app, &token, json!({ "name": "nopass" })).await;
    assert_eq!(error_code(&no_password), "INVALID_INPUT", "{no_password}");
    assert_eq!(
        no_password["userErrors"][0]["field"],
        json!(["input", "password"])
    );
    assert_eq!(no_password["subUser"], Value::Null);
    let weak = create_sub_user(&app, &token, json!({ "name": "weak", "password": "abc" })).await;
    assert_eq!(error_code(&weak), "PASSWORD_TOO_WEAK", "{weak}");
    let no_console = create_sub_user(
        &app,
        &token,
        json!({ "name": "no_console", "consoleLogin": false }),
    )
    .await;
    assert_eq!(no_console["userErrors"], json!([]), "{no_console}");
    assert_eq!(no_console["subUser"]["consoleLogin"], false);
    assert_eq!(no_console["subUser"]["email"], Value::Null);

    // User names: unique per root regardless of case, 1-64 of [A-Za-z0-9._-@].
    let taken = create_sub_user(
        &app,
        &token,
        json!({ "name": "DEV.OPS", "password": PASSWORD }),
    )
    .await;
    assert_eq!(error_code(&taken), "NAME_TAKEN", "{taken}");
    for bad in ["with space", "名字", "", &"a".repeat(65)] {
        let out =
            create_sub_user(&app, &token, json!({ "name": bad, "consoleLogin": false })).await;
        assert_eq!(error_code(&out), "INVALID_INPUT", "{bad:?}: {out}");
    }
    let longest = create_sub_user(
        &app,
        &token,
        json!({ "name": "a".repeat(64), "consoleLogin": false }),
    )
    .await;
    assert_eq!(longest["userErrors"], json!([]), "{longest}");
    // Another root may use the same user name.
    let elsewhere = create_sub_user(
        &app,
        &other,
        json!({ "name": "dev.ops", "password": PASSWORD }),
    )
    .await;
    assert_eq!(elsewhere["userErrors"], json!([]), "{elsewhere}");

    let collaborator = add_collaborator(&app, &token, &other_id).await;
    assert_eq!(collaborator["userErrors"], json!([]), "{collaborator}");
    // RULE SUB-01: a collaborator is an existing root account; its name is its account ID.
    assert_eq!(collaborator["subUser"]["kind"], "COLLABORATOR");
    assert_eq!(collaborator["subUser"]["name"], other_id.as_str());

    let recipient = create_recipient(
        &app,
        &token,
        json!({ "name": "Alerts", "email": "alerts@example.com" }),
    )
    .await;
    assert_eq!(recipient["userErrors"], json!([]), "{recipient}");
    // RULE SUB-01: a message recipient receives notices and cannot sign in.
    assert_eq!(recipient["subUser"]["kind"], "MESSAGE_RECIPIENT");
    assert_eq!(recipient["subUser"]["consoleLogin"], false);
    assert_eq!(recipient["subUser"]["email"], "a***@example.com");
    let by_phone = create_recipient(
        &app,
        &token,
        json!({ "name": "Pager", "phone": "13900139000" }),
    )
    .await;
    assert_eq!(by_phone["userErrors"], json!([]), "{by_phone}");
    let unreachable = create_recipient(&app, &token, json!({ "name": "Nobody" })).await;
    assert_eq!(error_code(&unreachable), "INVALID_INPUT", "{unreachable}");

    // The whole list, in creation order.
    let all = members(&app, &token, json!({ "first": 50 })).await;
    assert_eq!(all["totalCount"], 6, "{all}");
    let long_name = "a".repeat(64);
    assert_eq!(
        names(&all),
        vec![
            "Dev.Ops",
            "no_console",
            long_name.as_str(),
            other_id.as_str(),
            "Alerts",
            "Pager"
        ]
    );
    let kinds: Vec<&str> = all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "SUB_USER",
            "SUB_USER",
            "SUB_USER",
            "COLLABORATOR",
            "MESSAGE_RECIPIENT",
            "MESSAGE_RECIPIENT"
        ]
    );

    // RULE SUB-01: listed by kind.
    let subs = members(&app, &token, json!({ "kind": "SUB_USER" })).await;
    assert_eq!(subs["totalCount"], 3);
    assert_eq!(
        names(&subs),
        vec!["Dev.Ops", "no_console", long_name.as_str()]
    );
    let collaborators = members(&app, &token, json!({ "kind": "COLLABORATOR" })).await;
    assert_eq!(collaborators["totalCount"], 1);
    assert_eq!(names(&collaborators), vec![other_id.as_str()]);
    let recipients = members(&app, &token, json!({ "kind": "MESSAGE_RECIPIENT" })).await;
    assert_eq!(recipients["totalCount"], 2);
    assert_eq!(names(&recipients), vec!["Alerts", "Pager"]);

    // Search: part of the name, ignoring case; "%" and "_" are literal.
    for search in ["ops", "OPS", "v.O"] {
        let found = members(&app, &token, json!({ "search": search })).await;
        assert_eq!(names(&found), vec!["Dev.Ops"], "{search}");
        assert_eq!(found["totalCount"], 1, "{search}");
    }
    let underscore = members(&app, &token, json!({ "search": "_" })).await;
    assert_eq!(names(&underscore), vec!["no_console"]);
    let percent = members(&app, &token, json!({ "search": "%" })).await;
    assert_eq!(percent["totalCount"], 0, "{percent}");
    assert_eq!(names(&percent), Vec::<String>::new());
    let combined = members(
        &app,
        &token,
        json!({ "kind": "MESSAGE_RECIPIENT", "search": "ale" }),
    )
    .await;
    assert_eq!(names(&combined), vec!["Alerts"]);
    assert_eq!(combined["totalCount"], 1);

    // The other root sees only its own members.
    let theirs = members(&app, &other, json!({})).await;
    assert_eq!(names(&theirs), vec!["dev.ops"]);
    assert_eq!(theirs["totalCount"], 1);
    assert_ne!(own_id, other_id);
}

async fn search_matches_the_name_shown_for_every_kind(app: TestApp) {
    let (token, _) = root(&app, "search@example.com").await;
    let (other, other_id) = root(&app, "searched@example.com").await;
    verify(&app, &other, 12).await;
    assert_eq!(
        add_collaborator(&app, &token, &other_id).await["userErrors"],
        json!([])
    );
    let recipient = create_recipient(
        &app,
        &token,
        json!({ "name": "Alerts", "email": "alerts@example.com" }),
    )
    .await;
    assert_eq!(recipient["userErrors"], json!([]), "{recipient}");

    // RULE SUB-01: a collaborator is found by the account ID it is listed under.
    let by_account_id = members(&app, &token, json!({ "search": other_id })).await;
    assert_eq!(
        names(&by_account_id),
        vec![other_id.as_str()],
        "{by_account_id}"
    );
    assert_eq!(by_account_id["totalCount"], 1);
    // Words that are in no member's name find nothing.
    for search in ["collaborator", "recipient", ":"] {
        let found = members(&app, &token, json!({ "search": search })).await;
        assert_eq!(found["totalCount"], 0, "{search}: {found}");
    }
}

// --- SUB-02: the member limit -----------------------------------------------------------

/// Adds `n` plain sub-users straight to the database (setup only, as console_page does).
async fn seed_sub_users(app: &TestApp, account_id: &str, n: i64) {
    use sea_orm::Set;
    let account = entity::accounts::Entity::find()
        .filter(entity::accounts::Column::AccountNumber.eq(account_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the root account");
    let now = chrono::Utc::now();
    let rows: Vec<entity::sub_users::ActiveModel> = (0..n)
        .map(|i| entity::sub_users::ActiveModel {
            id: Set(2_000_000 + i),
            account_id: Set(account.id),
            kind: Set("SUB_USER".into()),
            name: Set(format!("bulk-{i:04}")),
            name_key: Set(format!("bulk-{i:04}")),
            remark: Set(None),
            email: Set(None),
            phone: Set(None),
            password_hash: Set(None),
            console_login: Set(false),
            collaborator_account_id: Set(None),
            login_protection: Set(false),
            operation_protection: Set(false),
            created_at: Set(now),
            password_change_required: Set(false),
            message_categories: Set(String::new()),
        })
        .collect();
    for chunk in rows.chunks(300) {
        entity::sub_users::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
}

async fn member_limit_holds_under_parallel_creation(app: TestApp) {
    let (token, account_id) = root(&app, "limit@example.com").await;
    let (partner, partner_id) = root(&app, "limit-partner@example.com").await;
    verify(&app, &partner, 21).await;
    // Recipients first: they must not take places.
    for i in 0..3 {
        let out = create_recipient(
            &app,
            &token,
            json!({ "name": format!("notice-{i}"), "email": format!("n{i}@example.com") }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
    }
    seed_sub_users(&app, &account_id, 998).await;

    let outcomes = join_all((0..6).map(|i| {
        let app = &app;
        let token = &token;
        async move {
            create_sub_user(
                app,
                token,
                json!({ "name": format!("race-{i}"), "consoleLogin": false }),
            )
            .await
        }
    }))
    .await;
    let created = outcomes
        .iter()
        .filter(|p| p["subUser"]["id"].is_string())
        .count();
    let refused: Vec<String> = outcomes
        .iter()
        .filter(|p| p["subUser"].is_null())
        .map(error_code)
        .collect();
    // RULE SUB-02: 998 + 2 = 1,000, however many race; recipients are not counted.
    assert_eq!(created, 2, "{outcomes:?}");
    assert_eq!(refused, vec!["MEMBER_LIMIT"; 4], "{outcomes:?}");
    let subs = members(&app, &token, json!({ "kind": "SUB_USER", "first": 1 })).await;
    assert_eq!(subs["totalCount"], 1000);

    // RULE SUB-02: collaborators count too.
    let collaborator = add_collaborator(&app, &token, &partner_id).await;
    assert_eq!(error_code(&collaborator), "MEMBER_LIMIT", "{collaborator}");
    let one_more = create_sub_user(
        &app,
        &token,
        json!({ "name": "one-more", "consoleLogin": false }),
    )
    .await;
    assert_eq!(error_code(&one_more), "MEMBER_LIMIT", "{one_more}");
    // RULE SUB-02: message recipients are outside the limit.
    let recipient = create_recipient(
        &app,
        &token,
        json!({ "name": "after-limit", "phone": "13700137000" }),
    )
    .await;
    assert_eq!(recipient["userErrors"], json!([]), "{recipient}");
    let all = members(&app, &token, json!({ "first": 1 })).await;
    assert_eq!(all["totalCount"], 1004);

    // A place freed by a deletion can be taken again, by a collaborator.
    let winner = outcomes
        .iter()
        .find_map(|p| p["subUser"]["id"].as_str())
        .unwrap()
        .to_owned();
    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": winner })).await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");
    let collaborator = add_collaborator(&app, &token, &partner_id).await;
    assert_eq!(collaborator["userErrors"], json!([]), "{collaborator}");
    let full = create_sub_user(
        &app,
        &token,
        json!({ "name": "full-again", "consoleLogin": false }),
    )
    .await;
    assert_eq!(error_code(&full), "MEMBER_LIMIT", "{full}");
}

/// Every account's `member_count` is the number of its rows in `sub_users`.
async fn assert_member_counts_match(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT COUNT(*) AS n FROM accounts WHERE member_count <> \
               (SELECT COUNT(*) FROM sub_users WHERE sub_users.account_id = accounts.id)";
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a row");
    assert_eq!(
        row.try_get::<i64>("", "n").unwrap(),
        0,
        "a member count is off"
    );
}

/// The members page's total is the database's own counter (`accounts.member_count`): it
/// follows creations and deletions that race each other, a collaborator's account going
/// away (the cascade), and agrees with a filtered list, which is counted row by row.
async fn the_members_total_follows_parallel_creation_and_deletion(app: TestApp) {
    let (token, _) = root(&app, "counted@example.com").await;
    let mut doomed = Vec::new();
    for i in 0..4 {
        doomed.push(sub_user(&app, &token, &format!("doomed-{i}")).await);
    }
    let creations = join_all((0..6).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            let input = json!({ "name": format!("racer-{i}"), "consoleLogin": false });
            create_sub_user(app, token, input).await
        }
    }));
    let deletions = join_all(
        doomed
            .iter()
            .map(|id| delete_sub_user(&app, &token, json!({ "subUserId": id }))),
    );
    let (created, deleted) = futures::join!(creations, deletions);
    for outcome in created.iter().chain(&deleted) {
        assert_eq!(outcome["userErrors"], json!([]), "{outcome}");
    }
    let all = members(&app, &token, json!({ "first": 100 })).await;
    assert_eq!(all["totalCount"], 6, "{all}");
    assert_eq!(names(&all).len(), 6);
    let counted = members(&app, &token, json!({ "first": 100, "kind": "SUB_USER" })).await;
    assert_eq!(counted["totalCount"], 6, "{counted}");
    assert_member_counts_match(&app).await;

    // A collaborator counts; when its own account goes, the cascade takes its place too.
    let (partner, partner_id) = root(&app, "counted-partner@example.com").await;
    verify(&app, &partner, 22).await;
    let collaborator = add_collaborator(&app, &token, &partner_id).await;
    assert_eq!(collaborator["userErrors"], json!([]), "{collaborator}");
    assert_eq!(members(&app, &token, json!({})).await["totalCount"], 7);
    entity::accounts::Entity::delete_many()
        .filter(entity::accounts::Column::AccountNumber.eq(&partner_id))
        .exec(&app.db)
        .await
        .expect("the partner's account and its rows go");
    assert_eq!(members(&app, &token, json!({})).await["totalCount"], 6);
    assert_member_counts_match(&app).await;
}

// --- SUB-03: collaborators --------------------------------------------------------------

async fn collaborators_are_verified_roots_of_the_same_site(app: TestApp) {
    let (token, own_id) = root(&app, "owner@example.com").await;
    let (partner, partner_id) = root(&app, "unverified@example.com").await;
    let (_, foreign_id) = app
        .register_email("INTERNATIONAL", "foreign@example.com")
        .await;
    let foreign_id = foreign_id["accountId"].as_str().unwrap().to_owned();

    let unverified = add_collaborator(&app, &token, &partner_id).await;
    // RULE SUB-03 RULE VER-21: only a verified account joins as a collaborator.
    assert_eq!(error_code(&unverified), "NOT_VERIFIED", "{unverified}");
    assert_eq!(
        unverified["userErrors"][0]["field"],
        json!(["input", "collaboratorAccountId"])
    );
    assert_eq!(unverified["subUser"], Value::Null);

    // RULE SUB-03: only root accounts of the same site can be associated.
    let other_site = add_collaborator(&app, &token, &foreign_id).await;
    assert_eq!(error_code(&other_site), "NOT_FOUND", "{other_site}");
    let unknown = add_collaborator(&app, &token, "999999999999").await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    let itself = add_collaborator(&app, &token, &own_id).await;
    assert_eq!(error_code(&itself), "INVALID_INPUT", "{itself}");
    // A sub-user has no account ID: its name leads nowhere.
    sub_user(&app, &token, "helper").await;
    let by_name = add_collaborator(&app, &token, "helper").await;
    assert_eq!(error_code(&by_name), "NOT_FOUND", "{by_name}");
    assert_eq!(
        members(&app, &token, json!({ "kind": "COLLABORATOR" })).await["totalCount"],
        0
    );

    verify(&app, &partner, 31).await;
    let joined = mutate(
        &app,
        &token,
        ADD_COLLABORATOR,
        "addCollaborator",
        json!({ "collaboratorAccountId": format!(" {partner_id} "), "remark": "auditor" }),
    )
    .await;
    assert_eq!(joined["userErrors"], json!([]), "{joined}");
    // RULE SUB-03: a verified root of the same site joins as a collaborator.
    assert_eq!(joined["subUser"]["kind"], "COLLABORATOR");
    assert_eq!(joined["subUser"]["name"], partner_id.as_str());
    assert_eq!(joined["subUser"]["remark"], "auditor");
    let twice = add_collaborator(&app, &token, &partner_id).await;
    assert_eq!(error_code(&twice), "NAME_TAKEN", "{twice}");
    let listed = members(&app, &token, json!({ "kind": "COLLABORATOR" })).await;
    assert_eq!(names(&listed), vec![partner_id.as_str()]);
    assert_eq!(listed["totalCount"], 1);
    // The collaborator stays a root account of its own: its own member list is untouched.
    assert_eq!(members(&app, &partner, json!({})).await["totalCount"], 0);

    // RULE SUB-03: the association is between roots only; a signed-in sub-user cannot make one.
    let helper = sub_user_token(&app, &own_id, "helper").await;
    let code = top_level_code(
        &app,
        &helper,
        ADD_COLLABORATOR,
        json!({ "i": { "collaboratorAccountId": partner_id } }),
    )
    .await;
    assert_eq!(code, "FORBIDDEN");
}

// --- SUB-04: sub-user sign-in -----------------------------------------------------------

async fn sub_user_signs_in_with_the_root_account_id_and_sees_its_root(app: TestApp) {
    let (token, root_id) = root(&app, "signin-root@example.com").await;
    let (other, other_id) = root(&app, "signin-other@example.com").await;
    let created = create_sub_user(
        &app,
        &token,
        json!({ "name": "Dev.Ops", "password": PASSWORD }),
    )
    .await;
    let dev_id = created["subUser"]["id"].as_str().unwrap().to_owned();
    create_sub_user(
        &app,
        &token,
        json!({ "name": "quiet", "password": PASSWORD, "consoleLogin": false }),
    )
    .await;
    create_recipient(
        &app,
        &token,
        json!({ "name": "notices", "email": "notices@example.com" }),
    )
    .await;
    sub_user(&app, &other, "stranger").await;

    // RULE SUB-04: the root's account ID, the user name (any case) and the password.
    let signed = sign_in_sub_user(&app, &root_id, "DEV.ops", PASSWORD, None).await;
    let sub_token = token_of(&signed);
    assert_eq!(signed["challenge"], Value::Null);
    let seen = viewer(&app, &sub_token).await;
    assert_eq!(seen["subUser"]["id"], dev_id.as_str());
    assert_eq!(seen["subUser"]["name"], "Dev.Ops");
    assert_eq!(seen["subUser"]["kind"], "SUB_USER");
    // RULE SUB-03: it belongs to exactly one root account, whose console it sees.
    assert_eq!(seen["account"]["accountId"], root_id.as_str());
    // RULE VER-21: the sub-user needs no verification of its own: it shows the root's.
    assert_eq!(seen["account"]["verificationStatus"], "UNVERIFIED");
    verify(&app, &token, 41).await;
    let seen = viewer(&app, &sub_token).await;
    assert_eq!(seen["account"]["verificationStatus"], "VERIFIED");
    // The root's own viewer has no sub-user.
    assert_eq!(viewer(&app, &token).await["subUser"], Value::Null);

    // Everything else is refused alike.
    for (root_account, name, password) in [
        (root_id.as_str(), "Dev.Ops", "Wrong#123"),
        (other_id.as_str(), "Dev.Ops", PASSWORD),
        (root_id.as_str(), "stranger", PASSWORD),
        ("999999999999", "Dev.Ops", PASSWORD),
        (root_id.as_str(), "nobody", PASSWORD),
    ] {
        let out = sign_in_sub_user(&app, root_account, name, password, None).await;
        assert_eq!(
            error_code(&out),
            "INVALID_CREDENTIALS",
            "{root_account} {name}: {out}"
        );
        assert_eq!(out["session"], Value::Null);
    }
    // RULE SUB-04: no console sign-in for consoleLogin:false, nor for message recipients.
    let quiet = sign_in_sub_user(&app, &root_id, "quiet", PASSWORD, Some(CAPTCHA_OK)).await;
    assert_eq!(error_code(&quiet), "INVALID_CREDENTIALS", "{quiet}");
    assert_eq!(quiet["session"], Value::Null);
    let notices = sign_in_sub_user(&app, &root_id, "notices", PASSWORD, Some(CAPTCHA_OK)).await;
    assert_eq!(error_code(&notices), "INVALID_CREDENTIALS", "{notices}");
    // A sub-user is not a root: the root sign-in does not know it.
    let as_root = app
        .gql(
            SIGN_IN,
            json!({ "i": { "site": "CHINA", "email": "Dev.Ops", "password": PASSWORD } }),
        )
        .await;
    assert!(as_root["data"]["signIn"]["session"].is_null(), "{as_root}");

    // RULE SUB-08: members are the root's alone.
    for (query, input) in [
        (
            CREATE_SUB_USER,
            json!({ "name": "by-sub", "consoleLogin": false }),
        ),
        (
            CREATE_RECIPIENT,
            json!({ "name": "by-sub", "email": "x@example.com" }),
        ),
        (
            UPDATE_SUB_USER,
            json!({ "subUserId": dev_id, "remark": "mine" }),
        ),
        (DELETE_SUB_USER, json!({ "subUserId": dev_id })),
    ] {
        let out = app
            .gql_as(Some(&sub_token), query, json!({ "i": input }))
            .await;
        assert_eq!(
            out["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{query}: {out}"
        );
    }
    assert_eq!(members(&app, &token, json!({})).await["totalCount"], 3);
}

async fn sub_user_lockout_is_counted_per_sub_user(app: TestApp) {
    let email = "lock-root@example.com";
    let (token, root_id) = root(&app, email).await;
    sub_user(&app, &token, "Dev.Ops").await;
    sub_user(&app, &token, "bystander").await;
    move_to_early_utc_morning(&app).await;

    // Three failures need no captcha, whatever the case of the user name.
    for (attempt, name) in ["dev.ops", "DEV.OPS", "Dev.Ops"].iter().enumerate() {
        let out = sign_in_sub_user(&app, &root_id, name, "Wrong#123", None).await;
        assert_eq!(
            error_code(&out),
            "INVALID_CREDENTIALS",
            "attempt {attempt}: {out}"
        );
    }
    // RULE SUB-04 RULE LOG-07: after three failures a captcha is due, right password or not.
    for (password, captcha) in [
        ("Wrong#123", None),
        (PASSWORD, None),
        (PASSWORD, Some("not-the-captcha")),
    ] {
        let out = sign_in_sub_user(&app, &root_id, "dev.ops", password, captcha).await;
        assert_eq!(error_code(&out), "CAPTCHA_REQUIRED", "{password}: {out}");
        assert_eq!(out["userErrors"][0]["field"], json!(["input", "captcha"]));
        assert_eq!(out["session"], Value::Null);
    }
    token_of(&sign_in_sub_user(&app, &root_id, "Dev.Ops", PASSWORD, Some(CAPTCHA_OK)).await);
    // Counted per sub-user: the root and another sub-user need no captcha.
    token_of(&sign_in_sub_user(&app, &root_id, "bystander", PASSWORD, None).await);
    let root_in = app
        .gql(
            SIGN_IN,
            json!({ "i": { "site": "CHINA", "email": email, "password": PASSWORD } }),
        )
        .await;
    token_of(&root_in["data"]["signIn"]);

    for attempt in 4..=10 {
        let out = sign_in_sub_user(&app, &root_id, "Dev.Ops", "Wrong#123", Some(CAPTCHA_OK)).await;
        assert_eq!(
            error_code(&out),
            "INVALID_CREDENTIALS",
            "attempt {attempt}: {out}"
        );
    }
    // RULE SUB-04 RULE LOG-07: locked after ten failures; the right password is refused too.
    for name in ["Dev.Ops", "dev.ops"] {
        let out = sign_in_sub_user(&app, &root_id, name, PASSWORD, Some(CAPTCHA_OK)).await;
        assert_eq!(error_code(&out), "ACCOUNT_LOCKED", "{out}");
        assert_eq!(out["session"], Value::Null);
    }
    // The lock is the sub-user's: the root and the other sub-user still sign in.
    token_of(&sign_in_sub_user(&app, &root_id, "bystander", PASSWORD, None).await);
    let root_in = app
        .gql(
            SIGN_IN,
            json!({ "i": { "site": "CHINA", "email": email, "password": PASSWORD } }),
        )
        .await;
    token_of(&root_in["data"]["signIn"]);

    // CHINA: the lock lasts 24 hours from the first failure.
    app.advance(23 * 3600).await;
    let out = sign_in_sub_user(&app, &root_id, "Dev.Ops", PASSWORD, Some(CAPTCHA_OK)).await;
    assert_eq!(error_code(&out), "ACCOUNT_LOCKED", "{out}");
    app.advance(3600 + 60).await;
    token_of(&sign_in_sub_user(&app, &root_id, "Dev.Ops", PASSWORD, None).await);
}

// --- SUB-05: access keys ----------------------------------------------------------------

async fn access_keys_are_two_per_principal_with_the_secret_shown_once(app: TestApp) {
    let (token, _) = root(&app, "keys@example.com").await;
    let dev = sub_user(&app, &token, "dev").await;
    let ops = sub_user(&app, &token, "ops").await;
    let recipient = create_recipient(
        &app,
        &token,
        json!({ "name": "Alerts", "email": "alerts@example.com" }),
    )
    .await;
    let recipient = recipient["subUser"]["id"].as_str().unwrap().to_owned();

    let mut secrets = Vec::new();
    let mut dev_keys = Vec::new();
    for _ in 0..2 {
        let out = create_key(&app, &token, Some(&dev)).await;
        dev_keys.push(key_id(&out));
        // RULE SUB-05: the secret is returned at creation.
        let secret = out["secretKey"].as_str().unwrap().to_owned();
        assert!(secret.len() >= 32, "{out}");
        assert!(
            out["accessKey"]["secretId"]
                .as_str()
                .unwrap()
                .starts_with("AKID"),
            "{out}"
        );
        assert_eq!(out["accessKey"]["status"], "ACTIVE");
        assert_eq!(out["accessKey"]["lastUsedAt"], Value::Null);
        secrets.push(secret);
    }
    assert_ne!(secrets[0], secrets[1]);
    let third = create_key(&app, &token, Some(&dev)).await;
    // RULE SUB-05: at most two keys per sub-user.
    assert_eq!(error_code(&third), "ACCESS_KEY_LIMIT", "{third}");
    assert_eq!(third["secretKey"], Value::Null);

    // RULE SUB-05: the root's own keys are counted apart from its sub-users'.
    let mut root_keys = Vec::new();
    for _ in 0..2 {
        let out = create_key(&app, &token, None).await;
        root_keys.push(key_id(&out));
        secrets.push(out["secretKey"].as_str().unwrap().to_owned());
    }
    let third = create_key(&app, &token, None).await;
    assert_eq!(error_code(&third), "ACCESS_KEY_LIMIT", "{third}");
    // And each sub-user has two of its own.
    let ops_key = create_key(&app, &token, Some(&ops)).await;
    key_id(&ops_key);
    secrets.push(ops_key["secretKey"].as_str().unwrap().to_owned());
    // A message recipient has no keys.
    let for_recipient = create_key(&app, &token, Some(&recipient)).await;
    assert_eq!(
        error_code(&for_recipient),
        "INVALID_INPUT",
        "{for_recipient}"
    );

    let listed = node(&app, &token, SUB_USER_NODE, &dev).await;
    let listed_ids: Vec<&str> = listed["accessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed_ids,
        dev_keys.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let root_key = node(&app, &token, KEY_NODE, &root_keys[0]).await;
    assert_eq!(root_key["__typename"], "AccessKey", "{root_key}");

    // RULE SUB-05: the secret is never shown again.
    let mut everything = String::new();
    for id in [&dev, &ops] {
        everything.push_str(&node(&app, &token, SUB_USER_NODE, id).await.to_string());
    }
    for id in dev_keys.iter().chain(&root_keys) {
        everything.push_str(&node(&app, &token, KEY_NODE, id).await.to_string());
    }
    everything.push_str(
        &app.gql_as(
            Some(&token),
            "{ viewer { account { subUsers(first: 100) { edges { node {
                accessKeys { id secretId status createdAt lastUsedAt } } } } } } }",
            json!({}),
        )
        .await
        .to_string(),
    );
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "{secret} shown again"
        );
    }

    // RULE SUB-05: keys are disabled, enabled and deleted.
    let disabled = set_key_status(&app, &token, &dev_keys[0], "DISABLED").await;
    assert_eq!(disabled["userErrors"], json!([]), "{disabled}");
    assert_eq!(disabled["accessKey"]["status"], "DISABLED");
    assert_eq!(
        node(&app, &token, KEY_NODE, &dev_keys[0]).await["status"],
        "DISABLED"
    );
    // A disabled key is still a key.
    let still_full = create_key(&app, &token, Some(&dev)).await;
    assert_eq!(error_code(&still_full), "ACCESS_KEY_LIMIT", "{still_full}");
    let enabled = set_key_status(&app, &token, &dev_keys[0], "ACTIVE").await;
    assert_eq!(enabled["accessKey"]["status"], "ACTIVE", "{enabled}");
    let deleted = delete_key(&app, &token, &dev_keys[0]).await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");
    assert_eq!(deleted["deletedId"], dev_keys[0].as_str());
    assert_eq!(
        node(&app, &token, KEY_NODE, &dev_keys[0]).await,
        Value::Null
    );
    let again = delete_key(&app, &token, &dev_keys[0]).await;
    assert_eq!(error_code(&again), "NOT_FOUND", "{again}");
    let listed = node(&app, &token, SUB_USER_NODE, &dev).await;
    assert_eq!(
        listed["accessKeys"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    // The freed place takes a new key.
    key_id(&create_key(&app, &token, Some(&dev)).await);

    // Another root sees none of these keys.
    let (stranger, _) = root(&app, "key-stranger@example.com").await;
    assert_eq!(
        node(&app, &stranger, KEY_NODE, &root_keys[0]).await,
        Value::Null
    );
    let foreign = set_key_status(&app, &stranger, &root_keys[0], "DISABLED").await;
    assert_eq!(error_code(&foreign), "NOT_FOUND", "{foreign}");
    let foreign = create_key(&app, &stranger, Some(&ops)).await;
    assert_eq!(error_code(&foreign), "NOT_FOUND", "{foreign}");
}

async fn parallel_key_creation_stops_at_two(app: TestApp) {
    let (token, _) = root(&app, "key-race@example.com").await;
    let racer = sub_user(&app, &token, "racer").await;
    let outcomes = join_all((0..5).map(|_| create_key(&app, &token, Some(&racer)))).await;
    let created = outcomes
        .iter()
        .filter(|p| p["accessKey"]["id"].is_string())
        .count();
    let refused: Vec<String> = outcomes
        .iter()
        .filter(|p| p["accessKey"].is_null())
        .map(error_code)
        .collect();
    // RULE SUB-05: the limit of two holds under concurrency.
    assert_eq!(created, 2, "{outcomes:?}");
    assert_eq!(refused, vec!["ACCESS_KEY_LIMIT"; 3], "{outcomes:?}");
    let listed = node(&app, &token, SUB_USER_NODE, &racer).await;
    assert_eq!(listed["accessKeys"].as_array().unwrap().len(), 2);

    // The root's own keys race apart.
    let outcomes = join_all((0..4).map(|_| create_key(&app, &token, None))).await;
    let created = outcomes
        .iter()
        .filter(|p| p["accessKey"]["id"].is_string())
        .count();
    assert_eq!(created, 2, "{outcomes:?}");
}

async fn a_sub_user_manages_its_own_access_keys_only(app: TestApp) {
    let (token, root_id) = root(&app, "own-keys@example.com").await;
    sub_user(&app, &token, "dev").await;
    let ops = sub_user(&app, &token, "ops").await;
    let ops_key = key_id(&create_key(&app, &token, Some(&ops)).await);
    let root_key = key_id(&create_key(&app, &token, None).await);

    let dev_token = sub_user_token(&app, &root_id, "dev").await;
    let dev = viewer(&app, &dev_token).await["subUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // RULE SUB-05 RULE SUB-08: a sub-user creates its own keys (no ID, or its own).
    let first = create_key(&app, &dev_token, None).await;
    let first_id = key_id(&first);
    assert!(first["secretKey"].as_str().is_some_and(|s| !s.is_empty()));
    let second_id = key_id(&create_key(&app, &dev_token, Some(&dev)).await);
    let third = create_key(&app, &dev_token, None).await;
    assert_eq!(error_code(&third), "ACCESS_KEY_LIMIT", "{third}");
    let mine = viewer(&app, &dev_token).await;
    let listed: Vec<&str> = mine["subUser"]["accessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![first_id.as_str(), second_id.as_str()]);
    // The keys are the sub-user's, not the root's: the root still has room for one more.
    key_id(&create_key(&app, &token, None).await);

    // Not another sub-user's.
    let code = top_level_code(
        &app,
        &dev_token,
        CREATE_KEY,
        json!({ "i": { "subUserId": ops } }),
    )
    .await;
    assert_eq!(code, "FORBIDDEN");
    for other in [&ops_key, &root_key] {
        let out = set_key_status(&app, &dev_token, other, "DISABLED").await;
        assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
        let out = delete_key(&app, &dev_token, other).await;
        assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    }
    assert_eq!(
        node(&app, &token, KEY_NODE, &ops_key).await["status"],
        "ACTIVE"
    );
    // Its own: disable, enable, delete.
    let out = set_key_status(&app, &dev_token, &first_id, "DISABLED").await;
    assert_eq!(out["accessKey"]["status"], "DISABLED", "{out}");
    let out = set_key_status(&app, &dev_token, &first_id, "ACTIVE").await;
    assert_eq!(out["accessKey"]["status"], "ACTIVE", "{out}");
    let out = delete_key(&app, &dev_token, &first_id).await;
    assert_eq!(out["deletedId"], first_id.as_str(), "{out}");
    let listed = node(&app, &token, SUB_USER_NODE, &dev).await;
    assert_eq!(listed["accessKeys"].as_array().unwrap().len(), 1);
}

// --- SUB-06, SUB-07, MFA-07: deleting a sub-user ----------------------------------------

async fn an_active_access_key_blocks_deleting_the_sub_user(app: TestApp) {
    let (token, _) = root(&app, "blocked@example.com").await;
    let dev = sub_user(&app, &token, "dev").await;
    let first = key_id(&create_key(&app, &token, Some(&dev)).await);
    let second = key_id(&create_key(&app, &token, Some(&dev)).await);

    let refused = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    // RULE SUB-06: refused while it holds an ACTIVE key.
    assert_eq!(error_code(&refused), "ACTIVE_ACCESS_KEYS", "{refused}");
    assert_eq!(refused["deletedId"], Value::Null);
    set_key_status(&app, &token, &first, "DISABLED").await;
    let refused = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    // RULE SUB-06: one ACTIVE key is enough to refuse.
    assert_eq!(error_code(&refused), "ACTIVE_ACCESS_KEYS", "{refused}");
    assert_eq!(node(&app, &token, SUB_USER_NODE, &dev).await["name"], "dev");

    set_key_status(&app, &token, &second, "DISABLED").await;
    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    // RULE SUB-06: with its keys disabled it can go.
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");
    assert_eq!(deleted["deletedId"], dev.as_str());
    assert_eq!(node(&app, &token, SUB_USER_NODE, &dev).await, Value::Null);

    // Deleting the key works as well as disabling it.
    let ops = sub_user(&app, &token, "ops").await;
    let key = key_id(&create_key(&app, &token, Some(&ops)).await);
    let refused = delete_sub_user(&app, &token, json!({ "subUserId": ops })).await;
    assert_eq!(error_code(&refused), "ACTIVE_ACCESS_KEYS", "{refused}");
    delete_key(&app, &token, &key).await;
    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": ops })).await;
    assert_eq!(deleted["deletedId"], ops.as_str(), "{deleted}");

    // The root's own active keys do not hold its sub-users back.
    key_id(&create_key(&app, &token, None).await);
    let free = sub_user(&app, &token, "free").await;
    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": free })).await;
    assert_eq!(deleted["deletedId"], free.as_str(), "{deleted}");
    assert_eq!(members(&app, &token, json!({})).await["totalCount"], 0);

    // Unknown and foreign IDs are not found.
    let (stranger, _) = root(&app, "blocked-stranger@example.com").await;
    let theirs = sub_user(&app, &stranger, "theirs").await;
    let out = delete_sub_user(&app, &token, json!({ "subUserId": theirs })).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
    let out = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    assert_eq!(error_code(&out), "NOT_FOUND", "{out}");
}

async fn deleting_a_sub_user_removes_memberships_keys_and_sessions(app: TestApp) {
    let (token, root_id) = root(&app, "cleanup@example.com").await;
    let dev = sub_user(&app, &token, "Dev").await;
    let stay = sub_user(&app, &token, "stay").await;
    let dev_token = sub_user_token(&app, &root_id, "dev").await;
    let stay_token = sub_user_token(&app, &root_id, "stay").await;
    let own_key = key_id(&create_key(&app, &dev_token, None).await);
    set_key_status(&app, &token, &own_key, "DISABLED").await;

    let project = mutate(
        &app,
        &token,
        CREATE_PROJECT,
        "createProject",
        json!({ "name": "web" }),
    )
    .await;
    let project = project["project"]["id"].as_str().unwrap().to_owned();
    for member in [&dev, &stay] {
        let out = mutate(
            &app,
            &token,
            ADD_PROJECT_MEMBER,
            "addProjectMember",
            json!({ "projectId": project, "subUserId": member }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
    }
    let before = node(&app, &token, SUB_USER_NODE, &dev).await;
    assert_eq!(before["projects"][0]["name"], "web", "{before}");
    assert_eq!(before["accessKeys"].as_array().unwrap().len(), 1);

    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    assert_eq!(deleted["deletedId"], dev.as_str(), "{deleted}");
    // RULE SUB-07: its sessions end.
    assert_eq!(viewer(&app, &dev_token).await, Value::Null);
    // RULE SUB-07: its memberships go; the other member's stay.
    let in_project = node(&app, &token, PROJECT_MEMBERS, &project).await;
    assert_eq!(in_project["members"]["totalCount"], 1, "{in_project}");
    assert_eq!(
        in_project["members"]["edges"][0]["node"]["id"],
        stay.as_str()
    );
    // RULE SUB-07: its keys go.
    assert_eq!(node(&app, &token, KEY_NODE, &own_key).await, Value::Null);
    assert_eq!(node(&app, &token, SUB_USER_NODE, &dev).await, Value::Null);
    // Nobody else is touched.
    assert_eq!(viewer(&app, &stay_token).await["subUser"]["name"], "stay");

    // The user name is free again; the new sub-user inherits nothing.
    let reborn = create_sub_user(
        &app,
        &token,
        json!({ "name": "DEV", "password": "Another#456" }),
    )
    .await;
    assert_eq!(reborn["userErrors"], json!([]), "{reborn}");
    let reborn_id = reborn["subUser"]["id"].as_str().unwrap().to_owned();
    assert_ne!(reborn_id, dev);
    let fresh = node(&app, &token, SUB_USER_NODE, &reborn_id).await;
    assert_eq!(fresh["projects"], json!([]), "{fresh}");
    assert_eq!(fresh["accessKeys"], json!([]), "{fresh}");
    let old = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(error_code(&old), "INVALID_CREDENTIALS", "{old}");
    let new_token = token_of(&sign_in_sub_user(&app, &root_id, "dev", "Another#456", None).await);
    assert_eq!(
        viewer(&app, &new_token).await["subUser"]["id"],
        reborn_id.as_str()
    );
    assert_eq!(viewer(&app, &dev_token).await, Value::Null);
}

async fn deleting_a_sub_user_under_operation_protection_needs_a_second_factor(app: TestApp) {
    let email = "protected@example.com";
    let (token, _) = root(&app, email).await;
    let dev = sub_user(&app, &token, "dev").await;
    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let on = mutate(
        &app,
        &token,
        UPDATE_PROTECTION,
        "updateProtection",
        json!({ "operationProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(on["account"]["operationProtection"], true, "{on}");

    let refused = delete_sub_user(&app, &token, json!({ "subUserId": dev })).await;
    // RULE MFA-07: deleting a member is a protected operation.
    assert_eq!(error_code(&refused), "SECOND_FACTOR_REQUIRED", "{refused}");
    assert_eq!(refused["deletedId"], Value::Null);
    let wrong = delete_sub_user(
        &app,
        &token,
        json!({ "subUserId": dev, "secondFactor": { "channel": "EMAIL", "code": "000000" } }),
    )
    .await;
    assert_eq!(wrong["deletedId"], Value::Null, "{wrong}");
    assert_eq!(error_code(&wrong), "INVALID_CODE", "{wrong}");
    assert_eq!(node(&app, &token, SUB_USER_NODE, &dev).await["name"], "dev");

    app.advance(61).await;
    let code = app.code_for("EMAIL", email, "OPERATION").await;
    let deleted = delete_sub_user(
        &app,
        &token,
        json!({ "subUserId": dev, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(deleted["userErrors"], json!([]), "{deleted}");
    assert_eq!(deleted["deletedId"], dev.as_str());
    assert_eq!(node(&app, &token, SUB_USER_NODE, &dev).await, Value::Null);
}

// --- updateSubUser ----------------------------------------------------------------------

async fn turning_console_login_off_ends_the_sub_users_sessions(app: TestApp) {
    let (token, root_id) = root(&app, "switch@example.com").await;
    let dev = sub_user(&app, &token, "dev").await;
    let dev_token = sub_user_token(&app, &root_id, "dev").await;
    let second_token = sub_user_token(&app, &root_id, "dev").await;

    // Remark and contacts; "" clears.
    let out = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": dev, "remark": "night shift", "email": "night@example.com",
                "phone": "13600136000" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["remark"], "night shift");
    assert_eq!(out["subUser"]["email"], "n***@example.com");
    assert_eq!(out["subUser"]["phone"], "136****6000");
    let out = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": dev, "remark": "", "email": "" }),
    )
    .await;
    assert_eq!(out["subUser"]["remark"], Value::Null, "{out}");
    assert_eq!(out["subUser"]["email"], Value::Null, "{out}");
    assert_eq!(out["subUser"]["phone"], "136****6000");
    let bad = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": dev, "email": "not-an-email" }),
    )
    .await;
    assert_eq!(error_code(&bad), "INVALID_INPUT", "{bad}");
    // Still signed in after a contact change.
    assert_eq!(viewer(&app, &dev_token).await["subUser"]["name"], "dev");

    let off = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": dev, "consoleLogin": false }),
    )
    .await;
    assert_eq!(off["subUser"]["consoleLogin"], false, "{off}");
    // Console sign-in off: every session of the sub-user ends, and it cannot sign in.
    assert_eq!(viewer(&app, &dev_token).await, Value::Null);
    assert_eq!(viewer(&app, &second_token).await, Value::Null);
    let refused = sign_in_sub_user(&app, &root_id, "dev", PASSWORD, None).await;
    assert_eq!(error_code(&refused), "INVALID_CREDENTIALS", "{refused}");
    // The root is not signed out.
    assert_eq!(viewer(&app, &token).await["subUser"], Value::Null);
    assert_eq!(
        viewer(&app, &token).await["account"]["accountId"],
        root_id.as_str()
    );

    // Back on: the password it had still works.
    let on = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": dev, "consoleLogin": true }),
    )
    .await;
    assert_eq!(on["subUser"]["consoleLogin"], true, "{on}");
    let back = sub_user_token(&app, &root_id, "dev").await;
    assert_eq!(viewer(&app, &back).await["subUser"]["id"], dev.as_str());

    // A sub-user without a password cannot be switched on; other kinds never sign in.
    let quiet = create_sub_user(
        &app,
        &token,
        json!({ "name": "quiet", "consoleLogin": false }),
    )
    .await["subUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": quiet, "consoleLogin": true }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    let recipient = create_recipient(
        &app,
        &token,
        json!({ "name": "Alerts", "email": "alerts@example.com" }),
    )
    .await["subUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": recipient, "consoleLogin": true }),
    )
    .await;
    assert_eq!(error_code(&out), "INVALID_INPUT", "{out}");
    // Its remark still changes.
    let out = mutate(
        &app,
        &token,
        UPDATE_SUB_USER,
        "updateSubUser",
        json!({ "subUserId": recipient, "remark": "pager duty" }),
    )
    .await;
    assert_eq!(out["subUser"]["remark"], "pager duty", "{out}");

    // Only the root changes members.
    let code = top_level_code(
        &app,
        &back,
        UPDATE_SUB_USER,
        json!({ "i": { "subUserId": dev, "consoleLogin": false } }),
    )
    .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(viewer(&app, &back).await["subUser"]["consoleLogin"], true);
}

// --- connections ------------------------------------------------------------------------

async fn members_page_by_keyset_in_creation_order(app: TestApp) {
    let (token, _) = root(&app, "pages@example.com").await;
    let mut ids = Vec::new();
    for i in 0..25 {
        let out = create_sub_user(
            &app,
            &token,
            json!({ "name": format!("m-{i:02}"), "consoleLogin": false }),
        )
        .await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
        ids.push(out["subUser"]["id"].as_str().unwrap().to_owned());
    }
    let expected: Vec<String> = (0..25).map(|i| format!("m-{i:02}")).collect();

    let first = members(&app, &token, json!({ "first": 10 })).await;
    assert_eq!(first["totalCount"], 25);
    assert_eq!(names(&first), expected[..10]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    assert_eq!(first["edges"][9]["cursor"], cursor.as_str());

    // Keyset: a row deleted before the cursor and one added after do not shift the pages.
    let deleted = delete_sub_user(&app, &token, json!({ "subUserId": ids[3] })).await;
    assert_eq!(deleted["deletedId"], ids[3].as_str(), "{deleted}");
    let second = members(&app, &token, json!({ "first": 10, "after": cursor })).await;
    assert_eq!(names(&second), expected[10..20]);
    assert_eq!(second["totalCount"], 24);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    let late = create_sub_user(
        &app,
        &token,
        json!({ "name": "late", "consoleLogin": false }),
    )
    .await;
    assert_eq!(late["userErrors"], json!([]), "{late}");
    let cursor = second["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let third = members(&app, &token, json!({ "first": 10, "after": cursor })).await;
    let mut tail: Vec<String> = expected[20..].to_vec();
    tail.push("late".to_owned());
    assert_eq!(names(&third), tail);
    assert_eq!(third["totalCount"], 25);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    let cursor = third["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let past_end = members(&app, &token, json!({ "first": 10, "after": cursor })).await;
    assert_eq!(names(&past_end), Vec::<String>::new());
    assert_eq!(past_end["pageInfo"]["hasNextPage"], false);

    // totalCount counts the whole filtered list, not the page.
    let filtered = members(&app, &token, json!({ "first": 2, "search": "M-1" })).await;
    assert_eq!(filtered["totalCount"], 10);
    assert_eq!(names(&filtered), vec!["m-10", "m-11"]);
    let cursor = filtered["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = members(
        &app,
        &token,
        json!({ "first": 2, "search": "m-1", "after": cursor }),
    )
    .await;
    assert_eq!(names(&next), vec!["m-12", "m-13"]);
    assert_eq!(next["totalCount"], 10);
    let everything = members(&app, &token, json!({ "first": 100 })).await;
    assert_eq!(everything["edges"].as_array().unwrap().len(), 25);

    // Out of range or forged paging is refused at the top level.
    for variables in [
        json!({ "first": 101 }),
        json!({ "first": -1 }),
        json!({ "first": 10, "after": "not-a-cursor" }),
        json!({ "first": 10, "after": ids[0] }),
    ] {
        let code = top_level_code(&app, &token, MEMBERS, variables.clone()).await;
        assert_eq!(code, "BAD_USER_INPUT", "{variables}");
    }
}

db_test!(
    three_kinds_of_member_are_created_and_listed_by_kind_and_search,
    search_matches_the_name_shown_for_every_kind,
    member_limit_holds_under_parallel_creation,
    the_members_total_follows_parallel_creation_and_deletion,
    collaborators_are_verified_roots_of_the_same_site,
    sub_user_signs_in_with_the_root_account_id_and_sees_its_root,
    sub_user_lockout_is_counted_per_sub_user,
    access_keys_are_two_per_principal_with_the_secret_shown_once,
    parallel_key_creation_stops_at_two,
    a_sub_user_manages_its_own_access_keys_only,
    an_active_access_key_blocks_deleting_the_sub_user,
    deleting_a_sub_user_removes_memberships_keys_and_sessions,
    deleting_a_sub_user_under_operation_protection_needs_a_second_factor,
    turning_console_login_off_ends_the_sub_users_sessions,
    members_page_by_keyset_in_creation_order,
);
