//! Recovery (REC) mutations a stranger can reach: reset a forgotten password, apply to
//! get back in, find accounts by verified identity or the login methods of an account ID,
//! ask for a recycled number's release; and the holder's `keepSecurePhone`.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::{
    account::{AccountPayload, account_payload},
    sign_in::{FindAccountsPayload, FoundAccount},
};
use crate::{
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        types::{
            enums::{CodeChannel, LoginMethodKind, Site, VerificationSubjectKind},
            recovery::RecoveryApplication,
        },
    },
    service::recovery::{
        self, ApplicationChanges, FindLoginMethods, IdentityLookup, NewApplication, PasswordReset,
        PhoneRelease, ResetOutcome, SubjectInput,
    },
};

#[derive(Default)]
pub struct RecoveryMutation;

/// A RESET_PASSWORD code sent to a login e-mail, security e-mail or secure phone, and the
/// new password (REC-01).
#[derive(InputObject)]
pub struct ResetPasswordInput {
    pub site: Site,
    pub channel: CodeChannel,
    /// The login e-mail, security e-mail or secure phone that the RESET_PASSWORD code was sent to.
    pub target: String,
    pub code: String,
    /// Required when the target reaches several accounts; answering with accountChoices does not spend the code.
    pub account_id: Option<String>,
    pub new_password: String,
    /// Accounts with an MFA device: an MFA code or a recovery code.
    pub mfa_code: Option<String>,
}

/// The account whose password was reset, or the accounts to choose from (REC-01).
#[derive(Default, SimpleObject)]
pub struct ResetPasswordPayload {
    pub user_errors: Vec<UserError>,
    /// The account whose password was reset.
    pub account: Option<FoundAccount>,
    /// The target reaches several accounts: choose one and send its accountId.
    pub account_choices: Option<Vec<FoundAccount>>,
}

/// The account, its verified subject and what to change (REC-03).
#[derive(InputObject)]
pub struct SubmitRecoveryApplicationInput {
    pub site: Site,
    pub account_id: String,
    /// Person: the verified name. Enterprise: the verified enterprise name.
    pub subject_name: String,
    /// Person: the ID number. Enterprise: the unified social credit code.
    pub identity_number: String,
    /// Enterprise only: the legal person's name.
    pub legal_person_name: Option<String>,
    pub new_login_email: Option<String>,
    /// A RECOVERY code sent to newLoginEmail.
    pub new_login_email_code: Option<String>,
    pub new_secure_phone: Option<String>,
    /// A RECOVERY code sent to newSecurePhone.
    pub new_secure_phone_code: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub remove_mfa_device: Option<bool>,
}

/// The application as filed and its status token (REC-03).
#[derive(Default, SimpleObject)]
pub struct SubmitRecoveryApplicationPayload {
    pub user_errors: Vec<UserError>,
    pub application: Option<RecoveryApplication>,
    /// Keep it: it reads the application's state without signing in.
    pub status_token: Option<String>,
}

/// A verified subject and the face check of its person (REC-04).
#[derive(InputObject)]
pub struct FindAccountsByIdentityInput {
    pub site: Site,
    pub subject_kind: VerificationSubjectKind,
    pub subject_name: String,
    pub identity_number: String,
    pub legal_person_name: Option<String>,
    /// The real-name provider's face check of the person (or of the legal person).
    pub face_check_token: String,
}

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

/// The kinds of login method of an account ID, and its masked login e-mail (REC-05).
#[derive(Default, SimpleObject)]
pub struct FindLoginMethodsPayload {
    pub user_errors: Vec<UserError>,
    pub login_methods: Option<Vec<FoundLoginMethod>>,
}

/// A number, and a PHONE_RELEASE code sent to it (REC-06).
#[derive(InputObject)]
pub struct RequestPhoneReleaseInput {
    pub site: Site,
    pub phone: String,
    /// A PHONE_RELEASE code sent to the phone.
    pub code: String,
}

/// How many accounts hold the number, and when it leaves them (REC-06).
#[derive(Default, SimpleObject)]
pub struct RequestPhoneReleasePayload {
    pub user_errors: Vec<UserError>,
    /// How many accounts hold the number; their owners are notified.
    pub holders: Option<i32>,
    /// When the number is released from the holders that do not keep it.
    pub release_at: Option<Timestamp>,
}

/// Proof that the holder still has its secure phone (REC-06).
#[derive(InputObject)]
pub struct KeepSecurePhoneInput {
    /// A BIND_PHONE code sent to the current secure phone.
    pub code: String,
}

payloads!(
    ResetPasswordPayload,
    SubmitRecoveryApplicationPayload,
    FindLoginMethodsPayload,
    RequestPhoneReleasePayload,
);

