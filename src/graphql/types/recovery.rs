//! The `RecoveryApplication` type (REC-03): what the applicant sees with the status token.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, SimpleObject};

use super::enums::{RecoveryApplicationState, RecoveryChange};
use crate::{
    domain::{self, enums::UnknownStoredValue},
    graphql::node::{NodeKind, encode},
    service::recovery,
};

/// A recovery application: its state, what it asks to change, and the decision.
#[derive(Debug, Clone, SimpleObject)]
pub struct RecoveryApplication {
    pub id: ID,
    pub state: RecoveryApplicationState,
    pub changes: Vec<RecoveryChange>,
    pub submitted_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    /// Why it was rejected; the applicant may apply again with better evidence.
    pub rejection_reason: Option<String>,
}

impl TryFrom<entity::recovery_applications::Model> for RecoveryApplication {
    type Error = UnknownStoredValue;

    fn try_from(m: entity::recovery_applications::Model) -> Result<Self, Self::Error> {
        let state =
            domain::RecoveryApplicationState::from_stored("recovery_applications.state", &m.state)?;
        Ok(Self {
            id: encode(NodeKind::RecoveryApplication, m.id),
            state: state.into(),
            changes: recovery::changes_of(&m)
                .into_iter()
                .map(Into::into)
                .collect(),
            submitted_at: m.submitted_at.into(),
            decided_at: m.decided_at.map(Into::into),
            rejection_reason: m.rejection_reason,
        })
    }
}
