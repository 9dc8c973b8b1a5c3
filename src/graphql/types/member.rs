//! The `SubUser` type (SUB-01): a member of the root account, with its MFA device, access
//! keys and projects through dataloaders.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Object};

use super::{
    access_key::AccessKey,
    account::Account,
    enums::{MessageCategory, SubUserKind},
    mfa_device::MfaDevice,
    project::Project,
};
use crate::{
    domain::{self, enums::UnknownStoredValue, masking, member},
    graphql::{
        errors::top_level,
        loaders::{
            AccessKeysBySubUser, AccountById, Cached, MfaDeviceByPrincipal, ProjectsBySubUser,
            load_failed,
        },
        node::{NodeKind, encode},
    },
    service::{ServiceError, principal_key},
};

/// A sub-user, collaborator or message recipient. The password hash never reaches it.
#[derive(Debug, Clone)]
pub struct SubUser {
    pk: i64,
    account_pk: i64,
    id: ID,
    kind: member::MemberKind,
    name: String,
    remark: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    console_login: bool,
    password_change_required: bool,
    message_categories: Vec<domain::MessageCategory>,
    created_at: Timestamp,
    /// Shown to its collaborator from the collaborator's own account (COL-01): the
    /// record itself, but nothing of the root account it belongs to.
    seen_from_outside: bool,
}

impl TryFrom<entity::sub_users::Model> for SubUser {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::sub_users::Model) -> Result<Self, Self::Error> {
        let message_categories = crate::service::messages::categories_of(&m)?;
        Ok(Self {
            pk: m.id,
            account_pk: m.account_id,
            id: encode(NodeKind::SubUser, m.id),
            kind: member::MemberKind::from_stored("sub_users.kind", &m.kind)?,
            name: m.name,
            remark: m.remark,
            email: m.email,
            phone: m.phone,
            console_login: m.console_login,
            password_change_required: m.password_change_required,
            message_categories,
            created_at: m.created_at.into(),
            seen_from_outside: false,
        })
    }
}

impl SubUser {
    /// The member record as its collaborator sees it from its own account (COL-01).
    pub fn seen_by_collaborator(self) -> Self {
        Self {
            seen_from_outside: true,
            ..self
        }
    }

    /// The root account's objects hang off a member only for principals inside it.
    fn inside(&self) -> async_graphql::Result<()> {
        if self.seen_from_outside {
            return Err(top_level(ServiceError::Forbidden));
        }
        Ok(())
    }
}

/// Loads, in one batch per relation, what a page of members will ask for (the items'
/// own `load_one` calls then hit the request cache): the page costs one statement per
/// relation however many rows it has.
pub async fn prefetch(
    ctx: &Context<'_>,
    rows: &[entity::sub_users::Model],
) -> async_graphql::Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let devices = async {
        if node.field("mfaDevice").exists() {
            let keys = rows.iter().map(|m| principal_key(m.account_id, Some(m.id)));
            ctx.data_unchecked::<Cached<MfaDeviceByPrincipal>>()
                .load_many(keys)
                .await
                .map(drop)
        } else {
            Ok(())
        }
    };
    let keys = async {
        if node.field("accessKeys").exists() {
            ctx.data_unchecked::<Cached<AccessKeysBySubUser>>()
                .load_many(ids.iter().copied())
                .await
                .map(drop)
        } else {
            Ok(())
        }
    };
    let projects = async {
        if node.field("projects").exists() {
            ctx.data_unchecked::<Cached<ProjectsBySubUser>>()
                .load_many(ids.iter().copied())
                .await
                .map(drop)
        } else {
            Ok(())
        }
    };
    let (devices, keys, projects) = tokio::join!(devices, keys, projects);
    devices.and(keys).and(projects).map_err(load_failed)
}

/// A member of the root account: a sub-user, a collaborator or a message recipient (SUB-01).
// `serial`: a page item's relations are prefetched for the whole page, so resolving its
// fields concurrently only cost allocations (+12% requests/s on the console page).
#[Object(serial)]
impl SubUser {
    pub async fn id(&self) -> &ID {
        &self.id
    }

    async fn kind(&self) -> SubUserKind {
        self.kind.into()
    }

    /// The sign-in user name (sub-users), the account ID (collaborators) or a display name.
    async fn name(&self) -> &str {
        &self.name
    }

    async fn remark(&self) -> Option<&str> {
        self.remark.as_deref()
    }

    /// Masked.
    async fn email(&self) -> Option<String> {
        self.email.as_deref().map(masking::mask_email)
    }

    /// Masked.
    async fn phone(&self) -> Option<String> {
        self.phone.as_deref().map(masking::mask_phone)
    }

    async fn console_login(&self) -> bool {
        self.console_login
    }

    /// The categories of notice it receives (NTF-03).
    async fn message_categories(&self) -> Vec<MessageCategory> {
        self.message_categories
            .iter()
            .copied()
            .map(Into::into)
            .collect()
    }

    /// Must change its password at the next sign-in (REC-02).
    async fn password_change_required(&self) -> bool {
        self.password_change_required
    }

    async fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The root account this member belongs to (SUB-03).
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Account> {
        self.inside()?;
        let row = ctx
            .data_unchecked::<Cached<AccountById>>()
            .load_one(self.account_pk)
            .await
            .map_err(load_failed)?
            .ok_or_else(|| top_level(ServiceError::not_found(msg!("not-found-account"))))?;
        Account::try_from(row).map_err(|e| top_level(e.into()))
    }

    async fn mfa_device(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MfaDevice>> {
        self.inside()?;
        ctx.data_unchecked::<Cached<MfaDeviceByPrincipal>>()
            .load_one(principal_key(self.account_pk, Some(self.pk)))
            .await
            .map(|device| device.flatten().map(MfaDevice::from_view))
            .map_err(load_failed)
    }

    async fn access_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AccessKey>> {
        self.inside()?;
        let rows = ctx
            .data_unchecked::<Cached<AccessKeysBySubUser>>()
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        read_all(rows, AccessKey::try_from)
    }

    async fn projects(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Project>> {
        self.inside()?;
        let rows = ctx
            .data_unchecked::<Cached<ProjectsBySubUser>>()
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        read_all(rows, Project::try_from)
    }
}

/// Every row read back, or the field fails with an internal error.
fn read_all<M, T>(
    rows: Vec<M>,
    read: impl Fn(M) -> Result<T, UnknownStoredValue>,
) -> async_graphql::Result<Vec<T>> {
    rows.into_iter()
        .map(|row| read(row).map_err(|e| top_level(e.into())))
        .collect()
}
