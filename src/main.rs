//! The `account-center` binary: parse the configuration, start logging, run a subcommand.

use std::{process::ExitCode, time::Duration};

use account_center::{
    config::{Cli, Command, ServeArgs, display_database, redact_url},
    db, graphql, telemetry,
};
use clap::Parser;

/// A console page allocates thousands of small values; glibc's allocator spent a fifth of
/// the server's CPU under load (perf), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema { ops } => {
            let sdl = if ops {
                graphql::ops::sandbox_sdl()
            } else {
                graphql::console_sdl()
            };
            print!("{sdl}");
            ExitCode::SUCCESS
        }
        Command::Migrate(args) => {
            telemetry::init(false);
            let result = async {
                let conn = db::connect(&args.database_url, 1).await?;
                db::migrate(&conn).await
            }
            .await;
            match result {
                Ok(()) => {
                    tracing::info!(database = %redact_url(&args.database_url), "migrations applied");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    tracing::error!(error = %err, "migration failed");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Healthcheck(args) => {
            let url = args.readyz_url();
            let answer = async {
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(args.timeout_secs.max(1)))
                    .build()?
                    .get(&url)
                    .send()
                    .await
            }
            .await;
            match answer {
                Ok(response) if response.status().is_success() => ExitCode::SUCCESS,
                Ok(response) => {
                    eprintln!("{url}: {}", response.status());
                    ExitCode::FAILURE
                }
                Err(err) => {
                    eprintln!("{url}: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Seed(args) => {
            telemetry::init(false);
            if !args.demo {
                eprintln!("seed: only `seed --demo` exists; add --demo");
                return ExitCode::FAILURE;
            }
            match account_center::demo::seed_database(&args.serve_args()).await {
                Ok(demo) => {
                    println!("{}", demo.instructions(&args.url));
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    tracing::error!(error = %err, database = %redact_url(&args.database.database_url), "seed --demo failed");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => {
            let telemetry =
                match telemetry::init_with_traces(args.log_json, args.otlp_endpoint.as_deref()) {
                    Ok(telemetry) => telemetry,
                    Err(err) => {
                        telemetry::init(args.log_json);
                        tracing::error!(error = %err, "cannot start");
                        return ExitCode::FAILURE;
                    }
                };
            // The ports first: a taken port is reported before the database is touched.
            let listener = match tokio::net::TcpListener::bind(args.listen).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::error!(error = %err, listen = %args.listen, "cannot listen");
                    return ExitCode::FAILURE;
                }
            };
            let metrics_listener = match args.metrics_listen {
                Some(addr) => match tokio::net::TcpListener::bind(addr).await {
                    Ok(listener) => Some(listener),
                    Err(err) => {
                        tracing::error!(error = %err, metrics_listen = %addr, "cannot listen");
                        return ExitCode::FAILURE;
                    }
                },
                None => None,
            };
            let built = match account_center::build(&args).await {
                Ok(built) => built,
                Err(err) => {
                    tracing::error!(error = %err, "cannot start");
                    return ExitCode::FAILURE;
                }
            };
            // The bound address, so `--listen 127.0.0.1:0` tells where it went.
            let bound = listener.local_addr().unwrap_or(args.listen);
            let metrics_url = match &metrics_listener {
                Some(metrics) => metrics
                    .local_addr()
                    .map(|addr| format!("{}/metrics", http_url(addr)))
                    .unwrap_or_default(),
                None => format!("{}/metrics", http_url(bound)),
            };
            log_serving(&args, &http_url(bound), &metrics_url);
            if let Some(metrics) = metrics_listener {
                let router = account_center::app::metrics_router(built.state.clone());
                tokio::spawn(async move {
                    if let Err(err) = account_center::serve(metrics, router).await {
                        tracing::error!(error = %err, "the metrics listener failed");
                    }
                });
            }
            let scheduler = account_center::spawn_scheduler(
                built.state.app.clone(),
                Duration::from_secs(args.scheduler_interval_secs.max(1)),
            );
            let served = account_center::serve(listener, built.router).await;
            scheduler.abort();
            telemetry.shutdown();
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    tracing::error!(error = %err, "server failed");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// A clickable URL of a bound address (an unspecified address is reached as loopback).
fn http_url(addr: std::net::SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// The startup line: where to go, what it serves from, and only the settings that are set.
fn log_serving(args: &ServeArgs, url: &str, metrics_url: &str) {
    let mode = if args.is_production() {
        "production"
    } else {
        "sandbox"
    };
    let database = display_database(&args.database.database_url);
    let adapters = if args.is_sandbox() {
        "sandbox"
    } else {
        "provider gateway"
    };
    let gateway = args.gateway_url.as_deref().map(redact_url);
    let otlp = args.otlp_endpoint.as_deref().filter(|e| !e.is_empty());
    tracing::info!(
        url,
        graphql = %format_args!("{url}/graphql"),
        metrics = metrics_url,
        mode,
        database = database.as_str(),
        adapters,
        gateway = gateway.as_deref(),
        otlp,
        ops_api = args.ops_token.is_some(),
        graphiql = args.graphiql_enabled(),
        introspection = args.introspection_enabled(),
        secure_cookies = args.is_production(),
        "account-center serving"
    );
}
