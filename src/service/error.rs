//! The service layer's error: a refused business rule (a user error with a stable code)
//! or a request-level failure (unauthenticated, forbidden, malformed, internal).

use sea_orm::DbErr;

use crate::{domain::DomainError, i18n::Message};

/// Stable codes of refused business rules, as the contract's `UserErrorCode` names them.
/// It derives the GraphQL enum here so the code list exists exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "UserErrorCode", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    PasswordTooWeak,
    InvalidCredentials,
    CaptchaRequired,
    AccountLocked,
    AccountNotActive,
    InvalidCode,
    CodeExpired,
    RateLimited,
    IdentifierTaken,
    PhoneBindingLimit,
    LastLoginMethod,
    LoginMethodKindAlreadyBound,
    SecondFactorRequired,
    VerificationInProgress,
    AlreadyVerified,
    NotVerified,
    Underage,
    MethodNotAvailable,
    WrongSite,
    IdentityQuotaExceeded,
    ChangeTooSoon,
    ChangeNotSupported,
    OverduePayment,
    WrongAmount,
    AttemptsExhausted,
    VerificationExpired,
    NotPending,
    MemberLimit,
    NameTaken,
    ActiveAccessKeys,
    AccessKeyLimit,
    ProjectDisabled,
    MfaDeviceAlreadyBound,
    NoMfaDevice,
    CancellationPreconditions,
    NotCancelling,
    CodeAlreadyUsed,
    ApplicationPending,
    PasswordChangeRequired,
    NotACollaborator,
}

/// A business rule said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    /// The input field at fault, e.g. `["input", "password"]`.
    pub field: Option<Vec<String>>,
    /// Rendered in the reader's language where it reaches the client.
    pub message: Message,
    /// For RATE_LIMITED: seconds until a retry may succeed.
    pub retry_after_seconds: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// Several refusals at once: every invalid field of a form, in one answer.
    #[error("{}", .0.iter().map(|r| r.message.to_string()).collect::<Vec<_>>().join("; "))]
    Refusals(Vec<Refusal>),
    #[error("sign in first")]
    Unauthenticated,
    #[error("this principal may not do that")]
    Forbidden,
    #[error("{0}")]
    BadInput(String),
    /// Logged with the request ID, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Both results, or the refusals of both: a form answers every invalid field at once. A
/// failure that is not a refusal wins over refusals.
pub fn both<A, B>(a: ServiceResult<A>, b: ServiceResult<B>) -> ServiceResult<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => match (a.into_refusals(), b.into_refusals()) {
            (Ok(mut first), Ok(second)) => {
                first.extend(second);
                Err(ServiceError::Refusals(first))
            }
            (Err(other), _) | (_, Err(other)) => Err(other),
        },
    }
}

impl ServiceError {
    pub fn refused(code: ErrorCode, message: Message) -> Self {
        Self::Refused(Refusal {
            code,
            field: None,
            message,
            retry_after_seconds: None,
        })
    }

    /// A refusal blamed on `input.<field>`.
    pub fn refused_at(code: ErrorCode, field: &str, message: Message) -> Self {
        Self::Refused(Refusal {
            code,
            field: Some(vec!["input".to_owned(), field.to_owned()]),
            message,
            retry_after_seconds: None,
        })
    }

    /// The refusals this error holds, or the error itself when it is not a refusal.
    fn into_refusals(self) -> Result<Vec<Refusal>, Self> {
        match self {
            Self::Refused(r) => Ok(vec![r]),
            Self::Refusals(rs) => Ok(rs),
            other => Err(other),
        }
    }

    pub fn rate_limited(retry_after_seconds: i64) -> Self {
        Self::Refused(Refusal {
            code: ErrorCode::RateLimited,
            field: None,
            message: msg!("err-rate-limited", seconds = retry_after_seconds),
            retry_after_seconds: Some(retry_after_seconds.max(1)),
        })
    }

    /// NOT_FOUND with its message, e.g. `msg!("not-found-project")`.
    pub fn not_found(message: Message) -> Self {
        Self::refused(ErrorCode::NotFound, message)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.to_string())
    }
}

/// For row conversions that cannot fail, used where fallible ones are expected.
impl From<std::convert::Infallible> for ServiceError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<crate::domain::enums::UnknownStoredValue> for ServiceError {
    fn from(err: crate::domain::enums::UnknownStoredValue) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<DomainError> for ServiceError {
    fn from(err: DomainError) -> Self {
        Self::refused_at(ErrorCode::InvalidInput, err.field, err.message)
    }
}

impl From<crate::ports::PortError> for ServiceError {
    fn from(err: crate::ports::PortError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<crate::crypto::HashError> for ServiceError {
    fn from(err: crate::crypto::HashError) -> Self {
        Self::Internal(err.to_string())
    }
}
