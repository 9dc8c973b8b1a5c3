//! The console's mutation root, merged from one object per area.

pub mod account;
pub mod cancellation;
pub mod collaboration;
pub mod devices;
pub mod inputs;
pub mod member_credentials;
pub mod members;
pub mod messages;
pub mod mfa;
pub mod projects;
pub mod recovery;
pub mod sign_in;
pub mod verification;

use async_graphql::MergedObject;

/// Every console mutation: one `input`, a payload with `userErrors`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    sign_in::SignInMutation,
    account::AccountMutation,
    verification::VerificationMutation,
    members::MembersMutation,
    projects::ProjectsMutation,
    mfa::MfaMutation,
    cancellation::CancellationMutation,
    recovery::RecoveryMutation,
    member_credentials::MemberCredentialsMutation,
    messages::MessagesMutation,
    collaboration::CollaborationMutation,
    devices::DevicesMutation,
);
