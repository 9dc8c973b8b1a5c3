//! Projects (PRJ-01..04) and who may touch what (SUB-08), end to end over the console
//! GraphQL API on both databases.
//!
//! The SUB-08 tests are driven by introspection, not by a hand-written list: every mutation
//! the server serves must have an entry in `MUTATION_ACCESS` (root only, own scope of a
//! sub-user, or public), and every ID-typed field of every mutation input must be attacked
//! with another root account's ID in the cross-account walk. Mutations that do not exist
//! yet (MFA device binding and unbinding, account cancellation, ...) are therefore absent
//! from the tables below on purpose: when they are added to the schema these tests fail
//! until the new mutations are given an entry and their ID fields are walked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp, error_code},
    identities::{credit_code, resident_id},
    mfa,
};

// ---------------------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------------------

const INTROSPECT: &str = "{ __schema {
    mutationType { fields { name
        args { name type { kind name ofType { kind name ofType { kind name } } } }
        type { kind name ofType { kind name } } } }
    types { name kind inputFields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

/// One mutation as the schema serves it.
#[derive(Debug, Clone)]
pub(crate) struct MutationShape {
    /// The type of its single `input` argument.
    input_type: String,
    /// The payload type it returns.
    payload_type: String,
    /// Dotted paths (inside `input`) of every field whose type is `ID`, nested inputs too.
    id_fields: BTreeSet<String>,
}

/// The named type under NON_NULL / LIST wrappers: (kind, name).
fn named(t: &Value) -> (String, String) {
    let mut t = t;
    while t["name"].is_null() {
        t = &t["ofType"];
        assert!(!t.is_null(), "a type without a name");
    }
    (
        t["kind"].as_str().unwrap().to_owned(),
        t["name"].as_str().unwrap().to_owned(),
    )
}

fn collect_id_fields(
    types: &BTreeMap<String, Value>,
    type_name: &str,
    prefix: &str,
    seen: &mut BTreeSet<String>,
    out: &mut BTreeSet<String>,
) {
    if !seen.insert(type_name.to_owned()) {
        return;
    }
    let Some(fields) = types[type_name]["inputFields"].as_array() else {
        return;
    };
    for field in fields {
        let name = field["name"].as_str().unwrap();
        let path = format!("{prefix}{name}");
        let (kind, ty) = named(&field["type"]);
        if ty == "ID" {
            out.insert(path);
        } else if kind == "INPUT_OBJECT" {
            collect_id_fields(types, &ty, &format!("{path}."), seen, out);
        }
    }
    seen.remove(type_name);
}

/// Every mutation the console serves, by name.
pub(crate) async fn served_mutations(app: &TestApp) -> BTreeMap<String, MutationShape> {
    let out = app.gql(INTROSPECT, json!({})).await;
    assert!(out["errors"].is_null(), "{out}");
    let types: BTreeMap<String, Value> = out["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
        .collect();
    let mut mutations = BTreeMap::new();
    for field in out["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
    {
        let name = field["name"].as_str().unwrap().to_owned();
        let args = field["args"].as_array().unwrap();
        // The contract: every mutation takes one `input`.
        assert_eq!(args.len(), 1, "{name} takes {args:?}");
        assert_eq!(args[0]["name"], "input", "{name}");
        let (_, input_type) = named(&args[0]["type"]);
        let (_, payload_type) = named(&field["type"]);
        let mut id_fields = BTreeSet::new();
        collect_id_fields(
            &types,
            &input_type,
            "",
            &mut BTreeSet::new(),
            &mut id_fields,
        );
        mutations.insert(
            name,
            MutationShape {
                input_type,
                payload_type,
                id_fields,
            },
        );
    }
    assert!(mutations.len() > 20, "{mutations:?}");
    mutations
}

/// What each payload shows, enough to reveal another account's data if it leaked.
fn selection(payload_type: &str) -> &'static str {
    match payload_type {
        "SubUserPayload" => {
            "__typename userErrors { code field message }
             subUser { id name remark email phone consoleLogin account { accountId }
                accessKeys { id secretId } projects { id name } }"
        }
        "DeletePayload" => "__typename userErrors { code field message } deletedId",
        "CreateAccessKeyPayload" => {
            "__typename userErrors { code field message } accessKey { id secretId status } secretKey"
        }
        "AccessKeyPayload" => {
            "__typename userErrors { code field message } accessKey { id secretId status }"
        }
        "ProjectPayload" => {
            "__typename userErrors { code field message }
             project { id name description status
                members(first: 20) { totalCount edges { node { id name } } } }"
        }
        "AccountPayload" => {
            "__typename userErrors { code field message }
             account { id accountId nickname securityEmail loginMethods { id identifier } }"
        }
        "LoginMethodPayload" => {
            "__typename userErrors { code field message } loginMethod { id identifier }
             account { accountId }"
        }
        "VerificationPayload" => {
            "__typename userErrors { code field message }
             verification { id state subjectName identityNumber } account { accountId }"
        }
        "SignInPayload" => {
            "__typename userErrors { code field message } session { token } challenge { id }
             accountChoices deviceToken"
        }
        _ => "__typename userErrors { code field message }",
    }
}

/// Calls mutation `name` with `input`, typed as the schema says; returns the whole answer.
pub(crate) async fn mutate(
    app: &TestApp,
    schema: &BTreeMap<String, MutationShape>,
    token: Option<&str>,
    name: &str,
    input: Value,
) -> Value {
    let shape = schema
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not served"));
    let query = format!(
        "mutation($i: {}!) {{ {name}(input: $i) {{ {} }} }}",
        shape.input_type,
        selection(&shape.payload_type)
    );
    app.gql_as(token, &query, json!({ "i": input })).await
}

// ---------------------------------------------------------------------------------------
// Console helpers
// ---------------------------------------------------------------------------------------

const CREATE_PROJECT: &str = "mutation($i: CreateProjectInput!) { createProject(input: $i) {
    userErrors { code field message }
    project { id name description status createdAt disabledAt } } }";

const UPDATE_PROJECT: &str = "mutation($i: UpdateProjectInput!) { updateProject(input: $i) {
    userErrors { code field message }
    project { id name description status createdAt disabledAt } } }";

const DISABLE_PROJECT: &str = "mutation($i: ProjectIdInput!) { disableProject(input: $i) {
    userErrors { code field message }
    project { id name status disabledAt } } }";

const ENABLE_PROJECT: &str = "mutation($i: ProjectIdInput!) { enableProject(input: $i) {
    userErrors { code field message }
    project { id name status disabledAt } } }";

const ADD_MEMBER: &str = "mutation($i: ProjectMemberInput!) { addProjectMember(input: $i) {
    userErrors { code field message }
    project { id status members(first: 50) { totalCount edges { node { id name } } } } } }";

const REMOVE_MEMBER: &str = "mutation($i: ProjectMemberInput!) { removeProjectMember(input: $i) {
    userErrors { code field message }
    project { id status members(first: 50) { totalCount edges { node { id name } } } } } }";

const PROJECTS: &str = "query($first: Int, $after: String, $all: Boolean) { viewer { account {
    projects(first: $first, after: $after, includeDisabled: $all) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id name status disabledAt } } } } } }";

const MEMBERS_OF: &str = "query($id: ID!, $first: Int, $after: String) { node(id: $id) {
    ... on Project { id name status
        members(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor }
            edges { cursor node { id name kind } } } } } }";

const SUB_USER_PROJECTS: &str = "query($id: ID!) { node(id: $id) {
    ... on SubUser { id name projects { id name status } } } }";

/// A console mutation expected to return a payload (no top-level error).
async fn payload(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    let out = app.gql_as(Some(token), query, json!({ "i": input })).await;
    assert!(out["errors"].is_null(), "{out}");
    let data = out["data"].as_object().unwrap();
    assert_eq!(data.len(), 1, "{out}");
    data.values().next().unwrap().clone()
}

/// Asserts a refusal: its code, its field (when given) and no result object.
fn assert_refused(payload: &Value, code: &str, field: Option<&[&str]>, result: &str) {
    assert_eq!(error_code(payload), code, "{payload}");
    if let Some(field) = field {
        assert_eq!(payload["userErrors"][0]["field"], json!(field), "{payload}");
    }
    assert!(payload[result].is_null(), "{payload}");
}

async fn create_project(
    app: &TestApp,
    token: &str,
    name: &str,
    description: Option<&str>,
) -> Value {
    let mut input = json!({ "name": name });
    if let Some(d) = description {
        input["description"] = json!(d);
    }
    let out = payload(app, token, CREATE_PROJECT, input).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    out["project"].clone()
}

pub(crate) async fn project_id(app: &TestApp, token: &str, name: &str) -> String {
    create_project(app, token, name, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn set_project_status(
    app: &TestApp,
    token: &str,
    id: &str,
    enable: bool,
) -> Value {
    let query = if enable {
        ENABLE_PROJECT
    } else {
        DISABLE_PROJECT
    };
    payload(app, token, query, json!({ "projectId": id })).await
}

pub(crate) async fn create_sub_user(
    app: &TestApp,
    token: &str,
    name: &str,
    console: bool,
) -> String {
    let input = if console {
        json!({ "name": name, "password": PASSWORD })
    } else {
        json!({ "name": name, "consoleLogin": false })
    };
    let out = payload(
        app,
        token,
        "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) {
            userErrors { code field message } subUser { id name kind } } }",
        input,
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["kind"], "SUB_USER");
    out["subUser"]["id"].as_str().unwrap().to_owned()
}

