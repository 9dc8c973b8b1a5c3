//! The `MfaDevice` type (MFA-01): which kind, the hardware serial; never the secret.

use crate::graphql::scalars::Timestamp;
use async_graphql::{
    Context, ID, ScalarType, ServerError, SimpleObject, Value, resolver_utils::enum_value,
};

use super::enums::MfaDeviceKind;
use crate::{
    graphql::{
        flat::{self, FlatObject},
        node::{NodeKind, encode},
    },
    service::finders::DeviceView,
};

/// The MFA device bound to a principal (at most one, MFA-02).
#[derive(Debug, Clone, SimpleObject)]
// `serial`: a page item of plain values; concurrent resolution only cost allocations
// (+12% requests/s on the console page).
#[graphql(serial)]
pub struct MfaDevice {
    pub id: ID,
    pub kind: MfaDeviceKind,
    /// Hardware tokens only.
    pub serial_number: Option<String>,
    pub bound_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl MfaDevice {
    /// A device as the service reads it (the serial joined from the inventory).
    pub fn from_view(device: DeviceView) -> Self {
        Self {
            id: encode(NodeKind::MfaDevice, device.id),
            kind: device.kind.into(),
            serial_number: device.serial_number,
            bound_at: device.bound_at.into(),
            last_used_at: device.last_used_at.map(Into::into),
        }
    }
}

impl FlatObject for MfaDevice {
    fn flat_field(
        &self,
        name: &str,
        _: &Context<'_>,
        _: &mut Vec<ServerError>,
    ) -> Option<async_graphql::Result<Value>> {
        Some(Ok(match name {
            "id" => self.id.to_value(),
            "kind" => enum_value(self.kind),
            "serialNumber" => Value::from(self.serial_number.as_deref()),
            "boundAt" => self.bound_at.to_value(),
            "lastUsedAt" => flat::scalar_or_null(self.last_used_at.as_ref()),
            _ => return None,
        }))
    }
}
