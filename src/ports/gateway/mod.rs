//! The production adapters: one JSON-over-HTTPS client for the provider gateway, the
//! company service that fronts SMS and e-mail, captcha, identity providers, the real-name
//! provider, the bank and billing. The protocol is in the README ("Provider gateway").

mod adapters;

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Serialize, de::DeserializeOwned};

use super::PortError;

/// A client for the gateway; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    base: Url,
    token: String,
}

/// The token never appears in logs.
impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Why a gateway configuration is refused at start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayConfigError {
    #[error("production needs --gateway-url")]
    MissingUrl,
    #[error("the gateway URL is not a URL: {0}")]
    Url(String),
    #[error("the gateway URL must use https (plain http only to a loopback address)")]
    Insecure,
    #[error("the gateway URL must not carry credentials; use --gateway-token")]
    Credentials,
    #[error("the gateway needs a bearer token (--gateway-token)")]
    MissingToken,
    #[error("the gateway client could not be built: {0}")]
    Client(String),
}

impl Gateway {
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, GatewayConfigError> {
        let mut base = Url::parse(base_url).map_err(|e| GatewayConfigError::Url(e.to_string()))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(GatewayConfigError::Credentials);
        }
        let loopback = match base.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        };
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(GatewayConfigError::Insecure),
        }
        if token.trim().is_empty() {
            return Err(GatewayConfigError::MissingToken);
        }
        // Paths are joined relative to the base, so it must end in a slash.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GatewayConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token: token.to_owned(),
        })
    }

    /// POSTs `body` as JSON to `path` and decodes the JSON answer. A repeated call with the
    /// same `idempotency_key` must not repeat its effect (the gateway's side of the contract).
    async fn call<Req: Serialize + Sync, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
        idempotency_key: Option<&str>,
    ) -> Result<Resp, PortError> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "gateway",
            otel.name = %format_args!("gateway {path}"),
            otel.kind = "client",
            gateway.path = path,
            http.response.status_code = tracing::field::Empty,
        );
        self.call_in_span(path, body, idempotency_key)
            .instrument(span)
            .await
    }

    async fn call_in_span<Req: Serialize + Sync, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
        idempotency_key: Option<&str>,
    ) -> Result<Resp, PortError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| PortError(format!("gateway path {path}: {e}")))?;
        let mut request = self.http.post(url).bearer_auth(&self.token).json(body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        // The gateway continues this request's trace (W3C `traceparent`).
        let mut trace = reqwest::header::HeaderMap::new();
        crate::telemetry::inject_current(&mut trace);
        request = request.headers(trace);
        let response = request
            .send()
            .await
            .map_err(|e| PortError(format!("gateway {path}: {}", e.without_url())))?;
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        if status != StatusCode::OK {
            return Err(PortError(format!("gateway {path} answered {status}")));
        }
        response.json().await.map_err(|e| {
            PortError(format!(
                "gateway {path} sent an unreadable answer: {}",
                e.without_url()
            ))
        })
    }
}
