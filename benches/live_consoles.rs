//! The live-consoles benchmark (issue 20, NTF-06 at scale): `seed` makes root accounts with
//! console sessions; `run` opens one graphql-transport-ws connection per `messageAdded`
//! subscription from many loopback source addresses (inside the server's limits of 10 per
//! session and 50 per client address), reports the server's resident memory per connection
//! and its idle cost, then times one notice fanned out to every subscriber of the first
//! account. `benches/live_consoles.sh` drives it. Loopback only, bounded in count and time.

#![allow(clippy::print_stdout)]

// The console-page bench and the tests use the rest of the module.
#[allow(dead_code)]
#[path = "seed/mod.rs"]
mod seed;

use std::{
    collections::{BTreeSet, HashMap},
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tokio::{
    net::{TcpSocket, TcpStream},
    sync::{Semaphore, mpsc},
    time::{Instant, sleep, timeout, timeout_at},
};
use tokio_tungstenite::{
    WebSocketStream, client_async_with_config,
    tungstenite::{
        Message as Frame,
        client::IntoClientRequest,
        http::{HeaderValue, header},
        protocol::WebSocketConfig,
    },
};

/// The server's limits (NTF-06), which the bench must live within, not raise.
const PER_SESSION: usize = 10;
const PER_ADDRESS: usize = 50;
/// Bounds: connections one run may open, and sessions one seed may make.
const MAX_CONNECTIONS: usize = 20_000;
const MAX_SESSIONS: usize = 5_000;
/// Handshakes in flight at once: enough to open 10,000 in seconds, few enough that the
/// server's accept queue never overflows.
const OPENING_AT_ONCE: usize = 200;
/// One connection's handshake, `connection_init` and subscription.
const STEP: Duration = Duration::from_secs(30);
/// One notice's fan-out: NTF-06 allows 2 s; a run that takes this long has failed anyway.
const FANOUT_WAIT: Duration = Duration::from_secs(10);
/// After the last expected subscriber heard: time for a wrongly addressed event to show.
const STRAY_WAIT: Duration = Duration::from_millis(500);

const SUBSCRIPTION: &str = "subscription { messageAdded { id title } }";
const TRIGGER: &str =
    "mutation { createAccessKey(input: {}) { userErrors { code message } accessKey { id } } }";

type Socket = WebSocketStream<TcpStream>;
type Outcome<T> = Result<T, String>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let result = match args.split_first() {
        Some((command, rest)) if command == "seed" => seed_command(rest).await,
        Some((command, rest)) if command == "run" => match RunOptions::parse(rest) {
            Ok(options) => run(options).await,
            Err(err) => Err(err),
        },
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("live_consoles: {err}");
            ExitCode::from(1)
        }
    }
}

const USAGE: &str = "usage:
  cargo bench --bench live_consoles -- seed <database-url> <accounts> <sessions-per-account>
      migrates an empty database and prints `<account-id> <session-token>` per session
  cargo bench --bench live_consoles -- run <http://127.0.0.1:PORT> <tokens-file>
      [--connections 10000] [--subscriptions 1] [--per-address 40] [--server-pid PID]
      [--ops-token TOKEN]
      [--settle-secs 5] [--idle-secs 10] [--rounds 1] [--open-timeout-secs 300]";

// ---------------------------------------------------------------------------------------
// seed
// ---------------------------------------------------------------------------------------

async fn seed_command(args: &[String]) -> Outcome<()> {
    let [url, accounts, sessions] = args else {
        return Err(USAGE.into());
    };
    let accounts: usize = bounded(accounts, 1, MAX_SESSIONS, "accounts")?;
    let sessions: usize = bounded(sessions, 1, MAX_SESSIONS, "sessions per account")?;
    if accounts * sessions > MAX_SESSIONS {
        return Err(format!("at most {MAX_SESSIONS} sessions in all"));
    }
    let failed = |err: sea_orm::DbErr| format!("seeding failed: {err}");
    let db = account_center::db::connect(url, 4).await.map_err(failed)?;
    account_center::db::migrate(&db).await.map_err(failed)?;
    if entity::accounts::Entity::find()
        .count(&db)
        .await
        .map_err(failed)?
        > 0
    {
        return Err("the database already holds accounts; seed an empty one".into());
    }
    let tokens = seed::seed_sessions(&db, accounts, sessions)
        .await
        .map_err(failed)?;
    for (account_id, token) in tokens {
        println!("{account_id} {token}");
    }
    Ok(())
}

