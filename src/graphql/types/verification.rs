//! The `Verification` type (VER-13, VER-22): one real-name request, personal data masked.

use crate::graphql::scalars::Timestamp;
use async_graphql::{ID, Object};
use chrono::TimeDelta;

use super::enums::{
    Region, VerificationChangeType, VerificationMethod, VerificationState, VerificationSubjectKind,
};
use crate::{
    domain::{enums::UnknownStoredValue, masking, verification as rules},
    graphql::node::{NodeKind, encode},
};

/// A real-name request. Built field by field: the sealed copies and hashes never reach it.
#[derive(Debug, Clone)]
pub struct Verification {
    id: ID,
    subject_kind: rules::SubjectKind,
    method: rules::VerificationMethod,
    change_type: rules::ChangeType,
    state: rules::VerificationState,
    region: rules::Region,
    subject_name: String,
    identity_number: String,
    rejection_reason: Option<String>,
    submitted_at: Timestamp,
    decided_at: Option<Timestamp>,
    remittance_attempts_left: Option<i32>,
    expires_at: Option<Timestamp>,
    recharge_amount_cents: Option<i64>,
    in_force: bool,
    next_change_allowed_at: Option<Timestamp>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

impl Verification {
    /// `change_interval` is the site's VER-15 gap, counted from the decision in force.
    pub fn new(
        m: entity::verifications::Model,
        change_interval: TimeDelta,
    ) -> Result<Self, UnknownStoredValue> {
        let state = rules::VerificationState::from_stored("verifications.state", &m.state)?;
        let in_force = rules::is_in_force(state, m.superseded_at.is_some());
        let pending = state == rules::VerificationState::Pending;
        Ok(Self {
            id: encode(NodeKind::Verification, m.id),
            subject_kind: rules::SubjectKind::from_stored(
                "verifications.subject_kind",
                &m.subject_kind,
            )?,
            method: rules::VerificationMethod::from_stored("verifications.method", &m.method)?,
            change_type: rules::ChangeType::from_stored(
                "verifications.change_type",
                &m.change_type,
            )?,
            state,
            region: rules::Region::from_stored("verifications.region", &m.region)?,
            subject_name: m.subject_name_masked,
            identity_number: m.identity_masked,
            rejection_reason: m.rejection_reason,
            submitted_at: m.submitted_at.into(),
            decided_at: m.decided_at.map(Into::into),
            remittance_attempts_left: m.remittance_attempts_left.filter(|_| pending),
            expires_at: (m.expires_at.filter(|_| pending)).map(Into::into),
            recharge_amount_cents: m.recharge_amount_cents,
            in_force,
            next_change_allowed_at: (m
                .decided_at
                .filter(|_| in_force)
                .map(|at| rules::next_change_allowed_at(at, change_interval)))
            .map(Into::into),
            contact_name: m.contact_name,
            contact_phone: m.contact_phone,
        })
    }
}

/// A real-name verification request and its decision.
#[Object]
impl Verification {
    pub async fn id(&self) -> &ID {
        &self.id
    }

    async fn subject_kind(&self) -> VerificationSubjectKind {
        self.subject_kind.into()
    }

    async fn method(&self) -> VerificationMethod {
        self.method.into()
    }

    async fn change_type(&self) -> VerificationChangeType {
        self.change_type.into()
    }

    async fn state(&self) -> VerificationState {
        self.state.into()
    }

    async fn region(&self) -> Region {
        self.region.into()
    }

    /// Masked subject name (person or enterprise).
    async fn subject_name(&self) -> &str {
        &self.subject_name
    }

    /// Masked ID number or credit code.
    async fn identity_number(&self) -> &str {
        &self.identity_number
    }

    async fn rejection_reason(&self) -> Option<&str> {
        self.rejection_reason.as_deref()
    }

    async fn submitted_at(&self) -> Timestamp {
        self.submitted_at
    }

    async fn decided_at(&self) -> Option<Timestamp> {
        self.decided_at
    }

    /// Remittance: attempts left to enter the amount; null for other methods.
    async fn remittance_attempts_left(&self) -> Option<i32> {
        self.remittance_attempts_left
    }

    /// Remittance or recharge: when the window to confirm or pay closes.
    async fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// Recharge: the amount, in yuan (e.g. "0.37"), the enterprise must pay.
    async fn recharge_amount(&self) -> Option<String> {
        self.recharge_amount_cents
            .map(|cents| crate::domain::Money::from_cents(cents).to_string())
    }

    /// When a new change of verification may start (30-day rule).
    async fn next_change_allowed_at(&self) -> Option<Timestamp> {
        self.next_change_allowed_at
    }

    /// True for the approved verification in force; false once replaced or revoked (VER-19).
    async fn in_force(&self) -> bool {
        self.in_force
    }

    /// Enterprise contact person, masked (VER-18).
    async fn contact_name(&self) -> Option<String> {
        self.contact_name.as_deref().map(masking::mask_name)
    }

    /// Enterprise contact mobile number, masked (VER-18, VER-22).
    async fn contact_phone(&self) -> Option<String> {
        self.contact_phone.as_deref().map(masking::mask_phone)
    }
}