async fn create_recipient(app: &TestApp, token: &str, name: &str, email: &str) -> String {
    let out = payload(
        app,
        token,
        "mutation($i: CreateMessageRecipientInput!) { createMessageRecipient(input: $i) {
            userErrors { code field message } subUser { id kind } } }",
        json!({ "name": name, "email": email }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["subUser"]["kind"], "MESSAGE_RECIPIENT");
    out["subUser"]["id"].as_str().unwrap().to_owned()
}

/// A new key (of the root when `sub_user` is None): (global ID, secretId).
pub(crate) async fn create_key(
    app: &TestApp,
    token: &str,
    sub_user: Option<&str>,
) -> (String, String) {
    let input = match sub_user {
        Some(id) => json!({ "subUserId": id }),
        None => json!({}),
    };
    let out = payload(
        app,
        token,
        "mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) {
            userErrors { code field message } accessKey { id secretId status } secretKey } }",
        input,
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    (
        out["accessKey"]["id"].as_str().unwrap().to_owned(),
        out["accessKey"]["secretId"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn add_member(app: &TestApp, token: &str, project: &str, member: &str) -> Value {
    payload(
        app,
        token,
        ADD_MEMBER,
        json!({ "projectId": project, "subUserId": member }),
    )
    .await
}

async fn sign_in_sub_user(app: &TestApp, root_account_id: &str, name: &str) -> String {
    let out = app
        .gql(
            "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
                userErrors { code field message } session { token } } }",
            json!({ "i": { "rootAccountId": root_account_id, "userName": name, "password": PASSWORD } }),
        )
        .await;
    let p = &out["data"]["signInSubUser"];
    assert_eq!(p["userErrors"], json!([]), "{out}");
    p["session"]["token"].as_str().unwrap().to_owned()
}

async fn projects_page(
    app: &TestApp,
    token: &str,
    first: Option<i64>,
    after: Option<&str>,
    include_disabled: Option<bool>,
) -> Value {
    let out = app
        .gql_as(
            Some(token),
            PROJECTS,
            json!({ "first": first, "after": after, "all": include_disabled }),
        )
        .await;
    assert!(out["errors"].is_null(), "{out}");
    out["data"]["viewer"]["account"]["projects"].clone()
}

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn members_page(
    app: &TestApp,
    token: &str,
    project: &str,
    first: Option<i64>,
    after: Option<&str>,
) -> Value {
    let out = app
        .gql_as(
            Some(token),
            MEMBERS_OF,
            json!({ "id": project, "first": first, "after": after }),
        )
        .await;
    assert!(out["errors"].is_null(), "{out}");
    assert_eq!(out["data"]["node"]["id"], project, "{out}");
    out["data"]["node"]["members"].clone()
}

pub(crate) fn top_level_code(out: &Value) -> String {
    out["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The account's approved individual verification (WECHAT_SCAN is decided at once).
async fn verify_individual(app: &TestApp, token: &str, name: &str, seq: u32) -> String {
    let out = payload(
        app,
        token,
        "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
            userErrors { code field message } verification { id state } } }",
        json!({ "method": "WECHAT_SCAN", "region": "MAINLAND", "name": name,
                "idNumber": resident_id("19900101", seq), "birthDate": "1990-01-01" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["state"], "APPROVED", "{out}");
    out["verification"]["id"].as_str().unwrap().to_owned()
}

/// A pending enterprise verification by corporate remittance: (its ID, the amount paid).
pub(crate) async fn pending_remittance(
    app: &TestApp,
    token: &str,
    name: &str,
    seq: u32,
) -> (String, String) {
    let out = payload(
        app,
        token,
        "mutation($i: SubmitEnterpriseVerificationInput!) { submitEnterpriseVerification(input: $i) {
            userErrors { code field message } verification { id state method } } }",
        json!({ "method": "CORPORATE_REMITTANCE", "region": "MAINLAND", "enterpriseName": name,
                "creditCode": credit_code(seq), "legalPersonName": "王五",
                "legalPersonIdNumber": resident_id("19800101", seq),
                "licenseIssuedOn": "2020-01-06", "bankAccount": "6222 0210-0112 3456 789" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["verification"]["state"], "PENDING", "{out}");
    let id = out["verification"]["id"].as_str().unwrap().to_owned();
    let amount = app
        .ops(
            "query($id: ID!) { remittanceAmount(verificationId: $id) }",
            json!({ "id": id }),
        )
        .await;
    let amount = amount["data"]["remittanceAmount"]
        .as_str()
        .unwrap_or_else(|| panic!("a remittance amount in {amount}"))
        .to_owned();
    (id, amount)
}

pub(crate) async fn login_method_ids(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let out = app
        .gql_as(
            Some(token),
            "{ viewer { account { loginMethods { id kind } } } }",
            json!({}),
        )
        .await;
    out["data"]["viewer"]["account"]["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Everything of a root account that a foreign or forbidden mutation could change.
const SNAPSHOT: &str = "{ viewer { account { id accountId nickname status loginProtection
    operationProtection securePhone securityEmail contactEmail verificationStatus
    loginMethods { id kind identifier }
    verification { id state inForce }
    pendingVerification { id state remittanceAttemptsLeft }
    subUsers(first: 100) { totalCount edges { node { id name kind remark email phone consoleLogin
        accessKeys { id secretId status } projects { id name status } } } }
    projects(first: 20, includeDisabled: true) { totalCount edges { node { id name description
        status disabledAt members(first: 20) { totalCount edges { node { id } } } } } } } } }";

pub(crate) async fn snapshot(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), SNAPSHOT, json!({})).await;
    assert!(out["errors"].is_null(), "{out}");
    assert!(out["data"]["viewer"]["account"].is_object(), "{out}");
    out["data"]["viewer"]["account"].clone()
}

// ---------------------------------------------------------------------------------------
// PRJ-01..04
// ---------------------------------------------------------------------------------------

