//! Command line and environment configuration (clap); secrets are never printed.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

/// The account center: a GraphQL backend for a cloud console's account pages.
#[derive(Debug, Parser)]
#[command(name = "account-center", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console API, the ops API and GraphiQL.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Fill an empty database with demo data (`seed --demo`) and print how to sign in.
    Seed(SeedArgs),
    /// Ask the local server's `/readyz`; exit 0 when ready (a container's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
    /// Print the console SDL (or the ops SDL with --ops).
    Schema {
        /// Print the ops (back-office) schema instead of the console schema.
        #[arg(long)]
        ops: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH?mode=rwc` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://account-center.db?mode=rwc"
    )]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The address the server listens on (an unspecified one, `0.0.0.0`, is asked on
    /// loopback).
    #[arg(long, env = "ACCOUNT_CENTER_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Seconds before the probe gives up.
    #[arg(long, default_value_t = 3)]
    pub timeout_secs: u64,
}

impl HealthcheckArgs {
    /// The readiness URL the probe asks.
    pub fn readyz_url(&self) -> String {
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("http://{addr}/readyz")
    }
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// A realistic console: an enterprise-verified root with members, projects, access
    /// keys, MFA devices, login history and messages (the only kind of seed there is).
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// The key the server will serve with (see `serve --secret-key`); without it, the one
    /// stored in the database (generated when missing), as sandbox mode uses.
    #[arg(long, env = "ACCOUNT_CENTER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// The server's address, for the printed instructions.
    #[arg(
        long,
        env = "ACCOUNT_CENTER_PUBLIC_URL",
        default_value = "http://127.0.0.1:8000"
    )]
    pub url: String,
}

impl SeedArgs {
    /// The settings the demo builds the app with (sandbox adapters, this database and key).
    pub fn serve_args(&self) -> ServeArgs {
        let mut args = ServeArgs::for_database(self.database.database_url.clone());
        args.secret_key = self.secret_key.clone();
        args
    }
}

#[derive(Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ACCOUNT_CENTER_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Use the sandbox adapters (on by default unless --production).
    #[arg(long, env = "ACCOUNT_CENTER_SANDBOX", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub sandbox: Option<bool>,

    /// Production mode: no sandbox adapters, a secret key is required, secure cookies.
    #[arg(long, env = "ACCOUNT_CENTER_PRODUCTION", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub production: Option<bool>,

    /// Bearer token that opens /ops/graphql; without it the ops API answers 404.
    #[arg(long, env = "ACCOUNT_CENTER_OPS_TOKEN", hide_env_values = true)]
    pub ops_token: Option<String>,

    /// Keys the identity-number hash and token hashes; generated and stored in sandbox mode.
    #[arg(long, env = "ACCOUNT_CENTER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Production: base URL of the provider gateway (SMS and e-mail, captcha, identity
    /// providers, real-name provider, bank, billing); https, or http to loopback.
    #[arg(long, env = "ACCOUNT_CENTER_GATEWAY_URL")]
    pub gateway_url: Option<String>,

    /// Production: bearer token presented to the provider gateway.
    #[arg(long, env = "ACCOUNT_CENTER_GATEWAY_TOKEN", hide_env_values = true)]
    pub gateway_token: Option<String>,

    /// Production: milliseconds before a gateway call fails.
    #[arg(
        long,
        env = "ACCOUNT_CENTER_GATEWAY_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub gateway_timeout_ms: u64,

    /// A JSON file overriding any number of the site policies (see README).
    #[arg(long, env = "ACCOUNT_CENTER_POLICY_FILE")]
    pub policy_file: Option<PathBuf>,

    /// Load balancers (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For
    /// names the client; rate limits and history use that address.
    #[arg(long, env = "ACCOUNT_CENTER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Deepest selection a console document may nest.
    #[arg(long, env = "ACCOUNT_CENTER_MAX_DEPTH", default_value_t = QueryLimits::DEFAULT.max_depth)]
    pub max_depth: usize,

    /// Largest complexity of a console document (each field 1, lists times `first`).
    #[arg(long, env = "ACCOUNT_CENTER_MAX_COMPLEXITY", default_value_t = QueryLimits::DEFAULT.max_complexity)]
    pub max_complexity: usize,

    /// Most field selections (aliases included) in one console document.
    #[arg(long, env = "ACCOUNT_CENTER_MAX_FIELDS", default_value_t = QueryLimits::DEFAULT.max_fields)]
    pub max_fields: usize,

    /// Most directives on one field.
    #[arg(long, env = "ACCOUNT_CENTER_MAX_DIRECTIVES", default_value_t = QueryLimits::DEFAULT.max_directives)]
    pub max_directives: usize,

    /// Most lexical tokens in one console document, counted before parsing.
    #[arg(long, env = "ACCOUNT_CENTER_MAX_TOKENS", default_value_t = QueryLimits::DEFAULT.max_tokens)]
    pub max_tokens: usize,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "ACCOUNT_CENTER_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Seconds before a request is answered 408.
    #[arg(long, env = "ACCOUNT_CENTER_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Largest size of each of the two database pools: the shared one, and the one query
    /// requests read through (`crate::reads`).
    #[arg(long, env = "ACCOUNT_CENTER_DB_POOL", default_value_t = 16)]
    pub db_pool: u32,

    /// Origins (exact, e.g. `https://console.example.com`) whose pages may call the console
    /// API with credentials; none by default (same origin only).
    #[arg(long, env = "ACCOUNT_CENTER_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// A manifest (JSON: SHA-256 hex → document) of the first-party operations: when set,
    /// the console API runs only those (trusted documents).
    #[arg(long, env = "ACCOUNT_CENTER_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,

    /// Serve GraphiQL (default: on, off in production).
    #[arg(long, env = "ACCOUNT_CENTER_GRAPHIQL", value_parser = clap::builder::BoolishValueParser::new())]
    pub graphiql: Option<bool>,

    /// Allow introspection (default: on, off in production).
    #[arg(long, env = "ACCOUNT_CENTER_INTROSPECTION", value_parser = clap::builder::BoolishValueParser::new())]
    pub introspection: Option<bool>,

    /// Seconds between runs of the scheduled work (expiries, cancellations).
    #[arg(long, env = "ACCOUNT_CENTER_SCHEDULER_INTERVAL", default_value_t = 60)]
    pub scheduler_interval_secs: u64,

    /// Serve `GET /metrics` (Prometheus) on this address instead of the public port.
    #[arg(long, env = "ACCOUNT_CENTER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Export traces over OTLP/HTTP to this collector (e.g. `http://127.0.0.1:4318`);
    /// none are exported without it.
    #[arg(long, env = "ACCOUNT_CENTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "ACCOUNT_CENTER_LOG_JSON")]
    pub log_json: bool,
}

