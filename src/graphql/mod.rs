//! GraphQL schema assembly: the console schema and (in `ops`) the back-office schema.

pub mod connection;
pub mod context;
pub mod errors;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod ops;
pub mod query;
pub mod tokens;
pub mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use crate::service::AppContext;

pub type ConsoleSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Limits that keep one request from costing the server too much.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_directives: usize,
    /// Field selections (aliases included) one document may hold.
    pub max_fields: usize,
    /// Lexical tokens one document may hold, counted before it is parsed.
    pub max_tokens: usize,
    pub introspection: bool,
}

impl QueryLimits {
    /// The defaults; the whole console page (tests/api/console_page.graphql) runs within them.
    pub const DEFAULT: Self = Self {
        max_depth: 15,
        max_complexity: 5_000,
        max_directives: 5,
        max_fields: 500,
        max_tokens: 10_000,
        introspection: true,
    };
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

fn builder(
    limits: QueryLimits,
) -> SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    let mut builder = Schema::build(
        query::Query,
        mutation::Mutation::default(),
        EmptySubscription,
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
    builder(limits).data(app).data(cookies).finish()
}

/// The console SDL, as committed in schema.graphql.
pub fn console_sdl() -> String {
    builder(QueryLimits::default()).finish().sdl()
}
