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
    pub message: String,
}

/// CAN-01: every unmet precondition at once, in a fixed order.
pub fn blockers(h: &Holdings) -> Vec<Blocker> {
    let mut out = Vec::new();
    let mut add = |unmet: bool, code: &'static str, message: String| {
        if unmet {
            out.push(Blocker { code, message });
        }
    };
    add(
        h.open_orders > 0,
        "OPEN_ORDERS",
        format!(
            "{} unfinished order(s) or service(s): finish or cancel them",
            h.open_orders
        ),
    );
    add(
        h.amount_owed_cents > 0 || h.overdue_payment,
        "AMOUNT_OWED",
        format!(
            "{} yuan is owed{}: settle it first",
            Money::from_cents(h.amount_owed_cents),
            if h.overdue_payment { ", overdue" } else { "" }
        ),
    );
    add(
        h.cash_balance_cents > 0,
        "CASH_BALANCE",
        format!(
            "a cash balance of {} yuan remains: withdraw it first",
            Money::from_cents(h.cash_balance_cents)
        ),
    );
    add(
        h.vouchers > 0,
        "VOUCHERS",
        format!(
            "{} voucher(s) remain: use or give them up first",
            h.vouchers
        ),
    );
    add(
        h.active_resources > 0,
        "ACTIVE_RESOURCES",
        format!(
            "{} resource(s) are in use: release them first",
            h.active_resources
        ),
    );
    add(
        h.members > 0,
        "MEMBERS",
        format!(
            "{} sub-user(s), collaborator(s) or message recipient(s) remain: delete them first",
            h.members
        ),
    );
    add(
        h.pending_complaints > 0,
        "PENDING_COMPLAINTS",
        format!("{} complaint(s) are still open", h.pending_complaints),
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
