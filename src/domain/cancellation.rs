//! Account cancellation (CAN-01, CAN-02): the preconditions, each with a stable code and a
//! message, and the states of a request.

use super::{Money, enums::contract_enum};

contract_enum! {
    /// CAN-02, CAN-03.
    CancellationState {
        CoolingOff => "COOLING_OFF",
        Withdrawn => "WITHDRAWN",
        Completed => "COMPLETED",
    }
}

/// What billing and the members tables say, as far as cancellation depends on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    pub open_orders: i32,
    pub amount_owed_cents: i64,
    pub overdue_payment: bool,
    pub cash_balance_cents: i64,
    pub vouchers: i32,
    pub active_resources: i32,
    pub members: u64,
    pub pending_complaints: i32,
}

/// One unmet precondition: a code clients can rely on and a message people can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub code: &'static str,
    pub message: crate::i18n::Message,
}

/// CAN-01: every unmet precondition at once, in a fixed order.
pub fn blockers(h: &Holdings) -> Vec<Blocker> {
    let mut out = Vec::new();
    let mut add = |unmet: bool, code: &'static str, message: crate::i18n::Message| {
        if unmet {
            out.push(Blocker { code, message });
        }
    };
    add(
        h.open_orders > 0,
        "OPEN_ORDERS",
        msg!("blocker-open-orders", count = h.open_orders),
    );
    add(
        h.amount_owed_cents > 0 || h.overdue_payment,
        "AMOUNT_OWED",
        if h.overdue_payment {
            msg!(
                "blocker-amount-owed-overdue",
                amount = Money::from_cents(h.amount_owed_cents).to_string()
            )
        } else {
            msg!(
                "blocker-amount-owed",
                amount = Money::from_cents(h.amount_owed_cents).to_string()
            )
        },
    );
    add(
        h.cash_balance_cents > 0,
        "CASH_BALANCE",
        msg!(
            "blocker-cash-balance",
            amount = Money::from_cents(h.cash_balance_cents).to_string()
        ),
    );
    add(
        h.vouchers > 0,
        "VOUCHERS",
        msg!("blocker-vouchers", count = h.vouchers),
    );
    add(
        h.active_resources > 0,
        "ACTIVE_RESOURCES",
        msg!("blocker-active-resources", count = h.active_resources),
    );
    add(
        h.members > 0,
        "MEMBERS",
        msg!("blocker-members", count = h.members),
    );
    add(
        h.pending_complaints > 0,
        "PENDING_COMPLAINTS",
        msg!("blocker-pending-complaints", count = h.pending_complaints),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unmet_precondition_is_listed_at_once() {
        assert!(blockers(&Holdings::default()).is_empty());
        let all = Holdings {
            open_orders: 1,
            amount_owed_cents: 1,
            overdue_payment: true,
            cash_balance_cents: 100,
            vouchers: 2,
            active_resources: 3,
            members: 4,
            pending_complaints: 1,
        };
        let codes: Vec<&str> = blockers(&all).iter().map(|b| b.code).collect();
        assert_eq!(
            codes,
            [
                "OPEN_ORDERS",
                "AMOUNT_OWED",
                "CASH_BALANCE",
                "VOUCHERS",
                "ACTIVE_RESOURCES",
                "MEMBERS",
                "PENDING_COMPLAINTS"
            ]
        );
        let overdue_only = Holdings {
            overdue_payment: true,
            ..Holdings::default()
        };
        assert_eq!(blockers(&overdue_only)[0].code, "AMOUNT_OWED");
    }
}
