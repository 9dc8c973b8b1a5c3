//! Who may use the ops API: the bearer token, compared in constant time, with wrong tokens
//! counted per client address in the database so that guessing is slowed on every instance.

use chrono::{DateTime, TimeDelta, Utc};

use super::{AppContext, ServiceError, rate_limit};
use crate::crypto;

/// Production refuses a shorter ops token at start, as it does a short secret key.
pub const MIN_TOKEN_CHARS: usize = 32;

/// Wrong tokens one client may present in a window; then even the right one waits.
const WRONG_TOKENS_PER_CLIENT: rate_limit::Limit = rate_limit::Limit {
    scope: "ops-wrong-token",
    max_hits: 10,
    window: TimeDelta::minutes(15),
};

/// Why an ops request is not let in.
#[derive(Debug)]
pub enum Denied {
    WrongToken,
    /// Too many wrong tokens from this client: try again after this many seconds.
    TooManyAttempts {
        retry_after_seconds: i64,
    },
    Unavailable(ServiceError),
}

/// Lets a request in when it presents the configured token and its client has not spent
/// its wrong tries.
pub async fn admit(
    ctx: &AppContext,
    client: Option<&str>,
    presented: &str,
    expected: &str,
    now: DateTime<Utc>,
) -> Result<(), Denied> {
    let client = client.unwrap_or("unknown");
    let limited = |err: ServiceError| match err {
        ServiceError::Refused(r) => Denied::TooManyAttempts {
            retry_after_seconds: r.retry_after_seconds.unwrap_or(1),
        },
        other => Denied::Unavailable(other),
    };
    rate_limit::ensure_room(&ctx.db, WRONG_TOKENS_PER_CLIENT, client, now)
        .await
        .map_err(limited)?;
    if crypto::constant_time_eq(presented, expected) {
        return Ok(());
    }
    match rate_limit::hit(&ctx.db, WRONG_TOKENS_PER_CLIENT, client, now).await {
        Err(ServiceError::Refused(_)) | Ok(()) => Err(Denied::WrongToken),
        Err(other) => Err(Denied::Unavailable(other)),
    }
}
