//! Document limits checked right after parsing, before validation or execution: how many
//! fields one document may select, at most one credential-checking mutation per document,
//! so aliases cannot multiply password or code guesses, and no introspection when it is off.

use std::collections::HashSet;

use super::{QueryLimits, tokens};
use async_graphql::{
    Name, Positioned, ServerError, ServerResult,
    parser::types::{
        ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
    },
};

/// Root mutations that check a password or a code.
pub const CREDENTIAL_MUTATIONS: [&str; 9] = [
    "signIn",
    "signInWithProvider",
    "signInSubUser",
    "completeLoginChallenge",
    "confirmRemittance",
    "findAccounts",
    "confirmVirtualMfaBinding",
    "bindHardwareMfa",
    "unbindMfaDevice",
];

/// Checks a request's document before it runs (the parse is kept in the request, so it is
/// parsed once). A parse error is left for the executor to report. Done here rather than in
/// a schema extension: any extension makes async-graphql wrap every field resolution,
/// which cost the console page a third of its CPU.
pub fn enforce(
    request: &mut async_graphql::Request,
    limits: &QueryLimits,
) -> Result<(), Box<async_graphql::Response>> {
    let refuse = |err| Box::new(async_graphql::Response::from_errors(vec![err]));
    if tokens::exceeds(&request.query, limits.max_tokens) {
        return Err(refuse(ServerError::new(
            format!("the document holds more than {} tokens", limits.max_tokens),
            None,
        )));
    }
    match request.parsed_query() {
        Ok(document) => check(document, limits.max_fields)
            .and_then(|()| introspection_allowed(document, limits.introspection))
            .map_err(refuse),
        Err(_) => Ok(()),
    }
}

type Fragments = std::collections::HashMap<Name, Positioned<FragmentDefinition>>;

/// Counts field selections, following each named fragment once per spread path; cycles
/// are left to validation (counted once here).
fn count_fields(
    set: &SelectionSet,
    fragments: &Fragments,
    seen: &mut HashSet<Name>,
    budget: usize,
) -> usize {
    let mut total = 0;
    for selection in &set.items {
        if total > budget {
            break;
        }
        total += match &selection.node {
            Selection::Field(field) => {
                1 + count_fields(&field.node.selection_set.node, fragments, seen, budget)
            }
            Selection::InlineFragment(inline) => {
                count_fields(&inline.node.selection_set.node, fragments, seen, budget)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match fragments.get(name) {
                    Some(fragment) if seen.insert(name.clone()) => {
                        let n = count_fields(
                            &fragment.node.selection_set.node,
                            fragments,
                            seen,
                            budget,
                        );
                        seen.remove(name);
                        n
                    }
                    _ => 0,
                }
            }
        };
    }
    total
}

/// Root fields of a selection set, through inline fragments and fragment spreads.
fn root_field_names<'a>(
    set: &'a SelectionSet,
    fragments: &'a Fragments,
    out: &mut Vec<&'a str>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => out.push(field.node.name.node.as_str()),
            Selection::InlineFragment(inline) => {
                root_field_names(&inline.node.selection_set.node, fragments, out, depth + 1);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                    root_field_names(&fragment.node.selection_set.node, fragments, out, depth + 1);
                }
            }
        }
    }
}

/// With introspection off, async-graphql answers `__schema` with a silent null; a client is
/// better told why.
fn introspection_allowed(document: &ExecutableDocument, allowed: bool) -> ServerResult<()> {
    if allowed {
        return Ok(());
    }
    for (_, operation) in document.operations.iter() {
        let mut names = Vec::new();
        root_field_names(
            &operation.node.selection_set.node,
            &document.fragments,
            &mut names,
            0,
        );
        if names.iter().any(|n| matches!(*n, "__schema" | "__type")) {
            return Err(ServerError::new(
                "introspection is disabled on this server",
                Some(operation.pos),
            ));
        }
    }
    Ok(())
}

