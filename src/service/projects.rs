//! Projects (PRJ-01..04): unique names per account, never deleted, only disabled and
//! enabled again; members are the account's sub-users and collaborators.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TryIntoModel,
};

use super::{
    AppContext, ErrorCode, Page, Principal, RequestMeta, ServiceError, ServiceResult,
    audit::{self, AuditEntry},
    members,
};
use crate::{
    db,
    domain::{
        member::{MemberKind, ProjectName, ProjectStatus},
        plain_text,
    },
};

use entity::projects::{ActiveModel, Column, Entity, Model};

const DESCRIPTION_MAX_CHARS: usize = 1000;

/// A project of the principal's account (others are "not found").
pub async fn owned(
    conn: &impl ConnectionTrait,
    account_id: i64,
    project_id: i64,
) -> ServiceResult<Model> {
    Entity::find_by_id(project_id)
        .filter(Column::AccountId.eq(account_id))
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(msg!("not-found-project")))
}

fn description(raw: Option<&str>) -> ServiceResult<Option<Option<String>>> {
    Ok(match raw {
        None => None,
        Some(raw) if raw.trim().is_empty() => Some(None),
        Some(raw) => Some(Some(plain_text("description", raw, DESCRIPTION_MAX_CHARS)?)),
    })
}

fn name_taken() -> ServiceError {
    ServiceError::refused_at(
        ErrorCode::NameTaken,
        "name",
        msg!("err-project-name-already-exists-names"),
    )
}

async fn ensure_name_free(
    txn: &DatabaseTransaction,
    account_id: i64,
    key: &str,
    except: Option<i64>,
) -> ServiceResult<()> {
    let mut query = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::NameKey.eq(key));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    if query.count(txn).await? > 0 {
        return Err(name_taken());
    }
    Ok(())
}

async fn save(txn: &DatabaseTransaction, row: ActiveModel) -> ServiceResult<Model> {
    match row.save(txn).await {
        Ok(saved) => Ok(saved.try_into_model()?),
        Err(err) if db::is_unique_violation(&err) => Err(name_taken()),
        Err(err) => Err(err.into()),
    }
}

async fn audit_project(
    txn: &DatabaseTransaction,
    principal: &Principal,
    meta: &RequestMeta,
    action: &'static str,
    project: &Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let entry = AuditEntry::by(principal, action).target(format!("Project:{}", project.id));
    audit::record(txn, entry, meta, now).await
}

/// PRJ-01: a new ENABLED project.
pub async fn create(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    raw_name: &str,
    raw_description: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let max = ctx.policies.for_site(principal.site).project_name_max_chars;
    let name = ProjectName::parse("name", raw_name, max)?;
    let description = description(raw_description)?.flatten();
    let txn = db::begin_write(&ctx.db).await?;
    let account = super::accounts::load(&txn, principal.account_id).await?;
    super::accounts::require_active(&account, msg!("err-cancelling-cannot-create-projects"))?;
    ensure_name_free(&txn, principal.account_id, &name.key(), None).await?;
    let project = save(
        &txn,
        ActiveModel {
            account_id: Set(principal.account_id),
            name: Set(name.as_str().to_owned()),
            name_key: Set(name.key()),
            description: Set(description),
            status: Set(ProjectStatus::Enabled.as_str().to_owned()),
            created_at: Set(now),
            disabled_at: Set(None),
            ..Default::default()
        },
    )
    .await?;
    audit_project(&txn, principal, meta, "project.create", &project, now).await?;
    txn.commit().await?;
    Ok(project)
}

/// PRJ-01: rename or describe (a disabled project too: PRJ-04 only stops new members).
pub async fn update(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    project_id: i64,
    raw_name: Option<&str>,
    raw_description: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let max = ctx.policies.for_site(principal.site).project_name_max_chars;
    let name = raw_name
        .map(|n| ProjectName::parse("name", n, max))
        .transpose()?;
    let description = description(raw_description)?;
    let txn = db::begin_write(&ctx.db).await?;
    let project = owned(&txn, principal.account_id, project_id).await?;
    let mut row: ActiveModel = project.clone().into();
    if let Some(name) = name {
        ensure_name_free(&txn, principal.account_id, &name.key(), Some(project.id)).await?;
        row.name = Set(name.as_str().to_owned());
        row.name_key = Set(name.key());
    }
    if let Some(description) = description {
        row.description = Set(description);
    }
    let project = save(&txn, row).await?;
    audit_project(&txn, principal, meta, "project.update", &project, now).await?;
    txn.commit().await?;
    Ok(project)
}

