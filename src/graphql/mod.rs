//! GraphQL schema assembly: the console schema and (in `ops`) the back-office schema.

pub mod connection;
pub mod context;
pub mod errors;
pub mod flat;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod ops;
pub mod persisted;
pub mod query;
pub mod scalars;
pub mod spec;
pub mod subscription;
pub mod tokens;
pub mod types;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};

pub use crate::config::QueryLimits;
use crate::service::AppContext;

pub type ConsoleSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// Open subscriptions one session, and one client address, may hold (NTF-06).
const SUBSCRIPTIONS_PER_SESSION: usize = 10;
const SUBSCRIPTIONS_PER_CLIENT: usize = 50;

fn builder(
    limits: QueryLimits,
) -> SchemaBuilder<query::Query, mutation::Mutation, subscription::Subscription> {
    let mut builder = Schema::build(
        query::Query,
        mutation::Mutation::default(),
        subscription::Subscription,
    )
    .register_output_type::<node::Node>()
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_directives(limits.max_directives);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder
}

/// The console schema, serving `app`.
pub fn console_schema(
    app: Arc<AppContext>,
    limits: QueryLimits,
    cookies: context::CookiePolicy,
) -> ConsoleSchema {
    let live = Arc::new(subscription::LiveLimits::new(
        SUBSCRIPTIONS_PER_SESSION,
        SUBSCRIPTIONS_PER_CLIENT,
    ));
    builder(limits).data(app).data(cookies).data(live).finish()
}

/// Checks a request's document: the limits, then what `spec::Shape::of` refuses (an enum
/// written as a string). The answer is the document's shape, or the response refusing it.
pub fn check(
    request: &mut async_graphql::Request,
    limits: &QueryLimits,
    index: &spec::SchemaIndex,
) -> Result<Arc<spec::Shape>, Box<async_graphql::Response>> {
    limits::enforce(request, limits)?;
    let document = request.parsed_query().map_err(|err| {
        Box::new(async_graphql::Response::from_errors(vec![
            limits::parse_failed(err),
        ]))
    })?;
    match spec::Shape::of(index, document) {
        Ok(shape) => Ok(Arc::new(shape)),
        Err(err) => Err(Box::new(async_graphql::Response::from_errors(vec![
            errors::Code::GraphqlValidationFailed.set_on(err),
        ]))),
    }
}

/// Runs a request whose document was checked (`check`, or a persisted document's), then
/// applies the spec's response rules (`spec`). Every top-level error leaves with an
/// `extensions.code` of `errors::Code`.
pub async fn run<Fut>(
    request: async_graphql::Request,
    shape: &spec::Shape,
    execute: impl FnOnce(async_graphql::Request) -> Fut,
) -> async_graphql::Response
where
    Fut: std::future::Future<Output = async_graphql::Response>,
{
    use errors::Code;
    let operation_name = request.operation_name.clone();
    let mut response = execute(request).await;
    let executed = response.data != async_graphql::Value::Null
        || response.errors.iter().any(|e| !e.path.is_empty());
    let errors = std::mem::take(&mut response.errors);
    response.errors = errors
        .into_iter()
        .map(|err| {
            let code = if !executed {
                // Refused before execution: validation, variables, the operation name, or
                // async-graphql's depth, complexity and directive limits.
                Code::GraphqlValidationFailed
            } else if err.message.starts_with("Failed to parse") {
                // An argument async-graphql could not read as its type.
                Code::BadUserInput
            } else {
                Code::Internal
            };
            code.set_on(err)
        })
        .collect();
    if executed {
        shape.apply(operation_name.as_deref(), &mut response);
    }
    response
}

/// The console SDL, as committed in schema.graphql.
pub fn console_sdl() -> String {
    builder(QueryLimits::default()).finish().sdl()
}
