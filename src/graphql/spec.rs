//! What the GraphQL specification asks of a response that async-graphql 7 does not do by
//! itself, worked out once per document (`Shape`, kept with a persisted document) from the
//! schema's SDL, then applied to each response:
//!
//! - **Null propagation** (spec "Handling Field Errors"): async-graphql drops the key of a
//!   field that failed and never lets the failure reach the parent, and turns an object
//!   whose every field failed into `null` whatever its type. Here the failed field's key is
//!   present, and a failure in a non-null position nulls the nearest nullable ancestor
//!   (`data` itself when there is none).
//! - **Selection order** (spec "Serialized Map Ordering"): async-graphql resolves the fields
//!   of an object concurrently and writes each as it finishes; here the keys are put back in
//!   the order the document selects them.
//! - **Enum literals**: async-graphql's validation accepts a string literal where an enum
//!   is expected (`channel: "EMAIL"`); the spec's "Values of Correct Type" refuses it. A
//!   variable's JSON string is the enum's representation there and stays accepted.
//!
//! Done outside async-graphql's extension hooks on purpose: any extension wraps every field
//! resolution (see `limits`).

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Name, PathSegment, Pos, Response, ServerError, ServerResult, Value,
    parser::types::{
        BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
        TypeSystemDefinition,
    },
};

/// The parts of a schema the checks need: each output field's type and argument types,
/// each input object's field types, and the enums and composite types.
#[derive(Debug, Default)]
pub struct SchemaIndex {
    fields: HashMap<String, HashMap<String, FieldInfo>>,
    inputs: HashMap<String, HashMap<String, Type>>,
    enums: HashSet<String>,
    query: String,
    mutation: String,
    subscription: String,
}

#[derive(Debug)]
struct FieldInfo {
    ty: Type,
    args: HashMap<String, Type>,
}

impl SchemaIndex {
    /// Indexes a schema from its SDL; an SDL that does not parse gives an empty index, which
    /// checks nothing and reorders by the document alone.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut index = Self {
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
            ..Self::default()
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the schema's SDL does not parse; responses are not checked");
            return index;
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(query) = schema.query {
                        index.query = query.node.to_string();
                    }
                    if let Some(mutation) = schema.mutation {
                        index.mutation = mutation.node.to_string();
                    }
                    if let Some(subscription) = schema.subscription {
                        index.subscription = subscription.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    match ty.node.kind {
                        TypeKind::Object(object) => {
                            index.add_fields(name, object.fields.into_iter().map(|f| f.node));
                        }
                        TypeKind::Interface(interface) => {
                            index.add_fields(name, interface.fields.into_iter().map(|f| f.node));
                        }
                        TypeKind::Union(_) => {
                            index.fields.entry(name).or_default();
                        }
                        TypeKind::Enum(_) => {
                            index.enums.insert(name);
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .into_iter()
                                .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                                .collect();
                            index.inputs.insert(name, fields);
                        }
                        TypeKind::Scalar => {}
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        index
    }

    fn add_fields(
        &mut self,
        type_name: String,
        fields: impl Iterator<Item = async_graphql::parser::types::FieldDefinition>,
    ) {
        let entry = self.fields.entry(type_name).or_default();
        for field in fields {
            let args = field
                .arguments
                .into_iter()
                .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                .collect();
            entry.insert(
                field.name.node.to_string(),
                FieldInfo {
                    ty: field.ty.node,
                    args,
                },
            );
        }
    }

    fn root(&self, ty: OperationType) -> &str {
        match ty {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        }
    }

    fn field(&self, parent: Option<&str>, name: &str) -> Option<&FieldInfo> {
        self.fields.get(parent?)?.get(name)
    }

    fn is_composite(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

/// The named type at the bottom of list wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// `__typename` is the one meta field a response object may hold outside the schema's
/// own fields; `__schema` and `__type` answer introspection types the index leaves out.
static TYPENAME: std::sync::LazyLock<Type> = std::sync::LazyLock::new(|| Type {
    base: BaseType::Named(Name::new("String")),
    nullable: false,
});

// ---------------------------------------------------------------------------------------
// Enum literals

/// Refuses a string literal where the schema expects an enum, in field arguments (through
/// lists and input objects) and in variables' default values.
fn check_enum_literals(index: &SchemaIndex, document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        for variable in &operation.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                check_value(
                    index,
                    &default.node.clone().into_value(),
                    &variable.node.var_type.node,
                    default.pos,
                )?;
            }
        }
        check_set(
            index,
            Some(index.root(operation.ty)),
            &operation.selection_set.node,
        )?;
    }
    for fragment in document.fragments.values() {
        let on = fragment.node.type_condition.node.on.node.as_str();
        check_set(index, Some(on), &fragment.node.selection_set.node)?;
    }
    Ok(())
}

