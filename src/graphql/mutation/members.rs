//! Sub-users, collaborators, message recipients and access keys (SUB-01..08).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::inputs::{SecondFactorInput, factor};
use crate::{
    domain::enums::UnknownStoredValue,
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, encode, expect},
        types::{access_key::AccessKey, enums::AccessKeyStatus, member::SubUser},
    },
    service::{
        access_keys,
        members::{self, Contact, NewSubUser},
    },
};

#[derive(Default)]
pub struct MembersMutation;

/// A sub-user (SUB-01, SUB-04); console sign-in needs a password.
#[derive(InputObject)]
pub struct CreateSubUserInput {
    pub name: String,
    pub password: Option<String>,
    #[graphql(default_with = "Some(true)")]
    pub console_login: Option<bool>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub remark: Option<String>,
}

/// An existing, verified root account of the same site (SUB-03, VER-21).
#[derive(InputObject)]
pub struct AddCollaboratorInput {
    pub collaborator_account_id: String,
    pub remark: Option<String>,
}

/// Someone who receives notices and never signs in.
#[derive(InputObject)]
pub struct CreateMessageRecipientInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub remark: Option<String>,
}

/// Remark, contacts and console sign-in; an empty string clears a field.
#[derive(InputObject)]
pub struct UpdateSubUserInput {
    pub sub_user_id: ID,
    pub remark: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub console_login: Option<bool>,
}

/// The member after a change.
#[derive(Default, SimpleObject)]
pub struct SubUserPayload {
    pub user_errors: Vec<UserError>,
    pub sub_user: Option<SubUser>,
}

/// The member to delete (SUB-06, SUB-07); a second factor under operation protection.
#[derive(InputObject)]
pub struct DeleteSubUserInput {
    pub sub_user_id: ID,
    pub second_factor: Option<SecondFactorInput>,
}

/// The global ID of what was deleted.
#[derive(Default, SimpleObject)]
pub struct DeletePayload {
    pub user_errors: Vec<UserError>,
    pub deleted_id: Option<ID>,
}

/// A key for a sub-user, or for the signed-in principal itself.
#[derive(InputObject)]
pub struct CreateAccessKeyInput {
    /// The sub-user; omit for the root account's own key.
    pub sub_user_id: Option<ID>,
    pub second_factor: Option<SecondFactorInput>,
}

/// The new key and its secret.
#[derive(Default, SimpleObject)]
pub struct CreateAccessKeyPayload {
    pub user_errors: Vec<UserError>,
    pub access_key: Option<AccessKey>,
    /// Shown once.
    pub secret_key: Option<String>,
}

/// Disable or enable a key.
#[derive(InputObject)]
pub struct SetAccessKeyStatusInput {
    pub access_key_id: ID,
    pub status: AccessKeyStatus,
}

/// The key after a change.
#[derive(Default, SimpleObject)]
pub struct AccessKeyPayload {
    pub user_errors: Vec<UserError>,
    pub access_key: Option<AccessKey>,
}

/// The key to delete.
#[derive(InputObject)]
pub struct DeleteAccessKeyInput {
    pub access_key_id: ID,
}

payloads!(
    SubUserPayload,
    DeletePayload,
    CreateAccessKeyPayload,
    AccessKeyPayload
);

pub(super) fn member_payload(
    member: entity::sub_users::Model,
) -> Result<SubUserPayload, UnknownStoredValue> {
    Ok(SubUserPayload {
        user_errors: Vec::new(),
        sub_user: Some(member.try_into()?),
    })
}

fn deleted(kind: NodeKind) -> impl FnOnce(i64) -> DeletePayload {
    move |pk| DeletePayload {
        user_errors: Vec::new(),
        deleted_id: Some(encode(kind, pk)),
    }
}

#[Object]
impl MembersMutation {
    /// Creates a sub-user (SUB-01); the site's member limit holds under concurrency (SUB-02).
    async fn create_sub_user(
        &self,
        ctx: &Context<'_>,
        input: CreateSubUserInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let form = NewSubUser {
            name: input.name,
            password: input.password,
            console_login: input.console_login.unwrap_or(true),
            email: input.email,
            phone: input.phone,
            remark: input.remark,
        };
        let result = members::create_sub_user(
            context::app(ctx),
            principal,
            context::meta(ctx),
            form,
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }

    /// Grants an existing, verified root account access as a collaborator (SUB-03, VER-21).
    async fn add_collaborator(
        &self,
        ctx: &Context<'_>,
        input: AddCollaboratorInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let result = members::add_collaborator(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.collaborator_account_id,
            input.remark,
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }

    /// Adds someone who receives notices (not counted in the member limit).
    async fn create_message_recipient(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageRecipientInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let contact = Contact {
            email: input.email,
            phone: input.phone,
            remark: input.remark,
        };
        let result = members::create_message_recipient(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.name,
            contact,
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }

    /// Changes a member's remark, contacts or console sign-in.
    async fn update_sub_user(
        &self,
        ctx: &Context<'_>,
        input: UpdateSubUserInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let contact = Contact {
            email: input.email,
            phone: input.phone,
            remark: input.remark,
        };
        let result = members::update(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            contact,
            input.console_login,
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }

    /// Deletes a member with its memberships, keys, MFA device and sessions (SUB-06, SUB-07).
    async fn delete_sub_user(
        &self,
        ctx: &Context<'_>,
        input: DeleteSubUserInput,
    ) -> async_graphql::Result<DeletePayload> {
        let principal = context::principal(ctx)?;
        let id = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let result = members::delete(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, deleted(NodeKind::SubUser))
    }

    /// Creates an access key; its secret is returned this once (SUB-05).
    async fn create_access_key(
        &self,
        ctx: &Context<'_>,
        input: CreateAccessKeyInput,
    ) -> async_graphql::Result<CreateAccessKeyPayload> {
        let principal = context::principal(ctx)?;
        let sub_user = input
            .sub_user_id
            .as_ref()
            .map(|id| expect(id, NodeKind::SubUser, "subUserId"))
            .transpose()?;
        let result = access_keys::create(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user,
            factor(input.second_factor).as_ref(),
            context::now(ctx),
        )
        .await;
        respond(result, |created| {
            Ok(CreateAccessKeyPayload {
                user_errors: Vec::new(),
                access_key: Some(created.key.try_into()?),
                secret_key: Some(created.secret_key),
            })
        })
    }

    /// Disables or enables an access key.
    async fn set_access_key_status(
        &self,
        ctx: &Context<'_>,
        input: SetAccessKeyStatusInput,
    ) -> async_graphql::Result<AccessKeyPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(&input.access_key_id, NodeKind::AccessKey, "accessKeyId")?;
        let result = access_keys::set_status(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            input.status.into(),
            context::now(ctx),
        )
        .await;
        respond(result, |key| {
            Ok(AccessKeyPayload {
                user_errors: Vec::new(),
                access_key: Some(key.try_into()?),
            })
        })
    }

    /// Deletes an access key.
    async fn delete_access_key(
        &self,
        ctx: &Context<'_>,
        input: DeleteAccessKeyInput,
    ) -> async_graphql::Result<DeletePayload> {
        let principal = context::principal(ctx)?;
        let id = expect(&input.access_key_id, NodeKind::AccessKey, "accessKeyId")?;
        let result = access_keys::delete(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            context::now(ctx),
        )
        .await;
        respond(result, deleted(NodeKind::AccessKey))
    }
}
