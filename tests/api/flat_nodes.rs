//! Page items answered in one pass (`src/graphql/flat.rs`) answer exactly as the same
//! objects do through `nodes(ids:)`, which resolves them the usual way: every field, through
//! fragments, aliases, repeated keys and directives, when a selected field sends the item
//! the usual way, and when a stored value cannot be read.

use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::TestApp,
    seed::{Seeded, Shape, seed},
};

const SHAPE: Shape = Shape {
    sub_users: 40,
    projects: 10,
    other_accounts: 3,
};

/// Every field of `SubUser` and of the types below it that a page prefetches.
const EVERY_MEMBER_FIELD: &str = "fragment M on SubUser {
    id name kind remark email phone consoleLogin messageCategories passwordChangeRequired createdAt
    mfaDevice { id kind serialNumber boundAt lastUsedAt }
    accessKeys { id secretId status createdAt lastUsedAt }
    projects { id name description status createdAt disabledAt }
}";

/// Every field of `Project` but its members.
const EVERY_PROJECT_FIELD: &str =
    "fragment P on Project { id name description status createdAt disabledAt }";

/// The same objects read two ways.
struct BothWays {
    /// The members and projects as the root's console page shows them.
    page: (Value, Value),
    /// The same objects, in the same order, through `nodes(ids:)`.
    nodes: (Value, Value),
}

/// Reads the seeded root's members and projects both ways with `fragments` (which define
/// `M` and `P`), and checks that both answers carry the same errors: code, item and path
/// below the item.
async fn both_ways(app: &TestApp, seeded: &Seeded, fragments: &str, variables: Value) -> BothWays {
    let listed = app
        .gql_as(
            Some(&seeded.token),
            "{ viewer { account {
                subUsers(first: 100) { edges { node { id } } }
                projects(first: 50, includeDisabled: true) { edges { node { id } } } } } }",
            json!({}),
        )
        .await;
    let ids_of = |list: &str| -> Vec<Value> {
        listed["data"]["viewer"]["account"][list]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{listed}"))
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let (member_ids, project_ids) = (ids_of("subUsers"), ids_of("projects"));
    let yes = if fragments.contains("$yes") {
        "$yes: Boolean = true"
    } else {
        ""
    };
    let page_variables = if yes.is_empty() {
        String::new()
    } else {
        format!("({yes})")
    };
    let page = app
        .gql_as(
            Some(&seeded.token),
            &format!(
                "query Page{page_variables} {{ viewer {{ account {{
                    subUsers(first: 100) {{ edges {{ node {{ ...M }} }} }}
                    projects(first: 50, includeDisabled: true) {{ edges {{ node {{ ...P }} }} }}
                }} }} }} {fragments}"
            ),
            variables.clone(),
        )
        .await;
    let mut variables = variables;
    variables["ids"] = json!(member_ids.iter().chain(&project_ids).collect::<Vec<_>>());
    let nodes = app
        .gql_as(
            Some(&seeded.token),
            &format!(
                "query Nodes($ids: [ID!]! {yes}) {{
                    nodes(ids: $ids) {{ ...M ...P }} }} {fragments}"
            ),
            variables,
        )
        .await;
    assert_eq!(
        errors_by_item(&page, ON_A_PAGE),
        errors_by_item(&nodes, IN_NODES),
        "page: {page}\nnodes: {nodes}"
    );
    let account = &page["data"]["viewer"]["account"];
    let page_nodes = |list: &str| -> Value {
        account[list]["edges"]
            .as_array()
            .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
            .unwrap_or(Value::Null)
    };
    let by_node = nodes["data"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (by_node_members, by_node_projects) = by_node.split_at(member_ids.len().min(by_node.len()));
    BothWays {
        page: (page_nodes("subUsers"), page_nodes("projects")),
        nodes: (json!(by_node_members), json!(by_node_projects)),
    }
}

/// Where an item stands in an error's path: the index of its position in the list, and
/// where the path below the item starts.
struct ItemInPath {
    index_at: usize,
    below_from: usize,
}

/// `viewer.account.subUsers.edges.<i>.node.…`
const ON_A_PAGE: ItemInPath = ItemInPath {
    index_at: 4,
    below_from: 6,
};

/// `nodes.<i>.…`
const IN_NODES: ItemInPath = ItemInPath {
    index_at: 1,
    below_from: 2,
};

/// Each error as (code, item index, path below the item).
fn errors_by_item(out: &Value, item: ItemInPath) -> Vec<(Value, Value, Value)> {
    let mut found: Vec<(Value, Value, Value)> = out["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let path = e["path"].as_array().cloned().unwrap_or_default();
            (
                e["extensions"]["code"].clone(),
                path.get(item.index_at).cloned().unwrap_or(Value::Null),
                json!(path.iter().skip(item.below_from).collect::<Vec<_>>()),
            )
        })
        .collect();
    found.sort_by_key(|e| format!("{e:?}"));
    found
}

