//! The `MfaDevice` type (MFA-01): which kind, the hardware serial; never the secret.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::MfaDeviceKind;
use crate::graphql::node::{NodeKind, encode};

/// The MFA device bound to a principal (at most one, MFA-02).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
pub struct MfaDevice {
    pub id: ID,
    pub kind: MfaDeviceKind,
    /// Hardware tokens only.
    pub serial_number: Option<String>,
    pub bound_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl MfaDevice {
    /// `serial_number` comes from the hardware-token inventory.
    pub fn from_parts(
        pk: i64,
        kind: &str,
        serial_number: Option<String>,
        bound_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            id: encode(NodeKind::MfaDevice, pk),
            kind: if kind == "HARDWARE" {
                MfaDeviceKind::Hardware
            } else {
                MfaDeviceKind::Virtual
            },
            serial_number,
            bound_at,
            last_used_at,
        }
    }
}