async fn projects_have_unique_names_of_one_to_sixty_four_characters(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "prj-names@example.com").await;

    let prod = create_project(&app, &token, "Prod", Some("Production services")).await;
    // RULE PRJ-01: created ENABLED by the root, with its name and description.
    assert_eq!(prod["name"], "Prod");
    assert_eq!(prod["description"], "Production services");
    assert_eq!(prod["status"], "ENABLED");
    assert_eq!(prod["disabledAt"], Value::Null);
    assert!(prod["createdAt"].is_string(), "{prod}");
    let prod_id = prod["id"].as_str().unwrap().to_owned();

    // RULE PRJ-01: names are unique among the account's projects, ignoring case.
    for clash in ["prod", "PROD", " pRoD "] {
        let out = payload(&app, &token, CREATE_PROJECT, json!({ "name": clash })).await;
        assert_refused(&out, "NAME_TAKEN", Some(&["input", "name"]), "project");
    }

    // RULE PRJ-01: 1 to 64 characters, counted as characters (64 CJK characters fit).
    let cjk_64 = "项".repeat(64);
    let long = create_project(&app, &token, &cjk_64, None).await;
    assert_eq!(long["name"], cjk_64.as_str());
    assert_eq!(long["description"], Value::Null);
    let one = create_project(&app, &token, "x", None).await;
    assert_eq!(one["name"], "x");
    let ascii_64 = "p".repeat(64);
    create_project(&app, &token, &ascii_64, None).await;
    for bad in [
        "项".repeat(65),
        "p".repeat(65),
        String::new(),
        "   ".to_owned(),
    ] {
        let out = payload(&app, &token, CREATE_PROJECT, json!({ "name": bad })).await;
        assert_refused(&out, "INVALID_INPUT", Some(&["input", "name"]), "project");
    }

    // Renaming keeps names unique; changing the case of its own name is no clash.
    let staging = project_id(&app, &token, "Staging").await;
    let out = payload(
        &app,
        &token,
        UPDATE_PROJECT,
        json!({ "projectId": staging, "name": "PROD" }),
    )
    .await;
    assert_refused(&out, "NAME_TAKEN", Some(&["input", "name"]), "project");
    let out = payload(
        &app,
        &token,
        UPDATE_PROJECT,
        json!({ "projectId": staging, "name": "项".repeat(65) }),
    )
    .await;
    assert_refused(&out, "INVALID_INPUT", Some(&["input", "name"]), "project");
    let out = payload(
        &app,
        &token,
        UPDATE_PROJECT,
        json!({ "projectId": prod_id, "name": "PROD" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["name"], "PROD");
    assert_eq!(out["project"]["description"], "Production services");
    // A description is set, changed and cleared with "".
    let out = payload(
        &app,
        &token,
        UPDATE_PROJECT,
        json!({ "projectId": staging, "description": "Pre-release" }),
    )
    .await;
    assert_eq!(out["project"]["description"], "Pre-release", "{out}");
    assert_eq!(out["project"]["name"], "Staging");
    let out = payload(
        &app,
        &token,
        UPDATE_PROJECT,
        json!({ "projectId": prod_id, "description": "" }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["description"], Value::Null, "{out}");
    // The freed name "Prod" is still taken by the renamed project (case ignored).
    let out = payload(&app, &token, CREATE_PROJECT, json!({ "name": "prod" })).await;
    assert_refused(&out, "NAME_TAKEN", Some(&["input", "name"]), "project");

    let page = projects_page(&app, &token, None, None, None).await;
    assert_eq!(page["totalCount"], 5, "{page}");
    assert_eq!(
        names(&page),
        vec![
            "PROD".to_owned(),
            cjk_64.clone(),
            "x".to_owned(),
            ascii_64.clone(),
            "Staging".to_owned()
        ]
    );

    // RULE PRJ-01: unique among *the account's* projects: another account may use the name.
    let (other, _) = app.register_email("CHINA", "prj-names-2@example.com").await;
    let theirs = create_project(&app, &other, "prod", None).await;
    assert_eq!(theirs["name"], "prod");
    assert_eq!(
        projects_page(&app, &other, None, None, None).await["totalCount"],
        1
    );
}

async fn projects_are_disabled_and_enabled_but_never_deleted(app: TestApp) {
    // RULE PRJ-02: the schema has no way to delete a project.
    let schema = served_mutations(&app).await;
    let project_mutations: BTreeSet<&str> = schema
        .keys()
        .map(String::as_str)
        .filter(|n| n.to_lowercase().contains("project"))
        .collect();
    assert_eq!(
        project_mutations,
        BTreeSet::from([
            "addProjectMember",
            "createProject",
            "disableProject",
            "enableProject",
            "removeProjectMember",
            "updateProject",
        ]),
        "a new project mutation: check it does not delete projects (PRJ-02)"
    );
    for name in schema.keys() {
        let lower = name.to_lowercase();
        for verb in ["delete", "destroy", "archive", "purge", "drop"] {
            assert!(
                !(lower.contains(verb) && lower.contains("project")),
                "{name} looks like a project deletion (PRJ-02)"
            );
        }
        // removeProjectMember removes a member, not the project.
        assert!(
            lower != "removeproject" && !lower.starts_with("removeprojects"),
            "{name}"
        );
    }

    let (token, _) = app.register_email("CHINA", "prj-status@example.com").await;
    let alpha = project_id(&app, &token, "alpha").await;
    let beta = project_id(&app, &token, "beta").await;
    let gamma = project_id(&app, &token, "gamma").await;

    let out = set_project_status(&app, &token, &beta, false).await;
    // RULE PRJ-02: disabling keeps the project, DISABLED, with the time it happened.
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["status"], "DISABLED");
    assert!(out["project"]["disabledAt"].is_string(), "{out}");
    let disabled_at = out["project"]["disabledAt"].clone();

    // RULE PRJ-03: the list hides it unless asked, and counts accordingly.
    let shown = projects_page(&app, &token, None, None, None).await;
    assert_eq!(names(&shown), ["alpha", "gamma"]);
    assert_eq!(shown["totalCount"], 2);
    let explicit = projects_page(&app, &token, None, None, Some(false)).await;
    assert_eq!(names(&explicit), ["alpha", "gamma"]);
    let all = projects_page(&app, &token, None, None, Some(true)).await;
    assert_eq!(names(&all), ["alpha", "beta", "gamma"]);
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["edges"][1]["node"]["status"], "DISABLED");
    assert_eq!(all["edges"][1]["node"]["disabledAt"], disabled_at);
    // Paging skips it too: one per page gives alpha, then gamma, then the end.
    let first = projects_page(&app, &token, Some(1), None, None).await;
    assert_eq!(names(&first), ["alpha"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let second = projects_page(&app, &token, Some(1), Some(&cursor), None).await;
    assert_eq!(names(&second), ["gamma"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["totalCount"], 2);

    // RULE PRJ-04: a disabled project stays readable by its ID.
    let out = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { node(id: $id) { ... on Project { name status } } }",
            json!({ "id": beta }),
        )
        .await;
    assert_eq!(
        out["data"]["node"],
        json!({ "name": "beta", "status": "DISABLED" }),
        "{out}"
    );
    // Its name stays taken while disabled.
    let out = payload(&app, &token, CREATE_PROJECT, json!({ "name": "BETA" })).await;
    assert_refused(&out, "NAME_TAKEN", Some(&["input", "name"]), "project");

    // RULE PRJ-02: enabled again, it is back in the list with no disabledAt.
    app.advance(60).await;
    let out = set_project_status(&app, &token, &beta, true).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["status"], "ENABLED");
    assert_eq!(out["project"]["disabledAt"], Value::Null);
    let shown = projects_page(&app, &token, None, None, None).await;
    assert_eq!(names(&shown), ["alpha", "beta", "gamma"]);
    assert_eq!(shown["totalCount"], 3);

    // Disabled twice over: still one project each, the list still complete with includeDisabled.
    for id in [&alpha, &gamma] {
        let out = set_project_status(&app, &token, id, false).await;
        assert_eq!(out["project"]["status"], "DISABLED", "{out}");
    }
    assert_eq!(
        names(&projects_page(&app, &token, None, None, None).await),
        ["beta"]
    );
    let all = projects_page(&app, &token, None, None, Some(true)).await;
    assert_eq!(all["totalCount"], 3);
    assert_eq!(names(&all), ["alpha", "beta", "gamma"]);
}

async fn disabled_projects_take_no_new_members_but_stay_readable(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "prj-members@example.com").await;
    let project = project_id(&app, &token, "ops").await;
    let other_project = project_id(&app, &token, "web").await;
    let alice = create_sub_user(&app, &token, "alice", true).await;
    let bob = create_sub_user(&app, &token, "bob", false).await;
    let carol = create_sub_user(&app, &token, "carol", false).await;
    let recipient = create_recipient(&app, &token, "pager", "pager@example.com").await;

    let out = add_member(&app, &token, &project, &alice).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["members"]["totalCount"], 1);
    // Adding again changes nothing (idempotent).
    let out = add_member(&app, &token, &project, &alice).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(out["project"]["members"]["totalCount"], 1, "{out}");
    let out = add_member(&app, &token, &project, &carol).await;
    assert_eq!(out["project"]["members"]["totalCount"], 2, "{out}");
    let out = add_member(&app, &token, &other_project, &alice).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    // A message recipient joins no project.
    let out = add_member(&app, &token, &project, &recipient).await;
    assert_refused(
        &out,
        "INVALID_INPUT",
        Some(&["input", "subUserId"]),
        "project",
    );

    let out = set_project_status(&app, &token, &project, false).await;
    assert_eq!(out["project"]["status"], "DISABLED", "{out}");

    // RULE PRJ-04: nothing new moves into a disabled project.
    let out = add_member(&app, &token, &project, &bob).await;
    assert_refused(&out, "PROJECT_DISABLED", None, "project");
    // RULE PRJ-04: its members remain readable, from the project and from the member.
    let members = members_page(&app, &token, &project, None, None).await;
    assert_eq!(members["totalCount"], 2, "{members}");
    assert_eq!(names(&members), ["alice", "carol"]);
    let out = app
        .gql_as(Some(&token), SUB_USER_PROJECTS, json!({ "id": alice }))
        .await;
    let mut theirs: Vec<(String, String)> = out["data"]["node"]["projects"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"))
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    theirs.sort();
    assert_eq!(
        theirs,
        [
            ("ops".to_owned(), "DISABLED".to_owned()),
            ("web".to_owned(), "ENABLED".to_owned())
        ]
    );
    // The refused bob joined nothing.
    let out = app
        .gql_as(Some(&token), SUB_USER_PROJECTS, json!({ "id": bob }))
        .await;
    assert_eq!(out["data"]["node"]["projects"], json!([]), "{out}");

    // A member may leave a disabled project; removing a non-member is NOT_FOUND.
    let out = payload(
        &app,
        &token,
        REMOVE_MEMBER,
        json!({ "projectId": project, "subUserId": carol }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(names(&out["project"]["members"]), ["alice"]);
    let out = payload(
        &app,
        &token,
        REMOVE_MEMBER,
        json!({ "projectId": project, "subUserId": bob }),
    )
    .await;
    assert_refused(&out, "NOT_FOUND", Some(&["input", "subUserId"]), "project");

    // Enabled again, it takes members.
    set_project_status(&app, &token, &project, true).await;
    let out = add_member(&app, &token, &project, &bob).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    assert_eq!(names(&out["project"]["members"]), ["alice", "bob"]);
    let out = app
        .gql_as(Some(&token), SUB_USER_PROJECTS, json!({ "id": bob }))
        .await;
    assert_eq!(
        out["data"]["node"]["projects"],
        json!([{ "id": project, "name": "ops", "status": "ENABLED" }]),
        "{out}"
    );
}

async fn project_members_and_projects_page_by_keyset(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "prj-paging@example.com").await;
    let project = project_id(&app, &token, "big").await;
    let mut members = Vec::new();
    for i in 1..=5 {
        members.push(create_sub_user(&app, &token, &format!("m{i}"), false).await);
    }
    // Added out of creation order.
    for i in [2, 0, 4, 1, 3] {
        let out = add_member(&app, &token, &project, &members[i]).await;
        assert_eq!(out["userErrors"], json!([]), "{out}");
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = members_page(&app, &token, &project, Some(2), after.as_deref()).await;
        assert_eq!(page["totalCount"], 5, "{page}");
        let batch = names(&page);
        sizes.push(batch.len());
        seen.extend(batch);
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(sizes.len() < 5, "paging does not end: {seen:?}");
    }
    // RULE PRJ-04: every member is readable, page by page, none twice or lost.
    assert_eq!(sizes, [2, 2, 1]);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ["m1", "m2", "m3", "m4", "m5"], "{seen:?}");
    // Bounds of a page.
    let out = app
        .gql_as(
            Some(&token),
            MEMBERS_OF,
            json!({ "id": project, "first": 101 }),
        )
        .await;
    assert_eq!(top_level_code(&out), "BAD_USER_INPUT", "{out}");
    let out = app
        .gql_as(
            Some(&token),
            MEMBERS_OF,
            json!({ "id": project, "first": 2, "after": "not-a-cursor" }),
        )
        .await;
    assert_eq!(top_level_code(&out), "BAD_USER_INPUT", "{out}");

    // The account's projects page the same way, in creation order.
    for name in ["p2", "p3", "p4"] {
        project_id(&app, &token, name).await;
    }
    let first = projects_page(&app, &token, Some(3), None, None).await;
    // RULE PRJ-03: the project list, in creation order.
    assert_eq!(names(&first), ["big", "p2", "p3"]);
    assert_eq!(first["totalCount"], 4);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let rest = projects_page(&app, &token, Some(3), Some(&cursor), None).await;
    assert_eq!(names(&rest), ["p4"]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let out = app
        .gql_as(Some(&token), PROJECTS, json!({ "first": 101 }))
        .await;
    assert_eq!(top_level_code(&out), "BAD_USER_INPUT", "{out}");

    // SubUser.projects lists every project of a member.
    let p2 = projects_page(&app, &token, None, None, None).await["edges"][1]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&app, &token, &p2, &members[0]).await;
    let out = app
        .gql_as(Some(&token), SUB_USER_PROJECTS, json!({ "id": members[0] }))
        .await;
    let mut listed = names(&json!({ "edges": out["data"]["node"]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({ "node": p }))
        .collect::<Vec<_>>() }));
    listed.sort();
    // RULE SUB-07: a member's project memberships.
    assert_eq!(listed, ["big", "p2"], "{out}");
}

