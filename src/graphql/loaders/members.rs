//! The relations of the members page: principal → MFA device, sub-user → access keys,
//! sub-user → projects, and the root account by ID. One statement per batch each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::LoadError;
use crate::graphql::types::{
    access_key::AccessKey, account::Account, mfa_device::MfaDevice, project::Project,
};

/// MFA device by principal key (`account:<id>` or `sub_user:<id>`), with the hardware
/// serial joined in.
pub struct MfaDeviceByPrincipal {
    db: DatabaseConnection,
}

#[derive(Debug, FromQueryResult)]
struct DeviceRow {
    id: i64,
    principal_key: String,
    kind: String,
    bound_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    serial_number: Option<String>,
}

impl MfaDeviceByPrincipal {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<String> for MfaDeviceByPrincipal {
    /// `None` is an answer too: it is cached, so a principal without a device costs nothing
    /// the second time.
    type Value = Option<MfaDevice>;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        use entity::{hardware_tokens as hw, mfa_devices as mfa};
        let token = mfa::Entity::belongs_to(hw::Entity)
            .from(mfa::Column::HardwareTokenId)
            .to(hw::Column::Id)
            .into();
        let rows = mfa::Entity::find()
            .select_only()
            .columns([
                mfa::Column::Id,
                mfa::Column::PrincipalKey,
                mfa::Column::Kind,
                mfa::Column::BoundAt,
                mfa::Column::LastUsedAt,
            ])
            .column_as(hw::Column::SerialNumber, "serial_number")
            .join(JoinType::LeftJoin, token)
            .filter(mfa::Column::PrincipalKey.is_in(keys.iter().cloned()))
            .into_model::<DeviceRow>()
            .all(&self.db)
            .await?;
        let mut found: HashMap<String, Self::Value> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for r in rows {
            let device =
                MfaDevice::from_parts(r.id, &r.kind, r.serial_number, r.bound_at, r.last_used_at);
            found.insert(r.principal_key, Some(device));
        }
        Ok(found)
    }
}

/// The root account's own device: the same lookup as `MfaDeviceByPrincipal`, in a batch of
/// its own, so the page's statement count does not depend on whether the account's and
/// its members' lookups happen to meet in one batch.
pub struct RootMfaDevice(MfaDeviceByPrincipal);

impl RootMfaDevice {
    pub fn new(db: DatabaseConnection) -> Self {
        Self(MfaDeviceByPrincipal::new(db))
    }
}

impl Loader<String> for RootMfaDevice {
    type Value = Option<MfaDevice>;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        self.0.load(keys).await
    }
}

/// A sub-user's access keys, oldest first.
pub struct AccessKeysBySubUser {
    db: DatabaseConnection,
}

impl AccessKeysBySubUser {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<i64> for AccessKeysBySubUser {
    type Value = Vec<AccessKey>;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use entity::access_keys::{Column, Entity};
        let rows = Entity::find()
            .filter(Column::SubUserId.is_in(ids.iter().copied()))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?;
        let mut by_owner: HashMap<i64, Vec<AccessKey>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            if let Some(owner) = row.sub_user_id {
                by_owner.entry(owner).or_default().push(row.into());
            }
        }
        Ok(by_owner)
    }
}

/// The projects a sub-user is a member of, in project order.
pub struct ProjectsBySubUser {
    db: DatabaseConnection,
}

impl ProjectsBySubUser {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[derive(Debug, FromQueryResult)]
struct MembershipRow {
    member_id: i64,
    id: i64,
    account_id: i64,
    name: String,
    name_key: String,
    description: Option<String>,
    status: String,
    created_at: chrono::DateTime<chrono::Utc>,
    disabled_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Loader<i64> for ProjectsBySubUser {
    type Value = Vec<Project>;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use entity::{project_members as pm, projects as p};
        let project = pm::Entity::belongs_to(p::Entity)
            .from(pm::Column::ProjectId)
            .to(p::Column::Id)
            .into();
        let rows = pm::Entity::find()
            .select_only()
            .column_as(pm::Column::SubUserId, "member_id")
            .columns([
                p::Column::Id,
                p::Column::AccountId,
                p::Column::Name,
                p::Column::NameKey,
                p::Column::Description,
                p::Column::Status,
                p::Column::CreatedAt,
                p::Column::DisabledAt,
            ])
            .join(JoinType::InnerJoin, project)
            .filter(pm::Column::SubUserId.is_in(ids.iter().copied()))
            .order_by_asc(p::Column::Id)
            .into_model::<MembershipRow>()
            .all(&self.db)
            .await?;
        let mut by_member: HashMap<i64, Vec<Project>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for r in rows {
            let model = entity::projects::Model {
                id: r.id,
                account_id: r.account_id,
                name: r.name,
                name_key: r.name_key,
                description: r.description,
                status: r.status,
                created_at: r.created_at,
                disabled_at: r.disabled_at,
            };
            by_member.entry(r.member_id).or_default().push(model.into());
        }
        Ok(by_member)
    }
}

/// Root accounts by primary key (a member's `account`).
pub struct AccountById {
    db: DatabaseConnection,
}

impl AccountById {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<i64> for AccountById {
    type Value = Account;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use entity::accounts::{Column, Entity};
        let rows = Entity::find()
            .filter(Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|a| (a.id, a.into())).collect())
    }
}
