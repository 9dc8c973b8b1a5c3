//! Document limits checked right after parsing, before validation or execution: the size
//! of a document once its fragments are expanded (each fragment counted once, so a chain
//! of fragments that spread the next one twice costs a linear walk, not an exponential
//! one), at most one credential-checking mutation per document, so aliases cannot
//! multiply password or code guesses, and no introspection when it is off.

use std::collections::{HashMap, HashSet};

use super::{QueryLimits, errors::Code, tokens};
use async_graphql::{
    Name, Positioned, ServerError, ServerResult,
    parser::types::{
        ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
    },
};

/// Root mutations that check a password or a code.
pub const CREDENTIAL_MUTATIONS: [&str; 10] = [
    "signIn",
    "signInWithProvider",
    "signInSubUser",
    "completeLoginChallenge",
    "confirmRemittance",
    "findAccounts",
    "findLoginMethods",
    "confirmVirtualMfaBinding",
    "bindHardwareMfa",
    "unbindMfaDevice",
];

/// Checks a request's document before it runs (the parse is kept in the request, so it is
/// parsed once): a document that does not parse is refused with GRAPHQL_PARSE_FAILED, one
/// past a limit with GRAPHQL_VALIDATION_FAILED. Done here rather than in a schema
/// extension: any extension makes async-graphql wrap every field resolution, which cost
/// the console page a third of its CPU.
pub fn enforce(
    request: &mut async_graphql::Request,
    limits: &QueryLimits,
) -> Result<(), Box<async_graphql::Response>> {
    let refuse = |err| {
        Box::new(async_graphql::Response::from_errors(vec![
            Code::GraphqlValidationFailed.set_on(err),
        ]))
    };
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
        Err(err) => Err(Box::new(async_graphql::Response::from_errors(vec![
            parse_failed(err),
        ]))),
    }
}

/// A parse error on one line (the parser's message is a multi-line drawing of the
/// document); where it is stays in `locations`.
pub fn parse_failed(mut err: ServerError) -> ServerError {
    if err.message.contains('\n') {
        let reason = err
            .message
            .lines()
            .rev()
            .map(str::trim)
            .find_map(|line| line.strip_prefix("= "))
            .unwrap_or("the document is not valid GraphQL")
            .to_owned();
        err.message = format!("syntax error: {reason}");
    }
    Code::GraphqlParseFailed.set_on(err)
}

type Fragments = std::collections::HashMap<Name, Positioned<FragmentDefinition>>;

/// What one selection set becomes once every fragment spread in it is expanded: the
/// field selections it runs, and the fragment spreads and inline fragments a walker passes
/// through on the way. Saturating, so an exponential chain stays a finite number.
#[derive(Debug, Clone, Copy, Default)]
struct Expanded {
    fields: u64,
    fragments: u64,
}

impl Expanded {
    fn add(self, other: Self) -> Self {
        Self {
            fields: self.fields.saturating_add(other.fields),
            fragments: self.fragments.saturating_add(other.fragments),
        }
    }
}

/// Sizes each named fragment once and remembers it. A spread of an unknown fragment or a
/// cycle is refused here: async-graphql's depth and directive checks follow every spread
/// before validation runs, so neither may reach them.
struct Expansion<'a> {
    fragments: &'a Fragments,
    sized: HashMap<&'a str, Expanded>,
    open: HashSet<&'a str>,
}

