//! ACC-09: freeze reasons, the derived account status and what each status allows.

use std::collections::BTreeSet;

use super::{AccountStatus, FreezeReason, Lifecycle};

/// A set, because reasons are added and lifted independently (an overdue payment may be settled
/// while a violation freeze stays).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FreezeReasons(BTreeSet<FreezeReason>);

impl FreezeReasons {
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored set read back: an unknown reason fails closed (dropping it would make a
    /// frozen account look free).
    pub fn from_stored(csv: &str) -> Result<Self, super::enums::UnknownStoredValue> {
        csv.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| FreezeReason::from_stored("accounts.freeze_reasons", s))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Sorted, so equal sets are stored as equal strings.
    pub fn to_csv(&self) -> String {
        self.iter()
            .map(FreezeReason::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Returns whether the reason was newly added.
    pub fn insert(&mut self, reason: FreezeReason) -> bool {
        self.0.insert(reason)
    }

    /// Returns whether the reason was present.
    pub fn remove(&mut self, reason: FreezeReason) -> bool {
        self.0.remove(&reason)
    }

    pub fn contains(&self, reason: FreezeReason) -> bool {
        self.0.contains(&reason)
    }

    pub fn iter(&self) -> impl Iterator<Item = FreezeReason> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<FreezeReason> for FreezeReasons {
    fn from_iter<I: IntoIterator<Item = FreezeReason>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Cancelled > Cancelling > Frozen (any reason) > Active.
pub fn account_status(lifecycle: Lifecycle, reasons: &FreezeReasons) -> AccountStatus {
    match lifecycle {
        Lifecycle::Cancelled => AccountStatus::Cancelled,
        Lifecycle::Cancelling => AccountStatus::Cancelling,
        Lifecycle::Active if !reasons.is_empty() => AccountStatus::Frozen,
        Lifecycle::Active => AccountStatus::Active,
    }
}

/// ACC-09 / CAN-03: frozen and cancelling accounts still sign in; cancelled ones never.
pub fn can_sign_in(lifecycle: Lifecycle) -> bool {
    lifecycle != Lifecycle::Cancelled
}

/// ACC-09 / CAN-02: only an active, unfrozen account may buy or create resources.
pub fn can_buy_or_create(lifecycle: Lifecycle, reasons: &FreezeReasons) -> bool {
    lifecycle == Lifecycle::Active && reasons.is_empty()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn reasons(list: &[FreezeReason]) -> FreezeReasons {
        list.iter().copied().collect()
    }

    #[test]
    fn csv_round_trips_sorted_and_ignores_junk() {
        let parsed = FreezeReasons::from_stored(" OVERDUE_PAYMENT,,VIOLATION, VIOLATION").unwrap();
        assert_eq!(
            parsed,
            reasons(&[FreezeReason::Violation, FreezeReason::OverduePayment])
        );
        assert_eq!(parsed.to_csv(), "VIOLATION,OVERDUE_PAYMENT");
        assert_eq!(
            FreezeReasons::from_stored(&parsed.to_csv()).unwrap(),
            parsed
        );
        assert!(FreezeReasons::from_stored("").unwrap().is_empty());
        // An unknown reason is an error, not a reason quietly dropped.
        assert!(FreezeReasons::from_stored("VIOLATION,BOGUS").is_err());
        assert_eq!(FreezeReasons::new().to_csv(), "");
    }

    #[test]
    fn insert_and_remove_report_changes() {
        let mut set = FreezeReasons::new();
        assert!(set.insert(FreezeReason::OverduePayment));
        assert!(!set.insert(FreezeReason::OverduePayment));
        assert!(set.contains(FreezeReason::OverduePayment));
        assert_eq!(set.iter().count(), 1);
        assert!(set.remove(FreezeReason::OverduePayment));
        assert!(!set.remove(FreezeReason::OverduePayment));
        assert!(set.is_empty());
    }

    #[test]
    fn status_precedence() {
        // RULE ACC-09
        let none = FreezeReasons::new();
        let frozen = reasons(&[FreezeReason::Violation]);
        let pending = reasons(&[FreezeReason::CancellationPending]);
        assert_eq!(
            account_status(Lifecycle::Active, &none),
            AccountStatus::Active
        );
        assert_eq!(
            account_status(Lifecycle::Active, &frozen),
            AccountStatus::Frozen
        );
        assert_eq!(
            account_status(Lifecycle::Cancelling, &pending),
            AccountStatus::Cancelling
        );
        assert_eq!(
            account_status(Lifecycle::Cancelled, &frozen),
            AccountStatus::Cancelled
        );
    }

    #[test]
    fn frozen_accounts_sign_in_but_cannot_buy() {
        // RULE ACC-09
        let frozen = reasons(&[FreezeReason::OverduePayment]);
        assert!(can_sign_in(Lifecycle::Active));
        assert!(!can_buy_or_create(Lifecycle::Active, &frozen));
        assert!(can_buy_or_create(Lifecycle::Active, &FreezeReasons::new()));
    }

    #[test]
    fn cancelling_accounts_sign_in_but_cannot_buy_and_cancelled_cannot_sign_in() {
        // the status part of CAN-02
        let pending = reasons(&[FreezeReason::CancellationPending]);
        assert!(can_sign_in(Lifecycle::Cancelling));
        assert!(!can_buy_or_create(Lifecycle::Cancelling, &pending));
        assert!(!can_buy_or_create(
            Lifecycle::Cancelling,
            &FreezeReasons::new()
        ));
        // the status part of CAN-03
        assert!(!can_sign_in(Lifecycle::Cancelled));
        assert!(!can_buy_or_create(
            Lifecycle::Cancelled,
            &FreezeReasons::new()
        ));
    }
}
