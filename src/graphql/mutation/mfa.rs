//! MFA devices (MFA-01..05): bind a virtual device or a hardware token, unbind.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::account::AccountPayload;
use crate::{
    domain::enums::UnknownStoredValue,
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, encode, expect},
        types::mfa_device::MfaDevice,
    },
    service::{
        finders::DeviceView,
        mfa_devices::{self, BoundDevice},
    },
};

#[derive(Default)]
pub struct MfaMutation;

/// Whose device: omit for the signed-in principal.
#[derive(InputObject)]
pub struct BeginVirtualMfaBindingInput {
    /// Omit for the signed-in principal.
    pub sub_user_id: Option<ID>,
}

/// A new virtual device's secret, shown once.
#[derive(Default, SimpleObject)]
pub struct BeginVirtualMfaBindingPayload {
    pub user_errors: Vec<UserError>,
    pub binding_id: Option<ID>,
    /// Base32 secret, shown once.
    pub secret: Option<String>,
    pub otpauth_uri: Option<String>,
    /// The otpauth URI as an SVG QR code.
    pub qr_code_svg: Option<String>,
}

/// The binding and the current code from the authenticator app.
#[derive(InputObject)]
pub struct ConfirmVirtualMfaBindingInput {
    pub binding_id: ID,
    pub code: String,
}

/// A hardware token by its serial number and its current code.
#[derive(InputObject)]
pub struct BindHardwareMfaInput {
    pub sub_user_id: Option<ID>,
    pub serial_number: String,
    pub code: String,
}

/// The bound device.
#[derive(Default, SimpleObject)]
pub struct MfaDevicePayload {
    pub user_errors: Vec<UserError>,
    pub mfa_device: Option<MfaDevice>,
    /// Ten single-use codes that stand in for the device (a login challenge or unbinding a
    /// lost device); shown once, at binding, and stored only hashed.
    pub recovery_codes: Option<Vec<String>>,
}

/// A current MFA code (or a recovery code) to unbind with.
#[derive(InputObject)]
pub struct UnbindMfaDeviceInput {
    pub sub_user_id: Option<ID>,
    pub code: String,
}

payloads!(BeginVirtualMfaBindingPayload, MfaDevicePayload);

fn sub_user(id: Option<&ID>) -> async_graphql::Result<Option<i64>> {
    id.map(|id| expect(id, NodeKind::SubUser, "subUserId"))
        .transpose()
}

fn bound(b: BoundDevice) -> Result<MfaDevicePayload, UnknownStoredValue> {
    let d = b.device;
    let device = DeviceView {
        id: d.id,
        kind: crate::domain::MfaDeviceKind::from_stored("mfa_devices.kind", &d.kind)?,
        principal_key: d.principal_key,
        serial_number: b.serial_number,
        bound_at: d.bound_at,
        last_used_at: d.last_used_at,
    };
    Ok(MfaDevicePayload {
        user_errors: Vec::new(),
        mfa_device: Some(MfaDevice::from_view(device)),
        recovery_codes: Some(b.recovery_codes),
    })
}

#[Object]
impl MfaMutation {
    /// Starts binding a virtual device (MFA-03): the secret and its QR code, shown once.
    async fn begin_virtual_mfa_binding(
        &self,
        ctx: &Context<'_>,
        input: BeginVirtualMfaBindingInput,
    ) -> async_graphql::Result<BeginVirtualMfaBindingPayload> {
        let principal = context::principal(ctx)?;
        let result = mfa_devices::begin_virtual(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user(input.sub_user_id.as_ref())?,
            context::now(ctx),
        )
        .await;
        respond(result, |p| BeginVirtualMfaBindingPayload {
            user_errors: Vec::new(),
            binding_id: Some(encode(NodeKind::MfaBinding, p.binding_id)),
            secret: Some(p.secret_base32),
            otpauth_uri: Some(p.otpauth_uri),
            qr_code_svg: Some(p.qr_code_svg),
        })
    }

    /// Completes the binding with a valid current code (MFA-03, MFA-04).
    async fn confirm_virtual_mfa_binding(
        &self,
        ctx: &Context<'_>,
        input: ConfirmVirtualMfaBindingInput,
    ) -> async_graphql::Result<MfaDevicePayload> {
        let principal = context::principal(ctx)?;
        let id = expect(&input.binding_id, NodeKind::MfaBinding, "bindingId")?;
        let result = mfa_devices::confirm_virtual(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            &input.code,
            context::now(ctx),
        )
        .await;
        respond(result, bound)
    }

    /// Binds a hardware token the provider sold (MFA-01, MFA-02).
    async fn bind_hardware_mfa(
        &self,
        ctx: &Context<'_>,
        input: BindHardwareMfaInput,
    ) -> async_graphql::Result<MfaDevicePayload> {
        let principal = context::principal(ctx)?;
        let result = mfa_devices::bind_hardware(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user(input.sub_user_id.as_ref())?,
            &input.serial_number,
            &input.code,
            context::now(ctx),
        )
        .await;
        respond(result, bound)
    }

    /// Unbinds with a valid current code or a recovery code (MFA-05); other sessions end.
    async fn unbind_mfa_device(
        &self,
        ctx: &Context<'_>,
        input: UnbindMfaDeviceInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let result = mfa_devices::unbind(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user(input.sub_user_id.as_ref())?,
            &input.code,
            context::now(ctx),
        )
        .await;
        respond(result, |account| {
            Ok(AccountPayload {
                user_errors: Vec::new(),
                account: Some(account.try_into()?),
            })
        })
    }
}
