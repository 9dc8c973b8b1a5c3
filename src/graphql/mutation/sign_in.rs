//! Codes, registration, sign-in, sign-out and find-account mutations.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::inputs::SecondFactorInput;
use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond, top_level},
        types::{
            account::Account,
            enums::{CodeChannel, CodePurpose, LoginMethodKind, Site},
            session::{LoginChallenge, SessionToken},
        },
    },
    service::{
        accounts, codes,
        events::LiveEvent,
        registration::{self, Registration},
        sessions,
        sign_in::challenges,
        sign_in::{self, SignInOutcome},
    },
};

#[derive(Default)]
pub struct SignInMutation;

/// Where to send a one-time code and what it is for.
#[derive(InputObject)]
pub struct SendVerificationCodeInput {
    pub channel: CodeChannel,
    pub target: String,
    pub purpose: CodePurpose,
    pub site: Option<Site>,
}

/// The answer to a code request.
#[derive(Default, SimpleObject)]
pub struct SendVerificationCodePayload {
    pub user_errors: Vec<UserError>,
    /// Seconds until another code may be sent.
    pub retry_after_seconds: Option<i32>,
}

/// A new account on one site, by e-mail and password or by a third-party identity.
#[derive(InputObject)]
pub struct RegisterAccountInput {
    pub site: Site,
    pub method: LoginMethodKind,
    /// EMAIL: the e-mail, with password and emailCode (a REGISTER code sent to it).
    pub email: Option<String>,
    pub password: Option<String>,
    pub email_code: Option<String>,
    /// Third-party methods: the provider's authorization code.
    pub provider_code: Option<String>,
    pub nickname: Option<String>,
}

/// The new account and its first session.
#[derive(Default, SimpleObject)]
pub struct RegisterAccountPayload {
    pub user_errors: Vec<UserError>,
    pub account: Option<Account>,
    pub session: Option<SessionToken>,
}

/// E-mail and password sign-in; captcha after repeated failures, deviceToken for a trusted device.
#[derive(InputObject)]
pub struct SignInInput {
    pub site: Site,
    pub email: String,
    pub password: String,
    pub captcha: Option<String>,
    pub device_token: Option<String>,
}

/// A sub-user's sign-in: the root's account ID, the user name and the password (SUB-04).
#[derive(InputObject)]
pub struct SignInSubUserInput {
    pub root_account_id: String,
    pub user_name: String,
    pub password: String,
    pub captcha: Option<String>,
    pub device_token: Option<String>,
}

/// Third-party sign-in with the provider's authorization code.
#[derive(InputObject)]
pub struct SignInWithProviderInput {
    pub site: Site,
    pub kind: LoginMethodKind,
    pub provider_code: String,
    /// When the identity is bound to several accounts.
    pub account_id: Option<String>,
    pub device_token: Option<String>,
}

/// Answers a login challenge with a second factor; trustDevice skips the challenge on this device for the site's trusted-device period (MFA-06).
#[derive(InputObject)]
pub struct CompleteLoginChallengeInput {
    pub challenge_id: ID,
    pub second_factor: SecondFactorInput,
    #[graphql(default_with = "Some(false)")]
    pub trust_device: Option<bool>,
}

/// The result of a sign-in step.
#[derive(Default, SimpleObject)]
pub struct SignInPayload {
    pub user_errors: Vec<UserError>,
    pub session: Option<SessionToken>,
    /// Set instead of session when login protection asks for a second factor.
    pub challenge: Option<LoginChallenge>,
    /// Third-party identity bound to several accounts: choose one and sign in again with accountId.
    pub account_choices: Option<Vec<String>>,
    /// Returned when trustDevice was asked: send as deviceToken to skip the challenge for 7 days.
    pub device_token: Option<String>,
    /// The session may only change the password until it is changed (REC-02).
    pub password_change_required: bool,
}

/// Ends this session, or every session of the principal.
#[derive(InputObject)]
pub struct SignOutInput {
    #[graphql(default_with = "Some(false)")]
    pub all_sessions: Option<bool>,
}

/// The result of signing out.
#[derive(Default, SimpleObject)]
pub struct SignOutPayload {
    pub user_errors: Vec<UserError>,
}

