//! Recovery (REC) mutations: so far, finding the login methods of a known account ID.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        types::enums::{LoginMethodKind, Site},
    },
    service::recovery::{self, FindLoginMethods},
};

#[derive(Default)]
pub struct RecoveryMutation;

/// An account ID of the site, behind a captcha (REC-05).
#[derive(InputObject)]
pub struct FindLoginMethodsInput {
    pub site: Site,
    pub account_id: String,
    pub captcha: String,
}

/// A login method as a stranger may see it.
#[derive(Debug, Clone, SimpleObject)]
pub struct FoundLoginMethod {
    pub kind: LoginMethodKind,
    /// The masked login e-mail; null for other kinds.
    pub identifier: Option<String>,
}

#[derive(Default, SimpleObject)]
pub struct FindLoginMethodsPayload {
    pub user_errors: Vec<UserError>,
    pub login_methods: Option<Vec<FoundLoginMethod>>,
}

payloads!(FindLoginMethodsPayload);

#[Object]
impl RecoveryMutation {
    /// REC-05: the kinds of login method bound to a known account ID and its masked login
    /// e-mail, nothing else; limited per account ID and per client address.
    async fn find_login_methods(
        &self,
        ctx: &Context<'_>,
        input: FindLoginMethodsInput,
    ) -> async_graphql::Result<FindLoginMethodsPayload> {
        let request = FindLoginMethods {
            site: input.site.into(),
            account_number: &input.account_id,
            captcha: &input.captcha,
        };
        let result = recovery::find_login_methods(
            context::app(ctx),
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |found| FindLoginMethodsPayload {
            user_errors: Vec::new(),
            login_methods: Some(
                found
                    .into_iter()
                    .map(|m| FoundLoginMethod {
                        kind: m.kind.into(),
                        identifier: m.masked_identifier,
                    })
                    .collect(),
            ),
        })
    }
}
