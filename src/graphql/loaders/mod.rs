//! Dataloaders, one per relation, registered in one place (`register`).

pub mod login_methods;
pub mod verifications;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

pub use login_methods::LoginMethodsByAccount;
pub use verifications::{CurrentVerifications, CurrentVerificationsByAccount};

/// A loader's failure, shared by every key of the batch.
pub type LoadError = Arc<sea_orm::DbErr>;

/// Every loader of a request, each batching its relation's lookups into one query.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
) -> async_graphql::Request {
    request
        .data(DataLoader::new(
            LoginMethodsByAccount::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            CurrentVerificationsByAccount::new(db.clone()),
            tokio::spawn,
        ))
}