// ---------------------------------------------------------------------------------------
// SUB-08 (a): what a signed-in sub-user may call
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The root's alone: a sub-user gets a top-level FORBIDDEN.
    RootOnly,
    /// Allowed for sub-users, within their own scope (own password, keys, session).
    OwnScope,
    /// Needs no session: sign-in, codes, registration, account search.
    Public,
}

/// Every console mutation. A mutation the server serves without an entry here fails
/// `sub_users_are_forbidden_every_root_only_mutation`.
pub(crate) const MUTATION_ACCESS: &[(&str, Access)] = &[
    ("sendVerificationCode", Access::Public),
    ("registerAccount", Access::Public),
    ("signIn", Access::Public),
    ("signInWithProvider", Access::Public),
    ("signInSubUser", Access::Public),
    ("completeLoginChallenge", Access::Public),
    ("findAccounts", Access::Public),
    ("findLoginMethods", Access::Public),
    ("resetPassword", Access::Public),
    ("submitRecoveryApplication", Access::Public),
    ("findAccountsByIdentity", Access::Public),
    ("requestPhoneRelease", Access::Public),
    ("signOut", Access::OwnScope),
    ("changePassword", Access::OwnScope),
    ("createAccessKey", Access::OwnScope),
    ("setAccessKeyStatus", Access::OwnScope),
    ("deleteAccessKey", Access::OwnScope),
    ("markMessagesRead", Access::OwnScope),
    // LOG-10: each principal its own sessions and trusted devices.
    ("revokeSession", Access::OwnScope),
    ("forgetTrustedDevice", Access::OwnScope),
    // MFA devices (SUB-08): a sub-user binds and unbinds its own; naming another sub-user
    // is FORBIDDEN (tested in mfa.rs); the root may name any of its sub-users.
    ("beginVirtualMfaBinding", Access::OwnScope),
    ("confirmVirtualMfaBinding", Access::OwnScope),
    ("bindHardwareMfa", Access::OwnScope),
    ("unbindMfaDevice", Access::OwnScope),
    ("updateAccountInfo", Access::RootOnly),
    ("changeSecurePhone", Access::RootOnly),
    ("changeSecurityEmail", Access::RootOnly),
    ("bindLoginMethod", Access::RootOnly),
    ("unbindLoginMethod", Access::RootOnly),
    ("updateProtection", Access::RootOnly),
    ("submitIndividualVerification", Access::RootOnly),
    ("submitEnterpriseVerification", Access::RootOnly),
    ("confirmRemittance", Access::RootOnly),
    ("withdrawVerification", Access::RootOnly),
    ("completeCreditCode", Access::RootOnly),
    ("updateEnterpriseContact", Access::RootOnly),
    ("createSubUser", Access::RootOnly),
    ("addCollaborator", Access::RootOnly),
    // COL-01, COL-03: a sub-user can never be a collaborator (SUB-03).
    ("switchAccount", Access::RootOnly),
    ("leaveCollaboration", Access::RootOnly),
    ("createMessageRecipient", Access::RootOnly),
    ("updateSubUser", Access::RootOnly),
    ("deleteSubUser", Access::RootOnly),
    ("createProject", Access::RootOnly),
    ("updateProject", Access::RootOnly),
    ("disableProject", Access::RootOnly),
    ("enableProject", Access::RootOnly),
    ("addProjectMember", Access::RootOnly),
    ("removeProjectMember", Access::RootOnly),
    ("requestCancellation", Access::RootOnly),
    ("withdrawCancellation", Access::RootOnly),
    ("keepSecurePhone", Access::RootOnly),
    ("resetSubUserPassword", Access::RootOnly),
    ("removeSubUserMfaDevice", Access::RootOnly),
    ("setMessageCategories", Access::RootOnly),
];

/// The root account of the SUB-08 (a) scenario and its objects.
pub(crate) struct RootFixture {
    pub(crate) token: String,
    pub(crate) account_id: String,
    pub(crate) login_method: String,
    pub(crate) verification: String,
    pub(crate) remittance_amount: String,
    /// The signed-in sub-user ("worker") and the others.
    pub(crate) worker: String,
    pub(crate) other: String,
    pub(crate) idle: String,
    pub(crate) root_key: String,
    pub(crate) other_key: String,
    pub(crate) project: String,
    pub(crate) disabled_project: String,
}

/// Inputs a root could use successfully (or nearly): a sub-user must get FORBIDDEN for
/// each. Several for mutations where the target (its own ID or another's) matters.
pub(crate) fn root_only_inputs(name: &str, f: &RootFixture) -> Vec<Value> {
    match name {
        "updateAccountInfo" => vec![json!({ "nickname": "set-by-sub-user" })],
        "changeSecurePhone" => vec![json!({ "newPhone": "13912345678", "newPhoneCode": "123456" })],
        "changeSecurityEmail" => {
            vec![json!({ "newEmail": "sub-took-over@example.com", "newEmailCode": "123456" })]
        }
        "bindLoginMethod" => vec![json!({ "kind": "WECHAT", "providerCode": "sandbox:wx-by-sub" })],
        "unbindLoginMethod" => vec![json!({ "loginMethodId": f.login_method })],
        "updateProtection" => vec![
            json!({ "loginProtection": true }),
            json!({ "operationProtection": true }),
        ],
        "submitIndividualVerification" => vec![json!({
            "method": "WECHAT_SCAN", "region": "MAINLAND", "name": "张三",
            "idNumber": resident_id("19900101", 77), "birthDate": "1990-01-01" })],
        "submitEnterpriseVerification" => vec![json!({
            "method": "WECHAT_OFFICIAL_PLATFORM", "region": "MAINLAND", "enterpriseName": "子用户公司",
            "creditCode": credit_code(78), "legalPersonName": "王五",
            "legalPersonIdNumber": resident_id("19800101", 78), "licenseIssuedOn": "2020-01-06" })],
        "confirmRemittance" => vec![json!({
            "verificationId": f.verification, "amount": f.remittance_amount })],
        "withdrawVerification" => vec![json!({ "verificationId": f.verification })],
        "completeCreditCode" => vec![json!({ "creditCode": credit_code(79) })],
        "updateEnterpriseContact" => {
            vec![json!({ "contactName": "李四", "contactPhone": "13800138000" })]
        }
        "createSubUser" => vec![
            json!({ "name": "made-by-sub", "password": PASSWORD }),
            json!({ "name": "made-by-sub-2", "consoleLogin": false }),
        ],
        "addCollaborator" => vec![json!({ "collaboratorAccountId": f.account_id })],
        "switchAccount" => vec![json!({ "rootAccountId": f.account_id }), json!({})],
        "leaveCollaboration" => vec![json!({ "rootAccountId": f.account_id })],
        "createMessageRecipient" => {
            vec![json!({ "name": "sub-recipient", "email": "sub-recipient@example.com" })]
        }
        "updateSubUser" => vec![
            json!({ "subUserId": f.other, "remark": "edited by a sub-user" }),
            json!({ "subUserId": f.worker, "remark": "edited by itself" }),
            json!({ "subUserId": f.idle, "consoleLogin": false }),
        ],
        "deleteSubUser" => vec![
            json!({ "subUserId": f.idle }),
            json!({ "subUserId": f.worker }),
        ],
        "createProject" => vec![json!({ "name": "made-by-sub" })],
        "updateProject" => vec![json!({ "projectId": f.project, "name": "renamed-by-sub" })],
        "disableProject" => vec![json!({ "projectId": f.project })],
        "enableProject" => vec![json!({ "projectId": f.disabled_project })],
        "addProjectMember" => vec![
            json!({ "projectId": f.project, "subUserId": f.worker }),
            json!({ "projectId": f.project, "subUserId": f.idle }),
        ],
        "removeProjectMember" => vec![json!({ "projectId": f.project, "subUserId": f.other })],
        "requestCancellation" => vec![json!({})],
        // Refused before any lookup, so any well-formed Cancellation ID serves.
        "withdrawCancellation" => vec![json!({ "cancellationId": "Q2FuY2VsbGF0aW9uOjE=" })],
        "keepSecurePhone" => vec![json!({ "code": "123456" })],
        "resetSubUserPassword" => vec![
            json!({ "subUserId": f.other }),
            json!({ "subUserId": f.worker, "newPassword": "Taken#Over1", "requireChange": false }),
        ],
        "removeSubUserMfaDevice" => vec![
            json!({ "subUserId": f.other }),
            json!({ "subUserId": f.worker }),
        ],
        "setMessageCategories" => vec![
            json!({ "subUserId": f.other, "categories": ["SECURITY"] }),
            json!({ "subUserId": f.worker, "categories": [] }),
        ],
        other => panic!("{other} is root-only but has no input to try: add one"),
    }
}

