//! The real-name provider (scans, face recognition, the enterprise registry): VER-02.

use async_trait::async_trait;

use super::PortError;
use crate::domain::verification::{SubjectKind, VerificationMethod};

/// What the provider is asked to check. Numbers are already validated by the domain.
#[derive(Debug, Clone)]
pub struct RealNameCheck<'a> {
    pub kind: SubjectKind,
    pub method: VerificationMethod,
    /// The person's or the enterprise's name.
    pub subject_name: &'a str,
    /// ID number, document number or credit code.
    pub identity_number: &'a str,
    pub legal_person_name: Option<&'a str>,
}

/// An instant method's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealNameDecision {
    Approved,
    /// With the reason the user reads.
    Rejected(String),
}

#[async_trait]
pub trait RealNameProvider: Send + Sync {
    /// Decides an instant method (scan, face recognition, official platform) at submission.
    async fn decide(&self, check: RealNameCheck<'_>) -> Result<RealNameDecision, PortError>;

    /// REC-04: whether the face check behind `token` was passed by the person named (the
    /// subject, or an enterprise's legal person).
    async fn face_check_passed(&self, token: &str, person_name: &str) -> Result<bool, PortError>;
}

/// The face-check token the sandbox provider accepts (RUNNING.md).
pub const SANDBOX_FACE_OK: &str = "sandbox-face-ok";

/// Approves, unless the subject's name starts with `REJECT:`; the rest of the name is the
/// reason the user reads.
#[derive(Debug, Default)]
pub struct SandboxRealNameProvider;

pub const REJECT_MARKER: &str = "REJECT:";

#[async_trait]
impl RealNameProvider for SandboxRealNameProvider {
    async fn decide(&self, check: RealNameCheck<'_>) -> Result<RealNameDecision, PortError> {
        Ok(match check.subject_name.strip_prefix(REJECT_MARKER) {
            Some(reason) if !reason.trim().is_empty() => {
                RealNameDecision::Rejected(reason.trim().to_owned())
            }
            Some(_) => {
                RealNameDecision::Rejected("the provider could not confirm this identity".into())
            }
            None => RealNameDecision::Approved,
        })
    }

    async fn face_check_passed(&self, token: &str, _person_name: &str) -> Result<bool, PortError> {
        Ok(crate::crypto::constant_time_eq(token, SANDBOX_FACE_OK))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(name: &str) -> RealNameCheck<'_> {
        RealNameCheck {
            kind: SubjectKind::Individual,
            method: VerificationMethod::WechatScan,
            subject_name: name,
            identity_number: "11010519491231002X",
            legal_person_name: None,
        }
    }

    #[tokio::test]
    async fn sandbox_rejects_by_marker_only() {
        let provider = SandboxRealNameProvider;
        assert_eq!(
            provider.decide(check("张三")).await.unwrap(),
            RealNameDecision::Approved
        );
        assert_eq!(
            provider
                .decide(check("REJECT:face mismatch"))
                .await
                .unwrap(),
            RealNameDecision::Rejected("face mismatch".into())
        );
        assert!(matches!(
            provider.decide(check("REJECT:")).await.unwrap(),
            RealNameDecision::Rejected(_)
        ));
    }
}