/// A phone (SMS) or login e-mail (EMAIL) and the FIND_ACCOUNT code sent to it.
#[derive(InputObject)]
pub struct FindAccountsInput {
    pub site: Site,
    pub channel: CodeChannel,
    pub target: String,
    pub code: String,
}

/// An account found by a proven phone or e-mail, without personal data.
#[derive(Debug, Clone, SimpleObject)]
pub struct FoundAccount {
    pub account_id: String,
    pub nickname: Option<String>,
    pub registration_method: LoginMethodKind,
    pub registered_at: Timestamp,
}

impl TryFrom<entity::accounts::Model> for FoundAccount {
    type Error = crate::domain::enums::UnknownStoredValue;

    fn try_from(a: entity::accounts::Model) -> Result<Self, Self::Error> {
        let method = crate::domain::LoginMethodKind::from_stored(
            "accounts.registration_method",
            &a.registration_method,
        )?;
        Ok(Self {
            account_id: a.account_number,
            nickname: a.nickname,
            registration_method: method.into(),
            registered_at: a.registered_at.into(),
        })
    }
}

impl FoundAccount {
    pub fn list(
        rows: Vec<entity::accounts::Model>,
    ) -> Result<Vec<Self>, crate::domain::enums::UnknownStoredValue> {
        rows.into_iter().map(Self::try_from).collect()
    }
}

/// The accounts a proven phone or e-mail leads to.
#[derive(Default, SimpleObject)]
pub struct FindAccountsPayload {
    pub user_errors: Vec<UserError>,
    pub accounts: Option<Vec<FoundAccount>>,
}

payloads!(
    SendVerificationCodePayload,
    RegisterAccountPayload,
    SignInPayload,
    SignOutPayload,
    FindAccountsPayload,
);

/// Turns a sign-in outcome into its payload, handing a session out as a cookie too.
pub(super) fn signed_in(ctx: &Context<'_>, outcome: SignInOutcome) -> SignInPayload {
    match outcome {
        SignInOutcome::Session(session) => {
            context::set_session_cookie(ctx, &session.token, session.expires_at);
            SignInPayload {
                password_change_required: session.password_change_required,
                session: Some(session.into()),
                ..Default::default()
            }
        }
        SignInOutcome::Challenge(challenge) => SignInPayload {
            challenge: Some(challenge.into()),
            ..Default::default()
        },
        SignInOutcome::AccountChoices(choices) => SignInPayload {
            account_choices: Some(choices),
            ..Default::default()
        },
    }
}

#[Object]
impl SignInMutation {
    /// Sends a one-time code by SMS or e-mail; at most one per target per minute.
    async fn send_verification_code(
        &self,
        ctx: &Context<'_>,
        input: SendVerificationCodeInput,
    ) -> async_graphql::Result<SendVerificationCodePayload> {
        let app = context::app(ctx);
        let result = codes::send(
            app,
            context::meta(ctx),
            input.channel.into(),
            &input.target,
            input.purpose.into(),
            input.site.map(Into::into),
            context::now(ctx),
        )
        .await;
        match result {
            Err(crate::service::ServiceError::Refused(r)) => {
                let retry = r
                    .retry_after_seconds
                    .map(|s| i32::try_from(s).unwrap_or(i32::MAX));
                Ok(SendVerificationCodePayload {
                    user_errors: vec![r.into()],
                    retry_after_seconds: retry,
                })
            }
            other => respond(other, |retry| SendVerificationCodePayload {
                user_errors: Vec::new(),
                retry_after_seconds: Some(i32::try_from(retry).unwrap_or(i32::MAX)),
            }),
        }
    }

    /// Registers an account (ACC-02); it is effective at once and signed in.
    async fn register_account(
        &self,
        ctx: &Context<'_>,
        input: RegisterAccountInput,
    ) -> async_graphql::Result<RegisterAccountPayload> {
        let form = Registration {
            site: Some(input.site.into()),
            method: Some(input.method.into()),
            email: input.email,
            password: input.password,
            email_code: input.email_code,
            provider_code: input.provider_code,
            nickname: input.nickname,
        };
        let result = registration::register(
            context::app(ctx),
            context::meta(ctx),
            form,
            context::now(ctx),
        )
        .await;
        respond(result, |registered| {
            context::set_session_cookie(
                ctx,
                &registered.session.token,
                registered.session.expires_at,
            );
            Ok(RegisterAccountPayload {
                user_errors: Vec::new(),
                account: Some(registered.account.try_into()?),
                session: Some(registered.session.into()),
            })
        })
    }

