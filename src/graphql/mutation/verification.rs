//! Real-name verification mutations (VER-01..18): thin calls into `service::verification`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::inputs::{SecondFactorInput, factor};
use crate::{
    domain::enums::UnknownStoredValue,
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
        types::{
            account::Account,
            enums::{Region, VerificationChangeType, VerificationMethod},
            verification::Verification,
        },
    },
    service::verification::{self, EnterpriseForm, IndividualForm},
};

#[derive(Default)]
pub struct VerificationMutation;

/// An individual's real-name request (VER-02..05).
#[derive(InputObject)]
pub struct SubmitIndividualVerificationInput {
    pub method: VerificationMethod,
    pub region: Region,
    pub name: String,
    pub id_number: String,
    /// ISO date, yyyy-mm-dd.
    pub birth_date: String,
    pub second_factor: Option<SecondFactorInput>,
}

/// An enterprise's real-name request, or a change of an approved one (VER-06..17).
#[derive(InputObject)]
pub struct SubmitEnterpriseVerificationInput {
    pub method: VerificationMethod,
    pub region: Region,
    pub enterprise_name: String,
    pub credit_code: String,
    pub legal_person_name: String,
    pub legal_person_id_number: String,
    #[graphql(default_with = "Some(false)")]
    pub legal_person_foreign: Option<bool>,
    /// ISO date the business license was issued.
    pub license_issued_on: Option<String>,
    /// CORPORATE_REMITTANCE: the corporate bank account.
    pub bank_account: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Set for a change of an approved enterprise verification.
    pub change_type: Option<VerificationChangeType>,
    pub second_factor: Option<SecondFactorInput>,
}

/// The request and the account after it.
#[derive(Default, SimpleObject)]
pub struct VerificationPayload {
    pub user_errors: Vec<UserError>,
    pub verification: Option<Verification>,
    pub account: Option<Account>,
}

/// The amount the provider paid to the corporate account (VER-11).
#[derive(InputObject)]
pub struct ConfirmRemittanceInput {
    pub verification_id: ID,
    /// Yuan, e.g. "0.37".
    pub amount: String,
}

/// A pending request to withdraw.
#[derive(InputObject)]
pub struct WithdrawVerificationInput {
    pub verification_id: ID,
}

/// The full 18-character credit code for an incomplete enterprise verification (VER-17).
#[derive(InputObject)]
pub struct CompleteCreditCodeInput {
    pub credit_code: String,
}

/// The enterprise's contact person (VER-18); an empty string clears a field.
#[derive(InputObject)]
pub struct UpdateEnterpriseContactInput {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

payloads!(VerificationPayload);

fn payload(
    ctx: &Context<'_>,
) -> impl FnOnce(
    (entity::verifications::Model, entity::accounts::Model),
) -> Result<VerificationPayload, UnknownStoredValue> {
    let app = context::app(ctx).clone();
    move |(row, account)| {
        let account = Account::try_from(account)?;
        let interval = app
            .policies
            .for_site(account.home_site())
            .verification_change_interval;
        Ok(VerificationPayload {
            user_errors: Vec::new(),
            verification: Some(Verification::new(row, interval)?),
            account: Some(account),
        })
    }
}

#[Object]
impl VerificationMutation {
    /// Submits an individual verification; instant methods are decided at once (VER-02).
    async fn submit_individual_verification(
        &self,
        ctx: &Context<'_>,
        input: SubmitIndividualVerificationInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let form = IndividualForm {
            method: input.method.into(),
            region: input.region.into(),
            name: input.name,
            id_number: input.id_number,
            birth_date: input.birth_date,
            second_factor: factor(input.second_factor),
        };
        let result = verification::submit_individual(
            context::app(ctx),
            principal,
            context::meta(ctx),
            form,
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }

    /// Submits an enterprise verification, or a change of the one in force (VER-15, VER-16).
    async fn submit_enterprise_verification(
        &self,
        ctx: &Context<'_>,
        input: SubmitEnterpriseVerificationInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let form = EnterpriseForm {
            method: input.method.into(),
            region: input.region.into(),
            enterprise_name: input.enterprise_name,
            credit_code: input.credit_code,
            legal_person_name: input.legal_person_name,
            legal_person_id_number: input.legal_person_id_number,
            legal_person_foreign: input.legal_person_foreign.unwrap_or(false),
            license_issued_on: input.license_issued_on,
            bank_account: input.bank_account,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
            change_type: input.change_type.map(Into::into),
            second_factor: factor(input.second_factor),
        };
        let result = verification::submit_enterprise(
            context::app(ctx),
            principal,
            context::meta(ctx),
            form,
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }

    /// Enters the amount the provider paid (VER-11): two wrong amounts end the attempt.
    async fn confirm_remittance(
        &self,
        ctx: &Context<'_>,
        input: ConfirmRemittanceInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(
            &input.verification_id,
            NodeKind::Verification,
            "verificationId",
        )?;
        let result = verification::confirm_remittance(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            &input.amount,
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }

    /// Withdraws a pending request (VER-13); what was in force stays in force.
    async fn withdraw_verification(
        &self,
        ctx: &Context<'_>,
        input: WithdrawVerificationInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let id = expect(
            &input.verification_id,
            NodeKind::Verification,
            "verificationId",
        )?;
        let result = verification::withdraw(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }

    /// Completes an incomplete credit code of the enterprise verification (VER-17).
    async fn complete_credit_code(
        &self,
        ctx: &Context<'_>,
        input: CompleteCreditCodeInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let result = verification::complete_credit_code(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.credit_code,
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }

    /// Edits the enterprise contact person (VER-18); the identity number cannot change.
    async fn update_enterprise_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdateEnterpriseContactInput,
    ) -> async_graphql::Result<VerificationPayload> {
        let principal = context::principal(ctx)?;
        let result = verification::update_contact(
            context::app(ctx),
            principal,
            context::meta(ctx),
            input.contact_name.as_deref(),
            input.contact_phone.as_deref(),
            context::now(ctx),
        )
        .await;
        respond(result, payload(ctx))
    }
}