/// Harmless inputs for the public mutations (anyone may call them; a sub-user's token
/// must not turn them into FORBIDDEN).
fn public_input(name: &str, f: &RootFixture) -> Value {
    match name {
        "sendVerificationCode" => {
            json!({ "channel": "EMAIL", "target": "probe@example.com", "purpose": "REGISTER" })
        }
        "registerAccount" => json!({ "site": "CHINA", "method": "EMAIL",
            "email": "probe-2@example.com", "password": PASSWORD, "emailCode": "000000" }),
        "signIn" => {
            json!({ "site": "CHINA", "email": "nobody@example.com", "password": "Wrong#123" })
        }
        "signInWithProvider" => {
            json!({ "site": "CHINA", "kind": "WECHAT", "providerCode": "sandbox:wx-nobody" })
        }
        "signInSubUser" => json!({ "rootAccountId": f.account_id, "userName": "nobody",
            "password": "Wrong#123" }),
        "completeLoginChallenge" => json!({ "challengeId": "no-such-challenge",
            "secondFactor": { "channel": "EMAIL", "code": "000000" } }),
        "findAccounts" => json!({ "site": "CHINA", "channel": "EMAIL",
            "target": "nobody@example.com", "code": "000000" }),
        "findLoginMethods" => json!({ "site": "CHINA", "accountId": "100000000000",
            "captcha": "not-solved" }),
        "resetPassword" => json!({ "site": "CHINA", "channel": "EMAIL",
            "target": "nobody@example.com", "code": "000000", "newPassword": "Brand#New123" }),
        "submitRecoveryApplication" => json!({ "site": "CHINA", "accountId": "100000000000",
            "subjectName": "张三", "identityNumber": resident_id("19900101", 90),
            "removeMfaDevice": true }),
        "findAccountsByIdentity" => json!({ "site": "CHINA", "subjectKind": "INDIVIDUAL",
            "subjectName": "张三", "identityNumber": resident_id("19900101", 91),
            "faceCheckToken": "not-a-face" }),
        "requestPhoneRelease" => json!({ "site": "CHINA", "phone": "13900000000",
            "code": "000000" }),
        other => panic!("{other} is public but has no input to try: add one"),
    }
}

async fn sub_users_are_forbidden_every_root_only_mutation(app: TestApp) {
    let schema = served_mutations(&app).await;
    let table: BTreeMap<&str, Access> = MUTATION_ACCESS.iter().copied().collect();
    assert_eq!(table.len(), MUTATION_ACCESS.len(), "a duplicate entry");
    // Every served mutation has an entry, and every entry is served.
    let missing: Vec<&String> = schema
        .keys()
        .filter(|n| !table.contains_key(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "mutations without an access entry in MUTATION_ACCESS (SUB-08): {missing:?}"
    );
    let stale: Vec<&&str> = table.keys().filter(|n| !schema.contains_key(**n)).collect();
    assert!(
        stale.is_empty(),
        "entries for mutations not served: {stale:?}"
    );

    let email = "sub08-root@example.com";
    let (token, account) = app.register_email("CHINA", email).await;
    let account_id = account["accountId"].as_str().unwrap().to_owned();
    let login_method = login_method_ids(&app, &token).await[0].1.clone();
    let (verification, remittance_amount) =
        pending_remittance(&app, &token, "汇款有限公司", 31).await;
    let worker = create_sub_user(&app, &token, "worker", true).await;
    let other = create_sub_user(&app, &token, "other", true).await;
    let idle = create_sub_user(&app, &token, "idle", false).await;
    let (root_key, _) = create_key(&app, &token, None).await;
    let (other_key, _) = create_key(&app, &token, Some(&other)).await;
    let project = project_id(&app, &token, "shared").await;
    add_member(&app, &token, &project, &other).await;
    let disabled_project = project_id(&app, &token, "frozen").await;
    set_project_status(&app, &token, &disabled_project, false).await;
    let f = RootFixture {
        token: token.clone(),
        account_id: account_id.clone(),
        login_method,
        verification,
        remittance_amount,
        worker: worker.clone(),
        other,
        idle,
        root_key,
        other_key,
        project,
        disabled_project,
    };
    let sub_token = sign_in_sub_user(&app, &account_id, "worker").await;
    let viewer = app
        .gql_as(
            Some(&sub_token),
            "{ viewer { account { accountId verificationStatus } subUser { id name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        viewer["data"]["viewer"]["subUser"]["name"], "worker",
        "{viewer}"
    );
    assert_eq!(
        viewer["data"]["viewer"]["account"]["accountId"],
        account_id.as_str()
    );

    let before = snapshot(&app, &f.token).await;
    let mut tried = BTreeSet::new();
    for (name, access) in MUTATION_ACCESS {
        if *access != Access::RootOnly {
            continue;
        }
        for input in root_only_inputs(name, &f) {
            let out = mutate(&app, &schema, Some(&sub_token), name, input.clone()).await;
            // RULE SUB-08: the root's alone; a sub-user gets FORBIDDEN and nothing happens.
            assert_eq!(
                top_level_code(&out),
                "FORBIDDEN",
                "{name} with {input} as a sub-user: {out}"
            );
            assert!(
                out["data"].is_null() || out["data"][name].is_null(),
                "{name}: {out}"
            );
            tried.insert(*name);
        }
    }
    let root_only: BTreeSet<&str> = MUTATION_ACCESS
        .iter()
        .filter(|(_, a)| *a == Access::RootOnly)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(tried, root_only);
    // RULE SUB-08: none of those calls changed the root account.
    assert_eq!(snapshot(&app, &f.token).await, before);
    // The root itself may still do them (the refusals were about the principal).
    let out = mutate(
        &app,
        &schema,
        Some(&f.token),
        "updateSubUser",
        json!({ "subUserId": f.idle, "remark": "by the root" }),
    )
    .await;
    assert_eq!(
        out["data"]["updateSubUser"]["userErrors"],
        json!([]),
        "{out}"
    );

    // Public mutations answer a sub-user's request like anyone's: never FORBIDDEN.
    for (name, access) in MUTATION_ACCESS {
        if *access != Access::Public {
            continue;
        }
        let out = mutate(
            &app,
            &schema,
            Some(&sub_token),
            name,
            public_input(name, &f),
        )
        .await;
        assert!(out["errors"].is_null(), "{name}: {out}");
        assert!(out["data"][name]["userErrors"].is_array(), "{name}: {out}");
    }

    // Own scope: the sub-user's own keys.
    let own = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "createAccessKey",
        json!({}),
    )
    .await;
    let own = &own["data"]["createAccessKey"];
    // RULE SUB-08: a sub-user manages its own access keys.
    assert_eq!(own["userErrors"], json!([]), "{own}");
    assert!(
        own["secretKey"].as_str().is_some_and(|s| !s.is_empty()),
        "{own}"
    );
    let own_key = own["accessKey"]["id"].as_str().unwrap().to_owned();
    let own2 = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "createAccessKey",
        json!({ "subUserId": worker }),
    )
    .await;
    assert_eq!(
        own2["data"]["createAccessKey"]["userErrors"],
        json!([]),
        "{own2}"
    );
    let listed = app
        .gql_as(
            Some(&sub_token),
            "{ viewer { subUser { accessKeys { id status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["viewer"]["subUser"]["accessKeys"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{listed}"
    );
    // Another sub-user's keys are out of its scope.
    let out = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "createAccessKey",
        json!({ "subUserId": f.other }),
    )
    .await;
    // RULE SUB-08: a key for another sub-user is the root's to make.
    assert_eq!(top_level_code(&out), "FORBIDDEN", "{out}");
    for key in [&f.root_key, &f.other_key] {
        let out = mutate(
            &app,
            &schema,
            Some(&sub_token),
            "setAccessKeyStatus",
            json!({ "accessKeyId": key, "status": "DISABLED" }),
        )
        .await;
        // RULE SUB-08: keys of other principals do not exist for a sub-user.
        assert_eq!(
            error_code(&out["data"]["setAccessKeyStatus"]),
            "NOT_FOUND",
            "{out}"
        );
        let out = mutate(
            &app,
            &schema,
            Some(&sub_token),
            "deleteAccessKey",
            json!({ "accessKeyId": key }),
        )
        .await;
        assert_eq!(
            error_code(&out["data"]["deleteAccessKey"]),
            "NOT_FOUND",
            "{out}"
        );
    }
    let out = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "setAccessKeyStatus",
        json!({ "accessKeyId": own_key, "status": "DISABLED" }),
    )
    .await;
    assert_eq!(
        out["data"]["setAccessKeyStatus"]["userErrors"],
        json!([]),
        "{out}"
    );
    assert_eq!(
        out["data"]["setAccessKeyStatus"]["accessKey"]["status"],
        "DISABLED"
    );
    let out = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "deleteAccessKey",
        json!({ "accessKeyId": own_key }),
    )
    .await;
    assert_eq!(
        out["data"]["deleteAccessKey"]["deletedId"],
        own_key.as_str(),
        "{out}"
    );
    // The root's and the other sub-user's keys are untouched.
    let without_worker_keys = |mut account: Value| {
        for edge in account["subUsers"]["edges"].as_array_mut().unwrap() {
            if edge["node"]["name"] == "worker" {
                edge["node"]["accessKeys"] = json!([]);
            }
        }
        account
    };
    let mut expected = before.clone();
    for edge in expected["subUsers"]["edges"].as_array_mut().unwrap() {
        if edge["node"]["name"] == "idle" {
            edge["node"]["remark"] = json!("by the root");
        }
    }
    assert_eq!(
        without_worker_keys(snapshot(&app, &f.token).await),
        without_worker_keys(expected)
    );

    // Own scope: its own password (the current one is required).
    let out = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "changePassword",
        json!({ "newPassword": "Another#456" }),
    )
    .await;
    assert_ne!(
        out["data"]["changePassword"]["userErrors"],
        json!([]),
        "a password change without the current one: {out}"
    );
    let out = mutate(
        &app,
        &schema,
        Some(&sub_token),
        "changePassword",
        json!({ "currentPassword": PASSWORD, "newPassword": "Another#456" }),
    )
    .await;
    assert_eq!(
        out["data"]["changePassword"]["userErrors"],
        json!([]),
        "{out}"
    );
    let signed = app
        .gql(
            "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
                userErrors { code } session { token } } }",
            json!({ "i": { "rootAccountId": account_id, "userName": "worker", "password": "Another#456" } }),
        )
        .await;
    assert!(
        signed["data"]["signInSubUser"]["session"]["token"].is_string(),
        "{signed}"
    );
    // The root's password is unchanged.
    let root = app
        .gql(
            "mutation($i: SignInInput!) { signIn(input: $i) { userErrors { code } session { token } } }",
            json!({ "i": { "site": "CHINA", "email": email, "password": PASSWORD } }),
        )
        .await;
    assert!(
        root["data"]["signIn"]["session"]["token"].is_string(),
        "{root}"
    );

    // Own scope: signing out ends its own session only.
    let out = mutate(&app, &schema, Some(&sub_token), "signOut", json!({})).await;
    assert_eq!(out["data"]["signOut"]["userErrors"], json!([]), "{out}");
    let gone = app
        .gql_as(Some(&sub_token), "{ viewer { subUser { id } } }", json!({}))
        .await;
    assert_eq!(gone["data"]["viewer"], Value::Null, "{gone}");
    let root_view = app
        .gql_as(
            Some(&f.token),
            "{ viewer { account { accountId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        root_view["data"]["viewer"]["account"]["accountId"],
        account_id.as_str()
    );
}

