//! GraphQL schema assembly: the console schema and (in `ops`) the back-office schema.

pub mod connection;
pub mod context;
pub mod errors;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod ops;
pub mod persisted;
pub mod query;
pub mod scalars;
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

/// The console SDL, as committed in schema.graphql.
pub fn console_sdl() -> String {
    builder(QueryLimits::default()).finish().sdl()
}
