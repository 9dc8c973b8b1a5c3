//! Ops fields that exist only in sandbox mode: the outbox and the movable clock.

use crate::graphql::scalars::Timestamp;
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use crate::{
    graphql::errors::{bad_input, top_level},
    ports::{Clock, SandboxClock},
    service::{AppContext, finders},
};

#[derive(Default)]
pub struct SandboxQuery;

#[derive(Default)]
pub struct SandboxMutation;

/// A message the SMS/e-mail sandbox delivered.
#[derive(Debug, Clone, SimpleObject)]
pub struct OutboxMessage {
    pub channel: String,
    pub target: String,
    pub purpose: String,
    /// The verification code carried, if any.
    pub code: Option<String>,
    pub body: String,
    pub sent_at: Timestamp,
}

/// Most messages one outbox query returns.
const MAX_OUTBOX: i32 = 100;
/// The furthest one advanceClock call may move: ten years.
const MAX_ADVANCE_SECONDS: i32 = 10 * 366 * 24 * 3600;

/// Sandbox-only reads.
#[Object]
impl SandboxQuery {
    /// SANDBOX: the amount the sandbox bank paid for a CORPORATE_REMITTANCE verification (verification global ID).
    async fn remittance_amount(
        &self,
        ctx: &Context<'_>,
        verification_id: async_graphql::ID,
    ) -> async_graphql::Result<Option<String>> {
        let id = super::core::verification_pk(&verification_id)?;
        let app = ctx.data_unchecked::<Arc<AppContext>>();
        let cents = finders::remittance_amount_cents(&app.db, id)
            .await
            .map_err(top_level)?;
        Ok(cents.map(|cents| crate::domain::Money::from_cents(cents).to_string()))
    }

    /// SANDBOX: messages the SMS/e-mail sandbox delivered to a target, newest first.
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        target: String,
        #[graphql(default_with = "Some(10)")] last: Option<i32>,
    ) -> async_graphql::Result<Vec<OutboxMessage>> {
        let last = last.unwrap_or(10);
        if !(0..=MAX_OUTBOX).contains(&last) {
            return Err(bad_input(format!(
                "last must be between 0 and {MAX_OUTBOX}"
            )));
        }
        // Targets are stored normalised; accept what a tester types.
        let target = crate::domain::Phone::parse(&target)
            .map(|p| p.as_str().to_owned())
            .or_else(|_| crate::domain::Email::parse(&target).map(|e| e.as_str().to_owned()))
            .unwrap_or(target);
        let app = ctx.data_unchecked::<Arc<AppContext>>();
        let rows = finders::delivered_to(&app.db, &target, u64::try_from(last).unwrap_or(10))
            .await
            .map_err(top_level)?;
        Ok(rows
            .into_iter()
            .map(|m| OutboxMessage {
                channel: m.channel,
                target: m.target,
                purpose: m.purpose,
                code: m.code,
                body: m.body,
                sent_at: m.sent_at.into(),
            })
            .collect())
    }

    /// SANDBOX: the server's current time (moved by advanceClock).
    async fn now(&self, ctx: &Context<'_>) -> Timestamp {
        (ctx.data_unchecked::<Arc<SandboxClock>>().now()).into()
    }
}

/// Sandbox-only actions.
#[Object]
impl SandboxMutation {
    /// SANDBOX: move the server's clock forward.
    async fn advance_clock(
        &self,
        ctx: &Context<'_>,
        seconds: i32,
    ) -> async_graphql::Result<Timestamp> {
        if !(0..=MAX_ADVANCE_SECONDS).contains(&seconds) {
            return Err(bad_input(format!(
                "seconds must be between 0 and {MAX_ADVANCE_SECONDS}"
            )));
        }
        let clock = ctx.data_unchecked::<Arc<SandboxClock>>();
        let now = clock.advance(i64::from(seconds));
        let app = ctx.data_unchecked::<Arc<AppContext>>();
        crate::service::sandbox_time::store_offset(&app.db, clock.offset())
            .await
            .map_err(top_level)?;
        Ok(now.into())
    }
}
