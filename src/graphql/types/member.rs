//! The `SubUser` type (SUB-01): a member of the root account, with its MFA device, access
//! keys and projects: loaded for a whole page at once (`prefetch`), else through
//! dataloaders.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::graphql::scalars::Timestamp;
use async_graphql::{
    Context, ID, Object, ScalarType, ServerError, Value, resolver_utils::enum_value,
};

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
        context,
        errors::top_level,
        flat::{self, FlatObject},
        loaders::{
            AccessKeysBySubUser, AccountById, Cached, MfaDeviceByPrincipal, ProjectsBySubUser,
            load_failed,
        },
        node::{NodeKind, encode},
    },
    service::{ServiceError, ServiceResult, finders, principal_key},
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
    /// Its relations, when its page loaded them (`prefetch`).
    related: Related,
}

/// A member's relations as its page loaded them; `None`: not loaded (not selected, or
/// not on a page), so the field asks its dataloader.
#[derive(Debug, Clone, Default)]
struct Related {
    mfa_device: Option<Option<MfaDevice>>,
    access_keys: Option<Result<Vec<AccessKey>, UnknownStoredValue>>,
    projects: Option<Result<Vec<Project>, UnknownStoredValue>>,
}

/// A page of members' relations, by member, for `Prefetched::member`.
#[derive(Debug, Default)]
pub struct Prefetched {
    mfa_devices: Option<FxHashMap<i64, MfaDevice>>,
    access_keys: Option<FxHashMap<i64, Vec<entity::access_keys::Model>>>,
    projects: Option<PageProjects>,
}

impl Prefetched {
    /// The page's member `row`, with its share of what was loaded.
    pub fn member(&mut self, row: entity::sub_users::Model) -> Result<SubUser, UnknownStoredValue> {
        let pk = row.id;
        let mut member = SubUser::try_from(row)?;
        member.related = Related {
            mfa_device: self.mfa_devices.as_mut().map(|found| found.remove(&pk)),
            access_keys: self
                .access_keys
                .as_mut()
                .map(|found| read_rows(found.remove(&pk).unwrap_or_default(), AccessKey::try_from)),
            projects: self.projects.as_mut().map(|found| found.of(pk)),
        };
        Ok(member)
    }
}

/// A page's projects, each read once and shared by the members in it.
#[derive(Debug)]
struct PageProjects {
    of_member: FxHashMap<i64, Vec<i64>>,
    projects: FxHashMap<i64, Result<Project, UnknownStoredValue>>,
}

impl PageProjects {
    fn new(memberships: finders::Memberships) -> Self {
        let mut of_member: FxHashMap<i64, Vec<i64>> = FxHashMap::default();
        for (member, project) in memberships.pairs {
            of_member.entry(member).or_default().push(project);
        }
        let projects = memberships
            .projects
            .into_iter()
            .map(|(id, row)| (id, Project::try_from(row)))
            .collect();
        Self {
            of_member,
            projects,
        }
    }

    /// The member's projects in project order; an unreadable one fails them all.
    fn of(&mut self, member: i64) -> Result<Vec<Project>, UnknownStoredValue> {
        let ids = self.of_member.remove(&member).unwrap_or_default();
        ids.iter()
            .filter_map(|id| self.projects.get(id).cloned())
            .collect()
    }
}

fn read_rows<M, T>(
    rows: Vec<M>,
    read: impl Fn(M) -> Result<T, UnknownStoredValue>,
) -> Result<Vec<T>, UnknownStoredValue> {
    rows.into_iter().map(read).collect()
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
            related: Related::default(),
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

    fn masked_email(&self) -> Option<String> {
        self.email.as_deref().map(masking::mask_email)
    }

    fn masked_phone(&self) -> Option<String> {
        self.phone.as_deref().map(masking::mask_phone)
    }

    fn categories(&self) -> impl ExactSizeIterator<Item = MessageCategory> + '_ {
        self.message_categories.iter().copied().map(Into::into)
    }

    /// The root account's objects hang off a member only for principals inside it.
    fn inside(&self) -> async_graphql::Result<()> {
        if self.seen_from_outside {
            return Err(top_level(ServiceError::Forbidden));
        }
        Ok(())
    }
}