    /// Signs in with the login e-mail and password (LOG-06, LOG-07).
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let request = sign_in::PasswordSignIn {
            site: input.site.into(),
            email: &input.email,
            password: &input.password,
            captcha: input.captcha.as_deref(),
            device_token: input.device_token.as_deref(),
        };
        let result = sign_in::with_password(
            context::app(ctx),
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |outcome| signed_in(ctx, outcome))
    }

    /// Signs in with a third-party identity (LOG-08).
    async fn sign_in_with_provider(
        &self,
        ctx: &Context<'_>,
        input: SignInWithProviderInput,
    ) -> async_graphql::Result<SignInPayload> {
        let request = sign_in::ProviderSignIn {
            site: input.site.into(),
            kind: input.kind.into(),
            provider_code: &input.provider_code,
            chosen_account: input.account_id.as_deref(),
            device_token: input.device_token.as_deref(),
        };
        let result = sign_in::with_provider(
            context::app(ctx),
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |outcome| signed_in(ctx, outcome))
    }

    /// Signs a sub-user in (SUB-04): same captcha, lockout and MFA rules as a root account.
    async fn sign_in_sub_user(
        &self,
        ctx: &Context<'_>,
        input: SignInSubUserInput,
    ) -> async_graphql::Result<SignInPayload> {
        let request = sign_in::SubUserSignIn {
            root_account_number: &input.root_account_id,
            user_name: &input.user_name,
            password: &input.password,
            captcha: input.captcha.as_deref(),
            device_token: input.device_token.as_deref(),
        };
        let result = sign_in::with_sub_user(
            context::app(ctx),
            context::meta(ctx),
            request,
            context::now(ctx),
        )
        .await;
        respond(result, |outcome| signed_in(ctx, outcome))
    }

    /// Answers a login-protection challenge with a second factor (MFA-06).
    async fn complete_login_challenge(
        &self,
        ctx: &Context<'_>,
        input: CompleteLoginChallengeInput,
    ) -> async_graphql::Result<SignInPayload> {
        let factor = input.second_factor.into();
        let result = challenges::complete(
            context::app(ctx),
            context::meta(ctx),
            &input.challenge_id,
            &factor,
            input.trust_device.unwrap_or(false),
            context::now(ctx),
        )
        .await;
        respond(result, |done| {
            context::set_session_cookie(ctx, &done.session.token, done.session.expires_at);
            SignInPayload {
                password_change_required: done.session.password_change_required,
                session: Some(done.session.into()),
                device_token: done.device_token,
                ..Default::default()
            }
        })
    }

    /// Ends this session, or every session of the principal.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        input: SignOutInput,
    ) -> async_graphql::Result<SignOutPayload> {
        let principal = context::principal_changing_password(ctx)?;
        let db = &context::app(ctx).db;
        let now = context::now(ctx);
        let result = if input.all_sessions.unwrap_or(false) {
            sessions::revoke_principal_sessions(
                db,
                principal.account_id,
                principal.sub_user_id,
                None,
                now,
            )
            .await
            .map(|_| ())
        } else {
            let ended = sessions::revoke(db, principal.session_id, now).await;
            if matches!(ended, Ok(true)) {
                // Its open subscriptions close now, on every instance (LOG-10).
                let app = context::app(ctx);
                let event = LiveEvent::session_ended(principal.account_id, principal.session_id);
                app.events.publish(db, event).await;
            }
            ended.map(|_| ())
        };
        result.map_err(top_level)?;
        context::clear_session_cookie(ctx);
        Ok(SignOutPayload::default())
    }

    /// Lists the accounts a proven phone or e-mail leads to, masked (ACC-10).
    async fn find_accounts(
        &self,
        ctx: &Context<'_>,
        input: FindAccountsInput,
    ) -> async_graphql::Result<FindAccountsPayload> {
        let result = accounts::find(
            context::app(ctx),
            context::meta(ctx),
            input.site.into(),
            input.channel.into(),
            &input.target,
            &input.code,
            context::now(ctx),
        )
        .await;
        respond(result, |found| {
            Ok(FindAccountsPayload {
                user_errors: Vec::new(),
                accounts: Some(FoundAccount::list(found)?),
            })
        })
    }
}
