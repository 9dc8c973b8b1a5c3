//! Ops fields present in every mode.

use crate::graphql::scalars::Timestamp;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::{
    domain::{FreezeReason, Money},
    graphql::errors::{bad_input, top_level},
    ports::SandboxClock,
    service::{AppContext, RequestMeta, ServiceError, scheduler, standing, verification},
};

#[derive(Default)]
pub struct OpsQuery;

#[derive(Default)]
pub struct OpsMutation;

/// A verification waiting for an operator's decision.
#[derive(Debug, Clone, SimpleObject)]
pub struct PendingReview {
    pub verification_id: ID,
    pub account_id: String,
    pub method: String,
    pub submitted_at: Timestamp,
}

/// A notice whose delivery failed for good (NTF-04).
#[derive(Debug, Clone, SimpleObject)]
pub struct FailedDelivery {
    pub channel: String,
    /// Masked.
    pub target: String,
    pub purpose: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_attempt_at: Timestamp,
}

/// The outcome of an operator action.
#[derive(Debug, Clone, SimpleObject)]
pub struct OpsResult {
    pub ok: bool,
    pub message: Option<String>,
}

impl OpsResult {
    pub(super) fn done(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: Some(message.into()),
        }
    }
}

/// Freeze reasons an operator may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "OpsFreezeReason")]
pub enum OpsFreezeReason {
    #[graphql(name = "VIOLATION")]
    Violation,
    #[graphql(name = "OVERDUE_PAYMENT")]
    OverduePayment,
}

impl From<OpsFreezeReason> for FreezeReason {
    fn from(r: OpsFreezeReason) -> Self {
        match r {
            OpsFreezeReason::Violation => FreezeReason::Violation,
            OpsFreezeReason::OverduePayment => FreezeReason::OverduePayment,
        }
    }
}

/// The periodic registry check's finding (VER-19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "RecheckOutcome", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum RecheckOutcome {
    Ok,
    Deregistered,
    Mismatch,
}

impl From<RecheckOutcome> for verification::RecheckOutcome {
    fn from(o: RecheckOutcome) -> Self {
        match o {
            RecheckOutcome::Ok => Self::Ok,
            RecheckOutcome::Deregistered => Self::Deregistered,
            RecheckOutcome::Mismatch => Self::Mismatch,
        }
    }
}

/// The primary key inside a Verification global ID.
pub(super) fn verification_pk(id: &ID) -> async_graphql::Result<i64> {
    crate::graphql::node::expect(
        id,
        crate::graphql::node::NodeKind::Verification,
        "verificationId",
    )
}

/// What billing knows of an account.
#[derive(Debug, Clone, InputObject)]
pub struct AccountStandingInput {
    /// The numeric account ID.
    pub account_id: String,
    #[graphql(default_with = "Some(\"0\".to_owned())")]
    pub cash_balance: Option<String>,
    #[graphql(default_with = "Some(\"0\".to_owned())")]
    pub amount_owed: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub overdue_payment: Option<bool>,
    #[graphql(default_with = "Some(0)")]
    pub vouchers: Option<i32>,
    #[graphql(default_with = "Some(0)")]
    pub active_resources: Option<i32>,
    #[graphql(default_with = "Some(0)")]
    pub open_orders: Option<i32>,
    #[graphql(default_with = "Some(0)")]
    pub pending_complaints: Option<i32>,
}

pub(super) fn app<'a>(ctx: &Context<'a>) -> &'a Arc<AppContext> {
    ctx.data_unchecked::<Arc<AppContext>>()
}

pub(super) fn operator_meta() -> RequestMeta {
    RequestMeta {
        client_address: Some("ops".into()),
        user_agent: None,
        // What an operator does is told to the account in its site's language.
        lang: None,
    }
}

