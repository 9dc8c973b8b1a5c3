//! Output types, built from models field by field so no secret can leak by a derive.

pub mod account;
pub mod enums;
pub mod events;
pub mod login_method;
pub mod session;
pub mod verification;