fn bounded<T>(text: &str, low: T, high: T, what: &str) -> Outcome<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match text.parse::<T>() {
        Ok(n) if n >= low && n <= high => Ok(n),
        _ => Err(format!("{what} must be {low}..={high}, not {text:?}")),
    }
}

// ---------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------

struct RunOptions {
    /// `http://<loopback>:<port>`.
    base: String,
    server: SocketAddr,
    tokens: PathBuf,
    connections: usize,
    /// Subscriptions per connection: 0, or a divisor of 10 (a session's limit).
    subscriptions: usize,
    per_address: usize,
    server_pid: Option<u32>,
    ops_token: Option<String>,
    settle: Duration,
    idle: Duration,
    rounds: usize,
    open_timeout: Duration,
}

impl RunOptions {
    fn parse(args: &[String]) -> Outcome<Self> {
        let [url, tokens, flags @ ..] = args else {
            return Err(USAGE.into());
        };
        let (base, server) = loopback(url)?;
        let mut options = RunOptions {
            base,
            server,
            tokens: PathBuf::from(tokens),
            connections: 10_000,
            subscriptions: 1,
            per_address: 40,
            server_pid: None,
            ops_token: None,
            settle: Duration::from_secs(5),
            idle: Duration::from_secs(10),
            rounds: 1,
            open_timeout: Duration::from_secs(300),
        };
        let mut flags = flags.iter();
        while let Some(flag) = flags.next() {
            let value = flags
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?;
            let secs = |high| bounded(value, 0, high, flag).map(Duration::from_secs);
            match flag.as_str() {
                "--connections" => options.connections = bounded(value, 1, MAX_CONNECTIONS, flag)?,
                "--subscriptions" => options.subscriptions = bounded(value, 0, PER_SESSION, flag)?,
                "--per-address" => options.per_address = bounded(value, 1, PER_ADDRESS, flag)?,
                "--server-pid" => options.server_pid = Some(bounded(value, 1, u32::MAX, flag)?),
                "--ops-token" => options.ops_token = Some(value.clone()),
                "--settle-secs" => options.settle = secs(120)?,
                "--idle-secs" => options.idle = secs(120)?,
                // The root account may hold two access keys (SUB-05): two notices at most.
                "--rounds" => options.rounds = bounded(value, 0, 2, flag)?,
                "--open-timeout-secs" => options.open_timeout = secs(900)?,
                _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
            }
        }
        let k = options.subscriptions;
        if k > 0 && !PER_SESSION.is_multiple_of(k) {
            return Err(format!("--subscriptions must be 0 or divide {PER_SESSION}"));
        }
        if options.per_address * k > PER_ADDRESS {
            return Err(format!(
                "{} connections of {k} subscriptions exceed {PER_ADDRESS} per address",
                options.per_address
            ));
        }
        if k == 0 {
            options.rounds = 0;
        }
        Ok(options)
    }

    /// Connections that share one session: its 10 subscriptions.
    fn per_session(&self) -> usize {
        PER_SESSION / self.subscriptions.max(1)
    }
}

/// The server's base URL and address, refused unless it is on this machine's loopback.
fn loopback(url: &str) -> Outcome<(String, SocketAddr)> {
    let parsed = url::Url::parse(url).map_err(|err| format!("{url}: {err}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("{url}: only http:// on loopback"));
    }
    let ip = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain("localhost")) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => return Err(format!("{url}: not a loopback address")),
    };
    if !ip.is_ipv4() || !ip.is_loopback() {
        // Source addresses are spread over 127.0.0.0/8, so the server must be on it too.
        return Err(format!("{url}: the server must listen on IPv4 loopback"));
    }
    let port = parsed
        .port()
        .ok_or_else(|| format!("{url}: name the port"))?;
    Ok((format!("http://{ip}:{port}"), SocketAddr::new(ip, port)))
}

