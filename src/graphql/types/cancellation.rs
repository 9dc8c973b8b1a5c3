//! The `Cancellation` type (CAN-02) and the pre-flight list of what blocks one (CAN-01).

use crate::graphql::scalars::Timestamp;
use async_graphql::{ComplexObject, Context, ID, SimpleObject};

use super::enums::CancellationState;
use crate::{
    domain::{
        cancellation::{self, Blocker},
        enums::UnknownStoredValue,
    },
    graphql::node::{NodeKind, encode},
};

/// A cancellation request and its cooling-off period.
#[derive(Debug, Clone, SimpleObject)]
pub struct Cancellation {
    pub id: ID,
    pub state: CancellationState,
    pub requested_at: Timestamp,
    pub cooling_off_ends_at: Timestamp,
}

impl TryFrom<entity::cancellations::Model> for Cancellation {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::cancellations::Model) -> Result<Self, Self::Error> {
        let state = cancellation::CancellationState::from_stored("cancellations.state", &m.state)?;
        Ok(Self {
            id: encode(NodeKind::Cancellation, m.id),
            state: state.into(),
            requested_at: m.requested_at.into(),
            cooling_off_ends_at: m.cooling_off_ends_at.into(),
        })
    }
}

/// One unmet precondition of cancellation (CAN-01).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct CancellationBlocker {
    /// Stable: OPEN_ORDERS, AMOUNT_OWED, CASH_BALANCE, VOUCHERS, ACTIVE_RESOURCES, MEMBERS,
    /// PENDING_COMPLAINTS.
    pub code: String,
    #[graphql(skip)]
    pub message: crate::i18n::Message,
}

#[ComplexObject]
impl CancellationBlocker {
    // In the request's language (not a description: the schema stays as it was).
    async fn message(&self, ctx: &Context<'_>) -> String {
        self.message.render(crate::graphql::context::lang(ctx))
    }
}

impl From<Blocker> for CancellationBlocker {
    fn from(b: Blocker) -> Self {
        Self {
            code: b.code.to_owned(),
            message: b.message,
        }
    }
}

/// Whether a cancellation request would be accepted now, and what blocks it.
#[derive(Debug, Clone, SimpleObject)]
pub struct CancellationReadiness {
    pub ready: bool,
    pub blockers: Vec<CancellationBlocker>,
}
