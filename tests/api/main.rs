//! One integration test binary: every scenario runs the real app (real migrations, real
//! HTTP) on SQLite and, when TEST_DATABASE_URL is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests read the wall clock for unique database names and seed timestamps; the server
// under test never does (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod helpers;
mod identities;
#[path = "../../benches/seed/mod.rs"]
mod seed;

mod accounts;
mod browser;
mod cancellation;
mod collaborators;
mod console_page;
mod cors;
mod demo;
mod flat_nodes;
mod http;
mod i18n;
mod instances;
mod limits;
mod live;
mod members;
mod metrics;
mod mfa;
mod mfa_guesses;
mod notice_rules;
mod notices;
mod persisted;
mod process;
mod production;
mod projects_and_access;
mod rate_limits;
mod reads;
mod recovery;
mod recovery_phone_identity;
mod recovery_sub_users;
mod resilience;
mod review;
mod schema;
mod security;
mod sessions_devices;
mod sign_in;
mod spec;
mod verification;
mod verification_enterprise;
mod verification_individual;
