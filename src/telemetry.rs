//! Structured logs (tracing), as text or JSON lines, filtered by `RUST_LOG`; and traces
//! (OpenTelemetry), exported over OTLP/HTTP when an endpoint is configured.
//!
//! Spans: `request` (app.rs, continuing a W3C `traceparent`), `graphql.operation`,
//! `db.statement` (db.rs, the SQL without values) and `gateway` (ports/gateway, which
//! passes the trace on as `traceparent`).

use std::{io::IsTerminal, sync::atomic::AtomicBool};

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_http::{Bytes, HeaderExtractor, HeaderInjector, HttpClient, HttpError};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    EnvFilter, Layer, Registry, filter::Targets, fmt, layer::SubscriberExt, util::SubscriberInitExt,
};

/// The target of the per-statement spans: off in the logs unless `RUST_LOG` asks.
pub const SQL_TARGET: &str = "account_center::sql";

/// Whether spans go anywhere (an OTLP endpoint, or a test's exporter): statement spans
/// are only built then.
static TRACING: AtomicBool = AtomicBool::new(false);

pub fn traces_enabled() -> bool {
    TRACING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Keeps the trace pipeline; `shutdown` flushes the spans still buffered.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "could not flush the last spans");
        }
    }
}

/// Why tracing could not start.
#[derive(Debug, thiserror::Error)]
#[error("--otlp-endpoint: {0}")]
pub struct TraceSetupError(String);

/// Logs only (the CLI's other commands).
pub fn init(json: bool) {
    let _ = Registry::default().with(log_layer(json)).try_init();
}

/// Logs, and traces sent to `otlp_endpoint` (an OTLP/HTTP base URL such as
/// `http://collector:4318`; `/v1/traces` is added when it has no path).
pub fn init_with_traces(
    json: bool,
    otlp_endpoint: Option<&str>,
) -> Result<Telemetry, TraceSetupError> {
    let Some(endpoint) = otlp_endpoint.filter(|e| !e.trim().is_empty()) else {
        init(json);
        return Ok(Telemetry::default());
    };
    let mut url = url::Url::parse(endpoint.trim()).map_err(|e| TraceSetupError(e.to_string()))?;
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/v1/traces");
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpHttp::new().map_err(|e| TraceSetupError(e.to_string()))?)
        .with_endpoint(url.as_str())
        .build()
        .map_err(|e| TraceSetupError(e.to_string()))?;
    let provider = tracer_provider(SdkTracerProvider::builder().with_batch_exporter(exporter));
    let _ = Registry::default()
        .with(log_layer(json))
        .with(trace_layer(&provider))
        .try_init();
    Ok(Telemetry {
        provider: Some(provider),
    })
}

/// The provider with this service's resource.
pub fn tracer_provider(
    builder: opentelemetry_sdk::trace::TracerProviderBuilder,
) -> SdkTracerProvider {
    builder
        .with_resource(
            Resource::builder()
                .with_service_name("account-center")
                .build(),
        )
        .build()
}

/// The layer that turns this crate's spans into OpenTelemetry spans of `provider`
/// (tests install it over an in-memory exporter).
pub fn trace_layer<S>(provider: &SdkTracerProvider) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    TRACING.store(true, std::sync::atomic::Ordering::Relaxed);
    let tracer = provider.tracer("account-center");
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(Targets::new().with_target("account_center", tracing::Level::INFO))
}

fn log_layer<S>(json: bool) -> Box<dyn Layer<S> + Send + Sync + 'static>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "info,sqlx=warn,sea_orm=warn,tower_http=info,{SQL_TARGET}=warn"
        ))
    });
    // Colour only for a person at a terminal (and not when NO_COLOR is set).
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = fmt::layer().with_target(false).with_ansi(ansi);
    if json {
        builder.json().with_filter(filter).boxed()
    } else {
        builder.with_filter(filter).boxed()
    }
}

/// The trace context a request brings in its `traceparent` header (empty when none).
pub fn extract_context(headers: &axum::http::HeaderMap) -> opentelemetry::Context {
    use opentelemetry::propagation::TextMapPropagator;
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Makes `span` continue `parent` and returns the span's trace ID for the logs (the
/// parent's when traces are not exported; empty when there is neither).
pub fn continue_trace(span: &tracing::Span, parent: opentelemetry::Context) -> String {
    let incoming = parent.span().span_context().clone();
    let _ = span.set_parent(parent);
    let own = span.context().span().span_context().clone();
    if own.is_valid() {
        own.trace_id().to_string()
    } else if incoming.is_valid() {
        incoming.trace_id().to_string()
    } else {
        String::new()
    }
}

/// Passes the current span's trace on in `headers` (`traceparent`).
pub fn inject_current(headers: &mut axum::http::HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator;
    let cx = tracing::Span::current().context();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}

/// The OTLP exporter's HTTP client: the reqwest the gateway uses, run on the server's
/// runtime (the batch exporter calls from its own thread).
#[derive(Debug)]
struct OtlpHttp {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl OtlpHttp {
    fn new() -> Result<Self, HttpError> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()?,
            runtime: tokio::runtime::Handle::try_current()?,
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for OtlpHttp {
    async fn send_bytes(
        &self,
        request: axum::http::Request<Bytes>,
    ) -> Result<axum::http::Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let sent = self.runtime.spawn(async move {
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });
        let (status, headers, body) = sent.await??;
        let mut response = axum::http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}
