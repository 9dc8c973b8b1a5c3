//! The message center's mutations (NTF-02, NTF-03).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::members::{SubUserPayload, member_payload};
use crate::{
    graphql::{
        context,
        errors::{UserError, bad_input, payloads, respond},
        node::{NodeKind, expect},
        types::enums::MessageCategory,
    },
    service::messages::{self, MAX_MARKED},
};

#[derive(Default)]
pub struct MessagesMutation;

/// Messages to mark read, or all of them.
#[derive(InputObject)]
pub struct MarkMessagesReadInput {
    pub message_ids: Option<Vec<ID>>,
    /// Mark every message read.
    #[graphql(default_with = "Some(false)")]
    pub all: Option<bool>,
}

/// The unread count after marking (NTF-02).
#[derive(Default, SimpleObject)]
pub struct MarkMessagesReadPayload {
    pub user_errors: Vec<UserError>,
    pub unread_message_count: Option<i32>,
}

/// The categories of notice a sub-user or message recipient receives (NTF-03).
#[derive(InputObject)]
pub struct SetMessageCategoriesInput {
    pub sub_user_id: ID,
    pub categories: Vec<MessageCategory>,
}

payloads!(MarkMessagesReadPayload);

#[Object]
impl MessagesMutation {
    /// Marks the principal's messages read (NTF-02); IDs of others' messages change nothing.
    async fn mark_messages_read(
        &self,
        ctx: &Context<'_>,
        input: MarkMessagesReadInput,
    ) -> async_graphql::Result<MarkMessagesReadPayload> {
        let principal = context::principal(ctx)?;
        let ids = input.message_ids.unwrap_or_default();
        if ids.len() > MAX_MARKED {
            return Err(bad_input(format!("at most {MAX_MARKED} messageIds")));
        }
        let pks = ids
            .iter()
            .map(|id| expect(id, NodeKind::Message, "messageIds"))
            .collect::<async_graphql::Result<Vec<i64>>>()?;
        let result = messages::mark_read(
            context::app(ctx),
            principal,
            &pks,
            input.all.unwrap_or(false),
            context::now(ctx),
        )
        .await;
        respond(result, |unread| MarkMessagesReadPayload {
            user_errors: Vec::new(),
            unread_message_count: Some(i32::try_from(unread).unwrap_or(i32::MAX)),
        })
    }

    /// NTF-03: the root chooses the categories a sub-user or message recipient receives
    /// by its e-mail and phone.
    async fn set_message_categories(
        &self,
        ctx: &Context<'_>,
        input: SetMessageCategoriesInput,
    ) -> async_graphql::Result<SubUserPayload> {
        let principal = context::principal(ctx)?;
        let sub_user_id = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let categories: Vec<crate::domain::MessageCategory> =
            input.categories.into_iter().map(Into::into).collect();
        let result = messages::set_categories(
            context::app(ctx),
            principal,
            context::meta(ctx),
            sub_user_id,
            &categories,
            context::now(ctx),
        )
        .await;
        respond(result, member_payload)
    }
}
