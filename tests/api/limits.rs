//! Document limits through GraphQL: depth along a real recursive path, complexity with
//! list multipliers from `first`, field (alias) count, directives and tokens. Each attack
//! has a harmless twin that must run, so a refusal is the limit's doing.

use serde_json::{Value, json};

use crate::{db_test, helpers::TestApp};

/// Refused before execution: no data, an error without a path that names the limit.
fn assert_refused(out: &Value, says: &str) {
    assert!(out["data"].is_null(), "{out}");
    let error = &out["errors"][0];
    assert!(error.get("path").is_none(), "{out}");
    let message = error["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains(says), "expected '{says}' in {out}");
}

fn assert_ran(out: &Value) {
    assert!(out.get("errors").is_none(), "{out}");
    assert!(out["data"].is_object(), "{out}");
}

/// `viewer { account { subUsers(first: N) { edges { node { account { … } } } } } }`,
/// `rounds` times around the cycle.
fn member_cycle(rounds: usize, first: usize) -> String {
    let open = format!("account {{ subUsers(first: {first}) {{ edges {{ node {{ ");
    format!(
        "{{ viewer {{ {}id {} }} }}",
        open.repeat(rounds),
        "} } } } ".repeat(rounds)
    )
}

async fn with_a_member(app: &TestApp) -> String {
    let (token, _) = app.register_email("CHINA", "limits@example.com").await;
    let created = app
        .gql_as(
            Some(&token),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } subUser { id } } }",
            json!({ "i": { "name": "member-1", "consoleLogin": false } }),
        )
        .await;
    assert!(
        created["data"]["createSubUser"]["subUser"]["id"].is_string(),
        "{created}"
    );
    token
}

async fn depth_and_complexity_follow_the_member_cycle(app: TestApp) {
    let token = with_a_member(&app).await;
    let run = |query: String| {
        let (app, token) = (app.clone(), token.clone());
        async move { app.gql_as(Some(&token), &query, json!({})).await }
    };
    // Depth: two rounds (depth 11) run and reach the member's root; four (depth 19) are
    // refused by the depth limit, fifty already by the parser's recursion limit.
    let shallow = run(member_cycle(2, 1)).await;
    assert_ran(&shallow);
    let member = &shallow["data"]["viewer"]["account"]["subUsers"]["edges"][0]["node"];
    assert!(
        member["account"]["subUsers"]["edges"][0]["node"]["id"].is_string(),
        "{shallow}"
    );
    assert_refused(&run(member_cycle(4, 1)).await, "deep");
    assert_refused(&run(member_cycle(50, 1)).await, "recursion limit");

    // Complexity: `first` multiplies what a list costs; 10 × 10 members run, 100 × 100
    // do not, at the same depth (11).
    assert_ran(&run(member_cycle(2, 10)).await);
    assert_refused(&run(member_cycle(2, 100)).await, "complex");
}

async fn aliases_directives_and_tokens_are_bounded(app: TestApp) {
    let aliases = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!("a{i}: viewer {{ __typename }} "))
            .collect();
        format!("{{ {fields} }}")
    };
    assert_ran(&app.gql(&aliases(100), json!({})).await);
    assert_refused(&app.gql(&aliases(1_000), json!({})).await, "fields");

    let directives = |n: usize| {
        format!(
            "{{ viewer {} {{ __typename }} }}",
            "@include(if: true) ".repeat(n)
        )
    };
    assert_ran(&app.gql(&directives(1), json!({})).await);
    assert_refused(&app.gql(&directives(50), json!({})).await, "directive");

    // Tokens: a 12,000-item list literal selects one field yet is refused unparsed.
    let ids = |n: usize| {
        let list: Vec<String> = (0..n).map(|i| format!("\"id-{i}\"")).collect();
        format!("{{ nodes(ids: [{}]) {{ __typename }} }}", list.join(", "))
    };
    assert_ran(&app.gql(&ids(10), json!({})).await);
    assert_refused(&app.gql(&ids(12_000), json!({})).await, "tokens");
}

/// `query{...F<levels>} fragment F<n> on Query{...F<n-1> ×fan_out} … fragment F0 on Query{tail}`
fn fragment_chain(levels: usize, fan_out: usize, tail: &str) -> String {
    let mut doc = format!("query {{ ...F{levels} }}");
    for level in (1..=levels).rev() {
        let spreads = format!("...F{} ", level - 1).repeat(fan_out);
        doc.push_str(&format!(" fragment F{level} on Query {{ {spreads}}}"));
    }
    doc.push_str(&format!(" fragment F0 on Query {{ {tail} }}"));
    doc
}

/// Generous: the refusal takes milliseconds; before the fix these documents took minutes
/// to years of one core each. The bound only keeps a regression from hanging the suite.
const REFUSED_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

async fn fragment_fan_out_is_refused_before_anything_walks_it(app: TestApp) {
    // SECURITY fragment-expansion: the review's 1,103-byte document (2^27 spreads ending in
    // an unknown fragment) and a 30-level fan-out-3 chain (3^30 fields), three of each at
    // once, anonymous, while a signed-in console keeps being served.
    let (token, _) = app.register_email("CHINA", "fan-out@example.com").await;
    let review = fragment_chain(27, 2, "...Missing");
    let fan_out = fragment_chain(30, 3, "viewer { __typename }");
    let mut bombs = Vec::new();
    for _ in 0..3 {
        for doc in [review.clone(), fan_out.clone()] {
            let app = app.clone();
            bombs.push(tokio::spawn(async move {
                tokio::time::timeout(REFUSED_WITHIN, app.gql(&doc, json!({}))).await
            }));
        }
    }
    let page = app
        .gql_as(
            Some(&token),
            "{ viewer { account { accountId loginMethods { kind } } } }",
            json!({}),
        )
        .await;
    assert_ran(&page);
    assert!(
        page["data"]["viewer"]["account"]["accountId"].is_string(),
        "{page}"
    );
    for (i, bomb) in bombs.into_iter().enumerate() {
        let out = bomb
            .await
            .expect("the request task")
            .expect("refused within the bound, not after walking every spread");
        let says = if i % 2 == 0 {
            "unknown fragment"
        } else {
            "fields"
        };
        assert_refused(&out, says);
    }
    // A spread cycle is refused the same way (it used to be left to validation).
    let cycle =
        "{ ...A } fragment A on Query { viewer { __typename } ...B } fragment B on Query { ...A }";
    assert_refused(&app.gql(cycle, json!({})).await, "spreads itself");
    // Fragments used the ordinary way still run.
    let shared = "{ a: viewer { ...V } b: viewer { ...V } } fragment V on Viewer { __typename }";
    assert_ran(&app.gql(shared, json!({})).await);
}

db_test!(
    depth_and_complexity_follow_the_member_cycle,
    aliases_directives_and_tokens_are_bounded,
    fragment_fan_out_is_refused_before_anything_walks_it
);
