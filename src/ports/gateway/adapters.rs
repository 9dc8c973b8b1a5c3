//! The port traits over the gateway: one small JSON exchange per call.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::Deserialize;
use serde_json::json;

use super::Gateway;
use crate::{
    domain::LoginMethodKind,
    ports::{
        Bank, Billing, BillingStanding, Captcha, ExternalIdentity, IdentityProvider, Message,
        Notifier, PortError, RealNameCheck, RealNameDecision, RealNameProvider,
    },
};

/// The gateway acknowledges a command with `{"accepted": true}`.
#[derive(Deserialize)]
struct Acknowledged {
    accepted: bool,
}

fn acknowledged(path: &str, answer: Acknowledged) -> Result<(), PortError> {
    if answer.accepted {
        Ok(())
    } else {
        Err(PortError(format!(
            "gateway {path} did not accept the request"
        )))
    }
}

#[async_trait]
impl Notifier for Gateway {
    async fn send(&self, message: Message, now: DateTime<Utc>) -> Result<(), PortError> {
        let body = json!({
            "channel": message.channel.as_str(),
            "target": message.target,
            "purpose": message.purpose,
            "code": message.code,
            "body": message.body,
            "createdAt": now,
        });
        let answer = self.call("messages", &body, None).await?;
        acknowledged("messages", answer)
    }

    async fn deliver(
        &self,
        message: Message,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let body = json!({
            "channel": message.channel.as_str(),
            "target": message.target,
            "purpose": message.purpose,
            "body": message.body,
            "createdAt": now,
        });
        let answer = self.call("messages", &body, Some(idempotency_key)).await?;
        acknowledged("messages", answer)
    }
}

#[derive(Deserialize)]
struct CaptchaVerdict {
    passed: bool,
}

#[async_trait]
impl Captcha for Gateway {
    /// Fails closed: an unreachable captcha service passes nobody.
    async fn verify(&self, response: &str, client_address: Option<&str>) -> bool {
        let body = json!({ "response": response, "clientAddress": client_address });
        match self
            .call::<_, CaptchaVerdict>("captcha/verify", &body, None)
            .await
        {
            Ok(verdict) => verdict.passed,
            Err(err) => {
                tracing::warn!(error = %err, "captcha check failed; treated as not solved");
                false
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResolvedIdentity {
    external_id: Option<String>,
}

/// Longest provider user ID stored (as the sandbox's).
const MAX_EXTERNAL_ID_CHARS: usize = 128;

#[async_trait]
impl IdentityProvider for Gateway {
    async fn resolve(
        &self,
        kind: LoginMethodKind,
        authorization_code: &str,
    ) -> Option<ExternalIdentity> {
        let body = json!({ "provider": kind.as_str(), "authorizationCode": authorization_code });
        match self
            .call::<_, ResolvedIdentity>("identity/resolve", &body, None)
            .await
        {
            Ok(ResolvedIdentity {
                external_id: Some(id),
            }) if !id.is_empty() && id.chars().count() <= MAX_EXTERNAL_ID_CHARS => {
                Some(ExternalIdentity { external_id: id })
            }
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(error = %err, "identity provider check failed; code refused");
                None
            }
        }
    }
}

#[derive(Deserialize)]
struct RealNameAnswer {
    approved: bool,
    reason: Option<String>,
}

#[async_trait]
impl RealNameProvider for Gateway {
    async fn decide(&self, check: RealNameCheck<'_>) -> Result<RealNameDecision, PortError> {
        let body = json!({
            "kind": check.kind.as_str(),
            "method": check.method.as_str(),
            "subjectName": check.subject_name,
            "identityNumber": check.identity_number,
            "legalPersonName": check.legal_person_name,
        });
        let answer: RealNameAnswer = self.call("real-name/decide", &body, None).await?;
        Ok(if answer.approved {
            RealNameDecision::Approved
        } else {
            let reason = answer
                .reason
                .and_then(|r| crate::domain::plain_text("reason", &r, 200).ok())
                .unwrap_or_else(|| "the provider could not confirm this identity".into());
            RealNameDecision::Rejected(reason)
        })
    }

    async fn face_check_passed(&self, token: &str, person_name: &str) -> Result<bool, PortError> {
        let body = json!({ "token": token, "personName": person_name });
        let answer: FaceCheckAnswer = self.call("real-name/face-check", &body, None).await?;
        Ok(answer.passed)
    }
}

#[derive(Deserialize)]
struct FaceCheckAnswer {
    passed: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Remittance {
    amount_cents: i64,
}

#[async_trait]
impl Bank for Gateway {
    async fn pay_remittance(
        &self,
        bank_account: &str,
        min_cents: i64,
        max_cents: i64,
    ) -> Result<i64, PortError> {
        let body =
            json!({ "bankAccount": bank_account, "minCents": min_cents, "maxCents": max_cents });
        let paid: Remittance = self.call("bank/remittances", &body, None).await?;
        if (min_cents..=max_cents).contains(&paid.amount_cents) {
            Ok(paid.amount_cents)
        } else {
            Err(PortError(format!(
                "the bank paid {} cents, outside {min_cents}..={max_cents}",
                paid.amount_cents
            )))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Standing {
    cash_balance_cents: i64,
    amount_owed_cents: i64,
    overdue_payment: bool,
    vouchers: i32,
    active_resources: i32,
    open_orders: i32,
    pending_complaints: i32,
}

#[async_trait]
impl Billing for Gateway {
    async fn standing(
        &self,
        _txn: &DatabaseTransaction,
        account_id: i64,
    ) -> Result<BillingStanding, PortError> {
        let s: Standing = self
            .call(
                "billing/standing",
                &json!({ "accountId": account_id }),
                None,
            )
            .await?;
        Ok(BillingStanding {
            cash_balance_cents: s.cash_balance_cents,
            amount_owed_cents: s.amount_owed_cents,
            overdue_payment: s.overdue_payment,
            vouchers: s.vouchers,
            active_resources: s.active_resources,
            open_orders: s.open_orders,
            pending_complaints: s.pending_complaints,
        })
    }

    async fn credit(
        &self,
        _txn: &DatabaseTransaction,
        account_id: i64,
        cents: i64,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let body = json!({ "accountId": account_id, "cents": cents, "reference": reference, "createdAt": now });
        let answer = self.call("billing/credits", &body, Some(reference)).await?;
        acknowledged("billing/credits", answer)
    }
}