#[Object]
impl RecoveryMutation {
    /// REC-01: sets a new password with a RESET_PASSWORD code (and an MFA code when the
    /// account has a device); every session and trusted device ends. Several accounts on
    /// one target: answered with `accountChoices`, the code unspent.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> async_graphql::Result<ResetPasswordPayload> {
        let request = PasswordReset {
            site: input.site.into(),
            channel: input.channel.into(),
            target: &input.target,
            code: &input.code,
            account_number: input.account_id.as_deref(),
            new_password: &input.new_password,
            mfa_code: input.mfa_code.as_deref(),
        };
        let app = context::app(ctx);
        let result =
            recovery::reset_password(app, context::meta(ctx), request, context::now(ctx)).await;
        respond(result, |outcome| {
            Ok(match outcome {
                ResetOutcome::Reset(account) => ResetPasswordPayload {
                    account: Some((*account).try_into()?),
                    ..Default::default()
                },
                ResetOutcome::Choose(accounts) => ResetPasswordPayload {
                    account_choices: Some(FoundAccount::list(accounts)?),
                    ..Default::default()
                },
            })
        })
    }

    /// REC-03: applies to get back into a verified account. The answer never says whether
    /// the account or the subject matched; an operator decides.
    async fn submit_recovery_application(
        &self,
        ctx: &Context<'_>,
        input: SubmitRecoveryApplicationInput,
    ) -> async_graphql::Result<SubmitRecoveryApplicationPayload> {
        let request = NewApplication {
            site: input.site.into(),
            account_number: &input.account_id,
            subject: SubjectInput {
                kind: None,
                name: &input.subject_name,
                identity_number: &input.identity_number,
                legal_person_name: input.legal_person_name.as_deref(),
            },
            changes: ApplicationChanges {
                new_login_email: input.new_login_email.as_deref(),
                new_login_email_code: input.new_login_email_code.as_deref(),
                new_secure_phone: input.new_secure_phone.as_deref(),
                new_secure_phone_code: input.new_secure_phone_code.as_deref(),
                remove_mfa_device: input.remove_mfa_device.unwrap_or(false),
            },
        };
        let app = context::app(ctx);
        let result = recovery::submit(app, context::meta(ctx), request, context::now(ctx)).await;
        respond(result, |submitted| {
            Ok(SubmitRecoveryApplicationPayload {
                user_errors: Vec::new(),
                application: Some(submitted.application.try_into()?),
                status_token: Some(submitted.status_token),
            })
        })
    }

    /// REC-04: every account of the site the identity verifies, masked, after a face check.
    async fn find_accounts_by_identity(
        &self,
        ctx: &Context<'_>,
        input: FindAccountsByIdentityInput,
    ) -> async_graphql::Result<FindAccountsPayload> {
        let lookup = IdentityLookup {
            site: input.site.into(),
            subject: SubjectInput {
                kind: Some(input.subject_kind.into()),
                name: &input.subject_name,
                identity_number: &input.identity_number,
                legal_person_name: input.legal_person_name.as_deref(),
            },
            face_check_token: &input.face_check_token,
        };
        let app = context::app(ctx);
        let result =
            recovery::find_accounts_by_identity(app, context::meta(ctx), lookup, context::now(ctx))
                .await;
        respond(result, |found| {
            Ok(FindAccountsPayload {
                user_errors: Vec::new(),
                accounts: Some(FoundAccount::list(found)?),
            })
        })
    }

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

    /// REC-06: whoever proves control of a number asks for its release from the accounts
    /// that hold it as their secure phone; each may keep it within the waiting period.
    async fn request_phone_release(
        &self,
        ctx: &Context<'_>,
        input: RequestPhoneReleaseInput,
    ) -> async_graphql::Result<RequestPhoneReleasePayload> {
        let request = PhoneRelease {
            site: input.site.into(),
            phone: &input.phone,
            code: &input.code,
        };
        let app = context::app(ctx);
        let result =
            recovery::request_release(app, context::meta(ctx), request, context::now(ctx)).await;
        respond(result, |requested| RequestPhoneReleasePayload {
            user_errors: Vec::new(),
            holders: Some(i32::try_from(requested.holders).unwrap_or(i32::MAX)),
            release_at: requested.release_at.map(Into::into),
        })
    }

    /// REC-06: keeps the secure phone whose release someone asked for.
    async fn keep_secure_phone(
        &self,
        ctx: &Context<'_>,
        input: KeepSecurePhoneInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = context::principal(ctx)?;
        let result = recovery::keep_secure_phone(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.code,
            context::now(ctx),
        )
        .await;
        respond(result, account_payload)
    }
}
