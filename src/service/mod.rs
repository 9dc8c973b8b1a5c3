//! Use-cases, one module per area: each takes the context, the principal and `now`, runs
//! its transaction and returns a `ServiceResult`.

pub mod access_keys;
pub mod accounts;
pub mod audit;
pub mod cancellation;
pub mod codes;
pub mod collaboration;
pub mod devices;
pub mod error;
pub mod events;
pub mod finders;
pub mod hardware_tokens;
pub mod identifiers;
pub mod login_methods;
pub mod member_credentials;
pub mod members;
pub mod messages;
pub mod mfa;
pub mod mfa_devices;
pub mod notices;
pub mod ops_access;
pub mod paging;
pub mod projects;
pub mod rate_limit;
pub mod recovery;
pub mod registration;
pub mod reviews;
pub mod rows;
pub mod sandbox_time;
pub mod scheduler;
pub mod second_factor;
pub mod security;
pub mod sessions;
pub mod sign_in;
pub mod standing;
pub mod verification;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

pub use error::{ErrorCode, Refusal, ServiceError, ServiceResult, both};

use crate::{
    crypto::SecretKey,
    domain::{Policies, Site},
    ports::{Bank, Billing, Captcha, Clock, IdentityProvider, Notifier, RealNameProvider},
};

/// Everything a use-case may reach: the database, the ports and the site policies.
pub struct AppContext {
    pub db: DatabaseConnection,
    /// The pool query requests read through (`crate::reads`).
    pub reads: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<dyn Notifier>,
    pub captcha: Arc<dyn Captcha>,
    pub identity: Arc<dyn IdentityProvider>,
    pub real_name: Arc<dyn RealNameProvider>,
    pub bank: Arc<dyn Bank>,
    pub billing: Arc<dyn Billing>,
    pub policies: Policies,
    pub secret: SecretKey,
    /// Live events to this instance's subscribers (NTF-06).
    pub events: Arc<events::EventBus>,
    /// SQL statements run so far (see `db::StatementCounter`).
    pub statements: crate::db::StatementCounter,
}

/// Where a request came from, for login history, audit and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    /// The language `Accept-Language` asks for (zh* or en*), if any (issue 17).
    pub lang: Option<crate::i18n::Lang>,
}

/// The signed-in principal: a root account, or a sub-user acting in its root account.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: i64,
    /// The numeric account ID the console shows.
    pub account_number: String,
    pub site: Site,
    pub sub_user_id: Option<i64>,
    pub session_id: i64,
    pub session_expires_at: DateTime<Utc>,
    /// REC-02: this session may only change the password (and sign out).
    pub password_change_only: bool,
    /// COL-01: a collaborator acting in `account_id` as member `sub_user_id`: its own
    /// account, whose second factor it answers with (COL-02).
    pub collaborator_account_id: Option<i64>,
}

impl Principal {
    /// Root-only operations (SUB-08) refuse sub-users.
    pub fn require_root(&self) -> ServiceResult<()> {
        match self.sub_user_id {
            None => Ok(()),
            Some(_) => Err(ServiceError::Forbidden),
        }
    }

    /// The root account this principal signed in to itself: its own for a root, its own
    /// account for a switched-in collaborator; a sub-user has none (SUB-03).
    pub fn own_root_account(&self) -> Option<i64> {
        match (self.sub_user_id, self.collaborator_account_id) {
            (None, _) => Some(self.account_id),
            (Some(_), own) => own,
        }
    }

    /// The actor as the audit log shows it: the root's account ID, or the sub-user.
    pub fn actor(&self) -> String {
        actor(&self.account_number, self.sub_user_id)
    }

    /// The key of this principal's per-principal rows (lockout counters, MFA device).
    pub fn principal_key(&self) -> String {
        principal_key(self.account_id, self.sub_user_id)
    }
}

/// A principal as the audit log names it: the root's account ID, or one of its sub-users.
pub fn actor(account_number: &str, sub_user_id: Option<i64>) -> String {
    match sub_user_id {
        None => account_number.to_owned(),
        Some(id) => format!("sub-user {id} of {account_number}"),
    }
}

pub fn principal_key(account_id: i64, sub_user_id: Option<i64>) -> String {
    match sub_user_id {
        None => format!("account:{account_id}"),
        Some(id) => format!("{SUB_USER_PRINCIPAL}{id}"),
    }
}

const SUB_USER_PRINCIPAL: &str = "sub_user:";

/// The sub-user a principal key names: `principal_key`'s inverse, for exactly the keys it
/// writes (no sign, no leading zeros), read without building a key per candidate.
pub fn sub_user_of_principal_key(key: &str) -> Option<i64> {
    let digits = key.strip_prefix(SUB_USER_PRINCIPAL)?;
    let id: i64 = digits.parse().ok()?;
    (itoa::Buffer::new().format(id) == digits).then_some(id)
}

/// One page of a list, fetched by keyset, with the whole list's size.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{principal_key, sub_user_of_principal_key};

    proptest! {
        #[test]
        fn a_sub_users_principal_key_reads_back(account in any::<i64>(), id in any::<i64>()) {
            prop_assert_eq!(sub_user_of_principal_key(&principal_key(account, Some(id))), Some(id));
            prop_assert_eq!(sub_user_of_principal_key(&principal_key(account, None)), None);
        }
    }

    #[test]
    fn only_the_keys_principal_key_writes_name_a_sub_user() {
        for key in [
            "sub_user:+7",
            "sub_user:07",
            "sub_user:",
            "sub_user:7 ",
            "Sub_user:7",
            "account:7",
        ] {
            assert_eq!(sub_user_of_principal_key(key), None, "{key}");
        }
        assert_eq!(sub_user_of_principal_key("sub_user:-7"), Some(-7));
    }
}