impl ServeArgs {
    pub fn is_production(&self) -> bool {
        self.production.unwrap_or(false)
    }

    /// Sandbox is the default everywhere but production.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.unwrap_or(!self.is_production())
    }

    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.is_production())
    }

    pub fn introspection_enabled(&self) -> bool {
        self.introspection.unwrap_or(!self.is_production())
    }

    pub fn gateway_timeout(&self) -> Duration {
        Duration::from_millis(self.gateway_timeout_ms.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// Settings for tests and embedding: sandbox, no ops token, defaults elsewhere.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: DatabaseArgs {
                database_url: database_url.into(),
            },
            sandbox: None,
            production: None,
            ops_token: None,
            secret_key: None,
            gateway_url: None,
            gateway_token: None,
            gateway_timeout_ms: 5000,
            policy_file: None,
            trusted_proxies: Vec::new(),
            max_depth: QueryLimits::DEFAULT.max_depth,
            max_complexity: QueryLimits::DEFAULT.max_complexity,
            max_fields: QueryLimits::DEFAULT.max_fields,
            max_directives: QueryLimits::DEFAULT.max_directives,
            max_tokens: QueryLimits::DEFAULT.max_tokens,
            body_limit: 1024 * 1024,
            request_timeout_secs: 30,
            db_pool: 16,
            cors_origins: Vec::new(),
            trusted_documents: None,
            graphiql: None,
            introspection: None,
            scheduler_interval_secs: 60,
            metrics_listen: None,
            otlp_endpoint: None,
            log_json: false,
        }
    }
}

/// Debug without the secrets, so a logged config never leaks them.
impl fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field("database", &redact_url(&self.database.database_url))
            .field("sandbox", &self.is_sandbox())
            .field("production", &self.is_production())
            .field("ops_token", &self.ops_token.as_ref().map(|_| "<set>"))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("gateway_url", &self.gateway_url.as_deref().map(redact_url))
            .field(
                "gateway_token",
                &self.gateway_token.as_ref().map(|_| "<set>"),
            )
            .field("policy_file", &self.policy_file)
            .finish_non_exhaustive()
    }
}

/// The database URL without its password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            match url[scheme_end + 3..at].split_once(':') {
                Some((user, _password)) => {
                    format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The database as the startup line shows it: a SQLite file as an absolute path, any
/// other URL without its password.
pub fn display_database(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split_once('?').map_or(rest, |(path, _)| path);
        if path.is_empty() || path == ":memory:" {
            return "sqlite (in memory)".to_owned();
        }
        let path = std::path::Path::new(path);
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        return absolute.display().to_string();
    }
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Limits that keep one GraphQL request from costing the server too much (the console
/// and ops schemas share them); configuration, so it lives here and `graphql/` reads it.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_directives: usize,
    /// Field selections (aliases included) one document may hold.
    pub max_fields: usize,
    /// Lexical tokens one document may hold, counted before it is parsed.
    pub max_tokens: usize,
    pub introspection: bool,
}

impl QueryLimits {
    /// The defaults; the whole console page (tests/api/console_page.graphql) runs within them.
    pub const DEFAULT: Self = Self {
        max_depth: 15,
        max_complexity: 5_000,
        max_directives: 5,
        max_fields: 500,
        max_tokens: 10_000,
        introspection: true,
    };
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_asks_loopback_for_an_unspecified_listen_address() {
        let probe = |listen: &str| {
            HealthcheckArgs {
                listen: listen.parse().unwrap(),
                timeout_secs: 1,
            }
            .readyz_url()
        };
        assert_eq!(probe("0.0.0.0:8000"), "http://127.0.0.1:8000/readyz");
        assert_eq!(probe("[::]:9000"), "http://[::1]:9000/readyz");
        assert_eq!(probe("10.1.2.3:8000"), "http://10.1.2.3:8000/readyz");
    }

    #[test]
    fn redacts_passwords_in_database_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/ac"),
            "postgres://app:***@db:5432/ac"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/ac"),
            "postgres://postgres@127.0.0.1/ac"
        );
        assert_eq!(
            redact_url("sqlite://x.db?mode=rwc"),
            "sqlite://x.db?mode=rwc"
        );
    }

    #[test]
    fn shows_the_database_without_secrets() {
        assert_eq!(
            display_database("postgres://app:s3cret@db:5432/ac"),
            "postgres://app@db:5432/ac"
        );
        assert_eq!(
            display_database("sqlite:///srv/ac.db?mode=rwc"),
            "/srv/ac.db"
        );
        let relative = display_database("sqlite://ac.db");
        assert!(
            relative.starts_with('/') && relative.ends_with("/ac.db"),
            "{relative}"
        );
    }
}
