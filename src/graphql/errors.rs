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
        if let async_graphql::Value::Enum(code) = async_graphql::resolver_utils::enum_value(r.code)
        {
            crate::meters::user_error(code.as_str());
        }
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

/// Every `extensions.code` a top-level error carries, in one place (README "Errors" lists
/// them with their HTTP status). A refused business rule is not among them: it is a
/// `userErrors` entry of the mutation's payload, with a `UserErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The HTTP request is malformed: not JSON, not one object, no `query` string, a bad
    /// query string.
    BadRequest,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// `Accept` names neither JSON media type.
    NotAcceptable,
    /// The body is larger than `--body-limit`.
    PayloadTooLarge,
    /// A POST body that is not `application/json`.
    UnsupportedMediaType,
    /// The request took longer than `--request-timeout-secs`.
    RequestTimeout,
    /// The document is not GraphQL.
    GraphqlParseFailed,
    /// The document (or its variables) does not validate against the schema, or exceeds a
    /// document limit (tokens, fields, depth, complexity, credential checks, introspection).
    GraphqlValidationFailed,
    /// An argument's value is refused (a malformed ID, a page size out of range).
    BadUserInput,
    /// The request needs a signed-in session (the ops API: the ops token).
    Unauthenticated,
    /// The principal may not do this.
    Forbidden,
    /// REC-02: the session may only change its password until it does.
    PasswordChangeRequired,
    /// Too many attempts (the ops API's wrong tokens); `Retry-After` says when to retry.
    RateLimited,
    /// The database could not be reached to check the session; retry shortly.
    ServiceUnavailable,
    /// Anything else; logged with the request ID, never detailed.
    Internal,
}

impl Code {
    pub const ALL: [Code; 15] = [
        Code::BadRequest,
        Code::MethodNotAllowed,
        Code::NotAcceptable,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::RequestTimeout,
        Code::GraphqlParseFailed,
        Code::GraphqlValidationFailed,
        Code::BadUserInput,
        Code::Unauthenticated,
        Code::Forbidden,
        Code::PasswordChangeRequired,
        Code::RateLimited,
        Code::ServiceUnavailable,
        Code::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "BAD_REQUEST",
            Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Code::NotAcceptable => "NOT_ACCEPTABLE",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Code::RequestTimeout => "REQUEST_TIMEOUT",
            Code::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::PasswordChangeRequired => "PASSWORD_CHANGE_REQUIRED",
            Code::RateLimited => "RATE_LIMITED",
            Code::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Code::Internal => "INTERNAL",
        }
    }

    /// The code of an error answered before any GraphQL ran, by its HTTP status.
    pub fn of_status(status: axum::http::StatusCode) -> Self {
        use axum::http::StatusCode as S;
        match status {
            S::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            S::NOT_ACCEPTABLE => Code::NotAcceptable,
            S::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            S::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            S::REQUEST_TIMEOUT => Code::RequestTimeout,
            S::UNAUTHORIZED => Code::Unauthenticated,
            S::TOO_MANY_REQUESTS => Code::RateLimited,
            S::SERVICE_UNAVAILABLE => Code::ServiceUnavailable,
            s if s.is_server_error() => Code::Internal,
            _ => Code::BadRequest,
        }
    }

    /// `error` with this code, unless it carries one already.
    pub fn set_on(self, mut error: async_graphql::ServerError) -> async_graphql::ServerError {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", self.as_str());
        }
        error
    }

    fn error(self, message: impl Into<String>) -> async_graphql::Error {
        async_graphql::Error::new(message).extend_with(|_, e| e.set("code", self.as_str()))
    }
}

/// The top-level error codes of the contract.
pub fn top_level(err: ServiceError) -> async_graphql::Error {
    match err {
        ServiceError::Unauthenticated => Code::Unauthenticated.error("sign in first"),
        ServiceError::Forbidden => Code::Forbidden.error("this principal may not do that"),
        ServiceError::BadInput(message) => Code::BadUserInput.error(message),
        // Top-level errors are for the client's developers (they branch on the code): English.
        ServiceError::Refused(r) => Code::BadUserInput.error(r.message.to_string()),
        ServiceError::Refusals(refusals) => Code::BadUserInput.error(
            refusals
                .into_iter()
                .map(|r| r.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ServiceError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            Code::Internal.error("internal error; it has been logged")
        }
    }
}

/// REC-02: the session may only change its password until it does.
pub fn password_change_required() -> async_graphql::Error {
    Code::PasswordChangeRequired.error("change your password first: the root account reset it")
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
        Err(ServiceError::Refusals(refusals)) => Ok(P::refused(
            refusals.into_iter().map(UserError::from).collect(),
        )),
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
