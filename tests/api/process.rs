//! The real binary as an operator runs it: the startup line says which mode runs and holds
//! no secret, a refused start exits non-zero, and SIGTERM lets an in-flight request finish.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "process-test-secret-key-0123456789abcdef";
const OPS_TOKEN: &str = "process-test-ops-token-of-thirty-two-characters";
const GATEWAY_TOKEN: &str = "process-test-gateway-token";

fn database_url(tag: &str) -> (String, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("ac_process_{tag}_{}.db", std::process::id()));
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

/// Starts `account-center serve` with JSON logs on a free port.
fn spawn(database: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_account-center"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-json",
            "--database-url",
            database,
        ])
        .args(extra)
        .env_remove("ACCOUNT_CENTER_SANDBOX")
        .env_remove("ACCOUNT_CENTER_PRODUCTION")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary")
}

/// Reads log lines until the one with `message`; returns it and everything read.
fn read_until(child: &mut Child, message: &str) -> (Option<Value>, String) {
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        seen.push_str(&line);
        seen.push('\n');
        if let Ok(entry) = serde_json::from_str::<Value>(&line)
            && entry["fields"]["message"] == message
        {
            return (Some(entry), seen);
        }
    }
    (None, seen)
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn production_startup_line_names_the_mode_and_no_secret() {
    let (database, path) = database_url("prod");
    let mut child = spawn(
        &database,
        &[
            "--production",
            "--secret-key",
            SECRET,
            "--ops-token",
            OPS_TOKEN,
            "--gateway-url",
            "http://127.0.0.1:9/gateway",
            "--gateway-token",
            GATEWAY_TOKEN,
        ],
    );
    let (line, seen) = read_until(&mut child, "account-center serving");
    terminate(&child);
    let _ = child.wait();
    let line = line.unwrap_or_else(|| panic!("no startup line in:\n{seen}"));
    let fields = &line["fields"];
    assert_eq!(fields["mode"], "production", "{line}");
    assert_eq!(fields["adapters"], "provider gateway", "{line}");
    assert_eq!(fields["graphiql"], false);
    assert_eq!(fields["introspection"], false);
    assert_eq!(fields["secure_cookies"], true);
    for secret in [SECRET, OPS_TOKEN, GATEWAY_TOKEN] {
        assert!(!seen.contains(secret), "a secret in the log:\n{seen}");
    }
    std::fs::remove_file(path).ok();
}

#[test]
fn a_refused_start_exits_with_failure_and_says_why() {
    let (database, path) = database_url("refused");
    let child = spawn(&database, &["--production", "--ops-token", OPS_TOKEN]);
    let output = child.wait_with_output().expect("exit");
    assert!(!output.status.success());
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(
        log.contains("cannot start") && log.contains("secret"),
        "{log}"
    );
    assert!(!log.contains(OPS_TOKEN));
    std::fs::remove_file(path).ok();
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    let (database, path) = database_url("shutdown");
    let mut child = spawn(&database, &[]);
    let (line, seen) = read_until(&mut child, "account-center serving");
    let line = line.unwrap_or_else(|| panic!("no startup line in:\n{seen}"));
    // The startup line shows a clickable URL (issue 18).
    let address = line["fields"]["url"]
        .as_str()
        .and_then(|url| url.strip_prefix("http://"))
        .expect("an http:// url")
        .to_owned();
    assert_eq!(line["fields"]["mode"], "sandbox");

    // A request whose body is still arriving when the signal comes.
    let body = br#"{"query":"{ __typename }"}"#;
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&child);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // New connections are no longer served...
    let refused = match tokio::net::TcpStream::connect(&address).await {
        Err(_) => true,
        Ok(mut late) => {
            let _ = late
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut buf = Vec::new();
            matches!(
                tokio::time::timeout(Duration::from_secs(2), late.read_to_end(&mut buf)).await,
                Ok(Ok(0)) | Ok(Err(_)) | Err(_)
            )
        }
    };
    assert!(refused, "a connection opened after SIGTERM was served");

    // ...but the one in flight is answered in full.
    stream.write_all(&body[10..]).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the in-flight answer")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""__typename":"Query""#), "{response}");

    let exited = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .expect("exit");
    assert!(exited.success(), "{exited}");
    std::fs::remove_file(path).ok();
}
