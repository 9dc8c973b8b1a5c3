//! Captcha checks (LOG-07 asks for one after repeated password failures).

use async_trait::async_trait;

#[async_trait]
pub trait Captcha: Send + Sync {
    /// True when the client solved the captcha that `response` answers.
    async fn verify(&self, response: &str, client_address: Option<&str>) -> bool;
}

/// Accepts exactly `sandbox-captcha-ok`.
#[derive(Debug, Default)]
pub struct SandboxCaptcha;

pub const SANDBOX_CAPTCHA_OK: &str = "sandbox-captcha-ok";

#[async_trait]
impl Captcha for SandboxCaptcha {
    async fn verify(&self, response: &str, _client_address: Option<&str>) -> bool {
        response == SANDBOX_CAPTCHA_OK
    }
}