/// Loads, in one statement per relation the query selects, what a page of members will
/// ask for, and hands it to the items (`Prefetched::member`): the page costs one statement
/// per relation however many rows it has, and its items resolve without a lookup each.
pub async fn prefetch(
    ctx: &Context<'_>,
    rows: &[entity::sub_users::Model],
) -> async_graphql::Result<Prefetched> {
    if rows.is_empty() {
        return Ok(Prefetched::default());
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let db = context::reads(ctx);
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mfa_devices = async {
        if !node.field("mfaDevice").exists() {
            return Ok(None);
        }
        let devices = finders::devices_of_sub_users(db, &ids).await?;
        Ok(Some(
            devices
                .into_iter()
                .map(|(member, device)| (member, MfaDevice::from_view(device)))
                .collect(),
        ))
    };
    let access_keys = async {
        if !node.field("accessKeys").exists() {
            return Ok(None);
        }
        finders::access_keys_by_owner(db, &ids).await.map(Some)
    };
    let projects = async {
        if !node.field("projects").exists() {
            return Ok(None);
        }
        let memberships = finders::memberships_of(db, &ids).await?;
        Ok(Some(PageProjects::new(memberships)))
    };
    let (mfa_devices, access_keys, projects): (
        ServiceResult<_>,
        ServiceResult<_>,
        ServiceResult<_>,
    ) = tokio::join!(mfa_devices, access_keys, projects);
    Ok(Prefetched {
        mfa_devices: mfa_devices.map_err(top_level)?,
        access_keys: access_keys.map_err(top_level)?,
        projects: projects.map_err(top_level)?,
    })
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
        self.masked_email()
    }

    /// Masked.
    async fn phone(&self) -> Option<String> {
        self.masked_phone()
    }

    async fn console_login(&self) -> bool {
        self.console_login
    }

    /// The categories of notice it receives (NTF-03).
    async fn message_categories(&self) -> Vec<MessageCategory> {
        self.categories().collect()
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

    // The relations a page loaded are lent, not copied (`Cow::Borrowed`).
    async fn mfa_device(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Cow<'_, MfaDevice>>> {
        self.inside()?;
        if let Some(device) = &self.related.mfa_device {
            return Ok(device.as_ref().map(Cow::Borrowed));
        }
        ctx.data_unchecked::<Cached<MfaDeviceByPrincipal>>()
            .load_one(principal_key(self.account_pk, Some(self.pk)))
            .await
            .map(|device| {
                device
                    .flatten()
                    .map(|d| Cow::Owned(MfaDevice::from_view(d)))
            })
            .map_err(load_failed)
    }

    async fn access_keys(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Cow<'_, Vec<AccessKey>>> {
        self.inside()?;
        if let Some(keys) = &self.related.access_keys {
            return keys
                .as_ref()
                .map(Cow::Borrowed)
                .map_err(|e| top_level((*e).into()));
        }
        let rows = ctx
            .data_unchecked::<Cached<AccessKeysBySubUser>>()
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        read_all(rows, AccessKey::try_from).map(Cow::Owned)
    }

    async fn projects(&self, ctx: &Context<'_>) -> async_graphql::Result<Cow<'_, Vec<Project>>> {
        self.inside()?;
        if let Some(projects) = &self.related.projects {
            return projects
                .as_ref()
                .map(Cow::Borrowed)
                .map_err(|e| top_level((*e).into()));
        }
        let rows = ctx
            .data_unchecked::<Cached<ProjectsBySubUser>>()
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        read_all(rows, Project::try_from).map(Cow::Owned)
    }
}

/// A page's member answers from what the page prefetched; a relation it did not, the
/// root's `account`, and anything asked from outside the root account go the usual way.
impl FlatObject for SubUser {
    fn flat_field(
        &self,
        name: &str,
        ctx: &Context<'_>,
        errors: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        let related = || (!self.seen_from_outside).then_some(&self.related);
        Some(Ok(match name {
            "id" => self.id.to_value(),
            "kind" => enum_value(SubUserKind::from(self.kind)),
            "name" => Value::from(&self.name),
            "remark" => Value::from(self.remark.as_deref()),
            "email" => Value::from(self.masked_email()),
            "phone" => Value::from(self.masked_phone()),
            "consoleLogin" => Value::Boolean(self.console_login),
            "messageCategories" => Value::List(self.categories().map(enum_value).collect()),
            "passwordChangeRequired" => Value::Boolean(self.password_change_required),
            "createdAt" => self.created_at.to_value(),
            "mfaDevice" => {
                let device = related()?.mfa_device.as_ref()?;
                flat::optional(ctx, device.as_ref(), errors)?
            }
            "accessKeys" => match related()?.access_keys.as_ref()? {
                Ok(keys) => flat::list(ctx, keys.iter(), errors)?,
                Err(e) => return Some(Err(top_level((*e).into()))),
            },
            "projects" => match related()?.projects.as_ref()? {
                Ok(projects) => flat::list(ctx, projects.iter(), errors)?,
                Err(e) => return Some(Err(top_level((*e).into()))),
            },
            _ => return None,
        }))
    }
}

/// Every row read back, or the field fails with an internal error.
fn read_all<M, T>(
    rows: Vec<M>,
    read: impl Fn(M) -> Result<T, UnknownStoredValue>,
) -> async_graphql::Result<Vec<T>> {
    read_rows(rows, read).map_err(|e| top_level(e.into()))
}
