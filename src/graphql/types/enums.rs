//! The contract's enums, mirrored from the domain's.

use async_graphql::Enum;

use crate::domain::{self, member, verification};

/// ACC-01: the site an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::Site", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Site {
    China,
    International,
}

/// ACC-09: the account's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::AccountStatus",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum AccountStatus {
    Active,
    Frozen,
    Cancelling,
    Cancelled,
}

/// ACC-09: why an account is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::FreezeReason", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum FreezeReason {
    Violation,
    VerificationFailed,
    OverduePayment,
    CancellationPending,
}

/// LOG-01: the ways to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::LoginMethodKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum LoginMethodKind {
    Email,
    Wechat,
    Qq,
    Wecom,
    WechatOfficialAccount,
}

/// Where a verification code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::CodeChannel", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CodeChannel {
    Sms,
    Email,
}

/// What a verification code is for; a code serves only its purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::CodePurpose", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CodePurpose {
    Register,
    BindPhone,
    BindEmail,
    FindAccount,
    LoginChallenge,
    Operation,
    /// REC-01: sent to a login e-mail, security e-mail or secure phone to reset the password.
    ResetPassword,
    /// REC-03: proves a new login e-mail or secure phone named in a recovery application.
    Recovery,
    /// REC-06: proves control of a number whose release is asked for.
    PhoneRelease,
}

/// NTF-02: what a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::MessageCategory",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum MessageCategory {
    Security,
    Verification,
    Account,
    Members,
    Cancellation,
}

/// Where a recovery application stands: waiting for the operator, approved (its changes
/// made), or rejected with a reason (REC-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::RecoveryApplicationState",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum RecoveryApplicationState {
    Pending,
    Approved,
    Rejected,
}

/// REC-03: what a recovery application asks to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::RecoveryChange",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum RecoveryChange {
    NewLoginEmail,
    NewSecurePhone,
    RemoveMfaDevice,
}

/// Who is verified: a person (INDIVIDUAL) or a company (ENTERPRISE) (VER-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    name = "VerificationSubjectKind",
    remote = "verification::SubjectKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum VerificationSubjectKind {
    Individual,
    Enterprise,
}

/// VER-02, VER-03: how a subject proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "verification::VerificationMethod",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum VerificationMethod {
    WechatScan,
    QqScan,
    FaceRecognition,
    IdDocument,
    WechatOfficialPlatform,
    LegalPersonWechatScan,
    LegalPersonFaceRecognition,
    Recharge,
    CorporateRemittance,
    BusinessDocument,
}

/// Where one verification request stands: submitted and waiting, approved, rejected,
/// withdrawn by the user, or expired unfinished (VER-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "verification::VerificationState",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum VerificationState {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Expired,
}

/// What a verification request does to the subject in force: the first verification, a
/// person becoming an enterprise, another person or subject, a new name, or a new legal
/// person (VER-15, VER-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    name = "VerificationChangeType",
    remote = "verification::ChangeType",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum VerificationChangeType {
    Initial,
    PersonalToEnterprise,
    ChangeIndividual,
    ChangeSubject,
    ChangeName,
    UpdateLegalPerson,
}

/// VER-05: where the subject comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "verification::Region", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Region {
    Mainland,
    HongKong,
    Macao,
    Taiwan,
    Overseas,
}

/// The account's real-name status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "verification::VerificationStatus",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum VerificationStatus {
    Unverified,
    Pending,
    Verified,
}

/// VER-20: what verification unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "verification::Capability",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum Capability {
    Purchase,
    UseMainlandResources,
    Invoice,
    OnlineContract,
    PublicBeta,
    Partner,
}

/// SUB-01: the kinds of member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    name = "SubUserKind",
    remote = "member::MemberKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum SubUserKind {
    SubUser,
    Collaborator,
    MessageRecipient,
}

/// Whether an access key can sign API calls: ACTIVE, or DISABLED until enabled again (SUB-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "member::AccessKeyStatus",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum AccessKeyStatus {
    Active,
    Disabled,
}

/// Whether a project takes new members and resources: ENABLED, or DISABLED (kept and
/// readable, never deleted) (PRJ-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "member::ProjectStatus",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum ProjectStatus {
    Enabled,
    Disabled,
}

/// MFA-01: an authenticator app or a hardware token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::MfaDeviceKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum MfaDeviceKind {
    Virtual,
    Hardware,
}

/// Where a cancellation request stands: in its cooling-off period, withdrawn by the owner,
/// or completed (the account cancelled) (CAN-02, CAN-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(
    remote = "domain::cancellation::CancellationState",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum CancellationState {
    CoolingOff,
    Withdrawn,
    Completed,
}
