//! The `Account` type: the root account as the console's pages show it, personal data masked.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Object, SimpleObject};

use super::{
    cancellation::{Cancellation, CancellationReadiness},
    enums::{
        AccountStatus, Capability, FreezeReason, LoginMethodKind, Site, SubUserKind,
        VerificationStatus,
    },
    events::{AuditEvent, LoginEvent},
    login_method::LoginMethod,
    member::{self, SubUser},
    mfa_device::MfaDevice,
    project::Project,
    verification::Verification,
};
use crate::{
    domain::{self, FreezeReasons, Lifecycle, enums::UnknownStoredValue, masking, verification},
    graphql::{
        connection::{Conn, connection, page_complexity, page_request, wants_total},
        context,
        errors::top_level,
        flat::Flat,
        loaders::{
            Cached, CurrentVerifications, CurrentVerificationsByAccount, LoginMethodsByAccount,
            RootMfaDevice, load_failed,
        },
        node::{NodeKind, encode},
    },
    service::{self, audit, members::MemberFilter, paging::Total},
};

/// A root account. Built from the row field by field: the password hash never reaches it.
#[derive(Debug, Clone)]
pub struct Account {
    pk: i64,
    id: ID,
    account_number: String,
    app_id: String,
    site: domain::Site,
    nickname: Option<String>,
    lifecycle: Lifecycle,
    freeze_reasons: FreezeReasons,
    registered_at: Timestamp,
    registration_method: domain::LoginMethodKind,
    secure_phone: Option<String>,
    secure_phone_release_at: Option<Timestamp>,
    security_email: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    login_protection: bool,
    operation_protection: bool,
    /// Its sub-users, as the database counts them (`accounts.member_count`).
    member_count: u64,
}

impl TryFrom<entity::accounts::Model> for Account {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::accounts::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            pk: m.id,
            id: encode(NodeKind::Account, m.id),
            account_number: m.account_number,
            app_id: m.app_id,
            site: domain::Site::from_stored("accounts.site", &m.site)?,
            nickname: m.nickname,
            lifecycle: Lifecycle::from_stored("accounts.lifecycle", &m.lifecycle)?,
            freeze_reasons: FreezeReasons::from_stored(&m.freeze_reasons)?,
            registered_at: m.registered_at.into(),
            registration_method: domain::LoginMethodKind::from_stored(
                "accounts.registration_method",
                &m.registration_method,
            )?,
            secure_phone: m.secure_phone,
            secure_phone_release_at: m.secure_phone_release_at.map(Into::into),
            security_email: m.security_email,
            contact_phone: m.contact_phone,
            contact_email: m.contact_email,
            login_protection: m.login_protection,
            operation_protection: m.operation_protection,
            member_count: u64::try_from(m.member_count).map_err(|_| UnknownStoredValue {
                column: "accounts.member_count",
            })?,
        })
    }
}

impl Account {
    pub fn pk(&self) -> i64 {
        self.pk
    }

    pub fn home_site(&self) -> domain::Site {
        self.site
    }

    async fn current_verifications(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<CurrentVerifications> {
        let loader = ctx.data_unchecked::<Cached<CurrentVerificationsByAccount>>();
        Ok(loader
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default())
    }

    fn verification_type(
        &self,
        ctx: &Context<'_>,
        row: entity::verifications::Model,
    ) -> Result<Verification, UnknownStoredValue> {
        let policy = context::app(ctx).policies.for_site(self.site);
        Verification::new(row, policy.verification_change_interval)
    }

    fn verification_of(
        &self,
        ctx: &Context<'_>,
        row: Option<entity::verifications::Model>,
    ) -> async_graphql::Result<Option<Verification>> {
        row.map(|row| self.verification_type(ctx, row))
            .transpose()
            .map_err(|e| top_level(e.into()))
    }
}

/// VER-20: one capability and whether the account has it.
#[derive(Debug, Clone, SimpleObject)]
pub struct CapabilityGrant {
    pub capability: Capability,
    pub allowed: bool,
    /// Why it is denied, when it is.
    pub reason: Option<String>,
}

/// A root account of one site (ACC-01), with its information and security settings.
#[Object]
impl Account {
    pub async fn id(&self) -> &ID {
        &self.id
    }

    /// The numeric account ID shown in the console.
    async fn account_id(&self) -> &str {
        &self.account_number
    }

    async fn app_id(&self) -> &str {
        &self.app_id
    }

    async fn site(&self) -> Site {
        self.site.into()
    }

    async fn nickname(&self) -> Option<&str> {
        self.nickname.as_deref()
    }

    async fn status(&self) -> AccountStatus {
        domain::account_status(self.lifecycle, &self.freeze_reasons).into()
    }

    async fn freeze_reasons(&self) -> Vec<FreezeReason> {
        self.freeze_reasons.iter().map(Into::into).collect()
    }

    async fn registered_at(&self) -> Timestamp {
        self.registered_at
    }

    async fn registration_method(&self) -> LoginMethodKind {
        self.registration_method.into()
    }

    /// Masked: receives security messages (ACC-05).
    async fn secure_phone(&self) -> Option<String> {
        self.secure_phone.as_deref().map(masking::mask_phone)
    }

    /// When the secure phone is released unless kept with `keepSecurePhone` (REC-06):
    /// someone who now holds the number asked for it.
    async fn secure_phone_release_deadline(&self) -> Option<Timestamp> {
        self.secure_phone_release_at
    }

    /// Masked: receives security messages (ACC-06).
    async fn security_email(&self) -> Option<String> {
        self.security_email.as_deref().map(masking::mask_email)
    }

    /// Masked: receives notices (ACC-05).
    async fn contact_phone(&self) -> Option<String> {
        self.contact_phone.as_deref().map(masking::mask_phone)
    }

