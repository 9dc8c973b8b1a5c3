//! The relations of the members page: principal → MFA device, sub-user → access keys,
//! sub-user → projects, and the root account by ID. One statement per batch each; the
//! loaders hand back rows and views, and the GraphQL types wrap them.

use std::collections::HashMap;

use crate::reads::Reads;
use async_graphql::dataloader::Loader;

use super::LoadError;
use crate::service::finders::{self, DeviceView};

/// MFA device by principal key (`account:<id>` or `sub_user:<id>`).
pub struct MfaDeviceByPrincipal {
    db: Reads,
}

impl MfaDeviceByPrincipal {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<String> for MfaDeviceByPrincipal {
    /// `None` is an answer too: it is cached, so a principal without a device costs nothing
    /// the second time.
    type Value = Option<DeviceView>;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let devices = finders::devices_of_principals(&self.db, keys).await?;
        let mut found: HashMap<String, Self::Value> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for device in devices {
            found.insert(device.principal_key.clone(), Some(device));
        }
        Ok(found)
    }
}

/// The root account's own device: the same lookup as `MfaDeviceByPrincipal`, in a batch of
/// its own, so the page's statement count does not depend on whether the account's and
/// its members' lookups happen to meet in one batch.
pub struct RootMfaDevice(MfaDeviceByPrincipal);

impl RootMfaDevice {
    pub fn new(db: Reads) -> Self {
        Self(MfaDeviceByPrincipal::new(db))
    }
}

impl Loader<String> for RootMfaDevice {
    type Value = Option<DeviceView>;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        self.0.load(keys).await
    }
}

/// A sub-user's access keys, oldest first.
pub struct AccessKeysBySubUser {
    db: Reads,
}

impl AccessKeysBySubUser {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<i64> for AccessKeysBySubUser {
    type Value = Vec<entity::access_keys::Model>;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(finders::access_keys_by_owner(&self.db, ids).await?)
    }
}

/// The projects a sub-user is a member of, in project order.
pub struct ProjectsBySubUser {
    db: Reads,
}

impl ProjectsBySubUser {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<i64> for ProjectsBySubUser {
    type Value = Vec<entity::projects::Model>;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(finders::projects_by_member(&self.db, ids).await?)
    }
}

/// Root accounts by primary key (a member's `account`).
pub struct AccountById {
    db: Reads,
}

impl AccountById {
    pub fn new(db: Reads) -> Self {
        Self { db }
    }
}

impl Loader<i64> for AccountById {
    type Value = entity::accounts::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = finders::accounts_by_id(&self.db, ids).await?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}
