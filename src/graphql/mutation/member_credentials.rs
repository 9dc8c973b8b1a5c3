//! The root account's hand on its sub-users' credentials (REC-02).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    inputs::{SecondFactorInput, factor},
    members::{SubUserPayload, member_payload},
};
use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
        types::member::SubUser,
    },
    service::member_credentials::{self, SubUserPasswordReset},
};

#[derive(Default)]
pub struct MemberCredentialsMutation;

/// A new password for a sub-user, or one generated (REC-02).
#[derive(InputObject)]
pub struct ResetSubUserPasswordInput {
    pub sub_user_id: ID,
    /// Omit to have one generated.
    pub new_password: Option<String>,
    #[graphql(default_with = "Some(true)")]
    pub require_change: Option<bool>,
    pub second_factor: Option<SecondFactorInput>,
}

/// The sub-user after the reset, and the generated password shown once (REC-02).
#[derive(Default, SimpleObject)]
pub struct ResetSubUserPasswordPayload {
    pub user_errors: Vec<UserError>,
    pub sub_user: Option<SubUser>,
    /// The generated password, shown once.
    pub generated_password: Option<String>,
}

/// The sub-user whose lost MFA device the root removes (REC-02).
#[derive(InputObject)]
pub struct RemoveSubUserMfaDeviceInput {
    pub sub_user_id: ID,
    pub second_factor: Option<SecondFactorInput>,
}

payloads!(ResetSubUserPasswordPayload);

#[Object]
impl MemberCredentialsMutation {
    /// REC-02: sets or generates a sub-user's password, optionally to be changed at its
    /// next sign-in; its sessions end. A protected operation (MFA-07).
    async fn reset_sub_user_password(
        &self,
        ctx: &Context<'_>,
        input: ResetSubUserPasswordInput,
    ) -> async_graphql::Result<ResetSubUserPasswordPayload> {
        let principal = context::principal(ctx)?;
        let sub_user_id = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let second_factor = factor(input.second_factor);
        let request = SubUserPasswordReset {
            sub_user_id,
            new_password: input.new_password.as_deref(),
            require_change: input.require_change.unwrap_or(true),
            factor: second_factor.as_ref(),
        };
        let app = context::app(ctx);
        let result = member_credentials::reset_password(
            app,
            principal,
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |set| {
            Ok(ResetSubUserPasswordPayload {
                user_errors: Vec::new(),
                sub_user: Some(set.member.try_into()?),
                generated_password: set.generated_password,
            })
        })
    }

    /// REC-02: removes a sub-user's lost MFA device; its sessions end. A protected
    /// operation (MFA-07).
    async fn remove_sub_user_mfa_device(
        &self,
        ctx: &Context<'_>,
        input: RemoveSubUserMfaDeviceInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let sub_user_id = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let second_factor = factor(input.second_factor);
        let result = member_credentials::remove_mfa_device(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user_id,
            second_factor.as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }
}