/// What the connections tell the run.
enum Report {
    /// A connection is signed in and subscribed.
    Ready,
    Failed(usize, String),
    /// Subscription `sub` of connection `n` received message `id` at `at`.
    Heard {
        n: usize,
        sub: String,
        id: String,
        at: Instant,
    },
    /// Connection `n` ended or received something other than an event.
    Ended(usize, String),
}

/// One session of the tokens file.
struct Session {
    account_id: i64,
    token: String,
}

fn read_sessions(path: &PathBuf) -> Outcome<Vec<Session>> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (account, token) = line
                .split_once(' ')
                .ok_or_else(|| format!("{}: bad line {line:?}", path.display()))?;
            let account_id = account
                .parse()
                .map_err(|_| format!("{}: bad account in {line:?}", path.display()))?;
            Ok(Session {
                account_id,
                token: token.trim().to_owned(),
            })
        })
        .collect()
}

/// The `n`th source address: 127.1.0.1, 127.1.0.2, … (the server counts subscriptions
/// per client address; on Linux every address of 127.0.0.0/8 reaches the server).
fn source_address(n: usize) -> Outcome<Ipv4Addr> {
    let base = u32::from(Ipv4Addr::new(127, 1, 0, 1));
    let offset = u32::try_from(n).map_err(|_| "too many source addresses".to_owned())?;
    Ok(Ipv4Addr::from(base + offset))
}

async fn run(options: RunOptions) -> Outcome<()> {
    let sessions = read_sessions(&options.tokens)?;
    let needed = options.connections.div_ceil(options.per_session());
    if sessions.len() < needed {
        return Err(format!(
            "{} connections need {needed} sessions ({PER_SESSION} subscriptions each); the file has {}",
            options.connections,
            sessions.len()
        ));
    }
    let subscriptions = options.connections * options.subscriptions;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .map_err(|err| err.to_string())?;
    wait_ready(&http, &options.base).await?;
    let subscriptions_before = open_subscriptions(&http, &options.base).await?;
    let rss_before = options.server_pid.map(rss_kib).transpose()?;

    // Connection n: session n / per_session (its 10 subscriptions), address n / per_address.
    let (reports, mut inbox) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let ws_url = format!("{}/graphql", options.base.replacen("http://", "ws://", 1));
    let mut account_of = Vec::with_capacity(options.connections);
    let mut addresses = BTreeSet::new();
    let started = Instant::now();
    for n in 0..options.connections {
        let session = &sessions[n / options.per_session()];
        account_of.push(session.account_id);
        let source = source_address(n / options.per_address)?;
        addresses.insert(source);
        let connection = Connection {
            n,
            server: options.server,
            source,
            url: ws_url.clone(),
            token: session.token.clone(),
            subscriptions: options.subscriptions,
            reports: reports.clone(),
        };
        tokio::spawn(connection.open(gate.clone()));
    }
    drop(reports);

    let deadline = started + options.open_timeout;
    let (mut ready, mut failures) = (0, Vec::new());
    while ready + failures.len() < options.connections {
        match timeout_at(deadline, inbox.recv()).await {
            Ok(Some(Report::Ready)) => ready += 1,
            Ok(Some(Report::Failed(n, why))) => failures.push(format!("#{n}: {why}")),
            Ok(Some(Report::Ended(n, why))) => failures.push(format!("#{n} ended: {why}")),
            Ok(Some(Report::Heard { n, .. })) => {
                failures.push(format!("#{n} heard an event while opening"));
            }
            Ok(None) => break,
            Err(_) => {
                return Err(format!(
                    "only {ready} of {} connections opened in {:?}",
                    options.connections, options.open_timeout
                ));
            }
        }
    }
    if !failures.is_empty() {
        let shown: Vec<_> = failures.iter().take(5).collect();
        return Err(format!(
            "{} of {} connections failed, e.g. {shown:?}",
            failures.len(),
            options.connections
        ));
    }
    let opened_in = started.elapsed();
    // The server's own count: every subscription has started (none refused after its pong).
    let expected = subscriptions_before + subscriptions as u64;
    let counted = Instant::now() + Duration::from_secs(60);
    loop {
        let open = open_subscriptions(&http, &options.base).await?;
        if open >= expected {
            break;
        }
        if Instant::now() > counted {
            return Err(format!(
                "the server counts {open} open subscriptions, {expected} expected"
            ));
        }
        sleep(Duration::from_millis(200)).await;
    }
    // Let every subscription go through its periodic work before measuring.
    sleep(options.settle).await;
    ended_early(&mut inbox)?;
    let rss_after = options.server_pid.map(rss_kib).transpose()?;
    let memory = match (rss_before, rss_after) {
        (Some(before), Some(after)) => format!(
            " rss_before_kib={before} rss_after_kib={after} per_connection_kib={:.2}",
            after.saturating_sub(before) as f64 / options.connections as f64
        ),
        _ => String::new(),
    };
    println!(
        "live_consoles connections={} subscriptions={} sessions={needed} source_addresses={} open_s={:.1}{memory}",
        options.connections,
        subscriptions,
        addresses.len(),
        opened_in.as_secs_f64()
    );

    if !options.idle.is_zero() {
        idle_cost(&http, &options).await?;
        ended_early(&mut inbox)?;
    }

    let fanout_account = sessions[0].account_id;
    let subscribers: Vec<usize> = (0..options.connections)
        .filter(|n| account_of[*n] == fanout_account)
        .collect();
    for round in 1..=options.rounds {
        fanout(
            &http,
            &options.base,
            &sessions[0].token,
            &subscribers,
            options.subscriptions,
            &mut inbox,
            round,
        )
        .await?;
    }
    Ok(())
}

