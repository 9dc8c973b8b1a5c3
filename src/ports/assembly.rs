//! Which adapter stands behind each port: the sandbox's, or the provider gateway's.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{
    Bank, Billing, Captcha, Clock, Gateway, GatewayConfigError, IdentityProvider, Notifier,
    RealNameProvider, SandboxBank, SandboxBilling, SandboxCaptcha, SandboxClock,
    SandboxIdentityProvider, SandboxNotifier, SandboxRealNameProvider, SystemClock,
};
use crate::config::ServeArgs;

/// One adapter per outside system.
pub struct Adapters {
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<dyn Notifier>,
    pub captcha: Arc<dyn Captcha>,
    pub identity: Arc<dyn IdentityProvider>,
    pub real_name: Arc<dyn RealNameProvider>,
    pub bank: Arc<dyn Bank>,
    pub billing: Arc<dyn Billing>,
    /// Sandbox mode only: the clock the ops API moves.
    pub sandbox_clock: Option<Arc<SandboxClock>>,
}

impl Adapters {
    /// The sandbox stand-ins for every outside system.
    pub fn sandbox(db: &DatabaseConnection) -> Self {
        let clock = Arc::new(SandboxClock::default());
        Self {
            clock: clock.clone(),
            notifier: Arc::new(SandboxNotifier::new(db.clone())),
            captcha: Arc::new(SandboxCaptcha),
            identity: Arc::new(SandboxIdentityProvider),
            real_name: Arc::new(SandboxRealNameProvider),
            bank: Arc::new(SandboxBank),
            billing: Arc::new(SandboxBilling),
            sandbox_clock: Some(clock),
        }
    }

    /// Real time and the provider gateway for everything else.
    pub fn production(args: &ServeArgs) -> Result<Self, GatewayConfigError> {
        let url = args
            .gateway_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or(GatewayConfigError::MissingUrl)?;
        let gateway = Arc::new(Gateway::new(
            url,
            args.gateway_token.as_deref().unwrap_or_default(),
            args.gateway_timeout(),
        )?);
        Ok(Self {
            clock: Arc::new(SystemClock),
            notifier: gateway.clone(),
            captcha: gateway.clone(),
            identity: gateway.clone(),
            real_name: gateway.clone(),
            bank: gateway.clone(),
            billing: gateway,
            sandbox_clock: None,
        })
    }
}