// ---------------------------------------------------------------------------------------
// SUB-08 (b), (c): another root account's objects
// ---------------------------------------------------------------------------------------

/// One root account with one of everything.
struct World {
    email: String,
    token: String,
    account_gid: String,
    account_id: String,
    sub_name: String,
    sub_token: String,
    /// A sub-user with an ACTIVE key, member of `project`.
    sub: String,
    /// A sub-user with no key and no project (deletable at once).
    spare: String,
    sub_key: String,
    sub_key_secret_id: String,
    root_key: String,
    root_key_secret_id: String,
    project: String,
    project_name: String,
    disabled_project: String,
    disabled_project_name: String,
    /// (kind, global ID) of every login method.
    login_methods: Vec<(String, String)>,
    verification: String,
    remittance_amount: Option<String>,
}

async fn world(app: &TestApp, tag: &str, pending: bool, seq: u32) -> World {
    let email = format!("{tag}-root@example.com");
    let (token, account) = app.register_email("CHINA", &email).await;
    let account_id = account["accountId"].as_str().unwrap().to_owned();
    let account_gid = account["id"].as_str().unwrap().to_owned();
    // A second login method (so unbinding one would be allowed).
    let out = payload(
        app,
        &token,
        "mutation($i: BindLoginMethodInput!) { bindLoginMethod(input: $i) {
            userErrors { code field message } loginMethod { id } } }",
        json!({ "kind": "WECHAT", "providerCode": format!("sandbox:wx-{tag}") }),
    )
    .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let login_methods = login_method_ids(app, &token).await;
    assert_eq!(login_methods.len(), 2);
    let (verification, remittance_amount) = if pending {
        let (id, amount) =
            pending_remittance(app, &token, &format!("{tag}机密有限公司"), seq).await;
        (id, Some(amount))
    } else {
        (verify_individual(app, &token, "张三", seq).await, None)
    };
    let sub_name = format!("{tag}-secret-member");
    let sub = create_sub_user(app, &token, &sub_name, true).await;
    let spare = create_sub_user(app, &token, &format!("{tag}-spare-member"), false).await;
    let (sub_key, sub_key_secret_id) = create_key(app, &token, Some(&sub)).await;
    let (root_key, root_key_secret_id) = create_key(app, &token, None).await;
    let project_name = format!("{tag} secret project");
    let project =
        create_project(app, &token, &project_name, Some(&format!("{tag} plans"))).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let out = add_member(app, &token, &project, &sub).await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let disabled_project_name = format!("{tag} dormant project");
    let disabled_project = project_id(app, &token, &disabled_project_name).await;
    let out = set_project_status(app, &token, &disabled_project, false).await;
    assert_eq!(out["project"]["status"], "DISABLED", "{out}");
    let sub_token = sign_in_sub_user(app, &account_id, &sub_name).await;
    World {
        email,
        token,
        account_gid,
        account_id,
        sub_name,
        sub_token,
        sub,
        spare,
        sub_key,
        sub_key_secret_id,
        root_key,
        root_key_secret_id,
        project,
        project_name,
        disabled_project,
        disabled_project_name,
        login_methods,
        verification,
        remittance_amount,
    }
}

/// What of B must never appear in an answer to A.
fn secrets_of(b: &World) -> Vec<String> {
    vec![
        b.account_id.clone(),
        b.account_gid.clone(),
        b.email.clone(),
        b.sub_name.clone(),
        "b-spare-member".to_owned(),
        b.sub_key_secret_id.clone(),
        b.root_key_secret_id.clone(),
        b.project_name.clone(),
        b.disabled_project_name.clone(),
        "b plans".to_owned(),
        "b机密".to_owned(),
        "wx-b".to_owned(),
    ]
}

fn assert_no_leak(out: &Value, secrets: &[String], context: &str) {
    let text = out.to_string();
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{context}: {secret:?} of the other account leaked in {text}"
        );
    }
}

/// The value at a dotted path inside a JSON object.
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, key| &v[key])
}