// RULE SUB-01
async fn every_field_of_a_page_item_answers_as_its_node_does(app: TestApp) {
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    let fragments = format!("{EVERY_MEMBER_FIELD} {EVERY_PROJECT_FIELD}");
    let both = both_ways(&app, &seeded, &fragments, json!({})).await;
    assert_eq!(both.page, both.nodes);
    let (members, projects) = both.page;
    // The comparison covers real data of every shape.
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 40);
    assert!(members.iter().any(|m| m["mfaDevice"].is_object()));
    assert!(members.iter().any(|m| m["mfaDevice"].is_null()));
    assert!(
        members
            .iter()
            .any(|m| m["accessKeys"].as_array().unwrap().len() > 1)
    );
    assert!(
        members
            .iter()
            .any(|m| m["projects"].as_array().unwrap().len() > 1)
    );
    assert!(
        members
            .iter()
            .all(|m| m["createdAt"].is_string() && m["kind"].is_string())
    );
    let projects = projects.as_array().unwrap();
    assert_eq!(projects.len(), 10);
    assert!(projects.iter().any(|p| p["status"] == "DISABLED"));
}

async fn fragments_aliases_repeated_keys_and_directives_answer_alike(app: TestApp) {
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    let fragments = "
        fragment Device on MfaDevice { kind __typename }
        fragment M on SubUser {
            __typename
            who: name
            name
            ... on Node { nodeId: id }
            ... { kind }
            mfaDevice { ...Device }
            mfaDevice { serialNumber kind }
            keys: accessKeys { secretId }
            keys: accessKeys { status __typename }
            projects { ... on Project { name } }
            projects { ... on Node { id } status }
            consoleLogin @include(if: $yes)
            remark @skip(if: $yes)
            createdAt @skip(if: false)
        }
        fragment P on Project { __typename ... on Node { id } label: name status status }";
    for yes in [true, false] {
        let both = both_ways(&app, &seeded, fragments, json!({ "yes": yes })).await;
        assert_eq!(both.page, both.nodes, "yes: {yes}");
        let members = &both.page.0;
        let first = &members[0];
        assert_eq!(first["__typename"], "SubUser");
        assert_eq!(first["who"], first["name"]);
        assert!(first["nodeId"].is_string(), "{first}");
        assert_eq!(first.get("consoleLogin").is_some(), yes, "{first}");
        assert_eq!(first.get("remark").is_some(), !yes, "{first}");
    }
}

/// A field that is not at hand (the root `account`, a project's `members`) sends the item
/// the usual way, whole; the answer is the same.
async fn an_item_asking_for_more_than_the_page_loaded_answers_alike(app: TestApp) {
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    let fragments = "
        fragment M on SubUser {
            name account { accountId }
            accessKeys { secretId }
            projects { name members(first: 3) { totalCount edges { node { name mfaDevice { kind } } } } }
        }
        fragment P on Project { name members(first: 2) { edges { node { name accessKeys { status } } } } }";
    let both = both_ways(&app, &seeded, fragments, json!({})).await;
    assert_eq!(both.page, both.nodes);
    let (members, projects) = both.page;
    assert!(members[0]["account"]["accountId"].is_string(), "{members}");
    assert!(
        projects
            .as_array()
            .unwrap()
            .iter()
            .any(|p| !p["members"]["edges"].as_array().unwrap().is_empty()),
        "{projects}"
    );
}

/// A stored value the server cannot read fails its field with INTERNAL on both paths, for
/// the same item at the same place below it (`both_ways` compares the errors).
async fn an_unreadable_stored_value_fails_the_same_field_both_ways(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE access_keys SET status = 'MISLAID' WHERE id = (SELECT MIN(k.id) FROM \
             access_keys k JOIN sub_users s ON s.id = k.sub_user_id WHERE s.account_id = {})",
            seeded.root_id
        ))
        .await
        .unwrap();
    let page = app
        .gql_as(
            Some(&seeded.token),
            &format!("{{ viewer {{ account {{ subUsers(first: 100) {{ edges {{ node {{ ...M }} }} }} }} }} }} {EVERY_MEMBER_FIELD}"),
            json!({}),
        )
        .await;
    let errors = errors_by_item(&page, ON_A_PAGE);
    assert_eq!(errors.len(), 1, "{page}");
    assert_eq!(errors[0].0, "INTERNAL", "{page}");
    assert_eq!(errors[0].2, json!(["accessKeys"]), "{page}");
    // The non-null chain up from the failed list answers null, not a made-up member.
    assert!(page["data"]["viewer"]["account"].is_null(), "{page}");
    let fragments = format!("{EVERY_MEMBER_FIELD} {EVERY_PROJECT_FIELD}");
    both_ways(&app, &seeded, &fragments, json!({})).await;
}

