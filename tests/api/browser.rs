//! GraphiQL works offline: a real headless Chromium, cut off from every network but this
//! machine's loopback and driven over the DevTools protocol, opens the console's GraphiQL
//! page, runs the viewer query with the web console's session cookie and then with a
//! bearer token from the Headers tab, and receives a `messageAdded` event over the
//! WebSocket; the page asked for nothing but this server.
//! Screenshots: target/browser-test/graphiql.png and graphiql-subscription.png.
//!
//! The browser is `$CHROMIUM` or the first of chromium, chromium-browser, google-chrome,
//! google-chrome-stable on PATH (Debian: `apt-get install -y chromium`). Without one the
//! test prints a notice and passes, except with CI=true, where it fails.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    time::{Instant, sleep, timeout},
};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

use crate::helpers::{Backend, TestApp, run, run_with};

/// Loading a page and running a query, on a busy 2-core machine with a debug server.
const WAIT: Duration = Duration::from_secs(30);

const CREATE_KEY: &str = "mutation { createAccessKey(input: {}) {
    userErrors { code message } accessKey { secretId } } }";
const NEWEST_MESSAGE: &str = "{ viewer { messages(first: 1) { edges { node { id title } } } } }";

/// The browser to drive, if this machine has one.
fn find_browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Where the test leaves its screenshots: target/browser-test/.
fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser-test");
    std::fs::create_dir_all(&dir).expect("create target/browser-test");
    dir
}

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A headless Chromium and a DevTools connection to its one page.
struct Browser {
    child: Child,
    profile: PathBuf,
    page: Socket,
    next_id: u64,
    /// Every event the page reported, in order.
    events: Vec<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the browser, then removes its profile once it has stopped writing there.
        let _ = self.child.start_kill();
        for _ in 0..50 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    async fn launch(binary: &Path, profile: PathBuf) -> Browser {
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("a profile folder");
        let mut child = Command::new(binary)
            .args([
                "--headless",
                // Tests run as root in CI; the page is our own.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--mute-audio",
                "--window-size=1280,900",
                // No network but loopback: no name resolves, and anything that still
                // tried would go to a proxy that is not there.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the browser");
        let stderr = child.stderr.take().expect("the browser's stderr");
        let mut lines = BufReader::new(stderr).lines();
        let endpoint = timeout(WAIT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("the browser ended without a DevTools endpoint");
        })
        .await
        .expect("the browser's DevTools endpoint");
        // Keep reading what it prints, so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let port = endpoint
            .trim_start_matches("ws://127.0.0.1:")
            .split('/')
            .next()
            .expect("a port");
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .expect("list the browser's pages")
            .json()
            .await
            .expect("the page list");
        let page_url = targets
            .as_array()
            .and_then(|all| all.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page to drive")
            .to_owned();
        let (page, _) = connect_async(page_url.as_str())
            .await
            .expect("connect to the page");
        Browser {
            child,
            profile,
            page,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// Sends a DevTools command and waits for its answer, keeping the events between.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.page
            .send(Message::text(command.to_string()))
            .await
            .expect("send a DevTools command");
        let answer = timeout(WAIT, async {
            loop {
                let frame = self
                    .page
                    .next()
                    .await
                    .expect("the DevTools connection closed")
                    .expect("read from DevTools");
                let Message::Text(text) = frame else { continue };
                let message: Value = serde_json::from_str(&text).expect("DevTools JSON");
                if message["id"] == id {
                    return message;
                }
                self.events.push(message);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {method}"));
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    async fn eval(&mut self, expression: &str) -> Value {
        let out = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(out.get("exceptionDetails").is_none(), "{expression}: {out}");
        out["result"]["value"].clone()
    }

    /// Polls `expression` until it gives a truthy value, which it returns.
    async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.eval(expression).await;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot("graphiql-failure.png").await;
                panic!(
                    "timed out waiting for {what} (screenshot: {})",
                    shot.display()
                );
            }
            sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the page has sent a WebSocket frame containing `needle`.
    async fn wait_for_frame_sent(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let sent = self.events.iter().any(|e| {
                e["method"] == "Network.webSocketFrameSent"
                    && e["params"]["response"]["payloadData"]
                        .as_str()
                        .is_some_and(|p| p.contains(needle))
            });
            if sent {
                return;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot("graphiql-failure.png").await;
                let seen: Vec<&Value> = self
                    .events
                    .iter()
                    .filter(|e| {
                        e["method"].as_str().is_some_and(|m| {
                            m.starts_with("Network.webSocket") || m.starts_with("Runtime.")
                        }) || e["method"] == "Network.loadingFailed"
                    })
                    .collect();
                panic!(
                    "the page sent no WebSocket frame with {needle} (screenshot: {}): {seen:#?}",
                    shot.display()
                );
            }
            sleep(Duration::from_millis(100)).await;
            self.eval("1").await;
        }
    }

    async fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        let path = output_dir().join(name);
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Sets the text of the CodeMirror editor found by `selector`.
    async fn set_editor(&mut self, selector: &str, text: &str) {
        let script = format!(
            "(() => {{ const el = {selector}; el.CodeMirror.setValue({text}); return el.CodeMirror.getValue(); }})()",
            text = json!(text)
        );
        assert_eq!(self.eval(&script).await, json!(text));
    }
}

const QUERY_EDITOR: &str = "document.querySelector('.graphiql-query-editor .CodeMirror')";
const HEADERS_EDITOR: &str = "document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')[1].querySelector('.CodeMirror')";
const RESULT: &str =
    "(document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() ?? '')";
const RUN: &str = "document.querySelector('.graphiql-execute-button').click(); true";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_queries_and_subscriptions_offline() {
    let Some(binary) = find_browser() else {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true but no Chromium was found: .ci/run installs Debian's chromium"
        );
        eprintln!(
            "notice: no Chromium on this machine (apt-get install -y chromium, or set CHROMIUM); \
             the GraphiQL browser test is skipped"
        );
        return;
    };
    run(Backend::Sqlite, |app| offline_graphiql(app, binary)).await;
}

async fn offline_graphiql(app: TestApp, binary: PathBuf) {
    let (token, account) = app
        .register_email("INTERNATIONAL", "graphiql@example.com")
        .await;
    let account_id = account["accountId"].as_str().expect("accountId").to_owned();
    let (cookie_token, cookie_account) = app
        .register_email("INTERNATIONAL", "graphiql-cookie@example.com")
        .await;
    let cookie_account_id = cookie_account["accountId"].as_str().expect("accountId");

    let profile = output_dir().join(format!("profile-{}", std::process::id()));
    let mut browser = Browser::launch(&binary, profile).await;
    browser.call("Network.enable", json!({})).await;
    browser.call("Runtime.enable", json!({})).await;
    browser.call("Page.enable", json!({})).await;

    // The web console's session cookie, as signIn sets it.
    browser
        .call(
            "Network.setCookie",
            json!({ "name": "ac_session", "value": cookie_token, "url": app.base, "httpOnly": true }),
        )
        .await;
    // A browser navigating to the endpoint gets the page.
    browser
        .call(
            "Page.navigate",
            json!({ "url": format!("{}/graphql", app.base) }),
        )
        .await;
    let document = browser
        .wait_for(
            "the editor with the viewer query",
            &format!("{QUERY_EDITOR}?.CodeMirror.getValue()"),
        )
        .await;
    let document = document.as_str().unwrap_or_default();
    assert!(document.contains("query Viewer"), "{document}");
    assert!(document.contains("Authorization"), "{document}");

    // Signed in to the web console (its HttpOnly cookie): the default query just runs.
    browser.eval(RUN).await;
    browser
        .wait_for(
            "the cookie's viewer in the result pane",
            &format!("{RESULT}.includes('{cookie_account_id}')"),
        )
        .await;
    browser.call("Network.clearBrowserCookies", json!({})).await;

    // Otherwise the bearer token goes in the Headers tab.
    browser
        .eval(
            "[...document.querySelectorAll('.graphiql-editor-tools button')]
                .find(b => b.textContent.trim() === 'Headers').click(); true",
        )
        .await;
    browser
        .set_editor(
            HEADERS_EDITOR,
            &format!("{{\n  \"Authorization\": \"Bearer {token}\"\n}}"),
        )
        .await;
    browser.eval(RUN).await;
    let result = browser
        .wait_for(
            "the viewer in the result pane",
            &format!("{RESULT}.includes('{account_id}') && {RESULT}"),
        )
        .await;
    let shown: Value = serde_json::from_str(result.as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(
        shown["data"]["viewer"]["account"]["accountId"],
        json!(account_id),
        "{shown}"
    );
    assert_eq!(shown["data"]["viewer"]["subUser"], Value::Null, "{shown}");
    let shot = browser.screenshot("graphiql.png").await;
    eprintln!("screenshot: {}", shot.display());

    // The subscription runs over the WebSocket at the same URL, signed in by the same
    // header (sent as `token` in connection_init).
    browser
        .set_editor(
            QUERY_EDITOR,
            "subscription Messages {\n  messageAdded { id category title body }\n}\n",
        )
        .await;
    // GraphiQL reads the operation's name a moment after an edit; the tab shows it.
    browser
        .wait_for(
            "the tab named after the subscription",
            "document.querySelector('.graphiql-tabs')?.textContent.includes('Messages')",
        )
        .await;
    browser.eval(RUN).await;
    browser.wait_for_frame_sent("\"subscribe\"").await;
    // The server reads the subscribe frame before the event: let it.
    sleep(Duration::from_millis(500)).await;
    let created = app.gql_as(Some(&token), CREATE_KEY, json!({})).await;
    assert_eq!(
        created["data"]["createAccessKey"]["userErrors"],
        json!([]),
        "{created}"
    );
    let newest = app.gql_as(Some(&token), NEWEST_MESSAGE, json!({})).await;
    let message = &newest["data"]["viewer"]["messages"]["edges"][0]["node"];
    let message_id = message["id"].as_str().expect("a message").to_owned();
    let result = browser
        .wait_for(
            "the messageAdded event in the result pane",
            &format!("{RESULT}.includes('{message_id}') && {RESULT}"),
        )
        .await;
    let shown: Value = serde_json::from_str(result.as_str().unwrap_or_default()).expect("JSON");
    assert_eq!(
        shown["data"]["messageAdded"]["title"], message["title"],
        "{shown}"
    );
    let shot = browser.screenshot("graphiql-subscription.png").await;
    eprintln!("screenshot: {}", shot.display());

    // Nothing came from anywhere but this server, and nothing failed.
    let ws_base = app.base.replacen("http://", "ws://", 1);
    let requested: Vec<String> = browser
        .events
        .iter()
        .filter(|e| {
            e["method"] == "Network.requestWillBeSent" || e["method"] == "Network.webSocketCreated"
        })
        .filter_map(|e| {
            e["params"]["request"]["url"]
                .as_str()
                .or(e["params"]["url"].as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(
        requested
            .iter()
            .any(|u| u.contains("/graphiql/assets/graphiql.")),
        "{requested:?}"
    );
    for url in &requested {
        assert!(
            url.starts_with(&app.base) || url.starts_with(&ws_base) || url.starts_with("data:"),
            "the page asked for {url}"
        );
    }
    let problems: Vec<&Value> = browser
        .events
        .iter()
        .filter(|e| {
            e["method"] == "Runtime.exceptionThrown"
                || e["method"] == "Network.loadingFailed"
                || (e["method"] == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The page names only this server's assets, which are cached for good under their
/// content hash; the ops page has its own document; without GraphiQL there are none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_assets_come_from_the_binary() {
    run(Backend::Sqlite, |app| async move {
        let get = |path: &str| {
            app.client
                .get(format!("{}{path}", app.base))
                .header(reqwest::header::ACCEPT, "text/html,*/*;q=0.8")
                .send()
        };
        let page = get("/").await.unwrap().text().await.unwrap();
        assert!(page.contains("query Viewer"), "{page}");
        assert!(
            !page.contains("http"),
            "the page names another origin: {page}"
        );
        let urls: Vec<&str> = page
            .split(['"', '\''])
            .filter(|s| s.starts_with("/graphiql/assets/"))
            .collect();
        assert_eq!(urls.len(), 2, "{page}");
        for url in urls {
            let asset = get(url).await.unwrap();
            assert_eq!(asset.status(), 200, "{url}");
            assert_eq!(
                asset.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
            assert!(asset.bytes().await.unwrap().len() > 10_000, "{url}");
        }
        let licenses = get("/graphiql/assets/THIRD-PARTY-LICENSES.txt")
            .await
            .unwrap();
        let licenses = licenses.text().await.unwrap();
        assert!(licenses.contains("graphiql@4"), "{licenses:.200}");
        assert!(licenses.contains("react-dom@"), "{licenses:.200}");
        assert_eq!(
            get("/graphiql/assets/graphiql.0.js")
                .await
                .unwrap()
                .status(),
            404
        );

        let ops = get("/ops/graphql").await.unwrap().text().await.unwrap();
        assert!(ops.contains("ops token"), "{ops}");
        assert!(ops.contains("\"subscriptions\":false"), "{ops}");
    })
    .await;
    run_with(
        Backend::Sqlite,
        |args| args.graphiql = Some(false),
        |app| async move {
            let asset = app
                .client
                .get(format!(
                    "{}/graphiql/assets/THIRD-PARTY-LICENSES.txt",
                    app.base
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(asset.status(), 404);
        },
    )
    .await;
}
