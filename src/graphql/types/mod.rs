//! Output types, built from models field by field so no secret can leak by a derive.

pub mod access_key;
pub mod account;
pub mod cancellation;
pub mod device;
pub mod enums;
pub mod events;
pub mod login_method;
pub mod member;
pub mod message;
pub mod mfa_device;
pub mod project;
pub mod recovery;
pub mod session;
pub mod verification;
