//! The console's query root: `node`, `nodes` and `viewer`.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object};

use super::{
    context,
    errors::top_level,
    node::{Node, NodeKind, decode},
    types::{
        access_key::AccessKey,
        account::Account,
        cancellation::Cancellation,
        device::{Session, TrustedDevice},
        events::{AuditEvent, LoginEvent},
        login_method::LoginMethod,
        member::SubUser,
        message::Message,
        mfa_device::MfaDevice,
        project::Project,
        recovery::RecoveryApplication,
        session::Viewer,
        verification::Verification,
    },
};
use crate::service::{
    Principal, ServiceError, ServiceResult, accounts,
    finders::{self, OwnedByAccount},
};

/// Most IDs one `nodes` call may ask for.
const MAX_NODES: usize = 100;

pub struct Query;

/// The console API: the signed-in principal's view of its root account.
#[Object]
impl Query {
    /// Any object the caller may see, by global ID; null for unknown or foreign IDs.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let Some(principal) = context::principal_opt(ctx)? else {
            return Ok(None);
        };
        let mut found = resolve(ctx, principal, std::slice::from_ref(&id))
            .await
            .map_err(top_level)?;
        Ok(found.pop().flatten())
    }

    /// Several objects by global ID, in order; null for those the caller may not see. One
    /// statement per kind of object asked for, however many IDs.
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
        let Some(principal) = context::principal_opt(ctx)? else {
            return Ok(ids.iter().map(|_| None).collect());
        };
        resolve(ctx, principal, &ids).await.map_err(top_level)
    }

    /// A recovery application, read with the status token returned at submission (REC-03).
    async fn recovery_application(
        &self,
        ctx: &Context<'_>,
        status_token: String,
    ) -> async_graphql::Result<Option<RecoveryApplication>> {
        let found =
            crate::service::recovery::application_by_token(context::app(ctx), &status_token)
                .await
                .map_err(top_level)?;
        found
            .map(|row| read::<_, RecoveryApplication>(row).map_err(top_level))
            .transpose()
    }

    /// The signed-in principal; null when not signed in.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Viewer>> {
        Ok(context::principal_opt(ctx)?.cloned().map(Viewer))
    }
}

/// Resolves IDs within the principal's own root account only (SUB-08), one batch per kind.
async fn resolve(
    ctx: &Context<'_>,
    principal: &Principal,
    ids: &[ID],
) -> ServiceResult<Vec<Option<Node>>> {
    let decoded: Vec<Option<(NodeKind, i64)>> = ids.iter().map(|id| decode(id)).collect();
    let mut wanted: HashMap<NodeKind, Vec<i64>> = HashMap::new();
    for (kind, pk) in decoded.iter().flatten() {
        wanted.entry(*kind).or_default().push(*pk);
    }
    let mut found: HashMap<(NodeKind, i64), Node> = HashMap::new();
    for (kind, pks) in wanted {
        for (pk, node) in load_kind(ctx, principal, kind, &pks).await? {
            found.insert((kind, pk), node);
        }
    }
    Ok(decoded
        .into_iter()
        .map(|key| key.and_then(|key| found.get(&key).cloned()))
        .collect())
}

/// The owner's rows of one table among `pks`, each wrapped in its node type.
async fn owned_nodes<E, T>(
    ctx: &Context<'_>,
    owner: i64,
    pks: &[i64],
    id_of: impl Fn(&E::Model) -> i64,
    wrap: impl Fn(E::Model) -> Result<T, ServiceError>,
    node: impl Fn(T) -> Node,
) -> ServiceResult<Vec<(i64, Node)>>
where
    E: OwnedByAccount,
{
    finders::owned::<E>(context::reads(ctx), owner, pks)
        .await?
        .into_iter()
        .map(|row| {
            let pk = id_of(&row);
            wrap(row).map(|t| (pk, node(t)))
        })
        .collect()
}

fn read<M, T: TryFrom<M>>(row: M) -> Result<T, ServiceError>
where
    ServiceError: From<T::Error>,
{
    T::try_from(row).map_err(ServiceError::from)
}

async fn load_kind(
    ctx: &Context<'_>,
    principal: &Principal,
    kind: NodeKind,
    pks: &[i64],
) -> ServiceResult<Vec<(i64, Node)>> {
    use entity::{
        access_keys, audit_events, cancellations, login_events, login_methods, projects,
        recovery_applications, sub_users, verifications,
    };
    let owner = principal.account_id;
    match kind {
        NodeKind::Account if pks.contains(&owner) => {
            let row = accounts::load(context::reads(ctx), owner).await?;
            Ok(vec![(owner, Node::Account(read::<_, Account>(row)?))])
        }
        NodeKind::Account | NodeKind::MfaBinding => Ok(Vec::new()),
        NodeKind::LoginMethod => {
            owned_nodes::<login_methods::Entity, LoginMethod>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::LoginMethod,
            )
            .await
        }
        NodeKind::LoginEvent => {
            owned_nodes::<login_events::Entity, LoginEvent>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::LoginEvent,
            )
            .await
        }
        NodeKind::AuditEvent => {
            owned_nodes::<audit_events::Entity, AuditEvent>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::AuditEvent,
            )
            .await
        }
        NodeKind::SubUser => {
            owned_nodes::<sub_users::Entity, SubUser>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::SubUser,
            )
            .await
        }
        NodeKind::AccessKey => {
            owned_nodes::<access_keys::Entity, AccessKey>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::AccessKey,
            )
            .await
        }
        NodeKind::Project => {
            owned_nodes::<projects::Entity, Project>(ctx, owner, pks, |m| m.id, read, Node::Project)
                .await
        }
        NodeKind::Cancellation => {
            owned_nodes::<cancellations::Entity, Cancellation>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::Cancellation,
            )
            .await
        }
        NodeKind::Verification => {
            let interval = context::app(ctx)
                .policies
                .for_site(principal.site)
                .verification_change_interval;
            let wrap = |row| Verification::new(row, interval).map_err(ServiceError::from);
            owned_nodes::<verifications::Entity, Verification>(
                ctx,
                owner,
                pks,
                |m| m.id,
                wrap,
                Node::Verification,
            )
            .await
        }
        NodeKind::RecoveryApplication => {
            owned_nodes::<recovery_applications::Entity, RecoveryApplication>(
                ctx,
                owner,
                pks,
                |m| m.id,
                read,
                Node::RecoveryApplication,
            )
            .await
        }
        NodeKind::Message => {
            let rows = crate::service::messages::owned(context::reads(ctx), principal, pks).await?;
            rows.into_iter()
                .map(|row| Ok((row.id, Node::Message(read::<_, Message>(row)?))))
                .collect()
        }
        NodeKind::Session => {
            let now = context::now(ctx);
            let db = context::reads(ctx);
            let rows = crate::service::devices::owned_sessions(db, principal, pks, now).await?;
            let current = principal.session_id;
            Ok(rows
                .into_iter()
                .map(|row| (row.id, Node::Session(Session::new(row, current))))
                .collect())
        }
        NodeKind::TrustedDevice => {
            let now = context::now(ctx);
            let db = context::reads(ctx);
            let rows = crate::service::devices::owned_devices(db, principal, pks, now).await?;
            Ok(rows
                .into_iter()
                .map(|row| (row.id, Node::TrustedDevice(TrustedDevice::from(row))))
                .collect())
        }
        NodeKind::MfaDevice => Ok(finders::owned_devices(context::reads(ctx), owner, pks)
            .await?
            .into_iter()
            .map(|device| (device.id, Node::MfaDevice(MfaDevice::from_view(device))))
            .collect()),
    }
}
