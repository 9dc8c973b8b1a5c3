//! Collaborators' mutations (COL-01, COL-03): switching into a root account and back,
//! and leaving one.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::sign_in::{SignInPayload, signed_in};
use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
    },
    service::collaboration::{self, LeaveRequest, SwitchRequest},
};

#[derive(Default)]
pub struct CollaborationMutation;

/// Where to switch: a root account the signed-in account collaborates on, or home.
#[derive(InputObject)]
pub struct SwitchAccountInput {
    /// The root account to act in; omit to return to the collaborator's own account.
    pub root_account_id: Option<String>,
    /// A device trusted earlier in that root account (MFA-06): skips its login protection.
    pub device_token: Option<String>,
}

/// The root account to leave.
#[derive(InputObject)]
pub struct LeaveCollaborationInput {
    pub root_account_id: String,
}

/// The collaborator is no longer a member; its sessions there have ended (COL-03).
#[derive(Default, SimpleObject)]
pub struct LeaveCollaborationPayload {
    pub user_errors: Vec<UserError>,
}

payloads!(LeaveCollaborationPayload);

#[Object]
impl CollaborationMutation {
    /// COL-01, COL-02: a session acting in the root account as this collaborator's member
    /// record (the root's login protection may ask for the collaborator's own second
    /// factor), or, without `rootAccountId`, a session of its own account again. The
    /// session the request came with ends when the new one opens.
    async fn switch_account(
        &self,
        ctx: &Context<'_>,
        input: SwitchAccountInput,
    ) -> async_graphql::Result<SignInPayload> {
        let principal = context::principal(ctx)?;
        let request = SwitchRequest {
            root_account_number: input.root_account_id.as_deref(),
            device_token: input.device_token.as_deref(),
        };
        let result = collaboration::switch(
            context::app(ctx),
            principal,
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |outcome| signed_in(ctx, outcome))
    }

    /// COL-03: the signed-in collaborator leaves a root account; its member record, keys
    /// and sessions there go, and the root account is told.
    async fn leave_collaboration(
        &self,
        ctx: &Context<'_>,
        input: LeaveCollaborationInput,
    ) -> async_graphql::Result<LeaveCollaborationPayload> {
        let principal = context::principal(ctx)?;
        let request = LeaveRequest {
            root_account_number: &input.root_account_id,
        };
        let result = collaboration::leave(
            context::app(ctx),
            principal,
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |()| LeaveCollaborationPayload::default())
    }
}
