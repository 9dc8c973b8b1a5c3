//! Reads for the console's pages, its dataloaders and its node lookups: batched by key and
//! scoped to the owner's root account, so the GraphQL layer never writes a query and a
//! query for another account's row cannot be written by accident.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef,
};

use std::{
    collections::{HashMap, hash_map::Entry},
    hash::BuildHasher,
};

use rustc_hash::FxHashMap;

use super::{
    ServiceError, ServiceResult,
    rows::{self, Positional, ReadRow, positional},
    sub_user_of_principal_key, verification,
};
use crate::domain::MfaDeviceKind;

/// An MFA device as the console shows it: the row, with the hardware serial joined in.
#[derive(Debug, Clone)]
pub struct DeviceView {
    pub id: i64,
    pub principal_key: String,
    pub kind: MfaDeviceKind,
    pub serial_number: Option<String>,
    pub bound_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct DeviceRow {
    id: i64,
    principal_key: String,
    kind: String,
    bound_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    serial_number: Option<String>,
}
// In `devices_where`'s selection order.
positional!(DeviceRow {
    id,
    principal_key,
    kind,
    bound_at,
    last_used_at,
    serial_number
});

impl TryFrom<DeviceRow> for DeviceView {
    type Error = ServiceError;

    fn try_from(r: DeviceRow) -> ServiceResult<Self> {
        Ok(Self {
            id: r.id,
            principal_key: r.principal_key,
            kind: MfaDeviceKind::from_stored("mfa_devices.kind", &r.kind)?,
            serial_number: r.serial_number,
            bound_at: r.bound_at,
            last_used_at: r.last_used_at,
        })
    }
}

fn hardware_token() -> RelationDef {
    use entity::{hardware_tokens as hw, mfa_devices as mfa};
    mfa::Entity::belongs_to(hw::Entity)
        .from(mfa::Column::HardwareTokenId)
        .to(hw::Column::Id)
        .into()
}

async fn devices_where(
    db: &impl ConnectionTrait,
    filter: sea_orm::Condition,
) -> ServiceResult<Vec<DeviceView>> {
    use entity::{hardware_tokens as hw, mfa_devices as mfa};
    let query = mfa::Entity::find()
        .select_only()
        .columns([
            mfa::Column::Id,
            mfa::Column::PrincipalKey,
            mfa::Column::Kind,
            mfa::Column::BoundAt,
            mfa::Column::LastUsedAt,
        ])
        .column_as(hw::Column::SerialNumber, "serial_number")
        .join(JoinType::LeftJoin, hardware_token())
        .filter(filter);
    rows::all::<DeviceRow>(db, &query)
        .await?
        .into_iter()
        .map(DeviceView::try_from)
        .collect()
}

/// The devices of these principals (`account:<id>` / `sub_user:<id>` keys), one statement.
pub async fn devices_of_principals(
    db: &impl ConnectionTrait,
    principal_keys: &[String],
) -> ServiceResult<Vec<DeviceView>> {
    let filter = sea_orm::Condition::all()
        .add(entity::mfa_devices::Column::PrincipalKey.is_in(principal_keys.iter().cloned()));
    devices_where(db, filter).await
}

/// The devices of these sub-users, one statement, each with the sub-user it shows on:
/// probed by the numeric `sub_user_id` index (it costs the database less than the keys'
/// text), matched back by principal key, so a device shows on the sub-user among these
/// whose principal it was bound to, or on none.
pub async fn devices_of_sub_users(
    db: &impl ConnectionTrait,
    sub_user_ids: &[i64],
) -> ServiceResult<Vec<(i64, DeviceView)>> {
    let filter = sea_orm::Condition::all()
        .add(entity::mfa_devices::Column::SubUserId.is_in(sub_user_ids.iter().copied()));
    let devices = devices_where(db, filter).await?;
    let mut listed = sub_user_ids.to_vec();
    listed.sort_unstable();
    Ok(devices
        .into_iter()
        .filter_map(|device| {
            let owner = sub_user_of_principal_key(&device.principal_key)
                .filter(|id| listed.binary_search(id).is_ok())?;
            Some((owner, device))
        })
        .collect())
}

/// The owner's devices among `ids`.
pub async fn owned_devices(
    db: &impl ConnectionTrait,
    owner: i64,
    ids: &[i64],
) -> ServiceResult<Vec<DeviceView>> {
    use entity::mfa_devices::Column;
    let filter = sea_orm::Condition::all()
        .add(Column::AccountId.eq(owner))
        .add(Column::Id.is_in(ids.iter().copied()));
    devices_where(db, filter).await
}

/// Login methods of these accounts, oldest first.
pub async fn login_methods_of(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
) -> ServiceResult<Vec<entity::login_methods::Model>> {
    use entity::login_methods::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::AccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// The verification in force and the pending request of these accounts.
pub async fn current_verifications_of(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
) -> ServiceResult<Vec<entity::verifications::Model>> {
    use entity::verifications::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::AccountId.is_in(account_ids.iter().copied()))
        .filter(verification::counted_condition())
        .all(db)
        .await?)
}