    /// Masked: receives product notices (ACC-06).
    async fn contact_email(&self) -> Option<String> {
        self.contact_email.as_deref().map(masking::mask_email)
    }

    async fn login_methods(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LoginMethod>> {
        let loader = ctx.data_unchecked::<Cached<LoginMethodsByAccount>>();
        let rows = loader
            .load_one(self.pk)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        rows.into_iter()
            .map(|row| LoginMethod::try_from(row).map_err(|e| top_level(e.into())))
            .collect()
    }

    /// VER-21: a sub-user sees its root's status.
    async fn verification_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<VerificationStatus> {
        let current = self.current_verifications(ctx).await?;
        Ok(verification::status(current.in_force.is_some(), current.pending.is_some()).into())
    }

    /// The verification in force (approved), if any.
    async fn verification(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Verification>> {
        let current = self.current_verifications(ctx).await?;
        self.verification_of(ctx, current.in_force)
    }

    /// The newest verification request still pending, if any.
    async fn pending_verification(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Verification>> {
        let current = self.current_verifications(ctx).await?;
        self.verification_of(ctx, current.pending)
    }

    /// Every request, newest first (VER-13).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn verification_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Verification>> {
        let request = page_request(first, after)?;
        let page = service::verification::history(
            context::reads(ctx),
            self.pk,
            request.after_key,
            request.limit,
        )
        .await
        .map_err(top_level)?;
        connection(
            page,
            request,
            |v| v.id,
            |row| self.verification_type(ctx, row),
        )
    }

    /// VER-20: what the account may do, each denial with its reason.
    async fn capabilities(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CapabilityGrant>> {
        let current = self.current_verifications(ctx).await?;
        let status = verification::status(current.in_force.is_some(), current.pending.is_some());
        Ok(
            verification::capabilities(status, self.lifecycle, &self.freeze_reasons)
                .into_iter()
                .map(|(capability, verdict)| CapabilityGrant {
                    capability: capability.into(),
                    allowed: verdict.is_ok(),
                    reason: verdict.err(),
                })
                .collect(),
        )
    }

    /// The root account's own MFA device (MFA-02).
    async fn mfa_device(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MfaDevice>> {
        ctx.data_unchecked::<Cached<RootMfaDevice>>()
            .load_one(service::principal_key(self.pk, None))
            .await
            .map(|device| device.flatten().map(MfaDevice::from_view))
            .map_err(load_failed)
    }

    /// Members in creation order (SUB-01), by keyset; `search` matches part of the name.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn sub_users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<SubUserKind>,
        search: Option<String>,
    ) -> async_graphql::Result<Flat<Conn<SubUser>>> {
        let request = page_request(first, after)?;
        let filter = MemberFilter {
            kind: kind.map(Into::into),
            search,
        };
        let total = match wants_total(ctx) {
            false => Total::Skipped,
            true if filter.is_empty() => Total::Known(self.member_count),
            true => Total::Counted,
        };
        let page = service::members::list(
            context::reads(ctx),
            self.pk,
            &filter,
            request.after_key,
            request.limit,
            total,
        )
        .await
        .map_err(top_level)?;
        let mut related = member::prefetch(ctx, &page.rows).await?;
        connection(page, request, |m| m.id, |m| related.member(m)).map(Flat)
    }

    /// Projects in creation order; disabled ones only when asked (PRJ-03).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "Some(false)")] include_disabled: Option<bool>,
    ) -> async_graphql::Result<Flat<Conn<Project>>> {
        let request = page_request(first, after)?;
        let page = service::projects::list(
            context::reads(ctx),
            self.pk,
            include_disabled.unwrap_or(false),
            request.after_key,
            request.limit,
            wants_total(ctx),
        )
        .await
        .map_err(top_level)?;
        connection(page, request, |p| p.id, Project::try_from).map(Flat)
    }

    /// The newest cancellation request: in cooling-off, withdrawn or completed (CAN-02).
    async fn cancellation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cancellation>> {
        let latest = service::cancellation::latest(context::reads(ctx), self.pk)
            .await
            .map_err(top_level)?;
        latest
            .map(Cancellation::try_from)
            .transpose()
            .map_err(|e| top_level(e.into()))
    }

    /// CAN-01 before asking: every precondition a cancellation request would fail on now.
    async fn cancellation_readiness(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<CancellationReadiness> {
        let blockers = service::cancellation::readiness(context::app(ctx), self.pk)
            .await
            .map_err(top_level)?;
        Ok(CancellationReadiness {
            ready: blockers.is_empty(),
            blockers: blockers.into_iter().map(Into::into).collect(),
        })
    }

    /// MFA-06: sign-in asks for a second factor.
    async fn login_protection(&self) -> bool {
        self.login_protection
    }

    /// MFA-07: sensitive operations ask for a second factor.
    async fn operation_protection(&self) -> bool {
        self.operation_protection
    }

    /// Every sign-in attempt, newest first (ACC-11).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn login_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<LoginEvent>> {
        let request = page_request(first, after)?;
        let page = audit::login_history(
            context::reads(ctx),
            self.pk,
            request.after_key,
            request.limit,
        )
        .await
        .map_err(top_level)?;
        connection(page, request, |e| e.id, LoginEvent::try_from)
    }

    /// Every state-changing operation, newest first (ACC-12).
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AuditEvent>> {
        let request = page_request(first, after)?;
        let page = audit::audit_log(
            context::reads(ctx),
            self.pk,
            request.after_key,
            request.limit,
        )
        .await
        .map_err(top_level)?;
        connection(page, request, |e| e.id, AuditEvent::try_from)
    }
}
