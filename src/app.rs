//! The axum application: routes, layers, authentication of each request, the scheduler
//! loop and graceful shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use async_graphql::parser::types::OperationType;
use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::CorsLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Instrument;

use crate::{
    config::ServeArgs,
    crypto::{self, SecretKey},
    db,
    domain::Policies,
    graphql::{
        self, ConsoleSchema, QueryLimits,
        context::{CookiePolicy, RequestState, SESSION_COOKIE},
        loaders,
        ops::OpsSchema,
        persisted::{Documents, Prepared},
        spec::SchemaIndex,
    },
    http::{self as gql_http, ResponseType},
    ports::{SandboxClock, assembly::Adapters},
    proxy::TrustedProxies,
    reads::Reads,
    service::{AppContext, RequestMeta, events::EventBus, ops_access, scheduler, sessions},
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("configuration: {0}")]
    Config(String),
}

/// Everything the router serves.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<AppContext>,
    pub console: ConsoleSchema,
    /// The document limits checked before a console request runs.
    pub limits: QueryLimits,
    pub trusted_proxies: TrustedProxies,
    pub ops: OpsSchema,
    /// The schemas' types, for the document checks and the spec's response rules.
    pub console_index: Arc<SchemaIndex>,
    pub ops_index: Arc<SchemaIndex>,
    /// Sandbox mode: the clock that ops requests bring up to the shared sandbox time.
    pub sandbox_clock: Option<Arc<SandboxClock>>,
    pub ops_token: Option<String>,
    pub graphiql: bool,
    /// Persisted and trusted documents of the console API.
    pub documents: Arc<Documents>,
    /// Renders `GET /metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The pool's configured size, for `db_pool_connections_max`.
    pub db_pool: u32,
}

/// A built application: its router and what tests and the binary need around it.
pub struct BuiltApp {
    pub router: Router,
    pub state: AppState,
}

/// Connects, migrates and assembles the app exactly as `serve` runs it.
pub async fn build(args: &ServeArgs) -> Result<BuiltApp, StartError> {
    if args.is_production() && args.is_sandbox() {
        return Err(StartError::Config(
            "--production refuses the sandbox adapters".into(),
        ));
    }
    let trusted_proxies = TrustedProxies::parse(&args.trusted_proxies)
        .map_err(|e| StartError::Config(format!("--trusted-proxies: {e}")))?;
    let cors = crate::cors::layer(&args.cors_origins)
        .map_err(|e| StartError::Config(format!("--cors-origins: {e}")))?;
    let trusted_documents = args
        .trusted_documents
        .as_deref()
        .map(Documents::load_manifest)
        .transpose()
        .map_err(|e| StartError::Config(format!("--trusted-documents: {e}")))?;
    // Checked before the database is touched: a misconfigured start migrates nothing.
    let configured_secret = configured_secret(args)?;
    check_ops_token(args)?;
    let gateway_adapters = (!args.is_sandbox())
        .then(|| Adapters::production(args))
        .transpose()
        .map_err(|e| StartError::Config(e.to_string()))?;
    let db::Pools {
        db,
        reads,
        statements,
    } = db::connect_counted(&args.database.database_url, args.db_pool).await?;
    db::migrate(&db).await?;
    let secret = match configured_secret {
        Some(key) => key,
        None => stored_secret(&db).await?,
    };
    let policies = load_policies(args)?;

    let ports = gateway_adapters.unwrap_or_else(|| Adapters::sandbox(&db));
    let sandbox_clock = ports.sandbox_clock.clone();
    let app = Arc::new(AppContext {
        db,
        reads,
        clock: ports.clock,
        notifier: ports.notifier,
        captcha: ports.captcha,
        identity: ports.identity,
        real_name: ports.real_name,
        bank: ports.bank,
        billing: ports.billing,
        policies,
        secret,
        statements,
        events: Arc::new(EventBus::default()),
    });
    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let listener = app.clone();
        let url = args.database.database_url.clone();
        tokio::spawn(async move { listener.events.listen_postgres(url).await });
    }
    let limits = QueryLimits {
        max_depth: args.max_depth,
        max_complexity: args.max_complexity,
        max_directives: args.max_directives,
        max_fields: args.max_fields,
        max_tokens: args.max_tokens,
        introspection: args.introspection_enabled(),
    };
    let console = graphql::console_schema(
        app.clone(),
        limits,
        CookiePolicy {
            secure: args.is_production(),
        },
    );
    let ops = OpsSchema::build(app.clone(), sandbox_clock.clone(), limits);
    let state = AppState {
        app,
        console_index: Arc::new(SchemaIndex::from_sdl(&console.sdl())),
        ops_index: Arc::new(SchemaIndex::from_sdl(&ops.sdl())),
        console,
        limits,
        trusted_proxies,
        ops,
        sandbox_clock,
        ops_token: args.ops_token.clone().filter(|t| !t.is_empty()),
        graphiql: args.graphiql_enabled(),
        documents: Arc::new(Documents::new(trusted_documents)),
        metrics: crate::meters::handle(),
        db_pool: args.db_pool,
    };
    Ok(BuiltApp {
        router: router(state.clone(), args, cors),
        state,
    })
}