async fn no_mutation_reaches_another_root_account(app: TestApp) {
    let schema = served_mutations(&app).await;
    let a = world(&app, "a", false, 41).await;
    let b = world(&app, "b", true, 42).await;

    // B's sub-user has an MFA device; B's root has begun binding one.
    let (b_sub_mfa_secret, _) = mfa::bind_virtual(&app, &b.token, Some(&b.sub)).await;
    let begun = mfa::begin(&app, &b.token, None).await;
    assert_eq!(begun["userErrors"], json!([]), "{begun}");
    let b_binding = begun["bindingId"].as_str().unwrap().to_owned();
    let b_binding_secret = begun["secret"].as_str().unwrap().to_owned();
    mfa::register_token(&app, "HW-WALK-1", mfa::HW_SECRET).await;

    // B turns login protection on, and a sign-in leaves B a pending challenge.
    app.advance(61).await;
    let code = app.code_for("EMAIL", &b.email, "OPERATION").await;
    let out = mutate(
        &app,
        &schema,
        Some(&b.token),
        "updateProtection",
        json!({ "loginProtection": true, "secondFactor": { "channel": "EMAIL", "code": code } }),
    )
    .await;
    assert_eq!(
        out["data"]["updateProtection"]["userErrors"],
        json!([]),
        "{out}"
    );
    let out = mutate(
        &app,
        &schema,
        None,
        "signIn",
        json!({ "site": "CHINA", "email": b.email, "password": PASSWORD }),
    )
    .await;
    let b_challenge = out["data"]["signIn"]["challenge"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a challenge for B: {out}"))
        .to_owned();
    // B trusts a device on a second sign-in: B's session and trusted device IDs (LOG-10).
    let out = mutate(
        &app,
        &schema,
        None,
        "signIn",
        json!({ "site": "CHINA", "email": b.email, "password": PASSWORD }),
    )
    .await;
    let second = out["data"]["signIn"]["challenge"]["id"].clone();
    app.advance(61).await;
    let code = app.code_for("EMAIL", &b.email, "LOGIN_CHALLENGE").await;
    let out = mutate(
        &app,
        &schema,
        None,
        "completeLoginChallenge",
        json!({ "challengeId": second, "secondFactor": { "channel": "EMAIL", "code": code },
                "trustDevice": true }),
    )
    .await;
    let b_second_token = out["data"]["completeLoginChallenge"]["session"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("B's second session: {out}"))
        .to_owned();
    let out = app
        .gql_as(
            Some(&b_second_token),
            "{ viewer { session { id } trustedDevices { id } } }",
            json!({}),
        )
        .await;
    let b_session = out["data"]["viewer"]["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_device = out["data"]["viewer"]["trustedDevices"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("B's trusted device: {out}"))
        .to_owned();
    app.advance(61).await;
    // A's own second factor, to try on B's challenge.
    let a_code = app.code_for("EMAIL", &a.email, "LOGIN_CHALLENGE").await;
    // B's MFA objects: a device on B's sub-user and a pending binding of B's root, tried
    // below with codes valid for them; and a free hardware token to bind.
    let b_sub_device = mfa::sub_user_device(&app, &b.token, &b.sub).await;
    assert!(b_sub_device.is_object(), "{b_sub_device}");
    let b_sub_mfa_code = mfa::code_now(&app, &b_sub_mfa_secret).await;
    let b_binding_code = mfa::code_now(&app, &b_binding_secret).await;
    let hw_code = mfa::code_now(&app, mfa::HW_SECRET).await;

    // Another root without members can ask for cancellation: its request is the foreign
    // Cancellation ID (B's members block B's own request).
    let (c_token, _) = app.register_email("CHINA", "walk-c@example.com").await;
    let c_requested = app
        .gql_as(
            Some(&c_token),
            "mutation { requestCancellation(input: {}) { userErrors { code } cancellation { id } } }",
            json!({}),
        )
        .await;
    let c_cancellation = c_requested["data"]["requestCancellation"]["cancellation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a cancellation for C: {c_requested}"))
        .to_owned();

    // B's message center holds the notice of its access key (NTF-01).
    let b_messages = app
        .gql_as(
            Some(&b.token),
            "{ viewer { messages(first: 1) { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    let b_message = b_messages["data"]["viewer"]["messages"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a message of B: {b_messages}"))
        .to_owned();

    let b_before = snapshot(&app, &b.token).await;
    let b_wechat = b
        .login_methods
        .iter()
        .find(|(k, _)| k == "WECHAT")
        .unwrap()
        .1
        .clone();
    let b_email_method = b
        .login_methods
        .iter()
        .find(|(k, _)| k == "EMAIL")
        .unwrap()
        .1
        .clone();
    let b_ids: BTreeSet<String> = [
        &c_cancellation,
        &b.sub,
        &b.spare,
        &b.sub_key,
        &b.root_key,
        &b.project,
        &b.disabled_project,
        &b_wechat,
        &b_email_method,
        &b.verification,
        &b.account_gid,
        &b_challenge,
        &b_binding,
        &b_message,
        &b_session,
        &b_device,
    ]
    .into_iter()
    .cloned()
    .collect();

    /// How an attempt on B's object must be refused.
    #[derive(Clone, Copy)]
    enum Refusal {
        NotFound,
        /// completeLoginChallenge: the challenge ID is a bearer secret, not an object of
        /// the caller's account; a factor that is not B's is simply wrong.
        InvalidCode,
    }
    let b_amount = b.remittance_amount.clone().unwrap();
    let attempts: Vec<(&str, Value, Refusal)> = vec![
        (
            "updateSubUser",
            json!({ "subUserId": b.sub, "remark": "owned", "consoleLogin": false }),
            Refusal::NotFound,
        ),
        (
            "deleteSubUser",
            json!({ "subUserId": b.spare }),
            Refusal::NotFound,
        ),
        (
            "deleteSubUser",
            json!({ "subUserId": b.sub }),
            Refusal::NotFound,
        ),
        (
            "createAccessKey",
            json!({ "subUserId": b.spare }),
            Refusal::NotFound,
        ),
        (
            "setAccessKeyStatus",
            json!({ "accessKeyId": b.sub_key, "status": "DISABLED" }),
            Refusal::NotFound,
        ),
        (
            "setAccessKeyStatus",
            json!({ "accessKeyId": b.root_key, "status": "DISABLED" }),
            Refusal::NotFound,
        ),
        (
            "deleteAccessKey",
            json!({ "accessKeyId": b.sub_key }),
            Refusal::NotFound,
        ),
        (
            "deleteAccessKey",
            json!({ "accessKeyId": b.root_key }),
            Refusal::NotFound,
        ),
        (
            "updateProject",
            json!({ "projectId": b.project, "name": "owned", "description": "" }),
            Refusal::NotFound,
        ),
        (
            "disableProject",
            json!({ "projectId": b.project }),
            Refusal::NotFound,
        ),
        (
            "enableProject",
            json!({ "projectId": b.disabled_project }),
            Refusal::NotFound,
        ),
        (
            "addProjectMember",
            json!({ "projectId": b.project, "subUserId": a.spare }),
            Refusal::NotFound,
        ),
        (
            "addProjectMember",
            json!({ "projectId": a.project, "subUserId": b.spare }),
            Refusal::NotFound,
        ),
        (
            "addProjectMember",
            json!({ "projectId": b.project, "subUserId": b.spare }),
            Refusal::NotFound,
        ),
        (
            "removeProjectMember",
            json!({ "projectId": b.project, "subUserId": b.sub }),
            Refusal::NotFound,
        ),
        (
            "removeProjectMember",
            json!({ "projectId": a.project, "subUserId": b.sub }),
            Refusal::NotFound,
        ),
        (
            "removeProjectMember",
            json!({ "projectId": b.project, "subUserId": a.sub }),
            Refusal::NotFound,
        ),
        (
            "unbindLoginMethod",
            json!({ "loginMethodId": b_wechat }),
            Refusal::NotFound,
        ),
        (
            "unbindLoginMethod",
            json!({ "loginMethodId": b_email_method }),
            Refusal::NotFound,
        ),
        (
            "confirmRemittance",
            json!({ "verificationId": b.verification, "amount": b_amount }),
            Refusal::NotFound,
        ),
        (
            "withdrawVerification",
            json!({ "verificationId": b.verification }),
            Refusal::NotFound,
        ),
        (
            "completeLoginChallenge",
            json!({ "challengeId": b_challenge,
                    "secondFactor": { "channel": "EMAIL", "code": a_code } }),
            Refusal::InvalidCode,
        ),
        (
            "beginVirtualMfaBinding",
            json!({ "subUserId": b.spare }),
            Refusal::NotFound,
        ),
        (
            "confirmVirtualMfaBinding",
            json!({ "bindingId": b_binding, "code": b_binding_code }),
            Refusal::NotFound,
        ),
        (
            "bindHardwareMfa",
            json!({ "subUserId": b.spare, "serialNumber": "HW-WALK-1", "code": hw_code }),
            Refusal::NotFound,
        ),
        (
            "unbindMfaDevice",
            json!({ "subUserId": b.sub, "code": b_sub_mfa_code }),
            Refusal::NotFound,
        ),
        (
            "withdrawCancellation",
            json!({ "cancellationId": c_cancellation }),
            Refusal::NotFound,
        ),
        (
            "resetSubUserPassword",
            json!({ "subUserId": b.sub, "newPassword": "Taken#Over1", "requireChange": false }),
            Refusal::NotFound,
        ),
        (
            "removeSubUserMfaDevice",
            json!({ "subUserId": b.sub }),
            Refusal::NotFound,
        ),
        (
            "setMessageCategories",
            json!({ "subUserId": b.sub, "categories": ["SECURITY"] }),
            Refusal::NotFound,
        ),
        (
            "markMessagesRead",
            json!({ "messageIds": [b_message] }),
            Refusal::NotFound,
        ),
        (
            "revokeSession",
            json!({ "sessionId": b_session }),
            Refusal::NotFound,
        ),
        (
            "forgetTrustedDevice",
            json!({ "deviceId": b_device }),
            Refusal::NotFound,
        ),
    ];

    // Every ID field of every mutation is attacked with one of B's IDs.
    let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, input, _) in &attempts {
        let shape = schema
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not served"));
        for field in &shape.id_fields {
            // A list of IDs is covered when it names one of B's.
            let names_b = match at(input, field) {
                Value::Array(items) => items
                    .iter()
                    .any(|v| v.as_str().is_some_and(|id| b_ids.contains(id))),
                single => single.as_str().is_some_and(|id| b_ids.contains(id)),
            };
            if names_b {
                covered.insert(((*name).to_owned(), field.clone()));
            }
        }
    }
    let required: BTreeSet<(String, String)> = schema
        .iter()
        .flat_map(|(name, shape)| {
            shape
                .id_fields
                .iter()
                .map(move |f| (name.clone(), f.clone()))
        })
        .collect();
    // The introspection found the ID fields known today (a sanity check of the walk itself).
    for (name, field) in [
        ("updateSubUser", "subUserId"),
        ("deleteSubUser", "subUserId"),
        ("createAccessKey", "subUserId"),
        ("setAccessKeyStatus", "accessKeyId"),
        ("deleteAccessKey", "accessKeyId"),
        ("updateProject", "projectId"),
        ("disableProject", "projectId"),
        ("enableProject", "projectId"),
        ("addProjectMember", "projectId"),
        ("addProjectMember", "subUserId"),
        ("removeProjectMember", "projectId"),
        ("removeProjectMember", "subUserId"),
        ("unbindLoginMethod", "loginMethodId"),
        ("confirmRemittance", "verificationId"),
        ("withdrawVerification", "verificationId"),
        ("completeLoginChallenge", "challengeId"),
        ("beginVirtualMfaBinding", "subUserId"),
        ("confirmVirtualMfaBinding", "bindingId"),
        ("bindHardwareMfa", "subUserId"),
        ("unbindMfaDevice", "subUserId"),
        ("withdrawCancellation", "cancellationId"),
        ("resetSubUserPassword", "subUserId"),
        ("removeSubUserMfaDevice", "subUserId"),
        ("setMessageCategories", "subUserId"),
        ("markMessagesRead", "messageIds"),
        ("revokeSession", "sessionId"),
        ("forgetTrustedDevice", "deviceId"),
    ] {
        assert!(
            required.contains(&(name.to_owned(), field.to_owned())),
            "{name}.{field} not found by introspection: {required:?}"
        );
    }
    let uncovered: Vec<_> = required.difference(&covered).collect();
    assert!(
        uncovered.is_empty(),
        "ID fields never tried with another account's ID (SUB-08): {uncovered:?}"
    );

    let secrets = secrets_of(&b);
    // As A's root, then as A's sub-user (who is refused earlier, but must leak nothing).
    for (who, token) in [("A's root", &a.token), ("A's sub-user", &a.sub_token)] {
        for (name, input, refusal) in &attempts {
            let out = mutate(&app, &schema, Some(token), name, input.clone()).await;
            let context = format!("{who}: {name} with {input}");
            // RULE SUB-08: no principal reaches another root account's data.
            assert_no_leak(&out, &secrets, &context);
            let payload = &out["data"][*name];
            if who == "A's sub-user" && *name != "completeLoginChallenge" {
                // Root-only mutations are FORBIDDEN before any lookup; the own-scope
                // ones (keys) answer NOT_FOUND (or FORBIDDEN for another's sub-user).
                let top = top_level_code(&out);
                assert!(
                    top == "FORBIDDEN" || error_code(payload) == "NOT_FOUND",
                    "{context}: {out}"
                );
                continue;
            }
            match refusal {
                Refusal::NotFound => {
                    // RULE SUB-08: a mutation on another account's object answers NOT_FOUND.
                    assert!(out["errors"].is_null(), "{context}: {out}");
                    assert_eq!(error_code(payload), "NOT_FOUND", "{context}: {out}");
                }
                Refusal::InvalidCode => {
                    assert_eq!(error_code(payload), "INVALID_CODE", "{context}: {out}");
                    assert_eq!(payload["session"], Value::Null, "{context}: {out}");
                }
            }
            for (key, value) in payload.as_object().unwrap() {
                if key != "userErrors" && key != "__typename" {
                    assert_eq!(*value, Value::Null, "{context}: {key} in {out}");
                }
            }
        }
    }

    // RULE SUB-08: B's account is exactly as it was.
    assert_eq!(snapshot(&app, &b.token).await, b_before);
    // RULE LOG-10: B's sessions and trusted devices are B's alone to end.
    let out = app
        .gql_as(
            Some(&b_second_token),
            "{ viewer { session { id } trustedDevices { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["viewer"]["session"]["id"],
        b_session.as_str(),
        "{out}"
    );
    assert_eq!(
        out["data"]["viewer"]["trustedDevices"][0]["id"],
        b_device.as_str(),
        "{out}"
    );
    // RULE SUB-08: B's MFA device and pending binding are untouched, A bound nothing.
    assert_eq!(
        mfa::sub_user_device(&app, &b.token, &b.sub).await,
        b_sub_device
    );
    assert_eq!(
        mfa::sub_user_device(&app, &b.token, &b.spare).await,
        Value::Null
    );
    for token in [&a.token, &a.sub_token] {
        let out = app
            .gql_as(
                Some(token),
                "{ viewer { account { mfaDevice { id } } subUser { mfaDevice { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            out["data"]["viewer"]["account"]["mfaDevice"],
            Value::Null,
            "{out}"
        );
        assert_eq!(
            out["data"]["viewer"]["subUser"]["mfaDevice"],
            Value::Null,
            "{out}"
        );
    }
    let out = mfa::confirm(&app, &b.token, &json!(b_binding), &b_binding_code).await;
    assert_eq!(out["userErrors"], json!([]), "B's own binding: {out}");
    // B's sub-user is still signed in, B's challenge still open to B's own code.
    let out = app
        .gql_as(
            Some(&b.sub_token),
            "{ viewer { subUser { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        out["data"]["viewer"]["subUser"]["name"],
        b.sub_name.as_str(),
        "{out}"
    );
    // One code per target per minute; the challenge lives 5 minutes.
    app.advance(61).await;
    let b_code = app.code_for("EMAIL", &b.email, "LOGIN_CHALLENGE").await;
    let out = mutate(
        &app,
        &schema,
        None,
        "completeLoginChallenge",
        json!({ "challengeId": b_challenge, "secondFactor": { "channel": "EMAIL", "code": b_code } }),
    )
    .await;
    assert!(
        out["data"]["completeLoginChallenge"]["session"]["token"].is_string(),
        "{out}"
    );
    // And B's remittance still takes B's amount.
    let out = mutate(
        &app,
        &schema,
        Some(&b.token),
        "confirmRemittance",
        json!({ "verificationId": b.verification, "amount": b_amount }),
    )
    .await;
    assert_eq!(
        out["data"]["confirmRemittance"]["userErrors"],
        json!([]),
        "{out}"
    );
    assert_eq!(
        out["data"]["confirmRemittance"]["verification"]["state"],
        "APPROVED"
    );
}

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id
    ... on SubUser { name accessKeys { secretId } }
    ... on Project { name description }
    ... on AccessKey { secretId }
    ... on Account { accountId }
    ... on Verification { subjectName }
    ... on LoginMethod { identifier } } }";

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
    ... on SubUser { name } ... on Project { name } ... on AccessKey { secretId }
    ... on Account { accountId } } }";