/// Access keys of these sub-users, oldest first.
async fn access_keys_of(
    db: &impl ConnectionTrait,
    sub_user_ids: &[i64],
) -> ServiceResult<Vec<entity::access_keys::Model>> {
    use entity::access_keys::{Column, Entity};
    // Sorted here, not by the database: its CPU is the one every instance shares.
    let query = Entity::find().filter(Column::SubUserId.is_in(sub_user_ids.iter().copied()));
    let mut keys: Vec<entity::access_keys::Model> = rows::all::<Positional<_>>(db, &query)
        .await?
        .into_iter()
        .map(|row| row.0)
        .collect();
    keys.sort_unstable_by_key(|key| key.id);
    Ok(keys)
}

/// Access keys of these sub-users, oldest first, by sub-user (every one present).
pub async fn access_keys_by_owner<S: BuildHasher + Default>(
    db: &impl ConnectionTrait,
    sub_user_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<entity::access_keys::Model>, S>> {
    let mut by_owner: HashMap<i64, Vec<_>, S> =
        sub_user_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in access_keys_of(db, sub_user_ids).await? {
        if let Some(owner) = row.sub_user_id {
            by_owner.entry(owner).or_default().push(row);
        }
    }
    Ok(by_owner)
}

/// The projects of these sub-users, in project order, by sub-user (every one present).
pub async fn projects_by_member(
    db: &impl ConnectionTrait,
    sub_user_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<entity::projects::Model>>> {
    let memberships = memberships_of(db, sub_user_ids).await?;
    let mut by_member: HashMap<i64, Vec<_>> =
        sub_user_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (member, project) in memberships.pairs {
        if let Some(project) = memberships.projects.get(&project) {
            by_member.entry(member).or_default().push(project.clone());
        }
    }
    Ok(by_member)
}

/// The projects some sub-users belong to: each project once, however many of them share it.
#[derive(Debug, Default)]
pub struct Memberships {
    /// (member, project ID), in project order.
    pub pairs: Vec<(i64, i64)>,
    pub projects: FxHashMap<i64, entity::projects::Model>,
}

/// Every project these sub-users belong to, in one statement.
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    sub_user_ids: &[i64],
) -> ServiceResult<Memberships> {
    use entity::{project_members as pm, projects as p};
    let project = pm::Entity::belongs_to(p::Entity)
        .from(pm::Column::ProjectId)
        .to(p::Column::Id)
        .into();
    // The member, then the project's columns in its model's order (`Positional`).
    let query = pm::Entity::find()
        .select_only()
        .column(pm::Column::SubUserId)
        .columns(<p::Column as sea_orm::Iterable>::iter())
        .join(JoinType::InnerJoin, project)
        .filter(pm::Column::SubUserId.is_in(sub_user_ids.iter().copied()));
    let rows = db
        .query_all_raw(sea_orm::QueryTrait::build(
            &query,
            db.get_database_backend(),
        ))
        .await?;
    // A page's members share a few projects: each is read from its first row only (that
    // read's checks covered every column).
    let mut memberships = Memberships {
        pairs: Vec::with_capacity(rows.len()),
        projects: FxHashMap::default(),
    };
    for (n, row) in rows.iter().enumerate() {
        let check = rows::Check::for_row(n);
        let member: i64 = rows::Column::read(row, 0, check)?;
        let id: i64 = rows::Column::read(row, 1, check)?;
        if let Entry::Vacant(slot) = memberships.projects.entry(id) {
            slot.insert(Positional::<p::Model>::read_row(row, 1, check)?.0);
        }
        memberships.pairs.push((member, id));
    }
    // In project order, sorted here rather than by the database (see `access_keys_of`).
    memberships.pairs.sort_by_key(|&(_, project)| project);
    Ok(memberships)
}

/// Root accounts by primary key (a member's `account`).
pub async fn accounts_by_id(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ServiceResult<Vec<entity::accounts::Model>> {
    use entity::accounts::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A table whose rows belong to one root account.
pub trait OwnedByAccount: EntityTrait {
    const ID: Self::Column;
    const ACCOUNT: Self::Column;
}

macro_rules! owned_by_account {
    ($($table:ident),+) => {$(
        impl OwnedByAccount for entity::$table::Entity {
            const ID: Self::Column = entity::$table::Column::Id;
            const ACCOUNT: Self::Column = entity::$table::Column::AccountId;
        }
    )+};
}

owned_by_account!(
    login_methods,
    login_events,
    audit_events,
    sub_users,
    access_keys,
    projects,
    cancellations,
    verifications,
    recovery_applications
);

/// The owner's rows among `ids`, in one statement; another account's IDs are not found.
pub async fn owned<E: OwnedByAccount>(
    db: &impl ConnectionTrait,
    owner: i64,
    ids: &[i64],
) -> ServiceResult<Vec<E::Model>> {
    Ok(E::find()
        .filter(E::ACCOUNT.eq(owner))
        .filter(E::ID.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// SANDBOX: the amount the sandbox bank paid for a remittance verification.
pub async fn remittance_amount_cents(
    db: &impl ConnectionTrait,
    verification_id: i64,
) -> ServiceResult<Option<i64>> {
    Ok(entity::verifications::Entity::find_by_id(verification_id)
        .one(db)
        .await?
        .and_then(|v| v.remittance_amount_cents))
}

/// SANDBOX: what the message sandbox delivered to `target` (normalised), newest first.
pub async fn delivered_to(
    db: &impl ConnectionTrait,
    target: &str,
    last: u64,
) -> ServiceResult<Vec<entity::outbox_messages::Model>> {
    use entity::outbox_messages::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Target.eq(target))
        .order_by_desc(Column::Id)
        .limit(last)
        .all(db)
        .await?)
}
