//! Account information and security settings mutations.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::inputs::{SecondFactorInput, factor};
use crate::{
    domain::enums::UnknownStoredValue,
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
        types::{account::Account, enums::LoginMethodKind, login_method::LoginMethod},
    },
    service::{
        accounts::{self, InfoChanges},
        login_methods::{self, Binding},
        security,
    },
};

#[derive(Default)]
pub struct AccountMutation;

/// Nickname and notice contacts; an empty string clears a field.
#[derive(InputObject)]
pub struct UpdateAccountInfoInput {
    pub nickname: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// The account after a change.
#[derive(Default, SimpleObject)]
pub struct AccountPayload {
    pub user_errors: Vec<UserError>,
    pub account: Option<Account>,
}

/// A new password; the current one is required when the account has one.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: Option<String>,
    pub new_password: String,
    pub second_factor: Option<SecondFactorInput>,
}

/// A new secure phone with the BIND_PHONE code sent to it; a code to the old phone (or an MFA code) when one is set.
#[derive(InputObject)]
pub struct ChangeSecurePhoneInput {
    pub new_phone: String,
    pub new_phone_code: String,
    pub second_factor: Option<SecondFactorInput>,
}

/// A new security e-mail with the BIND_EMAIL code sent to it; a code to the old address (or an MFA code) when one is set.
#[derive(InputObject)]
pub struct ChangeSecurityEmailInput {
    pub new_email: String,
    pub new_email_code: String,
    pub second_factor: Option<SecondFactorInput>,
}

/// Binds a login method of a kind the account lacks: an e-mail with its BIND_EMAIL code, or a provider's authorization code.
#[derive(InputObject)]
pub struct BindLoginMethodInput {
    pub kind: LoginMethodKind,
    pub email: Option<String>,
    pub password: Option<String>,
    pub email_code: Option<String>,
    pub provider_code: Option<String>,
    /// MFA-07: binding a login method (and so setting a first password) is protected.
    pub second_factor: Option<SecondFactorInput>,
}

/// The bound login method and the account.
#[derive(Default, SimpleObject)]
pub struct LoginMethodPayload {
    pub user_errors: Vec<UserError>,
    pub login_method: Option<LoginMethod>,
    pub account: Option<Account>,
}

/// The login method to unbind; a second factor when operation protection is on.
#[derive(InputObject)]
pub struct UnbindLoginMethodInput {
    pub login_method_id: ID,
    pub second_factor: Option<SecondFactorInput>,
}

/// Login and operation protection switches, confirmed by a fresh second factor.
#[derive(InputObject)]
pub struct UpdateProtectionInput {
    pub login_protection: Option<bool>,
    pub operation_protection: Option<bool>,
    pub second_factor: Option<SecondFactorInput>,
}

payloads!(AccountPayload, LoginMethodPayload);

pub(super) fn account_payload(
    account: entity::accounts::Model,
) -> Result<AccountPayload, UnknownStoredValue> {
    Ok(AccountPayload {
        user_errors: Vec::new(),
        account: Some(account.try_into()?),
    })
}

#[Object]
impl AccountMutation {
    /// Nickname and notice contacts (ACC-04..06); an empty string clears a field.
    async fn update_account_info(
        &self,
        ctx: &Context<'_>,
        input: UpdateAccountInfoInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let changes = InfoChanges {
            nickname: input.nickname,
            contact_phone: input.contact_phone,
            contact_email: input.contact_email,
        };
        let result = accounts::update_info(
            context::app(ctx),
            principal,
            context::meta(ctx),
            changes,
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }

    /// A new password (LOG-06); the account's other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal_changing_password(ctx)?;
        let result = security::change_password(
            context::app(ctx),
            principal,
            context::meta(ctx),
            input.current_password.as_deref(),
            &input.new_password,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }

    /// A new secure phone (ACC-07, ACC-08).
    async fn change_secure_phone(
        &self,
        ctx: &Context<'_>,
        input: ChangeSecurePhoneInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let result = security::change_secure_phone(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.new_phone,
            &input.new_phone_code,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }

    /// A new security e-mail (ACC-06, ACC-08).
    async fn change_security_email(
        &self,
        ctx: &Context<'_>,
        input: ChangeSecurityEmailInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let result = security::change_security_email(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.new_email,
            &input.new_email_code,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }

    /// Binds a login method of a kind the account lacks (LOG-01, LOG-04).
    async fn bind_login_method(
        &self,
        ctx: &Context<'_>,
        input: BindLoginMethodInput,
    ) -> async_graphql::Result<LoginMethodPayload> {
        let principal = context::principal(ctx)?;
        let form = Binding {
            kind: Some(input.kind.into()),
            email: input.email,
            password: input.password,
            email_code: input.email_code,
            provider_code: input.provider_code,
            second_factor: factor(input.second_factor),
        };
        let result = login_methods::bind(
            context::app(ctx),
            principal,
            context::meta(ctx),
            form,
            context::now(ctx),
        )
        .await;
        respond(result, |(method, account)| {
            Ok(LoginMethodPayload {
                user_errors: Vec::new(),
                login_method: Some(method.try_into()?),
                account: Some(account.try_into()?),
            })
        })
    }

    /// Unbinds a login method; the last one stays (LOG-02).
    async fn unbind_login_method(
        &self,
        ctx: &Context<'_>,
        input: UnbindLoginMethodInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(
            &input.login_method_id,
            NodeKind::LoginMethod,
            "loginMethodId",
        )?;
        let result = login_methods::unbind(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }

    /// Turns login protection (MFA-06) or operation protection (MFA-07) on or off.
    async fn update_protection(
        &self,
        ctx: &Context<'_>,
        input: UpdateProtectionInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let result = security::update_protection(
            context::app(ctx),
            principal,
            context::meta(ctx),
            input.login_protection,
            input.operation_protection,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }
}
