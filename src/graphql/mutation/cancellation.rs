//! Account cancellation (CAN-01..04): request, withdraw.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::inputs::{SecondFactorInput, factor};
use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
        types::cancellation::Cancellation,
    },
    service::{ErrorCode, cancellation},
};

#[derive(Default)]
pub struct CancellationMutation;

/// A second factor when operation protection is on (MFA-07).
#[derive(InputObject)]
pub struct RequestCancellationInput {
    pub second_factor: Option<SecondFactorInput>,
}

/// The request to withdraw during cooling-off.
#[derive(InputObject)]
pub struct WithdrawCancellationInput {
    pub cancellation_id: ID,
}

/// The request; when refused, every unmet precondition at once.
#[derive(Default, SimpleObject)]
pub struct CancellationPayload {
    pub user_errors: Vec<UserError>,
    pub cancellation: Option<Cancellation>,
    /// Every unmet precondition, when refused (CAN-01).
    pub unmet_preconditions: Option<Vec<String>>,
}

payloads!(CancellationPayload);

#[Object]
impl CancellationMutation {
    /// Requests cancellation (CAN-01, CAN-02): refused with every unmet precondition, or
    /// accepted into the cooling-off period.
    async fn request_cancellation(
        &self,
        ctx: &Context<'_>,
        input: RequestCancellationInput,
    ) -> async_graphql::Result<CancellationPayload> {
        let principal = context::principal(ctx)?;
        let result = cancellation::request(
            context::app(ctx),
            principal,
            context::meta(ctx),
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, |outcome| match outcome {
            Ok(accepted) => Ok(CancellationPayload {
                user_errors: Vec::new(),
                cancellation: Some(accepted.try_into()?),
                unmet_preconditions: None,
            }),
            Err(cancellation::Refused(blockers)) => Ok(CancellationPayload {
                user_errors: blockers
                    .iter()
                    .map(|b| UserError {
                        code: ErrorCode::CancellationPreconditions,
                        field: None,
                        message: b.message.clone(),
                        retry_after_seconds: None,
                    })
                    .collect(),
                cancellation: None,
                unmet_preconditions: Some(blockers.iter().map(|b| b.code.to_owned()).collect()),
            }),
        })
    }

    /// Withdraws the request during cooling-off (CAN-02); the account is ACTIVE again.
    async fn withdraw_cancellation(
        &self,
        ctx: &Context<'_>,
        input: WithdrawCancellationInput,
    ) -> async_graphql::Result<CancellationPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(
            &input.cancellation_id,
            NodeKind::Cancellation,
            "cancellationId",
        )?;
        let result = cancellation::withdraw(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            context::now(ctx),
        )
        .await;
        respond(result, |withdrawn| {
            Ok(CancellationPayload {
                user_errors: Vec::new(),
                cancellation: Some(withdrawn.try_into()?),
                unmet_preconditions: None,
            })
        })
    }
}
