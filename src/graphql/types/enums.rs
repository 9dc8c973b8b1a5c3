//! The contract's enums, mirrored from the domain's.

use async_graphql::Enum;

use crate::domain;

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
}