/// Fails when a connection ended or received something while it should sit idle.
fn ended_early(inbox: &mut mpsc::UnboundedReceiver<Report>) -> Outcome<()> {
    match inbox.try_recv() {
        Ok(Report::Ended(n, why)) => Err(format!("#{n} ended while idle: {why}")),
        Ok(Report::Heard { n, id, .. }) => Err(format!("#{n} heard {id} while idle")),
        Ok(_) => Err("an unexpected report while idle".into()),
        Err(_) => Ok(()),
    }
}

/// The idle server's CPU and SQL statements over `options.idle`.
async fn idle_cost(http: &reqwest::Client, options: &RunOptions) -> Outcome<()> {
    let Some(pid) = options.server_pid else {
        return Ok(());
    };
    let statements = async |http: &reqwest::Client| match &options.ops_token {
        Some(token) => statements_executed(http, &options.base, token)
            .await
            .map(Some),
        None => Ok(None),
    };
    let (cpu_before, sql_before, at) = (cpu_ns(pid)?, statements(http).await?, Instant::now());
    sleep(options.idle).await;
    let (cpu_after, sql_after, took) = (cpu_ns(pid)?, statements(http).await?, at.elapsed());
    let secs = took.as_secs_f64();
    let sql = match (sql_before, sql_after) {
        (Some(before), Some(after)) => format!(
            " sql_per_s={:.1}",
            after.saturating_sub(before) as f64 / secs
        ),
        _ => String::new(),
    };
    println!(
        "live_idle seconds={secs:.1} server_cpu_pct={:.1}{sql}",
        cpu_after.saturating_sub(cpu_before) as f64 / 1e9 / secs * 100.0
    );
    Ok(())
}