/// Ops answers refusals as `ok: false` with the reason; faults stay top-level.
pub(super) fn ops_result(
    result: Result<OpsResult, ServiceError>,
) -> async_graphql::Result<OpsResult> {
    match result {
        Ok(r) => Ok(r),
        Err(ServiceError::Refused(r)) => Ok(OpsResult {
            ok: false,
            // Operators read English.
            message: Some(r.message.to_string()),
        }),
        Err(other) => Err(top_level(other)),
    }
}

fn count(field: &str, value: Option<i32>) -> async_graphql::Result<i32> {
    match value.unwrap_or(0) {
        n if n < 0 => Err(bad_input(format!("{field} must not be negative"))),
        n => Ok(n),
    }
}

fn money(field: &'static str, value: Option<String>) -> async_graphql::Result<i64> {
    Money::parse(field, value.as_deref().unwrap_or("0"))
        .map(Money::cents)
        .map_err(|e| bad_input(e.to_string()))
}

async fn set_freeze(
    ctx: &Context<'_>,
    account_number: &str,
    reason: OpsFreezeReason,
    frozen: bool,
) -> async_graphql::Result<OpsResult> {
    let app = app(ctx);
    let now = app.clock.now();
    let result = standing::set_freeze(
        app,
        &operator_meta(),
        account_number,
        reason.into(),
        frozen,
        now,
    )
    .await;
    let message = match (frozen, result.as_ref().is_ok_and(|changed| *changed)) {
        (true, true) => "frozen",
        (true, false) => "already frozen for that reason",
        (false, true) => "unfrozen",
        (false, false) => "was not frozen for that reason",
    };
    ops_result(result.map(|_| OpsResult::done(message)))
}

/// The back office: reviews, billing standing, freezes and scheduled work.
#[Object]
impl OpsQuery {
    /// SQL statements this instance has run since it started (page-cost measurements).
    async fn sql_statements_executed(&self, ctx: &Context<'_>) -> String {
        app(ctx).statements.get().to_string()
    }

    /// Notices whose delivery failed for good (NTF-04), newest first.
    async fn failed_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<FailedDelivery>> {
        let limit = u64::try_from(first.unwrap_or(50).clamp(0, 500)).unwrap_or(50);
        let rows = crate::service::notices::failed(app(ctx), limit)
            .await
            .map_err(top_level)?;
        Ok(rows
            .into_iter()
            .map(|row| FailedDelivery {
                last_attempt_at: row.last_attempt_at.unwrap_or(row.created_at).into(),
                channel: row.channel,
                target: row.target,
                purpose: row.purpose,
                attempts: row.attempts,
                last_error: row.last_error,
            })
            .collect())
    }

    /// Accounts whose verification waits for a manual review, oldest first.
    async fn pending_reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<PendingReview>> {
        let limit = u64::try_from(first.unwrap_or(50).clamp(0, 500)).unwrap_or(50);
        let rows = crate::service::reviews::pending(&app(ctx).db, limit)
            .await
            .map_err(top_level)?;
        Ok(rows
            .into_iter()
            .map(|(verification, account_number)| PendingReview {
                verification_id: crate::graphql::node::encode_raw(&format!(
                    "Verification:{}",
                    verification.id
                )),
                account_id: account_number,
                method: verification.method,
                submitted_at: verification.submitted_at.into(),
            })
            .collect())
    }
}

