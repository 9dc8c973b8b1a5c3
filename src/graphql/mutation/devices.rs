//! Ending one's own sessions and forgetting trusted devices one by one (LOG-10).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
    },
    service::devices::{self, ForgetDevice, RevokeSession},
};

#[derive(Default)]
pub struct DevicesMutation;

/// One of the signed-in principal's sessions (`viewer.sessions`).
#[derive(InputObject)]
pub struct RevokeSessionInput {
    pub session_id: ID,
}

/// The session has ended; its next request is unauthenticated.
#[derive(Default, SimpleObject)]
pub struct RevokeSessionPayload {
    pub user_errors: Vec<UserError>,
    /// The remaining live sessions.
    pub session_count: Option<i32>,
}

/// One of the signed-in principal's trusted devices (`viewer.trustedDevices`).
#[derive(InputObject)]
pub struct ForgetTrustedDeviceInput {
    pub device_id: ID,
}

/// The device is forgotten: its next sign-in asks for the second factor again.
#[derive(Default, SimpleObject)]
pub struct ForgetTrustedDevicePayload {
    pub user_errors: Vec<UserError>,
}

payloads!(RevokeSessionPayload, ForgetTrustedDevicePayload);

#[Object]
impl DevicesMutation {
    /// LOG-10: ends one of the principal's own sessions at once, open subscriptions
    /// included; ending the current one is the same as `signOut`. Another principal's
    /// session answers NOT_FOUND.
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        input: RevokeSessionInput,
    ) -> async_graphql::Result<RevokeSessionPayload> {
        let principal = context::principal(ctx)?;
        let session_id = expect(&input.session_id, NodeKind::Session, "sessionId")?;
        let result = devices::revoke_session(
            context::app(ctx),
            principal,
            context::meta(ctx),
            RevokeSession { session_id },
            context::now(ctx),
        )
        .await;
        if result.is_ok() && session_id == principal.session_id {
            context::clear_session_cookie(ctx);
        }
        respond(result, |remaining| RevokeSessionPayload {
            user_errors: Vec::new(),
            session_count: Some(i32::try_from(remaining).unwrap_or(i32::MAX)),
        })
    }

    /// LOG-10: the device's next sign-in asks for the second factor again (MFA-06).
    async fn forget_trusted_device(
        &self,
        ctx: &Context<'_>,
        input: ForgetTrustedDeviceInput,
    ) -> async_graphql::Result<ForgetTrustedDevicePayload> {
        let principal = context::principal(ctx)?;
        let device_id = expect(&input.device_id, NodeKind::TrustedDevice, "deviceId")?;
        let result = devices::forget_device(
            context::app(ctx),
            principal,
            context::meta(ctx),
            ForgetDevice { device_id },
            context::now(ctx),
        )
        .await;
        respond(result, |()| ForgetTrustedDevicePayload::default())
    }
}
