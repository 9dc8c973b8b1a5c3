//! Dataloaders, one per relation, registered in one place (`register`).

pub mod login_methods;
pub mod members;
pub mod verifications;

use std::sync::Arc;

use crate::reads::Reads;
use async_graphql::dataloader::{DataLoader, HashMapCache};

pub use login_methods::LoginMethodsByAccount;
pub use members::{
    AccessKeysBySubUser, AccountById, MfaDeviceByPrincipal, ProjectsBySubUser, RootMfaDevice,
};
pub use verifications::{CurrentVerifications, CurrentVerificationsByAccount};

/// A loader's failure, shared by every key of the batch.
pub type LoadError = Arc<crate::service::ServiceError>;

/// What a failed load answers: an internal error (a database fault or an unreadable row).
pub fn load_failed(err: LoadError) -> async_graphql::Error {
    crate::graphql::errors::top_level(crate::service::ServiceError::Internal(err.to_string()))
}

/// What a request reads through (`context::reads`), and its loaders, each batching its
/// relation's lookups into one query and caching them for the request (so a list can
/// prefetch what its items will ask for).
pub fn register(request: async_graphql::Request, db: &Reads) -> async_graphql::Request {
    request
        .data(db.clone())
        .data(cached(LoginMethodsByAccount::new(db.clone())))
        .data(cached(CurrentVerificationsByAccount::new(db.clone())))
        .data(cached(MfaDeviceByPrincipal::new(db.clone())))
        .data(cached(RootMfaDevice::new(db.clone())))
        .data(cached(AccessKeysBySubUser::new(db.clone())))
        .data(cached(ProjectsBySubUser::new(db.clone())))
        .data(cached(AccountById::new(db.clone())))
}

/// A request's loader: batched, and cached for the request only.
pub type Cached<L> = DataLoader<L, HashMapCache>;

fn cached<L: async_graphql::dataloader::Loader<K>, K>(loader: L) -> Cached<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    // Batches run in tasks of their own; they still count as the request's statements.
    DataLoader::with_cache(
        loader,
        crate::meters::spawn_counted,
        HashMapCache::default(),
    )
}