/// One selection set; fragment spreads are checked once, as fragment definitions.
fn check_set(index: &SchemaIndex, parent: Option<&str>, set: &SelectionSet) -> ServerResult<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let info = index.field(parent, field.node.name.node.as_str());
                if let Some(info) = info {
                    for (name, value) in &field.node.arguments {
                        if let Some(ty) = info.args.get(name.node.as_str()) {
                            check_value(index, &value.node, ty, value.pos)?;
                        }
                    }
                }
                let child = info.map(|i| named(&i.ty));
                check_set(index, child, &field.node.selection_set.node)?;
            }
            Selection::InlineFragment(inline) => {
                let on = inline
                    .node
                    .type_condition
                    .as_ref()
                    .map(|c| c.node.on.node.as_str())
                    .or(parent);
                check_set(index, on, &inline.node.selection_set.node)?;
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn check_value(
    index: &SchemaIndex,
    value: &async_graphql_value::Value,
    ty: &Type,
    pos: Pos,
) -> ServerResult<()> {
    use async_graphql_value::Value as Literal;
    match (&ty.base, value) {
        (_, Literal::Variable(_) | Literal::Null) => Ok(()),
        (BaseType::List(inner), Literal::List(items)) => items
            .iter()
            .try_for_each(|item| check_value(index, item, inner, pos)),
        // A single value where a list is expected is coerced to a list of one.
        (BaseType::List(inner), single) => check_value(index, single, inner, pos),
        (BaseType::Named(name), Literal::String(text)) if index.enums.contains(name.as_str()) => {
            Err(ServerError::new(
                format!(
                    "Enum \"{name}\" cannot represent the string \"{text}\": write the enum value without quotes"
                ),
                Some(pos),
            ))
        }
        (BaseType::Named(name), Literal::Object(fields)) => {
            let Some(input) = index.inputs.get(name.as_str()) else {
                return Ok(());
            };
            for (field, value) in fields {
                if let Some(ty) = input.get(field.as_str()) {
                    check_value(index, value, ty, pos)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Responses

/// A selection set and the type it selects on (None where the index does not know it).
#[derive(Clone, Copy)]
struct Scope<'a> {
    ty: Option<&'a str>,
    set: &'a SelectionSet,
}

/// One response key of an object while a shape is built: the field's type and the
/// selection sets below it.
struct Entry<'a> {
    key: &'a str,
    ty: Option<&'a Type>,
    below: Vec<Scope<'a>>,
}

/// The response a document's operations select, worked out once per document (fragments
/// expanded, each key's type known) so that shaping a response only walks it: a
/// persisted document keeps its `Shape`, and its responses cost no schema lookups.
#[derive(Debug, Default)]
pub struct Shape {
    operations: Vec<(Option<String>, Object)>,
}

/// The keys of one response object, in selection order.
#[derive(Debug, Default)]
struct Object {
    keys: Vec<Key>,
}

#[derive(Debug)]
struct Key {
    key: String,
    ty: Option<Type>,
    /// A non-null object type: async-graphql's `null` for want of any key is `{}`.
    empty_when_null: bool,
    below: Object,
}

/// Expanded keys a shape holds at most; the limits keep real documents far below (the
/// console page has about 40), and past it deeper objects are left as async-graphql
/// wrote them rather than the walk growing without bound.
const SHAPE_KEYS: usize = 20_000;

impl Shape {
    /// The shape of every operation in `document`; refuses an enum written as a string
    /// literal (see the module documentation), as validation would have.
    pub fn of(index: &SchemaIndex, document: &ExecutableDocument) -> ServerResult<Self> {
        check_enum_literals(index, document)?;
        let builder = Builder {
            index,
            document,
            budget: std::cell::Cell::new(SHAPE_KEYS),
        };
        let operations = document
            .operations
            .iter()
            .map(|(name, operation)| {
                let root = Scope {
                    ty: Some(index.root(operation.node.ty)),
                    set: &operation.node.selection_set.node,
                };
                (name.map(|n| n.to_string()), builder.object(&[root], 0))
            })
            .collect();
        Ok(Self { operations })
    }

    fn root(&self, operation_name: Option<&str>) -> Option<&Object> {
        match operation_name {
            Some(name) => self
                .operations
                .iter()
                .find(|(n, _)| n.as_deref() == Some(name)),
            None if self.operations.len() == 1 => self.operations.first(),
            None => None,
        }
        .map(|(_, root)| root)
    }

    /// Makes an executed response spec-exact (see the module documentation).
    pub fn apply(&self, operation_name: Option<&str>, response: &mut Response) {
        let Some(root) = self.root(operation_name) else {
            return;
        };
        let paths: Vec<&[PathSegment]> = response
            .errors
            .iter()
            .map(|e| e.path.as_slice())
            .filter(|p| !p.is_empty())
            .collect();
        if !paths.is_empty() {
            // First every failed field gets its key (and any object async-graphql answered
            // null for want of a key becomes an object again), then failures propagate.
            for path in &paths {
                materialize(&mut response.data, path);
            }
            for path in &paths {
                let non_null = root.non_null_along(path);
                let mut depth = path.len();
                while depth > 0 && non_null[depth - 1] {
                    depth -= 1;
                    if depth == 0 {
                        response.data = Value::Null;
                    } else if let Some(slot) = at_mut(&mut response.data, &path[..depth]) {
                        *slot = Value::Null;
                    } else {
                        break;
                    }
                }
                if response.data == Value::Null {
                    break;
                }
            }
        }
        root.order(&mut response.data);
    }
}

/// Expands a document's selections into a `Shape`.
struct Builder<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    budget: std::cell::Cell<usize>,
}

impl<'a> Builder<'a> {
    fn object(&self, scopes: &[Scope<'a>], depth: usize) -> Object {
        // Cycles were refused before execution; this only bounds a walk of a broken document.
        if depth > 64 || scopes.iter().all(|s| s.set.items.is_empty()) {
            return Object::default();
        }
        let entries = self.entries(scopes);
        let Some(left) = self.budget.get().checked_sub(entries.len()) else {
            return Object::default();
        };
        self.budget.set(left);
        let keys = entries
            .into_iter()
            .map(|entry| Key {
                key: entry.key.to_owned(),
                empty_when_null: entry.ty.is_some_and(|t| {
                    !t.nullable
                        && matches!(t.base, BaseType::Named(_))
                        && self.index.is_composite(named(t))
                }),
                ty: entry.ty.cloned(),
                below: self.object(&entry.below, depth + 1),
            })
            .collect();
        Object { keys }
    }

    /// The response keys `scopes` select, in document order (fragments expanded in place,
    /// whatever their type condition: an object holds only the keys that applied).
    fn entries(&self, scopes: &[Scope<'a>]) -> Vec<Entry<'a>> {
        let mut entries = Vec::new();
        let mut at = HashMap::new();
        for scope in scopes {
            self.collect(*scope, &mut entries, &mut at, 0);
        }
        entries
    }

    fn collect(
        &self,
        scope: Scope<'a>,
        entries: &mut Vec<Entry<'a>>,
        at: &mut HashMap<&'a str, usize>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        for selection in &scope.set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    let name = field.node.name.node.as_str();
                    let ty = if name == "__typename" {
                        Some(&*TYPENAME)
                    } else {
                        self.index.field(scope.ty, name).map(|f| &f.ty)
                    };
                    let below = Scope {
                        ty: ty.map(named),
                        set: &field.node.selection_set.node,
                    };
                    match at.get(key) {
                        Some(&i) => {
                            let entry: &mut Entry<'a> = &mut entries[i];
                            entry.ty = entry.ty.or(ty);
                            entry.below.push(below);
                        }
                        None => {
                            at.insert(key, entries.len());
                            entries.push(Entry {
                                key,
                                ty,
                                below: vec![below],
                            });
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let ty = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(scope.ty);
                    let set = &inline.node.selection_set.node;
                    self.collect(Scope { ty, set }, entries, at, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let scope = Scope {
                            ty: Some(fragment.node.type_condition.node.on.node.as_str()),
                            set: &fragment.node.selection_set.node,
                        };
                        self.collect(scope, entries, at, depth + 1);
                    }
                }
            }
        }
    }
}

impl Object {
    /// For each position along `path`, whether the schema makes it non-null (unknown
    /// positions count as nullable, so a failure stops there).
    fn non_null_along(&self, path: &[PathSegment]) -> Vec<bool> {
        let mut flags = Vec::with_capacity(path.len());
        let mut object = Some(self);
        let mut ty: Option<&Type> = None;
        for segment in path {
            match segment {
                PathSegment::Field(name) => {
                    let key = object.and_then(|o| o.keys.iter().find(|k| k.key == *name));
                    ty = key.and_then(|k| k.ty.as_ref());
                    object = key.map(|k| &k.below);
                }
                PathSegment::Index(_) => {
                    ty = match ty.map(|t| &t.base) {
                        Some(BaseType::List(inner)) => Some(inner),
                        _ => None,
                    };
                }
            }
            flags.push(ty.is_some_and(|t| !t.nullable));
        }
        flags
    }

    /// Puts an object's keys in selection order, recursively (through lists); a non-null
    /// composite field async-graphql answered `null` for want of any key (every field
    /// skipped or not applicable) becomes the empty object it is.
    fn order(&self, value: &mut Value) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.order(item);
                }
            }
            Value::Object(map) if !self.keys.is_empty() => {
                let in_order = map.len() == self.keys.len()
                    && map.keys().zip(&self.keys).all(|(k, e)| k.as_str() == e.key);
                if !in_order {
                    let mut old = std::mem::take(map);
                    for key in &self.keys {
                        if let Some((name, value)) = old.shift_remove_entry(key.key.as_str()) {
                            map.insert(name, value);
                        }
                    }
                    map.extend(old);
                }
                // The keys present are now in this shape's order: one pass pairs them up.
                let mut keys = self.keys.iter();
                for (name, child) in map.iter_mut() {
                    let Some(key) = keys.by_ref().find(|k| k.key == name.as_str()) else {
                        break;
                    };
                    if key.empty_when_null && *child == Value::Null {
                        *child = Value::Object(Default::default());
                    }
                    key.below.order(child);
                }
            }
            _ => {}
        }
    }
}

/// Gives the failed field at `path` its `null` key, turning the `null` async-graphql left
/// for an object whose fields all failed back into an object on the way.
fn materialize(data: &mut Value, path: &[PathSegment]) {
    let mut value = data;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match segment {
            PathSegment::Field(key) => {
                if *value == Value::Null {
                    *value = Value::Object(Default::default());
                }
                let Value::Object(map) = value else {
                    return;
                };
                let slot = map.entry(Name::new(key)).or_insert(Value::Null);
                if last {
                    return;
                }
                value = slot;
            }
            PathSegment::Index(n) => {
                let Value::List(items) = value else {
                    return;
                };
                let Some(item) = items.get_mut(*n) else {
                    return;
                };
                value = item;
            }
        }
    }
}

