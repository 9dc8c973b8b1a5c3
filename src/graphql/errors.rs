//! How service errors reach the client: refusals as `userErrors` in the payload, the rest
//! as top-level errors with `extensions.code` and no internal detail.

use async_graphql::{Context, ErrorExtensions, Object};

use crate::{
    i18n::Message,
    service::{ErrorCode, Refusal, ServiceError, ServiceResult},
};

/// A business rule refused the request (the request was understood; the answer is no).
#[derive(Debug, Clone)]
pub struct UserError {
    pub code: ErrorCode,
    /// Path to the input field at fault, e.g. ["input", "password"].
    pub field: Option<Vec<String>>,
    /// Rendered in the request's language (`context::lang`).
    pub message: Message,
    /// With RATE_LIMITED: seconds until the same request may succeed.
    pub retry_after_seconds: Option<i32>,
}

/// A business rule refused the request (the request was understood; the answer is no).
#[Object]
impl UserError {
    async fn code(&self) -> ErrorCode {
        self.code
    }

    /// Path to the input field at fault, e.g. ["input", "password"].
    async fn field(&self) -> Option<&Vec<String>> {
        self.field.as_ref()
    }

    async fn message(&self, ctx: &Context<'_>) -> String {
        self.message.render(super::context::lang(ctx))
    }

    /// With RATE_LIMITED: seconds until the same request may succeed.
    async fn retry_after_seconds(&self) -> Option<i32> {
        self.retry_after_seconds
    }
}

impl From<Refusal> for UserError {
    fn from(r: Refusal) -> Self {
        Self {
            code: r.code,
            field: r.field,
            message: r.message,
            retry_after_seconds: r
                .retry_after_seconds
                .map(|s| i32::try_from(s).unwrap_or(i32::MAX)),
        }
    }
}

/// The top-level error codes of the contract.
pub fn top_level(err: ServiceError) -> async_graphql::Error {
    let (code, message) = match err {
        ServiceError::Unauthenticated => ("UNAUTHENTICATED", "sign in first".to_owned()),
        ServiceError::Forbidden => ("FORBIDDEN", "this principal may not do that".to_owned()),
        ServiceError::BadInput(message) => ("BAD_USER_INPUT", message),
        // Top-level errors are for the client's developers (they branch on the code): English.
        ServiceError::Refused(r) => ("BAD_USER_INPUT", r.message.to_string()),
        ServiceError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            ("INTERNAL", "internal error; it has been logged".to_owned())
        }
    };
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// REC-02: the session may only change its password until it does.
pub fn password_change_required() -> async_graphql::Error {
    async_graphql::Error::new("change your password first: the root account reset it")
        .extend_with(|_, e| e.set("code", "PASSWORD_CHANGE_REQUIRED"))
}

pub fn unauthenticated() -> async_graphql::Error {
    top_level(ServiceError::Unauthenticated)
}

pub fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    top_level(ServiceError::BadInput(message.into()))
}

/// A mutation payload: `userErrors` plus fields that stay null when refused.
pub trait Payload: Default {
    fn refused(errors: Vec<UserError>) -> Self;
}

/// Implements `Payload` for structs whose errors field is `user_errors`.
macro_rules! payloads {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::graphql::errors::Payload for $t {
            #[allow(clippy::needless_update)]
            fn refused(errors: Vec<$crate::graphql::errors::UserError>) -> Self {
                Self { user_errors: errors, ..Default::default() }
            }
        }
    )*};
}
pub(crate) use payloads;

/// Maps a use-case result to its payload: refusals become `userErrors`, other failures
/// top-level errors. `ok` builds the payload, and may fail when a stored row cannot be read.
pub fn respond<T, P: Payload, R: PayloadResult<P>>(
    result: ServiceResult<T>,
    ok: impl FnOnce(T) -> R,
) -> async_graphql::Result<P> {
    match result {
        Ok(value) => ok(value).into_result().map_err(top_level),
        Err(ServiceError::Refused(refusal)) => Ok(P::refused(vec![refusal.into()])),
        Err(other) => Err(top_level(other)),
    }
}

/// A payload, or the payload of rows read back fail-closed.
pub trait PayloadResult<P> {
    fn into_result(self) -> Result<P, ServiceError>;
}

impl<P: Payload> PayloadResult<P> for P {
    fn into_result(self) -> Result<P, ServiceError> {
        Ok(self)
    }
}

impl<P: Payload> PayloadResult<P> for Result<P, crate::domain::enums::UnknownStoredValue> {
    fn into_result(self) -> Result<P, ServiceError> {
        self.map_err(ServiceError::from)
    }
}
