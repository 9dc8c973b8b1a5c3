//! sea-orm entities, one module per table (module name = table name).
//!
//! Relations are not declared: joins go through dataloaders in the service layer.

pub mod access_keys;
pub mod account_standings;
pub mod accounts;
pub mod audit_events;
pub mod cancellations;
pub mod deliveries;
pub mod enterprise_quotas;
pub mod hardware_tokens;
pub mod lockout_counters;
pub mod login_challenges;
pub mod login_events;
pub mod login_methods;
pub mod messages;
pub mod mfa_bindings;
pub mod mfa_devices;
pub mod mfa_recovery_codes;
pub mod outbox_messages;
pub mod project_members;
pub mod projects;
pub mod quota_locks;
pub mod rate_limit_buckets;
pub mod recovery_applications;
pub mod scheduled_job_runs;
pub mod server_settings;
pub mod sessions;
pub mod sub_users;
pub mod trusted_devices;
pub mod verification_codes;
pub mod verifications;

/// Every entity, named after its table in PascalCase.
pub mod prelude {
    pub use super::access_keys::Entity as AccessKeys;
    pub use super::account_standings::Entity as AccountStandings;
    pub use super::accounts::Entity as Accounts;
    pub use super::audit_events::Entity as AuditEvents;
    pub use super::cancellations::Entity as Cancellations;
    pub use super::deliveries::Entity as Deliveries;
    pub use super::enterprise_quotas::Entity as EnterpriseQuotas;
    pub use super::hardware_tokens::Entity as HardwareTokens;
    pub use super::lockout_counters::Entity as LockoutCounters;
    pub use super::login_challenges::Entity as LoginChallenges;
    pub use super::login_events::Entity as LoginEvents;
    pub use super::login_methods::Entity as LoginMethods;
    pub use super::messages::Entity as Messages;
    pub use super::mfa_bindings::Entity as MfaBindings;
    pub use super::mfa_devices::Entity as MfaDevices;
    pub use super::mfa_recovery_codes::Entity as MfaRecoveryCodes;
    pub use super::outbox_messages::Entity as OutboxMessages;
    pub use super::project_members::Entity as ProjectMembers;
    pub use super::projects::Entity as Projects;
    pub use super::quota_locks::Entity as QuotaLocks;
    pub use super::rate_limit_buckets::Entity as RateLimitBuckets;
    pub use super::recovery_applications::Entity as RecoveryApplications;
    pub use super::scheduled_job_runs::Entity as ScheduledJobRuns;
    pub use super::server_settings::Entity as ServerSettings;
    pub use super::sessions::Entity as Sessions;
    pub use super::sub_users::Entity as SubUsers;
    pub use super::trusted_devices::Entity as TrustedDevices;
    pub use super::verification_codes::Entity as VerificationCodes;
    pub use super::verifications::Entity as Verifications;
}
