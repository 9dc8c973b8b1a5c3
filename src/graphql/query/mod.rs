//! The console's query root: `node`, `nodes` and `viewer`.

use async_graphql::{Context, ID, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    context,
    errors::top_level,
    node::{Node, NodeKind, decode},
    types::{account::Account, mfa_device::MfaDevice, session::Viewer, verification::Verification},
};
use crate::service::{Principal, ServiceError, accounts, verification};

/// Most IDs one `nodes` call may ask for.
const MAX_NODES: usize = 100;

pub struct Query;

/// The console API: the signed-in principal's view of its root account.
#[Object]
impl Query {
    /// Any object the caller may see, by global ID; null for unknown or foreign IDs.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let Some(principal) = context::state(ctx).principal.as_ref() else {
            return Ok(None);
        };
        resolve(ctx, principal, &id).await.map_err(top_level)
    }

    /// Several objects by global ID, in order; null for those the caller may not see.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(super::errors::bad_input(format!(
                "at most {MAX_NODES} ids per call"
            )));
        }
        let Some(principal) = context::state(ctx).principal.as_ref() else {
            return Ok(ids.iter().map(|_| None).collect());
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(resolve(ctx, principal, id).await.map_err(top_level)?);
        }
        Ok(out)
    }

    /// The signed-in principal; null when not signed in.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        context::state(ctx).principal.clone().map(Viewer)
    }
}

/// Loads a node only within the principal's own root account (SUB-08).
async fn resolve(
    ctx: &Context<'_>,
    principal: &Principal,
    id: &ID,
) -> Result<Option<Node>, ServiceError> {
    let db = &context::app(ctx).db;
    let Some((kind, pk)) = decode(id) else {
        return Ok(None);
    };
    let owner = principal.account_id;
    Ok(match kind {
        NodeKind::Account if pk == owner => Some(Node::Account(Account::from(
            accounts::load(db, owner).await?,
        ))),
        NodeKind::Account | NodeKind::MfaBinding => None,
        NodeKind::LoginMethod => entity::login_methods::Entity::find_by_id(pk)
            .filter(entity::login_methods::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::LoginMethod(m.into())),
        NodeKind::LoginEvent => entity::login_events::Entity::find_by_id(pk)
            .filter(entity::login_events::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::LoginEvent(m.into())),
        NodeKind::AuditEvent => entity::audit_events::Entity::find_by_id(pk)
            .filter(entity::audit_events::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::AuditEvent(m.into())),
        NodeKind::SubUser => entity::sub_users::Entity::find_by_id(pk)
            .filter(entity::sub_users::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::SubUser(m.into())),
        NodeKind::AccessKey => entity::access_keys::Entity::find_by_id(pk)
            .filter(entity::access_keys::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::AccessKey(m.into())),
        NodeKind::Project => entity::projects::Entity::find_by_id(pk)
            .filter(entity::projects::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::Project(m.into())),
        NodeKind::MfaDevice => {
            let device = entity::mfa_devices::Entity::find_by_id(pk)
                .filter(entity::mfa_devices::Column::AccountId.eq(owner))
                .one(db)
                .await?;
            match device {
                Some(device) => {
                    let serial = match device.hardware_token_id {
                        Some(token) => entity::hardware_tokens::Entity::find_by_id(token)
                            .one(db)
                            .await?
                            .map(|t| t.serial_number),
                        None => None,
                    };
                    Some(Node::MfaDevice(MfaDevice::from_parts(
                        device.id,
                        &device.kind,
                        serial,
                        device.bound_at,
                        device.last_used_at,
                    )))
                }
                None => None,
            }
        }
        NodeKind::Cancellation => entity::cancellations::Entity::find_by_id(pk)
            .filter(entity::cancellations::Column::AccountId.eq(owner))
            .one(db)
            .await?
            .map(|m| Node::Cancellation(m.into())),
        NodeKind::Verification => {
            let interval = context::app(ctx)
                .policies
                .for_site(principal.site)
                .verification_change_interval;
            verification::owned(db, owner, pk)
                .await?
                .map(|m| Node::Verification(Verification::new(m, interval)))
        }
    })
}
