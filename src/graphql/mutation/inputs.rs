//! Inputs shared by several mutations.

use async_graphql::InputObject;

use crate::{graphql::types::enums::CodeChannel, service::second_factor::SecondFactor};

/// A second factor for a protected operation (MFA-07): an MFA code, or a code sent for purpose OPERATION.
#[derive(Debug, Clone, InputObject)]
pub struct SecondFactorInput {
    pub mfa_code: Option<String>,
    pub channel: Option<CodeChannel>,
    pub code: Option<String>,
}

impl From<SecondFactorInput> for SecondFactor {
    fn from(i: SecondFactorInput) -> Self {
        Self {
            mfa_code: i.mfa_code,
            channel: i.channel.map(Into::into),
            code: i.code,
        }
    }
}

/// The optional factor as the service takes it.
pub fn factor(input: Option<SecondFactorInput>) -> Option<SecondFactor> {
    input.map(Into::into)
}
