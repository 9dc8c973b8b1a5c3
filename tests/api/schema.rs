//! The committed SDL files are exactly what `account-center schema` prints, and they keep
//! the published contract (`tests/contract/`, a copy of `../shared/design/`): the schema
//! may grow, never break.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::parser::{
    parse_schema,
    types::{InputValueDefinition, TypeKind, TypeSystemDefinition},
};

fn committed(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines one text has and the other lacks, in order, to see at a glance what drifted.
fn line_diff(committed: &str, generated: &str) -> String {
    let old: BTreeSet<&str> = committed.lines().collect();
    let new: BTreeSet<&str> = generated.lines().collect();
    let removed = committed
        .lines()
        .filter(|l| !new.contains(l))
        .map(|l| format!("- {l}"));
    let added = generated
        .lines()
        .filter(|l| !old.contains(l))
        .map(|l| format!("+ {l}"));
    removed.chain(added).collect::<Vec<_>>().join("\n")
}

fn assert_no_drift(file: &str, generated: &str, command: &str) {
    let on_disk = committed(file);
    assert!(
        on_disk == generated,
        "{file} differs from the code (run `{command}`):\n{}",
        line_diff(&on_disk, generated)
    );
}

#[test]
fn schema_graphql_has_not_drifted() {
    assert_no_drift(
        "schema.graphql",
        &account_center::graphql::console_sdl(),
        "cargo run -- schema > schema.graphql",
    );
}

#[test]
fn schema_ops_graphql_has_not_drifted() {
    assert_no_drift(
        "schema.ops.graphql",
        &account_center::graphql::ops::sandbox_sdl(),
        "cargo run -- schema --ops > schema.ops.graphql",
    );
}

/// Arguments or input fields by name: (type, has a default).
type Inputs = BTreeMap<String, (String, bool)>;

/// A type as far as compatibility goes: its kind and its members with their types.
#[derive(Debug)]
struct Shape {
    kind: &'static str,
    /// Field → (type, arguments → (type, has a default)).
    fields: BTreeMap<String, (String, Inputs)>,
    /// Input fields → (type, has a default).
    inputs: Inputs,
    /// Enum values, union members, implemented interfaces.
    names: BTreeSet<String>,
}

fn input_map(values: &[async_graphql::Positioned<InputValueDefinition>]) -> Inputs {
    values
        .iter()
        .map(|v| {
            let v = &v.node;
            (
                v.name.node.to_string(),
                (v.ty.node.to_string(), v.default_value.is_some()),
            )
        })
        .collect()
}

fn shapes(sdl: &str) -> BTreeMap<String, Shape> {
    let document = parse_schema(sdl).expect("an SDL document");
    let mut out = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let mut shape = Shape {
            kind: "scalar",
            fields: BTreeMap::new(),
            inputs: BTreeMap::new(),
            names: BTreeSet::new(),
        };
        let fields = |fields: &[async_graphql::Positioned<
            async_graphql::parser::types::FieldDefinition,
        >]| {
            fields
                .iter()
                .map(|f| {
                    let f = &f.node;
                    (
                        f.name.node.to_string(),
                        (f.ty.node.to_string(), input_map(&f.arguments)),
                    )
                })
                .collect()
        };
        match &ty.kind {
            TypeKind::Scalar => {}
            TypeKind::Object(object) => {
                shape.kind = "type";
                shape.fields = fields(&object.fields);
                shape.names = object
                    .implements
                    .iter()
                    .map(|n| n.node.to_string())
                    .collect();
            }
            TypeKind::Interface(interface) => {
                shape.kind = "interface";
                shape.fields = fields(&interface.fields);
            }
            TypeKind::Union(union) => {
                shape.kind = "union";
                shape.names = union.members.iter().map(|n| n.node.to_string()).collect();
            }
            TypeKind::Enum(e) => {
                shape.kind = "enum";
                shape.names = e
                    .values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
            }
            TypeKind::InputObject(input) => {
                shape.kind = "input";
                shape.inputs = input_map(&input.fields);
            }
        }
        out.insert(ty.name.node.to_string(), shape);
    }
    out
}