impl<'a> Expansion<'a> {
    fn new(fragments: &'a Fragments) -> Self {
        Self {
            fragments,
            sized: HashMap::new(),
            open: HashSet::new(),
        }
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> ServerResult<Expanded> {
        let mut total = Expanded::default();
        for selection in &set.items {
            let one = match &selection.node {
                Selection::Field(field) => Expanded {
                    fields: 1,
                    fragments: 0,
                }
                .add(self.selection_set(&field.node.selection_set.node)?),
                Selection::InlineFragment(inline) => Expanded {
                    fields: 0,
                    fragments: 1,
                }
                .add(self.selection_set(&inline.node.selection_set.node)?),
                Selection::FragmentSpread(spread) => Expanded {
                    fields: 0,
                    fragments: 1,
                }
                .add(self.fragment(&spread.node.fragment_name.node, selection.pos)?),
            };
            total = total.add(one);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a Name, at: async_graphql::Pos) -> ServerResult<Expanded> {
        let key = name.as_str();
        if let Some(size) = self.sized.get(key) {
            return Ok(*size);
        }
        let Some(definition) = self.fragments.get(name) else {
            return Err(ServerError::new(
                format!("unknown fragment \"{key}\""),
                Some(at),
            ));
        };
        if !self.open.insert(key) {
            return Err(ServerError::new(
                format!("fragment \"{key}\" spreads itself"),
                Some(at),
            ));
        }
        let size = self.selection_set(&definition.node.selection_set.node)?;
        self.open.remove(key);
        self.sized.insert(key, size);
        Ok(size)
    }
}

/// Refuses a document whose expansion is too large, before anything else walks it: every
/// operation and every fragment (validation visits unused ones too) is sized, each
/// fragment once, so the check itself is linear in the document.
fn check_expansion(document: &ExecutableDocument, max_fields: usize) -> ServerResult<()> {
    let max = u64::try_from(max_fields).unwrap_or(u64::MAX);
    let mut expansion = Expansion::new(&document.fragments);
    let too_large = |size: Expanded, pos| {
        if size.fields > max {
            Err(ServerError::new(
                format!("the document selects more than {max_fields} fields"),
                Some(pos),
            ))
        } else if size.fragments > max {
            Err(ServerError::new(
                format!("the document spreads fragments more than {max_fields} times"),
                Some(pos),
            ))
        } else {
            Ok(())
        }
    };
    for (_, operation) in document.operations.iter() {
        let size = expansion.selection_set(&operation.node.selection_set.node)?;
        too_large(size, operation.pos)?;
    }
    for (name, fragment) in &document.fragments {
        let size = expansion.fragment(name, fragment.pos)?;
        too_large(size, fragment.pos)?;
    }
    Ok(())
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
    check_expansion(document, max_fields)?;
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set.node;
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
        assert!(checked(cycle, 100).is_err_and(|e| e.message.contains("spreads itself")));
        let unknown = "{ ...A } fragment A on Query { ...Missing }";
        assert!(checked(unknown, 100).is_err_and(|e| e.message.contains("unknown fragment")));
    }

    /// `query{...F<levels>} fragment F<n> on Query{...F<n-1> ×fan_out} … F0 on Query{tail}`
    fn fragment_chain(levels: usize, fan_out: usize, tail: &str) -> String {
        let mut doc = format!("query {{ ...F{levels} }}");
        for level in (1..=levels).rev() {
            let spreads = format!("...F{} ", level - 1).repeat(fan_out);
            doc.push_str(&format!(" fragment F{level} on Query {{ {spreads}}}"));
        }
        doc.push_str(&format!(" fragment F0 on Query {{ {tail} }}"));
        doc
    }

    #[test]
    fn fragment_fan_out_is_sized_once_per_fragment() {
        // SECURITY fragment-expansion: 3^30 spreads, sized in a linear walk.
        let bomb = fragment_chain(30, 3, "viewer { __typename }");
        assert!(checked(&bomb, 500).is_err_and(|e| e.message.contains("fields")));
        let spreads_only = fragment_chain(30, 3, "...Missing");
        assert!(checked(&spreads_only, 500).is_err());
        // Two levels of fan-out two: 4 fields and 6 spreads, well within.
        assert!(checked(&fragment_chain(2, 2, "__typename"), 500).is_ok());
        // A long chain of single spreads selects one field, yet its walk is bounded too.
        let long = fragment_chain(20, 1, "__typename");
        assert!(checked(&long, 10).is_err_and(|e| e.message.contains("spreads")));
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
        let refused = super::enforce(&mut broken, &limits(true)).err();
        let error = refused.map(|r| r.errors[0].clone());
        assert!(
            error.as_ref().is_some_and(|e| !e.message.contains('\n')
                && e.message.starts_with("syntax error: ")
                && e.locations.len() == 1),
            "{error:?}"
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