/// The global IDs of a world's objects, with the type each must resolve to.
async fn ids_of(app: &TestApp, w: &World) -> Vec<(String, &'static str)> {
    let mut ids = vec![
        (w.account_gid.clone(), "Account"),
        (w.sub.clone(), "SubUser"),
        (w.spare.clone(), "SubUser"),
        (w.sub_key.clone(), "AccessKey"),
        (w.root_key.clone(), "AccessKey"),
        (w.project.clone(), "Project"),
        (w.disabled_project.clone(), "Project"),
        (w.verification.clone(), "Verification"),
    ];
    for (_, id) in &w.login_methods {
        ids.push((id.clone(), "LoginMethod"));
    }
    let out = app
        .gql_as(
            Some(&w.token),
            "{ viewer { account { loginHistory(first: 1) { edges { node { id } } }
                auditLog(first: 1) { edges { node { id } } } } } }",
            json!({}),
        )
        .await;
    let account = &out["data"]["viewer"]["account"];
    ids.push((
        account["loginHistory"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned(),
        "LoginEvent",
    ));
    ids.push((
        account["auditLog"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned(),
        "AuditEvent",
    ));
    ids
}

async fn node_lookups_never_return_another_accounts_objects(app: TestApp) {
    let a = world(&app, "a", false, 51).await;
    let b = world(&app, "b", true, 52).await;
    let a_ids = ids_of(&app, &a).await;
    let b_ids = ids_of(&app, &b).await;
    let secrets = secrets_of(&b);

    // Each ID is real: its own account (root and sub-user) resolves it.
    for (w, ids) in [(&a, &a_ids), (&b, &b_ids)] {
        for token in [&w.token, &w.sub_token] {
            for (id, kind) in ids.iter() {
                let out = app.gql_as(Some(token), NODE, json!({ "id": id })).await;
                assert!(out["errors"].is_null(), "{out}");
                assert_eq!(out["data"]["node"]["__typename"], *kind, "{id}: {out}");
                assert_eq!(out["data"]["node"]["id"], id.as_str(), "{out}");
            }
        }
    }

    // RULE SUB-08: another root account's IDs resolve to null, for its root and sub-users.
    for token in [&a.token, &a.sub_token] {
        for (id, kind) in &b_ids {
            let out = app.gql_as(Some(token), NODE, json!({ "id": id })).await;
            assert!(out["errors"].is_null(), "{kind} {id}: {out}");
            assert_eq!(out["data"]["node"], Value::Null, "{kind} {id}: {out}");
            assert_no_leak(&out, &secrets, kind);
        }
        // nodes(ids:): B's are null, A's resolve, in order.
        let mut mixed = Vec::new();
        for ((b_id, _), (a_id, _)) in b_ids.iter().zip(&a_ids) {
            mixed.push(b_id.clone());
            mixed.push(a_id.clone());
        }
        let out = app
            .gql_as(Some(token), NODES, json!({ "ids": mixed }))
            .await;
        assert!(out["errors"].is_null(), "{out}");
        let got = out["data"]["nodes"].as_array().unwrap();
        assert_eq!(got.len(), mixed.len(), "{out}");
        for (i, node) in got.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(*node, Value::Null, "{} in {out}", mixed[i]);
            } else {
                assert_eq!(node["id"], mixed[i].as_str(), "{out}");
            }
        }
        assert_no_leak(&out, &secrets, "nodes");
    }
    // RULE LOG-10: a session's node ID resolves for its own principal only: not for
    // another account, nor for a sub-user of the same account.
    let b_session = app
        .gql_as(Some(&b.token), "{ viewer { session { id } } }", json!({}))
        .await["data"]["viewer"]["session"]["id"]
        .clone();
    let out = app
        .gql_as(Some(&b.token), NODE, json!({ "id": b_session }))
        .await;
    assert_eq!(out["data"]["node"]["__typename"], "Session", "{out}");
    for token in [&b.sub_token, &a.token, &a.sub_token] {
        let out = app
            .gql_as(Some(token), NODE, json!({ "id": b_session }))
            .await;
        assert!(out["errors"].is_null(), "{out}");
        assert_eq!(out["data"]["node"], Value::Null, "{out}");
    }
    // Signed out, nothing resolves.
    let out = app.gql(NODE, json!({ "id": a.project })).await;
    assert_eq!(out["data"]["node"], Value::Null, "{out}");
}

db_test!(
    projects_have_unique_names_of_one_to_sixty_four_characters,
    projects_are_disabled_and_enabled_but_never_deleted,
    disabled_projects_take_no_new_members_but_stay_readable,
    project_members_and_projects_page_by_keyset,
    sub_users_are_forbidden_every_root_only_mutation,
    no_mutation_reaches_another_root_account,
    node_lookups_never_return_another_accounts_objects,
);
