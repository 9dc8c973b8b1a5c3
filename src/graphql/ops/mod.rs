//! The operator (back-office) API at /ops/graphql. Sandbox-only fields live in their own
//! objects and are merged in only in sandbox mode, so production's schema lacks them.

mod core;
mod recovery;
mod sandbox;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use super::QueryLimits;
use crate::{ports::SandboxClock, service::AppContext};

pub use core::{OpsMutation, OpsQuery};
pub use recovery::{OpsRecoveryMutation, OpsRecoveryQuery};
pub use sandbox::{SandboxMutation, SandboxQuery};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct SandboxOpsQuery(OpsQuery, OpsRecoveryQuery, SandboxQuery);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct SandboxOpsMutation(OpsMutation, OpsRecoveryMutation, SandboxMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct ProductionOpsQuery(OpsQuery, OpsRecoveryQuery);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct ProductionOpsMutation(OpsMutation, OpsRecoveryMutation);

/// The ops schema in the mode the server runs.
#[derive(Clone)]
pub enum OpsSchema {
    Sandbox(Schema<SandboxOpsQuery, SandboxOpsMutation, EmptySubscription>),
    Production(Schema<ProductionOpsQuery, ProductionOpsMutation, EmptySubscription>),
}

impl OpsSchema {
    /// `sandbox_clock` is Some exactly in sandbox mode.
    /// Bounded like the console (depth, complexity, directives): an operator's token is no
    /// licence to pin a core.
    pub fn build(
        app: Arc<AppContext>,
        sandbox_clock: Option<Arc<SandboxClock>>,
        limits: QueryLimits,
    ) -> Self {
        match sandbox_clock {
            Some(clock) => Self::Sandbox(
                Schema::build(
                    SandboxOpsQuery::default(),
                    SandboxOpsMutation::default(),
                    EmptySubscription,
                )
                .limit_depth(limits.max_depth)
                .limit_complexity(limits.max_complexity)
                .limit_directives(limits.max_directives)
                .data(app)
                .data(clock)
                .finish(),
            ),
            None => Self::Production(
                Schema::build(
                    ProductionOpsQuery::default(),
                    ProductionOpsMutation::default(),
                    EmptySubscription,
                )
                .limit_depth(limits.max_depth)
                .limit_complexity(limits.max_complexity)
                .limit_directives(limits.max_directives)
                .data(app)
                .finish(),
            ),
        }
    }

    pub async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        match self {
            Self::Sandbox(s) => s.execute(request).await,
            Self::Production(s) => s.execute(request).await,
        }
    }

    pub fn sdl(&self) -> String {
        match self {
            Self::Sandbox(s) => s.sdl(),
            Self::Production(s) => s.sdl(),
        }
    }
}

/// The SDL of the sandbox-mode ops schema (the superset), without a database.
pub fn sandbox_sdl() -> String {
    Schema::build(
        SandboxOpsQuery::default(),
        SandboxOpsMutation::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
