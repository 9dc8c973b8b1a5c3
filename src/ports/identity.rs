//! Third-party identity providers (WeChat, QQ, WeCom, Official Account): LOG-08.

use async_trait::async_trait;

use crate::domain::LoginMethodKind;

/// The provider's stable user ID for an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub external_id: String,
}

#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// `None` when the provider refuses the code.
    async fn resolve(
        &self,
        kind: LoginMethodKind,
        authorization_code: &str,
    ) -> Option<ExternalIdentity>;
}

/// `sandbox:<external-id>` signs in as that external user; anything else is refused.
#[derive(Debug, Default)]
pub struct SandboxIdentityProvider;

const MAX_EXTERNAL_ID_CHARS: usize = 128;

#[async_trait]
impl IdentityProvider for SandboxIdentityProvider {
    async fn resolve(
        &self,
        _kind: LoginMethodKind,
        authorization_code: &str,
    ) -> Option<ExternalIdentity> {
        let external_id = authorization_code.strip_prefix("sandbox:")?;
        let valid = !external_id.is_empty()
            && external_id.chars().count() <= MAX_EXTERNAL_ID_CHARS
            && external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        valid.then(|| ExternalIdentity {
            external_id: external_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sandbox_accepts_only_its_marker() {
        let idp = SandboxIdentityProvider;
        let kind = LoginMethodKind::Wechat;
        assert_eq!(
            idp.resolve(kind, "sandbox:wx-1").await,
            Some(ExternalIdentity {
                external_id: "wx-1".into()
            })
        );
        assert_eq!(idp.resolve(kind, "sandbox:").await, None);
        assert_eq!(idp.resolve(kind, "wx-1").await, None);
        assert_eq!(idp.resolve(kind, "sandbox:a b").await, None);
    }
}