/// Operator actions.
#[Object]
impl OpsMutation {
    /// What billing knows of an account: used by cancellation preconditions and the overdue
    /// rule. Sandbox mode only; production asks the billing service.
    async fn set_account_standing(
        &self,
        ctx: &Context<'_>,
        input: AccountStandingInput,
    ) -> async_graphql::Result<OpsResult> {
        // Outside the sandbox the billing service owns the standing; a local record
        // would be silently ignored, so it is refused instead.
        if ctx.data_opt::<Arc<SandboxClock>>().is_none() {
            return Ok(OpsResult {
                ok: false,
                message: Some("account standing is kept by the billing service".into()),
            });
        }
        let app = app(ctx);
        let record = standing::Standing {
            cash_balance_cents: money("cashBalance", input.cash_balance)?,
            amount_owed_cents: money("amountOwed", input.amount_owed)?,
            overdue_payment: input.overdue_payment.unwrap_or(false),
            vouchers: count("vouchers", input.vouchers)?,
            active_resources: count("activeResources", input.active_resources)?,
            open_orders: count("openOrders", input.open_orders)?,
            pending_complaints: count("pendingComplaints", input.pending_complaints)?,
        };
        let result = standing::set_standing(
            app,
            &operator_meta(),
            &input.account_id,
            record,
            app.clock.now(),
        )
        .await;
        ops_result(result.map(|()| OpsResult::done("standing recorded")))
    }

    /// Freezes an account for a reason (ACC-09): it can still sign in and read.
    async fn freeze_account(
        &self,
        ctx: &Context<'_>,
        account_id: String,
        reason: OpsFreezeReason,
    ) -> async_graphql::Result<OpsResult> {
        set_freeze(ctx, &account_id, reason, true).await
    }

    /// Lifts one freeze reason; the account is ACTIVE again when none is left.
    async fn unfreeze_account(
        &self,
        ctx: &Context<'_>,
        account_id: String,
        reason: OpsFreezeReason,
    ) -> async_graphql::Result<OpsResult> {
        set_freeze(ctx, &account_id, reason, false).await
    }

    /// Approve or reject a verification that waits for manual review (reason required to reject).
    async fn review_verification(
        &self,
        ctx: &Context<'_>,
        verification_id: ID,
        approve: bool,
        reason: Option<String>,
    ) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let id = verification_pk(&verification_id)?;
        let result = verification::review(
            app,
            &operator_meta(),
            id,
            approve,
            reason.as_deref(),
            app.clock.now(),
        )
        .await;
        ops_result(result.map(OpsResult::done))
    }

    /// The bank reports a RECHARGE payment from the enterprise (amount in yuan).
    async fn report_recharge_received(
        &self,
        ctx: &Context<'_>,
        verification_id: ID,
        amount: String,
    ) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let id = verification_pk(&verification_id)?;
        let result =
            verification::recharge_received(app, &operator_meta(), id, &amount, app.clock.now())
                .await;
        ops_result(result.map(OpsResult::done))
    }

    /// Raise or lower the verification quota of one enterprise (by credit code).
    async fn set_enterprise_quota(
        &self,
        ctx: &Context<'_>,
        credit_code: String,
        quota: i32,
    ) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let result =
            verification::set_enterprise_quota(app, &credit_code, quota, app.clock.now()).await;
        ops_result(result.map(OpsResult::done))
    }

    /// The periodic registry check for one enterprise (VER-19).
    async fn recheck_enterprise(
        &self,
        ctx: &Context<'_>,
        credit_code: String,
        outcome: RecheckOutcome,
    ) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let result = verification::recheck_enterprise(
            app,
            &operator_meta(),
            &credit_code,
            outcome.into(),
            app.clock.now(),
        )
        .await;
        ops_result(result.map(OpsResult::done))
    }

    /// A hardware MFA token the provider sold: its serial and its base32 TOTP secret.
    async fn register_hardware_token(
        &self,
        ctx: &Context<'_>,
        serial_number: String,
        secret: String,
    ) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let result = crate::service::hardware_tokens::register(
            &app.db,
            &app.secret,
            &serial_number,
            &secret,
            app.clock.now(),
        )
        .await;
        ops_result(result.map(OpsResult::done))
    }

    /// Run due scheduled work now (cancellations past cooling-off, expiries, phone
    /// releases).
    async fn run_scheduled_jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<OpsResult> {
        let app = app(ctx);
        let result = scheduler::run_due(app, app.clock.now()).await;
        ops_result(result.map(|report| OpsResult::done(report.to_string())))
    }
}