/// A page's own fields (edges, cursors, page info, total, type names) answer alike whether
/// the page answers in one walk or, because an item asks for more, the usual way.
async fn a_page_answers_its_cursors_and_counts_alike_either_way(app: TestApp) {
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    let page = |members: &'static str, projects: &'static str, after: Value| {
        let (app, token) = (app.clone(), seeded.token.clone());
        async move {
            let out = app
                .gql_as(
                    Some(&token),
                    &format!(
                        "query($after: String) {{ viewer {{ account {{
                            subUsers(first: 7, after: $after) {{ __typename totalCount
                                pageInfo {{ __typename hasPreviousPage hasNextPage startCursor endCursor }}
                                edges {{ __typename cursor node {{ name {members} }} }} }}
                            projects(first: 4, after: $after, includeDisabled: true) {{ totalCount
                                pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }}
                                edges {{ cursor node {{ name {projects} }} }} }} }} }} }}"
                    ),
                    json!({ "after": after }),
                )
                .await;
            assert!(out["errors"].is_null(), "{out}");
            out["data"]["viewer"]["account"].clone()
        }
    };
    let strip = |mut account: Value| {
        for list in ["subUsers", "projects"] {
            for edge in account[list]["edges"].as_array_mut().unwrap() {
                let node = edge["node"].as_object_mut().unwrap();
                node.remove("account");
                node.remove("members");
            }
        }
        account
    };
    let mut after = Value::Null;
    for _ in 0..3 {
        let flat = page("", "", after.clone()).await;
        let usual = strip(
            page(
                "account { accountId }",
                "members(first: 1) { totalCount }",
                after.clone(),
            )
            .await,
        );
        assert_eq!(flat, usual);
        assert_eq!(flat["subUsers"]["totalCount"], 40);
        assert_eq!(flat["subUsers"]["edges"].as_array().unwrap().len(), 7);
        after = flat["subUsers"]["pageInfo"]["endCursor"].clone();
        assert!(after.is_string(), "{flat}");
    }
}

/// A page finds its members' devices by `sub_user_id` but shows each on the member its
/// principal key names, as `nodes(ids:)` (which looks devices up by principal key) does:
/// were the two columns ever to disagree, a device would not move to another member.
async fn a_device_shows_on_the_member_its_principal_key_names_either_way(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let seeded = seed(&app.db, SHAPE).await.unwrap();
    let members = |page: &Value| page["data"]["viewer"]["account"]["subUsers"]["edges"].clone();
    let query = "{ viewer { account { subUsers(first: 100) { edges { node {
        id mfaDevice { serialNumber } } } } } } }";
    let before = app.gql_as(Some(&seeded.token), query, json!({})).await;
    let edges = members(&before);
    let edges = edges.as_array().unwrap();
    let with_device = edges
        .iter()
        .position(|e| e["node"]["mfaDevice"].is_object())
        .unwrap();
    let without = edges
        .iter()
        .position(|e| e["node"]["mfaDevice"].is_null())
        .unwrap();
    let serial = edges[with_device]["node"]["mfaDevice"]["serialNumber"].clone();
    let pk_of = |index: usize| {
        let (kind, pk) =
            account_center::graphql::node::decode(edges[index]["node"]["id"].as_str().unwrap())
                .unwrap();
        assert_eq!(kind, account_center::graphql::node::NodeKind::SubUser);
        pk
    };
    let (owner, other) = (pk_of(with_device), pk_of(without));
    let db = &app.db;
    let set_device = |assignment: String| {
        let sql =
            format!("UPDATE mfa_devices SET {assignment} WHERE principal_key = 'sub_user:{owner}'");
        async move { db.execute_unprepared(&sql).await.unwrap() }
    };
    // The device's row now points its sub_user_id at another member of the page.
    set_device(format!("sub_user_id = {other}")).await;
    let after = app.gql_as(Some(&seeded.token), query, json!({})).await;
    let edges_after = members(&after);
    assert_eq!(
        edges_after[with_device]["node"]["mfaDevice"]["serialNumber"], serial,
        "{after}"
    );
    assert!(
        edges_after[without]["node"]["mfaDevice"].is_null(),
        "{after}"
    );
    let fragments = format!("{EVERY_MEMBER_FIELD} {EVERY_PROJECT_FIELD}");
    let both = both_ways(&app, &seeded, &fragments, json!({})).await;
    assert_eq!(both.page, both.nodes);
    // A principal key naming no member of the page shows the device on none of them.
    set_device(format!("principal_key = 'sub_user:0{owner}'")).await;
    let unclaimed = app.gql_as(Some(&seeded.token), query, json!({})).await;
    let edges_unclaimed = members(&unclaimed);
    assert!(
        edges_unclaimed[with_device]["node"]["mfaDevice"].is_null(),
        "{unclaimed}"
    );
    assert!(
        edges_unclaimed[without]["node"]["mfaDevice"].is_null(),
        "{unclaimed}"
    );
    let both = both_ways(&app, &seeded, &fragments, json!({})).await;
    assert_eq!(both.page, both.nodes);
}

db_test!(
    every_field_of_a_page_item_answers_as_its_node_does,
    fragments_aliases_repeated_keys_and_directives_answer_alike,
    an_item_asking_for_more_than_the_page_loaded_answers_alike,
    an_unreadable_stored_value_fails_the_same_field_both_ways,
    a_page_answers_its_cursors_and_counts_alike_either_way,
    a_device_shows_on_the_member_its_principal_key_names_either_way,
);
