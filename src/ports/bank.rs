//! The bank: the small remittance the provider pays to a corporate account (VER-11).

use async_trait::async_trait;

use super::PortError;
use crate::crypto;

#[async_trait]
pub trait Bank: Send + Sync {
    /// Pays a random amount of `min_cents..=max_cents` to `bank_account` and returns it.
    async fn pay_remittance(
        &self,
        bank_account: &str,
        min_cents: i64,
        max_cents: i64,
    ) -> Result<i64, PortError>;
}

/// Pays nothing for real: it draws the amount from the CSPRNG; the service records it on
/// the verification, where the ops `remittanceAmount` query reads it back.
#[derive(Debug, Default)]
pub struct SandboxBank;

#[async_trait]
impl Bank for SandboxBank {
    async fn pay_remittance(
        &self,
        _bank_account: &str,
        min_cents: i64,
        max_cents: i64,
    ) -> Result<i64, PortError> {
        let low = u64::try_from(min_cents.max(1)).map_err(|e| PortError(e.to_string()))?;
        let high =
            u64::try_from(max_cents.max(min_cents.max(1))).map_err(|e| PortError(e.to_string()))?;
        i64::try_from(crypto::random_in(low..=high)).map_err(|e| PortError(e.to_string()))
    }
}
