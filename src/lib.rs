//! account-center: the GraphQL backend of a cloud provider's account center.
//! `build` assembles the same app the binary serves, so tests run the real thing.

// First, so that `msg!` is in scope in every module below.
#[macro_use]
pub mod i18n;

pub mod app;
pub mod config;
pub mod cors;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod live;
pub mod meters;
pub mod ports;
pub mod proxy;
pub mod reads;
pub mod service;
pub mod telemetry;

pub use app::{BuiltApp, build, serve, spawn_scheduler};