fn check(document: &ExecutableDocument, max_fields: usize) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set.node;
        let fields = count_fields(set, &document.fragments, &mut HashSet::new(), max_fields);
        if fields > max_fields {
            return Err(ServerError::new(
                format!("the document selects more than {max_fields} fields"),
                Some(operation.pos),
            ));
        }
        if operation.node.ty == OperationType::Mutation {
            let mut names = Vec::new();
            root_field_names(set, &document.fragments, &mut names, 0);
            let credential_checks = names
                .iter()
                .filter(|n| CREDENTIAL_MUTATIONS.contains(n))
                .count();
            if credential_checks > 1 {
                return Err(ServerError::new(
                    "at most one sign-in, challenge, find-account or remittance check per request",
                    Some(operation.pos),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str, max_fields: usize) -> ServerResult<()> {
        check(
            &async_graphql::parser::parse_query(query).unwrap(),
            max_fields,
        )
    }

    #[test]
    fn refuses_more_than_one_credential_check_per_document() {
        assert!(checked("mutation { signIn(input: {}) { session { token } } }", 100).is_ok());
        let two = "mutation { a: signIn(input: {}) { session { token } } b: signIn(input: {}) { session { token } } }";
        assert!(checked(two, 100).is_err());
        let hidden = "mutation { signIn(input: {}) { session { token } } ...F } fragment F on Mutation { findAccounts(input: {}) { accounts { accountId } } }";
        assert!(checked(hidden, 100).is_err());
    }

    #[test]
    fn counts_aliases_and_fragment_fields() {
        let aliases: String = (0..50)
            .map(|i| format!("a{i}: viewer {{ __typename }} "))
            .collect();
        assert!(checked(&format!("{{ {aliases} }}"), 100).is_ok());
        assert!(checked(&format!("{{ {aliases} }}"), 99).is_err());
        let spread = "{ ...F ...F } fragment F on Query { viewer { session { expiresAt } } }";
        assert!(checked(spread, 6).is_ok());
        assert!(checked(spread, 5).is_err());
        let cycle = "{ ...A } fragment A on Query { viewer { __typename } ...B } fragment B on Query { ...A }";
        assert!(
            checked(cycle, 100).is_ok(),
            "cycles are validation's to refuse"
        );
    }
}

#[cfg(test)]
mod enforce_tests {
    use crate::graphql::QueryLimits;

    fn limits(introspection: bool) -> QueryLimits {
        QueryLimits {
            introspection,
            ..QueryLimits::default()
        }
    }

    #[test]
    fn documents_past_the_token_limit_are_refused_unparsed() {
        let big = format!("{{ {} }}", "viewer { __typename } ".repeat(3_000));
        let refused = super::enforce(&mut async_graphql::Request::new(big), &limits(true));
        assert!(refused.is_err_and(|r| r.errors[0].message.contains("tokens")));
    }
    #[test]
    fn requests_are_refused_before_they_run() {
        let two = "mutation { a: signIn(input: {site: CHINA, email: \"a@b.cn\", password: \"x\"}) { session { token } } b: signIn(input: {site: CHINA, email: \"a@b.cn\", password: \"x\"}) { session { token } } }";
        let mut request = async_graphql::Request::new(two);
        let refused = super::enforce(&mut request, &limits(true)).err();
        assert!(
            refused.is_some_and(|r| r.data == async_graphql::Value::Null && !r.errors.is_empty())
        );
        let mut fine = async_graphql::Request::new("{ viewer { session { expiresAt } } }");
        assert!(super::enforce(&mut fine, &limits(true)).is_ok());
        let mut broken = async_graphql::Request::new("{ viewer {");
        assert!(
            super::enforce(&mut broken, &limits(true)).is_ok(),
            "parse errors are the executor's to report"
        );
    }

    #[test]
    fn introspection_is_refused_with_a_reason_when_off() {
        let hidden = "{ ...F } fragment F on Query { __schema { queryType { name } } }";
        for query in ["{ __type(name: \"Account\") { name } }", hidden] {
            assert!(super::enforce(&mut async_graphql::Request::new(query), &limits(true)).is_ok());
            let refused = super::enforce(&mut async_graphql::Request::new(query), &limits(false));
            assert!(refused.is_err_and(|r| r.errors[0].message.contains("introspection")));
        }
        let typename = "{ __typename viewer { __typename } }";
        assert!(super::enforce(&mut async_graphql::Request::new(typename), &limits(false)).is_ok());
    }
}
