//! Pages whose fields are values already in memory, answered in one walk of the selection.
//!
//! async-graphql resolves every field of an object as a boxed future of its own and merges
//! the answers into the response map, hashing each key twice: on the console page that is
//! about 1,700 futures for values the page's prefetch has already put in memory, and the
//! larger part of the server's instructions per page. A `Flat<T>` (a page: its edges, their
//! members or projects, and what those prefetched) answers, in one synchronous pass, every
//! field its `FlatObject` has at hand; when the selection names one it has not (a field
//! that loads, or a relation not prefetched), the whole page goes the usual way instead, so
//! the answer never depends on which path ran (`tests/api/flat_nodes.rs` compares the two
//! for every field of every flat type).

use std::borrow::Cow;

use async_graphql::{
    Context, ContextSelectionSet, Name, OutputType, Positioned, ScalarType, ServerError,
    ServerResult, Value,
    indexmap::{IndexMap, map::Entry},
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// An object type some of whose fields can be answered without waiting.
pub trait FlatObject: OutputType {
    /// The value of the field `name` (the one `ctx.item` stands at), or `None` when it is not
    /// at hand (the object is then resolved the usual way). Objects below it are answered
    /// with `object`, `optional` or `list`, which pass their errors on in `errors`.
    fn flat_field(
        &self,
        name: &str,
        ctx: &Context<'_>,
        errors: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>>;
}

/// A nullable scalar's value: its own, or `null`.
pub fn scalar_or_null<T: ScalarType>(value: Option<&T>) -> Value {
    value.map_or(Value::Null, ScalarType::to_value)
}

/// A value answered by its `FlatObject` when it can be; the schema sees `T` itself.
pub struct Flat<T>(pub T);

impl<T: FlatObject> OutputType for Flat<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let mut errors = Vec::new();
        match object(ctx, &self.0, &mut errors) {
            Some(value) => {
                for error in errors {
                    ctx.add_error(error);
                }
                Ok(value)
            }
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// The object `root` for the selection `ctx` stands at, or `None` if a selected field is not
/// at hand. Nothing is reported to the request until the whole walk succeeds: a field that
/// fails adds its error (with its path) to `errors` and leaves its key out, as async-graphql
/// does, so the spec layer (`spec.rs`) treats both paths alike.
pub fn object<T: FlatObject>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    errors: &mut Vec<ServerError>,
) -> Option<Value> {
    let mut fields = Vec::with_capacity(ctx.item.node.items.len());
    collect(ctx, root, &ctx.item.node, &mut fields)?;
    let mut map = IndexMap::with_capacity(fields.len());
    for field in fields {
        let ctx_field = ctx.with_field(field);
        let value = if field.node.name.node == "__typename" {
            Value::String(root.introspection_type_name().into_owned())
        } else {
            match root.flat_field(field.node.name.node.as_str(), &ctx_field, errors)? {
                Ok(value) => value,
                Err(error) => {
                    errors.push(ctx_field.set_error_path(error.into_server_error(field.pos)));
                    continue;
                }
            }
        };
        insert(&mut map, field.node.response_key().node.clone(), value);
    }
    Some(if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    })
}

/// The object below the field `ctx` names, or `null` when there is none.
pub fn optional<T: FlatObject>(
    ctx: &Context<'_>,
    item: Option<&T>,
    errors: &mut Vec<ServerError>,
) -> Option<Value> {
    match item {
        Some(item) => object(
            &ctx.with_selection_set(&ctx.item.node.selection_set),
            item,
            errors,
        ),
        None => Some(Value::Null),
    }
}

/// The list of objects below the field `ctx` names, each at its index in the path.
pub fn list<'i, T: FlatObject + 'i>(
    ctx: &Context<'_>,
    items: impl ExactSizeIterator<Item = &'i T>,
    errors: &mut Vec<ServerError>,
) -> Option<Value> {
    let below = ctx.with_selection_set(&ctx.item.node.selection_set);
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.enumerate() {
        values.push(object(&below.with_index(index), item, errors)?);
    }
    Some(Value::List(values))
}

/// The fields the selection asks of `root`, in order, through the fragments that apply to
/// its type (`@skip`/`@include` were applied before execution); `None` for an unknown
/// fragment, which the usual path reports.
fn collect<'a, T: OutputType>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
    set: &'a SelectionSet,
    out: &mut Vec<&'a Positioned<Field>>,
) -> Option<()> {
    for selection in &set.items {
        let (condition, below) = match &selection.node {
            Selection::Field(field) => {
                out.push(field);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let fragment = ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                (
                    Some(fragment.node.type_condition.node.on.node.as_str()),
                    &fragment.node.selection_set.node,
                )
            }
            Selection::InlineFragment(inline) => (
                inline
                    .node
                    .type_condition
                    .as_ref()
                    .map(|condition| condition.node.on.node.as_str()),
                &inline.node.selection_set.node,
            ),
        };
        if condition.is_none_or(|condition| applies(ctx, root, condition)) {
            collect(ctx, root, below, out)?;
        }
    }
    Some(())
}

/// Whether a fragment on `condition` applies to `root`: its own type or an interface of it.
fn applies<T: OutputType>(ctx: &ContextSelectionSet<'_>, root: &T, condition: &str) -> bool {
    let type_name = root.introspection_type_name();
    type_name == condition
        || ctx
            .schema_env
            .registry
            .implements
            .get(type_name.as_ref())
            .is_some_and(|interfaces| interfaces.contains(condition))
}

/// A response key selected more than once answers once: objects merge key by key, lists
/// item by item, and a leaf keeps its first answer (validation made them the same field).
fn insert(map: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
        Entry::Occupied(mut slot) => merge(slot.get_mut(), value),
    }
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                insert(into, key, value);
            }
        }
        (Value::List(into), Value::List(from)) => {
            for (into, from) in into.iter_mut().zip(from) {
                merge(into, from);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object_of(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (Name::new(k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_key_selected_twice_merges_objects_and_lists_and_keeps_the_first_leaf() {
        let mut map = IndexMap::new();
        insert(&mut map, Name::new("name"), Value::String("a".into()));
        insert(&mut map, Name::new("name"), Value::String("b".into()));
        insert(
            &mut map,
            Name::new("device"),
            object_of(&[("kind", Value::String("VIRTUAL".into()))]),
        );
        insert(
            &mut map,
            Name::new("device"),
            object_of(&[("serial", Value::Null)]),
        );
        insert(
            &mut map,
            Name::new("keys"),
            Value::List(vec![object_of(&[("id", Value::from(1))])]),
        );
        insert(
            &mut map,
            Name::new("keys"),
            Value::List(vec![object_of(&[("status", Value::from(2))])]),
        );
        assert_eq!(
            Value::Object(map),
            object_of(&[
                ("name", Value::String("a".into())),
                (
                    "device",
                    object_of(&[
                        ("kind", Value::String("VIRTUAL".into())),
                        ("serial", Value::Null)
                    ])
                ),
                (
                    "keys",
                    Value::List(vec![object_of(&[
                        ("id", Value::from(1)),
                        ("status", Value::from(2))
                    ])])
                ),
            ])
        );
    }
}