/// The value at `path`, while every step exists and is not null.
fn at_mut<'v>(data: &'v mut Value, path: &[PathSegment]) -> Option<&'v mut Value> {
    let mut value = data;
    for segment in path {
        value = match (value, segment) {
            (Value::Object(map), PathSegment::Field(key)) => map.get_mut(key.as_str())?,
            (Value::List(items), PathSegment::Index(n)) => items.get_mut(*n)?,
            _ => return None,
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { viewer: Viewer, list: [Item!]! }
        type Viewer { account: Account!, name: String }
        type Account { id: String!, nick: String, history: Page!, page: Page }
        type Page { total: Int! }
        type Item { id: String! }
        enum Channel { EMAIL SMS }
        input Send { channel: Channel!, channels: [Channel!] }
        type Mutation { send(input: Send!, channel: Channel): Boolean }
    "#;

    fn error(path: &[&str]) -> ServerError {
        let mut e = ServerError::new("failed", None);
        e.path = path
            .iter()
            .map(|p| match p.parse::<usize>() {
                Ok(n) => PathSegment::Index(n),
                Err(_) => PathSegment::Field((*p).to_owned()),
            })
            .collect();
        e
    }

    fn shaped(query: &str, data: serde_json::Value, errors: Vec<ServerError>) -> String {
        let index = SchemaIndex::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(Value::from_json(data).unwrap());
        response.errors = errors;
        Shape::of(&index, &document)
            .unwrap()
            .apply(None, &mut response);
        serde_json::to_string(&response.data).unwrap()
    }

    #[test]
    fn a_non_null_failure_nulls_the_nearest_nullable_ancestor() {
        let q = "{ viewer { account { id history { total } } name } }";
        let data = serde_json::json!({ "viewer": { "name": "n", "account": { "id": "1" } } });
        assert_eq!(
            shaped(q, data, vec![error(&["viewer", "account", "history"])]),
            r#"{"viewer":null}"#
        );
        // async-graphql's null for an object whose only field failed.
        let q = "{ viewer { account { history { total } } } }";
        let data = serde_json::json!({ "viewer": { "account": null } });
        assert_eq!(
            shaped(q, data, vec![error(&["viewer", "account", "history"])]),
            r#"{"viewer":null}"#
        );
        // A nullable field keeps its key, null.
        let q = "{ viewer { account { page { total } id nick } } }";
        let data = serde_json::json!({ "viewer": { "account": { "id": "1", "nick": null } } });
        assert_eq!(
            shaped(q, data, vec![error(&["viewer", "account", "page"])]),
            r#"{"viewer":{"account":{"page":null,"id":"1","nick":null}}}"#
        );
        // Through a list of non-null items into a non-null list, up to `data`.
        let q = "{ list { id } }";
        let data = serde_json::json!({ "list": [{ "id": "a" }, {}] });
        assert_eq!(shaped(q, data, vec![error(&["list", "1", "id"])]), "null");
    }

    #[test]
    fn keys_follow_the_selection_order() {
        let q = "{ viewer { name ...F account { nick id } } } fragment F on Viewer { account { page { total } } }";
        let data = serde_json::json!({ "viewer": { "account": { "id": "1", "page": null, "nick": null }, "name": "n" } });
        assert_eq!(
            shaped(q, data, vec![]),
            r#"{"viewer":{"name":"n","account":{"page":null,"nick":null,"id":"1"}}}"#
        );
        // Nothing selected applied: a non-null object is an empty object, not null.
        let q = "{ viewer { account { id @skip(if: true) } } }";
        let data = serde_json::json!({ "viewer": { "account": null } });
        assert_eq!(shaped(q, data, vec![]), r#"{"viewer":{"account":{}}}"#);
    }

    #[test]
    fn string_literals_are_not_enum_values() {
        let index = SchemaIndex::from_sdl(SDL);
        let check = |q: &str| Shape::of(&index, &async_graphql::parser::parse_query(q).unwrap());
        assert!(check("mutation { send(input: { channel: EMAIL }, channel: SMS) }").is_ok());
        assert!(check("mutation($c: Channel!) { send(input: { channel: $c }) }").is_ok());
        for refused in [
            r#"mutation { send(input: { channel: "EMAIL" }) }"#,
            r#"mutation { send(input: { channel: EMAIL, channels: [SMS, "EMAIL"] }) }"#,
            r#"mutation { send(input: { channel: EMAIL, channels: "SMS" }) }"#,
            r#"mutation { ...F } fragment F on Mutation { send(input: { channel: EMAIL }, channel: "SMS") }"#,
            r#"mutation($c: Channel = "SMS") { send(input: { channel: $c }) }"#,
        ] {
            assert!(
                check(refused).is_err_and(|e| e.message.contains("Enum \"Channel\"")),
                "{refused}"
            );
        }
    }
}
