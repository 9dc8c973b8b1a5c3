//! The operator's side of recovery (REC-03): the queue of applications and the decision.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Object, SimpleObject};

use super::core::{OpsResult, app, operator_meta, ops_result};
use crate::{
    graphql::{
        errors::{bad_input, top_level},
        node::{NodeKind, decode, encode},
    },
    service::recovery::{self, Review},
};

#[derive(Default)]
pub struct OpsRecoveryQuery;

#[derive(Default)]
pub struct OpsRecoveryMutation;

/// A recovery application waiting for review.
#[derive(Debug, Clone, SimpleObject)]
pub struct PendingRecoveryApplication {
    pub application_id: ID,
    pub account_id: String,
    pub changes: Vec<String>,
    /// Whether the subject given matches the account's verification in force.
    pub subject_matches: bool,
    pub submitted_at: Timestamp,
}

#[Object]
impl OpsRecoveryQuery {
    /// Recovery applications waiting for review, oldest first (REC-03).
    async fn pending_recovery_applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<PendingRecoveryApplication>> {
        let limit = u64::try_from(first.unwrap_or(50).clamp(0, 500)).unwrap_or(50);
        let pending = recovery::pending_applications(app(ctx), limit)
            .await
            .map_err(top_level)?;
        Ok(pending
            .into_iter()
            .map(|p| PendingRecoveryApplication {
                application_id: encode(NodeKind::RecoveryApplication, p.application.id),
                changes: recovery::changes_of(&p.application)
                    .into_iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
                account_id: p.application.account_number,
                subject_matches: p.subject_matches,
                submitted_at: p.application.submitted_at.into(),
            })
            .collect())
    }
}

#[Object]
impl OpsRecoveryMutation {
    /// Approve (only when the subject matches) or reject (reason required) a recovery application.
    async fn review_recovery_application(
        &self,
        ctx: &Context<'_>,
        application_id: ID,
        approve: bool,
        reason: Option<String>,
    ) -> async_graphql::Result<OpsResult> {
        let Some((NodeKind::RecoveryApplication, pk)) = decode(&application_id) else {
            return Err(bad_input("applicationId is not a recovery application ID"));
        };
        let app = app(ctx);
        let decision = Review {
            application_id: pk,
            approve,
            reason: reason.as_deref(),
        };
        let result = recovery::review(app, &operator_meta(), decision, app.clock.now()).await;
        ops_result(result.map(OpsResult::done))
    }
}