/// One notice to the fan-out account: from sending the mutation to each subscriber's event.
async fn fanout(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    subscribers: &[usize],
    per_connection: usize,
    inbox: &mut mpsc::UnboundedReceiver<Report>,
    round: usize,
) -> Outcome<()> {
    ended_early(inbox)?;
    let connections: BTreeSet<usize> = subscribers.iter().copied().collect();
    let expected = connections.len() * per_connection;
    let sent = Instant::now();
    let out: Value = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": TRIGGER }))
        .send()
        .await
        .map_err(|err| format!("the trigger: {err}"))?
        .json()
        .await
        .map_err(|err| format!("the trigger's answer: {err}"))?;
    let answered = sent.elapsed();
    let created = &out["data"]["createAccessKey"];
    if created["userErrors"] != json!([]) || created["accessKey"].is_null() {
        return Err(format!("the trigger was refused: {out}"));
    }

    let deadline = sent + FANOUT_WAIT;
    let mut heard: HashMap<(usize, String), Duration> = HashMap::new();
    let mut ids = BTreeSet::new();
    let mut strays = 0;
    let mut stop_at = deadline;
    loop {
        match timeout_at(stop_at, inbox.recv()).await {
            Ok(Some(Report::Heard { n, sub, id, at })) if connections.contains(&n) => {
                ids.insert(id);
                if heard.insert((n, sub), at.duration_since(sent)).is_some() {
                    return Err(format!("#{n} heard the notice twice"));
                }
                if heard.len() == expected {
                    stop_at = Instant::now() + STRAY_WAIT;
                }
            }
            Ok(Some(Report::Heard { .. })) => strays += 1,
            Ok(Some(Report::Ended(n, why))) => return Err(format!("#{n} ended: {why}")),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let mut times: Vec<Duration> = heard.into_values().collect();
    times.sort();
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let median = times.len().div_ceil(2).saturating_sub(1);
    println!(
        "live_fanout round={round} subscribers={} heard={} other_accounts_heard={strays} trigger_ms={:.1} first_ms={:.1} p50_ms={:.1} last_ms={:.1}",
        expected,
        times.len(),
        answered.as_secs_f64() * 1000.0,
        ms(times.first()),
        ms(times.get(median)),
        ms(times.last()),
    );
    if times.len() != expected || strays > 0 || ids.len() != 1 {
        return Err(format!(
            "round {round}: {} of {} subscribers heard the notice within {FANOUT_WAIT:?}, \
             {strays} other subscribers heard it, {} distinct message IDs",
            times.len(),
            expected,
            ids.len()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// One connection
// ---------------------------------------------------------------------------------------

struct Connection {
    n: usize,
    server: SocketAddr,
    source: Ipv4Addr,
    url: String,
    token: String,
    subscriptions: usize,
    reports: mpsc::UnboundedSender<Report>,
}

impl Connection {
    /// Opens, signs in and subscribes (at most `OPENING_AT_ONCE` at a time), then listens
    /// until the run ends.
    async fn open(self, gate: Arc<Semaphore>) {
        let Ok(permit) = gate.acquire_owned().await else {
            return;
        };
        let opened = timeout(STEP, self.handshake()).await;
        drop(permit);
        let socket = match opened {
            Ok(Ok(socket)) => socket,
            Ok(Err(why)) => {
                let _ = self.reports.send(Report::Failed(self.n, why));
                return;
            }
            Err(_) => {
                let _ = self
                    .reports
                    .send(Report::Failed(self.n, format!("no answer in {STEP:?}")));
                return;
            }
        };
        let _ = self.reports.send(Report::Ready);
        self.listen(socket).await;
    }

    async fn handshake(&self) -> Outcome<Socket> {
        let fail = |what: &str| {
            let what = what.to_owned();
            move |err: std::io::Error| format!("{what}: {err}")
        };
        let socket = TcpSocket::new_v4().map_err(fail("socket"))?;
        socket
            .bind(SocketAddr::new(IpAddr::V4(self.source), 0))
            .map_err(fail(&format!("bind {}", self.source)))?;
        let stream = socket.connect(self.server).await.map_err(fail("connect"))?;
        stream.set_nodelay(true).map_err(fail("nodelay"))?;
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|err| err.to_string())?;
        request.headers_mut().insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("graphql-transport-ws"),
        );
        // The client's own buffers: small, as it holds as many sockets as the server.
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (mut socket, _) = client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|err| format!("upgrade: {err}"))?;
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": { "token": self.token } }),
        )
        .await?;
        expect(&mut socket, "connection_ack").await?;
        for id in 1..=self.subscriptions {
            let subscribe = json!({ "type": "subscribe", "id": id.to_string(),
                                    "payload": { "query": SUBSCRIPTION } });
            send(&mut socket, subscribe).await?;
        }
        // The pong follows the subscribes (a refusal may come later: the run counts the
        // server's open subscriptions too).
        send(&mut socket, json!({ "type": "ping" })).await?;
        expect(&mut socket, "pong").await?;
        Ok(socket)
    }

    async fn listen(self, mut socket: Socket) {
        while let Some(frame) = socket.next().await {
            let text = match frame {
                Ok(Frame::Text(text)) => text,
                Ok(Frame::Close(frame)) => {
                    let _ = self
                        .reports
                        .send(Report::Ended(self.n, format!("closed: {frame:?}")));
                    return;
                }
                Ok(_) => continue,
                Err(err) => {
                    let _ = self.reports.send(Report::Ended(self.n, err.to_string()));
                    return;
                }
            };
            let at = Instant::now();
            let message: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            let report = match message["type"].as_str() {
                Some("next") if message["payload"]["errors"].is_null() => Report::Heard {
                    n: self.n,
                    sub: message["id"].as_str().unwrap_or_default().to_owned(),
                    id: message["payload"]["data"]["messageAdded"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    at,
                },
                Some("ping") => {
                    if send(&mut socket, json!({ "type": "pong" })).await.is_err() {
                        return;
                    }
                    continue;
                }
                Some("pong") => continue,
                _ => Report::Ended(self.n, text.to_string()),
            };
            if self.reports.send(report).is_err() {
                return;
            }
        }
    }
}

async fn send(socket: &mut Socket, message: Value) -> Outcome<()> {
    socket
        .send(Frame::text(message.to_string()))
        .await
        .map_err(|err| format!("send: {err}"))
}

/// The next protocol message must be `want` (server pings are answered on the way).
async fn expect(socket: &mut Socket, want: &str) -> Outcome<()> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Frame::Text(text))) => text,
            Some(Ok(Frame::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.to_string()),
            None => return Err("the stream ended".into()),
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        match message["type"].as_str() {
            Some(kind) if kind == want => return Ok(()),
            Some("ping") => send(socket, json!({ "type": "pong" })).await?,
            _ => return Err(format!("{want} expected, got {text}")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The server, observed
// ---------------------------------------------------------------------------------------

async fn wait_ready(http: &reqwest::Client, base: &str) -> Outcome<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{base} is not ready"));
        }
        sleep(Duration::from_millis(200)).await;
    }
}

/// The server's `graphql_open_subscriptions` gauge.
async fn open_subscriptions(http: &reqwest::Client, base: &str) -> Outcome<u64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|err| format!("/metrics: {err}"))?
        .text()
        .await
        .map_err(|err| format!("/metrics: {err}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("graphql_open_subscriptions "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
        .ok_or_else(|| "/metrics has no graphql_open_subscriptions".into())
}

/// SQL statements the server has run (ops API).
async fn statements_executed(http: &reqwest::Client, base: &str, token: &str) -> Outcome<u64> {
    let out: Value = http
        .post(format!("{base}/ops/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ sqlStatementsExecuted }" }))
        .send()
        .await
        .map_err(|err| format!("ops: {err}"))?
        .json()
        .await
        .map_err(|err| format!("ops: {err}"))?;
    out["data"]["sqlStatementsExecuted"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("ops: no statement count in {out}"))
}

/// The process's resident memory (`VmRSS`, KiB).
fn rss_kib(pid: u32) -> Outcome<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|err| format!("{path}: {err}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path} has no VmRSS"))
}

/// CPU time all the process's threads have run (ns), from each thread's `schedstat`.
fn cpu_ns(pid: u32) -> Outcome<u64> {
    let dir = format!("/proc/{pid}/task");
    let threads = std::fs::read_dir(&dir).map_err(|err| format!("{dir}: {err}"))?;
    let mut total = 0;
    for thread in threads.flatten() {
        // A thread may end between the listing and the read; its time is then lost.
        if let Ok(stat) = std::fs::read_to_string(thread.path().join("schedstat")) {
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok(total)
}