const SECRET_SETTING: &str = "secret_key";

/// The configured key, checked before the database is touched; production requires one.
fn configured_secret(args: &ServeArgs) -> Result<Option<SecretKey>, StartError> {
    match args.secret_key.as_deref().filter(|k| !k.is_empty()) {
        Some(key) if key.len() < 32 => Err(StartError::Config(
            "the secret key needs at least 32 characters".into(),
        )),
        Some(key) => Ok(Some(SecretKey::new(key.as_bytes().to_vec()))),
        None if !args.is_sandbox() => {
            Err(StartError::Config("production needs --secret-key".into()))
        }
        None => Ok(None),
    }
}

/// Production's ops token guards every operator action: as long as the secret key at least.
fn check_ops_token(args: &ServeArgs) -> Result<(), StartError> {
    let token = args.ops_token.as_deref().unwrap_or_default();
    if !args.is_sandbox()
        && !token.is_empty()
        && token.chars().count() < ops_access::MIN_TOKEN_CHARS
    {
        return Err(StartError::Config(format!(
            "the ops token needs at least {} characters",
            ops_access::MIN_TOKEN_CHARS
        )));
    }
    Ok(())
}

/// Sandbox mode without a configured key: the one generated once and kept in the database.
async fn stored_secret(db: &DatabaseConnection) -> Result<SecretKey, StartError> {
    use entity::server_settings::{ActiveModel, Entity};
    if let Some(row) = Entity::find_by_id(SECRET_SETTING.to_owned())
        .one(db)
        .await?
    {
        return Ok(SecretKey::new(row.value.into_bytes()));
    }
    let generated = crypto::random_token(48);
    let inserted = ActiveModel {
        setting_key: Set(SECRET_SETTING.to_owned()),
        value: Set(generated.clone()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(SecretKey::new(generated.into_bytes())),
        // Another instance generated it first: use theirs.
        Err(_) => Entity::find_by_id(SECRET_SETTING.to_owned())
            .one(db)
            .await?
            .map(|row| SecretKey::new(row.value.into_bytes()))
            .ok_or_else(|| StartError::Config("could not store the generated secret key".into())),
    }
}

fn load_policies(args: &ServeArgs) -> Result<Policies, StartError> {
    let Some(path) = &args.policy_file else {
        return Ok(Policies::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| StartError::Config(format!("policy file {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| StartError::Config(format!("policy file {}: {e}", path.display())))
}

fn router(state: AppState, args: &ServeArgs, cors: Option<CorsLayer>) -> Router {
    let mut console = Router::new()
        .route("/", get(graphiql_page))
        .route("/graphql", get(console_get).post(console_graphql));
    // Only the console API is offered across origins; the ops API never is.
    if let Some(cors) = cors {
        console = console.layer(cors);
    }
    let mut routes = console
        .route("/ops/graphql", get(ops_graphql).post(ops_graphql))
        .route("/graphiql/assets/{file}", get(graphiql_asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    // Off the public port when an operator gives metrics their own listener.
    if args.metrics_listen.is_none() {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(args.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            args.request_timeout(),
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(gql_http::coded_transport_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The router of `--metrics-listen`: `GET /metrics` alone.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// `GET /metrics`: the Prometheus text exposition, its gauges read now.
async fn metrics(State(state): State<AppState>) -> Response {
    crate::meters::refresh_gauges(&state.app.db, &state.app.reads, state.db_pool).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Every log line of a request carries its ID (also answered as `x-request-id`), its
/// trace ID (continuing a W3C `traceparent`) and, once known, its GraphQL operation.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{} {}", request.method(), request.uri().path()),
        otel.kind = "server",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
        trace_id = tracing::field::Empty,
        operation = tracing::field::Empty,
    );
    let trace_id = crate::telemetry::continue_trace(
        &span,
        crate::telemetry::extract_context(request.headers()),
    );
    if !trace_id.is_empty() {
        span.record("trace_id", trace_id);
    }
    span
}

async fn graphiql_page(State(state): State<AppState>) -> Response {
    if state.graphiql {
        gql_http::graphiql("/graphql", true)
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// The embedded GraphiQL bundle, served only where GraphiQL is.
async fn graphiql_asset(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    if state.graphiql {
        crate::graphiql::asset(&file)
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    if db::ping(&state.app.db).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// The client's address and agent, for history, audit and rate limits.
fn request_meta(peer: SocketAddr, proxies: &TrustedProxies, headers: &HeaderMap) -> RequestMeta {
    RequestMeta {
        client_address: Some(proxies.client_address(peer.ip(), headers).to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
        lang: headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::i18n::Lang::from_accept_language),
    }
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// The session token from `Authorization: Bearer` or the session cookie.
fn session_token(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = bearer_token(headers) {
        return Some(bearer.to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Parses and checks a GraphQL request the same way for both endpoints.
fn accept_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(async_graphql::Request, ResponseType), Box<Response>> {
    let Some(response_type) = gql_http::negotiate(headers) else {
        return Err(Box::new(gql_http::request_error(
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
            ResponseType::GraphqlResponseJson,
        )));
    };
    let request = gql_http::parse_request(method, headers, uri.query(), body).map_err(
        |(status, message)| Box::new(gql_http::request_error(status, &message, response_type)),
    )?;
    if let Some(refused) = mutation_over_get(method, &request, response_type) {
        return Err(Box::new(refused));
    }
    Ok((request, response_type))
}

/// GraphQL over HTTP: a mutation is never run by a GET.
fn mutation_over_get(
    method: &Method,
    request: &async_graphql::Request,
    response_type: ResponseType,
) -> Option<Response> {
    if *method != Method::GET || gql_http::operation_type(request) != Some(OperationType::Mutation)
    {
        return None;
    }
    let mut refused = gql_http::request_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "mutations must be sent with POST",
        response_type,
    );
    refused
        .headers_mut()
        .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
    Some(refused)
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions (NTF-06), else GraphQL over HTTP
/// or GraphiQL.
async fn console_get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    if crate::live::is_upgrade(&parts.headers) {
        let meta = request_meta(peer, &state.trusted_proxies, &parts.headers);
        let token = session_token(&parts.headers);
        let schema = crate::live::CheckedSchema {
            schema: state.console.clone(),
            limits: state.limits,
            index: state.console_index.clone(),
            documents: state.documents.clone(),
        };
        return crate::live::upgrade(&mut parts, state.app.clone(), schema, token, meta).await;
    }
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        let response_type = gql_http::negotiate(&parts.headers).unwrap_or(ResponseType::Json);
        return gql_http::request_error(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
            response_type,
        );
    };
    console_graphql(
        State(state),
        ConnectInfo(peer),
        parts.method,
        parts.uri,
        parts.headers,
        body,
    )
    .await
}

/// What a GraphQL request turned out to be, for its metrics.
struct Observed {
    operation: crate::meters::Operation,
    errors: Vec<async_graphql::ServerError>,
}

impl Observed {
    fn new() -> Self {
        Self {
            operation: crate::meters::Operation::unknown(),
            errors: Vec::new(),
        }
    }

    /// Names the operation on the request's log lines and in its metrics.
    fn operation(&mut self, request: &mut async_graphql::Request) {
        self.operation = crate::meters::Operation::of(request);
        tracing::Span::current().record("operation", self.operation.label.as_str());
    }

    /// The answer, its errors counted.
    fn answer(
        &mut self,
        response: async_graphql::Response,
        response_type: ResponseType,
    ) -> Response {
        self.errors.extend(response.errors.iter().cloned());
        gql_http::graphql_response(response, response_type)
    }
}

/// Runs one request of `api`, counting its statements and recording its metrics.
async fn observed(
    api: &'static str,
    handle: impl AsyncFnOnce(&mut Observed) -> Response,
) -> Response {
    let started = std::time::Instant::now();
    let statements = crate::meters::RequestStatements::default();
    let mut observed = Observed::new();
    let response = statements.scope(handle(&mut observed)).await;
    crate::meters::record_request(
        api,
        &observed.operation,
        started.elapsed(),
        statements.get(),
        &observed.errors,
    );
    response
}

/// The GraphQL operation's span (the trace's view of `graphql::run`).
fn operation_span(operation: &crate::meters::Operation, name: Option<&str>) -> tracing::Span {
    tracing::info_span!(
        "graphql.operation",
        otel.name = %format_args!("{} {}", operation.ty, name.unwrap_or(&operation.label)),
        graphql.operation.name = name.unwrap_or(&operation.label),
        graphql.operation.type = operation.ty,
    )
}

async fn console_graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET
        && uri.query().is_none()
        && gql_http::wants_html(&headers)
        && state.graphiql
    {
        return gql_http::graphiql("/graphql", true);
    }
    observed("console", async |observed| {
        console_request(state, peer, method, uri, headers, body, observed).await
    })
    .await
}

async fn console_request(
    state: AppState,
    peer: SocketAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    observed: &mut Observed,
) -> Response {
    let (mut request, response_type) = match accept_request(&method, &uri, &headers, &body) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let prepared = match state.documents.prepare(&mut request) {
        Ok(prepared) => prepared,
        Err(refused) => {
            let refused = async_graphql::Response::from_errors(vec![refused]);
            return observed.answer(refused, response_type);
        }
    };
    // A document sent by hash is known only now: GET still may not run a mutation.
    if let Some(refused) = mutation_over_get(&method, &request, response_type) {
        return refused;
    }
    let shape = match prepared {
        Prepared::Checked(shape) => shape,
        // A document kept by hash passed the checks when it was first sent.
        Prepared::Unchecked { sha256 } => {
            match graphql::check(&mut request, &state.limits, &state.console_index) {
                Ok(shape) => {
                    state
                        .documents
                        .remember(sha256, &mut request, shape.clone());
                    shape
                }
                Err(refused) => return observed.answer(*refused, response_type),
            }
        }
    };
    // Parsed by now (the checks or the persisted document): naming it costs no parse.
    observed.operation(&mut request);
    // A query's session lookup is its first read, in the transaction its page is read in
    // (`crate::reads`): no checkout of its own.
    let reads = if observed.operation.is_query() {
        Reads::for_query(&state.app.reads, &state.app.db)
    } else {
        Reads::pooled(&state.app.db)
    };
    let now = state.app.clock.now();
    let signed_in = match session_token(&headers) {
        Some(token) => match sessions::authenticate(&state.app, &reads, &token, now).await {
            Ok(signed_in) => signed_in,
            Err(err) => {
                tracing::error!(error = %err, "session lookup failed");
                return gql_http::request_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the service is unavailable; retry shortly",
                    response_type,
                );
            }
        },
        None => None,
    };
    let request_state = match signed_in {
        Some(signed_in) => RequestState {
            principal: Some(signed_in.principal),
            account: Some(signed_in.account),
            session: Some(signed_in.session),
            meta: request_meta(peer, &state.trusted_proxies, &headers),
        },
        None => RequestState {
            meta: request_meta(peer, &state.trusted_proxies, &headers),
            ..RequestState::default()
        },
    };
    // Notices written on this request's behalf speak its language (service::notices).
    let lang = request_state.meta.lang;
    let request = request.data(request_state);
    let request = loaders::register(request, &reads);
    let span = operation_span(&observed.operation, request.operation_name.as_deref());
    let response = crate::i18n::with_request_lang(
        lang,
        graphql::run(request, &shape, |request| state.console.execute(request)),
    )
    .instrument(span)
    .await;
    observed.answer(response, response_type)
}

async fn ops_graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(expected) = &state.ops_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The page holds no secret: the operator types the token into GraphiQL's headers.
    if method == Method::GET
        && uri.query().is_none()
        && gql_http::wants_html(&headers)
        && state.graphiql
    {
        return gql_http::graphiql("/ops/graphql", false);
    }
    // Denials are answered before the request is read, in the media type it accepts.
    let denial_type = gql_http::negotiate(&headers).unwrap_or(ResponseType::Json);
    let presented = bearer_token(&headers).unwrap_or_default();
    let client = request_meta(peer, &state.trusted_proxies, &headers).client_address;
    let now = state.app.clock.now();
    match ops_access::admit(&state.app, client.as_deref(), presented, expected, now).await {
        Ok(()) => {}
        Err(ops_access::Denied::WrongToken) => {
            let mut refused = gql_http::request_error(
                StatusCode::UNAUTHORIZED,
                "ops token required",
                denial_type,
            );
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
            return refused;
        }
        Err(ops_access::Denied::TooManyAttempts {
            retry_after_seconds,
        }) => {
            let mut refused = gql_http::request_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many wrong ops tokens from this address; retry later",
                denial_type,
            );
            refused
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_seconds.into());
            return refused;
        }
        Err(ops_access::Denied::Unavailable(err)) => {
            tracing::error!(error = %err, "ops token check failed");
            return gql_http::request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable; retry shortly",
                denial_type,
            );
        }
    }
    observed("ops", async |observed| {
        ops_request(state, method, uri, headers, body, observed).await
    })
    .await
}

async fn ops_request(
    state: AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    observed: &mut Observed,
) -> Response {
    let (mut request, response_type) = match accept_request(&method, &uri, &headers, &body) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    // The operator is trusted with a parse before the limits (the body limit still holds).
    observed.operation(&mut request);
    let span = operation_span(&observed.operation, request.operation_name.as_deref());
    // The operator's schema answers introspection; every other limit is the console's.
    let limits = QueryLimits {
        introspection: true,
        ..state.limits
    };
    if let Some(clock) = &state.sandbox_clock {
        match crate::service::sandbox_time::load_offset(&state.app.db).await {
            Ok(Some(offset)) => clock.catch_up(offset),
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "could not read the shared sandbox time"),
        }
    }
    let shape = match graphql::check(&mut request, &limits, &state.ops_index) {
        Ok(shape) => shape,
        Err(refused) => return observed.answer(*refused, response_type),
    };
    let response = graphql::run(request, &shape, |request| state.ops.execute(request))
        .instrument(span)
        .await;
    observed.answer(response, response_type)
}

/// Runs the scheduled work on an interval until the process ends.
pub fn spawn_scheduler(app: Arc<AppContext>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let ran = scheduler::run_due(&app, app.clock.now())
                .instrument(tracing::info_span!("scheduler.run"))
                .await;
            match ran {
                Ok(report) => tracing::debug!(%report, "scheduled jobs ran"),
                Err(err) => tracing::warn!(error = %err, "scheduled jobs failed"),
            }
        }
    })
}

/// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
