//! Project management (PRJ-01..04): create, rename, disable and enable, members.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    domain::enums::UnknownStoredValue,
    domain::member::ProjectStatus,
    graphql::{
        context,
        errors::{UserError, payloads, respond},
        node::{NodeKind, expect},
        types::project::Project,
    },
    service::projects,
};

#[derive(Default)]
pub struct ProjectsMutation;

/// A new project (PRJ-01).
#[derive(InputObject)]
pub struct CreateProjectInput {
    pub name: String,
    pub description: Option<String>,
}

/// A new name or description; an empty description clears it.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    pub project_id: ID,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// The project to disable or enable.
#[derive(InputObject)]
pub struct ProjectIdInput {
    pub project_id: ID,
}

/// A project and a member of the account.
#[derive(InputObject)]
pub struct ProjectMemberInput {
    pub project_id: ID,
    pub sub_user_id: ID,
}

/// The project after a change.
#[derive(Default, SimpleObject)]
pub struct ProjectPayload {
    pub user_errors: Vec<UserError>,
    pub project: Option<Project>,
}

payloads!(ProjectPayload);

fn project_payload(project: entity::projects::Model) -> Result<ProjectPayload, UnknownStoredValue> {
    Ok(ProjectPayload {
        user_errors: Vec::new(),
        project: Some(project.try_into()?),
    })
}

fn project_id(id: &ID) -> async_graphql::Result<i64> {
    expect(id, NodeKind::Project, "projectId")
}

async fn set_status(
    ctx: &Context<'_>,
    input: ProjectIdInput,
    status: ProjectStatus,
) -> async_graphql::Result<ProjectPayload> {
    let principal = context::principal(ctx)?;
    let id = project_id(&input.project_id)?;
    let result = projects::set_status(
        context::app(ctx),
        principal,
        context::meta(ctx),
        id,
        status,
        context::now(ctx),
    )
    .await;
    respond(result, project_payload)
}

#[Object]
impl ProjectsMutation {
    /// Creates an ENABLED project; names are unique per account, ignoring case (PRJ-01).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let principal = context::principal(ctx)?;
        let result = projects::create(
            context::app(ctx),
            principal,
            context::meta(ctx),
            &input.name,
            input.description.as_deref(),
            context::now(ctx),
        )
        .await;
        respond(result, project_payload)
    }

    /// Renames or describes a project.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let principal = context::principal(ctx)?;
        let id = project_id(&input.project_id)?;
        let result = projects::update(
            context::app(ctx),
            principal,
            context::meta(ctx),
            id,
            input.name.as_deref(),
            input.description.as_deref(),
            context::now(ctx),
        )
        .await;
        respond(result, project_payload)
    }

    /// Disables a project: it stays readable, takes no new members (PRJ-02, PRJ-04).
    async fn disable_project(
        &self,
        ctx: &Context<'_>,
        input: ProjectIdInput,
    ) -> async_graphql::Result<ProjectPayload> {
        set_status(ctx, input, ProjectStatus::Disabled).await
    }

    /// Enables a disabled project again (PRJ-02).
    async fn enable_project(
        &self,
        ctx: &Context<'_>,
        input: ProjectIdInput,
    ) -> async_graphql::Result<ProjectPayload> {
        set_status(ctx, input, ProjectStatus::Enabled).await
    }

    /// Adds a sub-user or collaborator to an enabled project (SUB-07, PRJ-04).
    async fn add_project_member(
        &self,
        ctx: &Context<'_>,
        input: ProjectMemberInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let principal = context::principal(ctx)?;
        let project = project_id(&input.project_id)?;
        let member = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let result = projects::add_member(
            context::app(ctx),
            principal,
            context::meta(ctx),
            project,
            member,
            context::now(ctx),
        )
        .await;
        respond(result, project_payload)
    }

    /// Removes a member from a project.
    async fn remove_project_member(
        &self,
        ctx: &Context<'_>,
        input: ProjectMemberInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let principal = context::principal(ctx)?;
        let project = project_id(&input.project_id)?;
        let member = expect(&input.sub_user_id, NodeKind::SubUser, "subUserId")?;
        let result = projects::remove_member(
            context::app(ctx),
            principal,
            context::meta(ctx),
            project,
            member,
            context::now(ctx),
        )
        .await;
        respond(result, project_payload)
    }
}
