//! Recovery (REC): a way back in for whoever lost something. Every entry point a stranger
//! can reach is limited per target and per client address, counted in the database.

mod applications;
mod identity;
mod login_methods;
mod phone_release;
mod reset_password;
mod review;
mod subject;

pub use applications::{
    ApplicationChanges, NewApplication, SubmittedApplication, application_by_token, changes_of,
    submit,
};
pub use identity::{IdentityLookup, find_accounts_by_identity};
pub use login_methods::{FindLoginMethods, FoundLoginMethod, find_login_methods};
pub use phone_release::{
    PhoneRelease, ReleaseRequested, keep_secure_phone, release_due, request as request_release,
};
pub use reset_password::{PasswordReset, ResetOutcome, reset_password};
pub use review::{PendingApplication, Review, pending_applications, review};
pub use subject::SubjectInput;

use chrono::{DateTime, Utc};

use super::{AppContext, RequestMeta, ServiceResult, rate_limit};
use crate::domain::Site;

/// Counts one recovery request of `scope` against its target (already a keyed hash or an
/// account ID, never a readable address) and against the client address.
pub(crate) async fn limit(
    ctx: &AppContext,
    meta: &RequestMeta,
    site: Site,
    scope: &'static str,
    target: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let policy = ctx.policies.for_site(site);
    let per_target = rate_limit::Limit {
        scope,
        max_hits: policy.recovery_per_target,
        window: policy.recovery_window,
    };
    rate_limit::hit(
        &ctx.db,
        per_target,
        &format!("{}:{target}", site.as_str()),
        now,
    )
    .await?;
    if let Some(client) = &meta.client_address {
        let per_client = rate_limit::Limit {
            scope: "recovery-per-client",
            max_hits: policy.recovery_per_client,
            window: policy.recovery_window,
        };
        rate_limit::hit(
            &ctx.db,
            per_client,
            &format!("{}:{client}", site.as_str()),
            now,
        )
        .await?;
    }
    Ok(())
}