/// Everything `served` does that breaks a client written against `contract`.
fn breaking_changes(contract: &str, served: &str) -> Vec<String> {
    let (contract, served) = (shapes(contract), shapes(served));
    let mut broken = Vec::new();
    for (name, want) in &contract {
        let Some(have) = served.get(name) else {
            broken.push(format!("{name}: missing"));
            continue;
        };
        if have.kind != want.kind {
            broken.push(format!("{name}: a {} now, was a {}", have.kind, want.kind));
            continue;
        }
        for missing in want.names.difference(&have.names) {
            broken.push(format!("{name}: {missing} is gone"));
        }
        for (field, (ty, args)) in &want.fields {
            let Some((have_ty, have_args)) = have.fields.get(field) else {
                broken.push(format!("{name}.{field}: missing"));
                continue;
            };
            if have_ty != ty {
                broken.push(format!("{name}.{field}: {have_ty}, was {ty}"));
            }
            for (arg, (arg_ty, _)) in args {
                match have_args.get(arg) {
                    None => broken.push(format!("{name}.{field}({arg}): missing")),
                    Some((t, _)) if t != arg_ty => {
                        broken.push(format!("{name}.{field}({arg}): {t}, was {arg_ty}"));
                    }
                    Some(_) => {}
                }
            }
            for (arg, (arg_ty, default)) in have_args {
                if !args.contains_key(arg) && arg_ty.ends_with('!') && !default {
                    broken.push(format!("{name}.{field}({arg}): a new required argument"));
                }
            }
        }
        for (field, (ty, _)) in &want.inputs {
            match have.inputs.get(field) {
                None => broken.push(format!("{name}.{field}: missing")),
                Some((t, _)) if t != ty => broken.push(format!("{name}.{field}: {t}, was {ty}")),
                Some(_) => {}
            }
        }
        for (field, (ty, default)) in &have.inputs {
            if !want.inputs.contains_key(field) && ty.ends_with('!') && !default {
                broken.push(format!("{name}.{field}: a new required input field"));
            }
        }
    }
    broken
}

/// The contract as published beside the repository, when it is there, is the one copied
/// into it: a change to the published contract is taken in deliberately.
fn contract(file: &str) -> String {
    let copy = committed(&format!("tests/contract/{file}"));
    let published =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../shared/design/{file}"));
    if let Ok(text) = std::fs::read_to_string(&published) {
        assert!(
            text == copy,
            "{} changed: copy it to tests/contract/{file}\n{}",
            published.display(),
            line_diff(&copy, &text)
        );
    }
    copy
}

#[test]
fn the_console_schema_keeps_the_contract() {
    let broken = breaking_changes(&contract("contract.graphql"), &committed("schema.graphql"));
    assert!(
        broken.is_empty(),
        "breaking changes:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_ops_schema_keeps_the_contract() {
    let broken = breaking_changes(
        &contract("ops-contract.graphql"),
        &committed("schema.ops.graphql"),
    );
    assert!(
        broken.is_empty(),
        "breaking changes:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_contract_check_sees_breaking_changes() {
    let contract = "type Query { a(x: Int): String! b: Int } enum E { ONE TWO } input I { f: Int }";
    let served = "type Query { a(x: String, y: Int!): String c: Int } enum E { ONE } input I { f: Int g: Int! }";
    let broken = breaking_changes(contract, served);
    for expected in [
        "Query.a: String, was String!",
        "Query.a(x): String, was Int",
        "Query.a(y): a new required argument",
        "Query.b: missing",
        "E: TWO is gone",
        "I.g: a new required input field",
    ] {
        assert!(
            broken.iter().any(|b| b == expected),
            "{expected} not in {broken:?}"
        );
    }
    assert!(breaking_changes(contract, contract).is_empty());
}