/// PRJ-02: disable or enable again; there is no delete.
pub async fn set_status(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    project_id: i64,
    status: ProjectStatus,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let txn = db::begin_write(&ctx.db).await?;
    let project = owned(&txn, principal.account_id, project_id).await?;
    let mut row: ActiveModel = project.into();
    row.status = Set(status.as_str().to_owned());
    row.disabled_at = Set(match status {
        ProjectStatus::Disabled => Some(now),
        ProjectStatus::Enabled => None,
    });
    let project = save(&txn, row).await?;
    let action = match status {
        ProjectStatus::Disabled => "project.disable",
        ProjectStatus::Enabled => "project.enable",
    };
    audit_project(&txn, principal, meta, action, &project, now).await?;
    txn.commit().await?;
    Ok(project)
}

/// SUB-07, PRJ-04: a sub-user or collaborator joins an ENABLED project (idempotent).
pub async fn add_member(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    project_id: i64,
    sub_user_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let txn = db::begin_write(&ctx.db).await?;
    let project = owned(&txn, principal.account_id, project_id).await?;
    let member = members::owned(&txn, principal.account_id, sub_user_id).await?;
    if project.status != ProjectStatus::Enabled.as_str() {
        return Err(ServiceError::refused(
            ErrorCode::ProjectDisabled,
            msg!("err-disabled-project-takes-no-new"),
        ));
    }
    if member.kind == MemberKind::MessageRecipient.as_str() {
        return Err(ServiceError::refused_at(
            ErrorCode::InvalidInput,
            "subUserId",
            msg!("err-message-recipients-cannot-join-projects"),
        ));
    }
    use entity::project_members as pm;
    let already = pm::Entity::find()
        .filter(pm::Column::ProjectId.eq(project.id))
        .filter(pm::Column::SubUserId.eq(member.id))
        .count(&txn)
        .await?
        > 0;
    if !already {
        let inserted = pm::ActiveModel {
            project_id: Set(project.id),
            sub_user_id: Set(member.id),
            added_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {
                audit_project(&txn, principal, meta, "project.add_member", &project, now).await?
            }
            // A parallel request added it first: adding is idempotent.
            Err(err) if db::is_unique_violation(&err) => return Ok(project),
            Err(err) => return Err(err.into()),
        }
    }
    txn.commit().await?;
    Ok(project)
}

/// PRJ-04: members may leave any project, disabled or not.
pub async fn remove_member(
    ctx: &AppContext,
    principal: &Principal,
    meta: &RequestMeta,
    project_id: i64,
    sub_user_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Model> {
    principal.require_root()?;
    let txn = db::begin_write(&ctx.db).await?;
    let project = owned(&txn, principal.account_id, project_id).await?;
    let member = members::owned(&txn, principal.account_id, sub_user_id).await?;
    use entity::project_members as pm;
    let removed = pm::Entity::delete_many()
        .filter(pm::Column::ProjectId.eq(project.id))
        .filter(pm::Column::SubUserId.eq(member.id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ServiceError::refused_at(
            ErrorCode::NotFound,
            "subUserId",
            msg!("err-sub-user-not-member-project"),
        ));
    }
    audit_project(
        &txn,
        principal,
        meta,
        "project.remove_member",
        &project,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(project)
}

/// PRJ-03: the account's projects in creation order, disabled ones only when asked.
pub async fn list(
    conn: &impl ConnectionTrait,
    account_id: i64,
    include_disabled: bool,
    after: Option<i64>,
    limit: u64,
    with_total: bool,
) -> ServiceResult<Page<Model>> {
    let mut query = Entity::find().filter(Column::AccountId.eq(account_id));
    if !include_disabled {
        query = query.filter(Column::Status.eq(ProjectStatus::Enabled.as_str()));
    }
    let keyset = super::paging::Keyset {
        id: Column::Id,
        order: super::paging::Order::OldestFirst,
        after,
        limit,
        total: super::paging::Total::counted_if(with_total),
    };
    super::paging::keyset_page_by_position::<_, super::rows::Positional<Model>>(conn, query, keyset)
        .await
}

/// PRJ-04: a project's members (readable when disabled too), in sub-user order.
pub async fn members_of(
    conn: &impl ConnectionTrait,
    project_id: i64,
    after: Option<i64>,
    limit: u64,
    with_total: bool,
) -> ServiceResult<Page<entity::sub_users::Model>> {
    use entity::{project_members as pm, sub_users as su};
    let member_ids = sea_orm::sea_query::Query::select()
        .column(pm::Column::SubUserId)
        .from(pm::Entity)
        .and_where(pm::Column::ProjectId.eq(project_id))
        .to_owned();
    let query = su::Entity::find().filter(su::Column::Id.in_subquery(member_ids));
    let keyset = super::paging::Keyset {
        id: su::Column::Id,
        order: super::paging::Order::OldestFirst,
        after,
        limit,
        total: super::paging::Total::counted_if(with_total),
    };
    super::paging::keyset_page_by_position::<_, super::rows::Positional<su::Model>>(
        conn, query, keyset,
    )
    .await
}
