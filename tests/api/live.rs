//! NTF-06: live updates over the GraphQL WebSocket at `/graphql` (graphql-transport-ws):
//! how a connection is signed in, the events a subscriber receives (its own, within 2 s,
//! from any instance), subscriptions ending with their session, and the per-session limit.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{
        Message as Frame,
        client::IntoClientRequest,
        http::{HeaderValue, header},
    },
};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp},
    identities::{credit_code, resident_id},
    sign_in::{session_token, sign_in},
};

/// NTF-06: an event arrives within 2 s of the change.
const LIVE: Duration = Duration::from_secs(2);
/// The server checks a subscription's session every 2 s: a few seconds to close it.
const SESSION_END: Duration = Duration::from_secs(5);

const MESSAGE_ADDED: &str = "subscription { messageAdded { id category title body } }";
const VERIFICATION_CHANGED: &str = "subscription { verificationChanged { id state } }";

const CREATE_KEY: &str = "mutation { createAccessKey(input: {}) {
    userErrors { code message } accessKey { secretId } } }";

const NEWEST_MESSAGE: &str = "{ viewer { messages(first: 1) { edges { node { id title } } } } }";

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How the upgrade request names the session.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
}

/// What the server sent next.
#[derive(Debug)]
enum Received {
    Message(Value),
    Closed(Option<u16>, String),
    Nothing,
}

/// One graphql-transport-ws connection.
struct Live {
    socket: Socket,
}

impl Live {
    /// Opens the WebSocket (protocol graphql-transport-ws), without initialising it.
    async fn open(app: &TestApp, auth: Auth<'_>) -> Live {
        let url = format!("{}/graphql", app.base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("a WebSocket request");
        let headers = request.headers_mut();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("graphql-transport-ws"),
        );
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                headers.insert(
                    header::AUTHORIZATION,
                    HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
                );
            }
            Auth::Cookie(token) => {
                headers.insert(
                    header::COOKIE,
                    HeaderValue::from_str(&format!("theme=dark; ac_session={token}")).unwrap(),
                );
            }
        }
        let (socket, response) = connect_async(request).await.expect("the upgrade");
        assert_eq!(
            response
                .headers()
                .get(header::SEC_WEBSOCKET_PROTOCOL)
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws"),
            "{response:?}"
        );
        Live { socket }
    }

    /// Opens and initialises a connection that must be accepted.
    async fn signed_in(app: &TestApp, auth: Auth<'_>, payload: Value) -> Live {
        let mut live = Live::open(app, auth).await;
        live.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match live.receive(Instant::now() + LIVE).await {
            Received::Message(m) if m["type"] == "connection_ack" => {}
            other => panic!("connection_ack expected, got {other:?}"),
        }
        live
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Frame::text(message.to_string()))
            .await
            .expect("send on the WebSocket");
    }

    /// Subscribes `id` to `query`, and waits until the server has read it (a ping's pong
    /// follows every message sent before it).
    async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query } }))
            .await;
        self.sync().await;
    }

    /// Pings and waits for the pong; any other message before it fails the test.
    async fn sync(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        match self.receive(Instant::now() + LIVE).await {
            Received::Message(m) if m["type"] == "pong" => {}
            other => panic!("pong expected, got {other:?}"),
        }
    }

    /// The next protocol message, or how the connection ended, or nothing by `deadline`.
    async fn receive(&mut self, deadline: Instant) -> Received {
        loop {
            match timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Received::Nothing,
                Ok(None) => return Received::Closed(None, "the stream ended".into()),
                Ok(Some(Err(err))) => return Received::Closed(None, err.to_string()),
                Ok(Some(Ok(Frame::Text(text)))) => {
                    let message: Value = serde_json::from_str(text.as_str()).expect("JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Received::Message(message);
                }
                Ok(Some(Ok(Frame::Close(frame)))) => {
                    return match frame {
                        Some(f) => Received::Closed(Some(u16::from(f.code)), f.reason.to_string()),
                        None => Received::Closed(None, String::new()),
                    };
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// The next `next` payload's data for subscription `id`, by `deadline`.
    async fn next_for(&mut self, id: &str, deadline: Instant) -> Value {
        match self.receive(deadline).await {
            Received::Message(m) if m["type"] == "next" && m["id"] == id => {
                assert!(m["payload"]["errors"].is_null(), "{m}");
                m["payload"]["data"].clone()
            }
            other => panic!("an event for {id} expected, got {other:?}"),
        }
    }

    /// Nothing arrives before `deadline`.
    async fn silent_until(&mut self, deadline: Instant) {
        match self.receive(deadline).await {
            Received::Nothing => {}
            other => panic!("nothing expected, got {other:?}"),
        }
    }
}

/// Creates an access key as `token` (an ACCESS_KEY_CREATED notice follows).
async fn create_key(app: &TestApp, token: &str) {
    let out = app.gql_as(Some(token), CREATE_KEY, json!({})).await;
    assert_eq!(
        out["data"]["createAccessKey"]["userErrors"],
        json!([]),
        "{out}"
    );
}

/// The ID of the principal's newest message.
async fn newest_message(app: &TestApp, token: &str) -> Value {
    let out = app.gql_as(Some(token), NEWEST_MESSAGE, json!({})).await;
    out["data"]["viewer"]["messages"]["edges"][0]["node"]["id"].clone()
}

/// An INTERNATIONAL ID-document request waiting for review; its verification ID.
async fn pending_document(app: &TestApp, token: &str, passport: &str) -> Value {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: SubmitIndividualVerificationInput!) { submitIndividualVerification(input: $i) {
                userErrors { code message } verification { id state } } }",
            "submitIndividualVerification",
            json!({ "method": "ID_DOCUMENT", "region": "OVERSEAS", "name": "John Smith",
                    "idNumber": passport, "birthDate": "1985-05-05" }),
        )
        .await;
    assert_eq!(out["verification"]["state"], "PENDING", "{out}");
    out["verification"]["id"].clone()
}

/// The operator approves a pending verification.
async fn approve(app: &TestApp, verification_id: &Value) {
    let out = app
        .ops(
            "mutation($id: ID!) { reviewVerification(verificationId: $id, approve: true) { ok message } }",
            json!({ "id": verification_id }),
        )
        .await;
    assert_eq!(out["data"]["reviewVerification"]["ok"], true, "{out}");
}

async fn sign_out(app: &TestApp, token: &str) {
    let out = app
        .gql_as(
            Some(token),
            "mutation { signOut(input: {}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(out["data"]["signOut"]["userErrors"], json!([]), "{out}");
}

/// A sub-user of the root `token` signed in with the standard password; its session token.
async fn sub_user_session(app: &TestApp, token: &str, root_account_id: &str, name: &str) -> String {
    let out = app
        .mutate(
            Some(token),
            "mutation($i: CreateSubUserInput!) { createSubUser(input: $i) { userErrors { code } } }",
            "createSubUser",
            json!({ "name": name, "password": PASSWORD }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let out = app
        .mutate(
            None,
            "mutation($i: SignInSubUserInput!) { signInSubUser(input: $i) {
                userErrors { code } session { token } } }",
            "signInSubUser",
            json!({ "rootAccountId": root_account_id, "userName": name, "password": PASSWORD }),
        )
        .await;
    session_token(&out)
}

/// A refused subscription: a graphql-transport-ws `error`, or a `next` carrying only
/// errors (then `complete`), as async-graphql answers a resolver that refuses to start.
fn refused(message: &Value, id: &str) -> bool {
    message["id"] == id
        && (message["type"] == "error"
            || (message["type"] == "next"
                && message["payload"]["errors"].is_array()
                && message["payload"]["data"].is_null()))
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

async fn messages_and_verification_changes_arrive_within_two_seconds(app: TestApp) {
    let (token, _) = app
        .register_email("INTERNATIONAL", "live-owner@example.com")
        .await;
    let mut live = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    live.subscribe("m", MESSAGE_ADDED).await;
    live.subscribe("v", VERIFICATION_CHANGED).await;

    let changed = Instant::now();
    create_key(&app, &token).await;
    let data = live.next_for("m", changed + LIVE).await;
    // RULE NTF-06: the new message arrives within 2 s, as the message center holds it.
    let message = &data["messageAdded"];
    assert_eq!(message["category"], "SECURITY", "{data}");
    assert_eq!(message["title"], "An access key was created", "{data}");
    assert_eq!(message["id"], newest_message(&app, &token).await, "{data}");

    let verification = pending_document(&app, &token, "P3141592").await;
    let changed = Instant::now();
    approve(&app, &verification).await;
    let deadline = changed + LIVE;
    let mut seen_verification = None;
    let mut seen_message = None;
    while seen_verification.is_none() || seen_message.is_none() {
        match live.receive(deadline).await {
            Received::Message(m) if m["type"] == "next" && m["id"] == "v" => {
                seen_verification = Some(m["payload"]["data"]["verificationChanged"].clone());
            }
            Received::Message(m) if m["type"] == "next" && m["id"] == "m" => {
                seen_message = Some(m["payload"]["data"]["messageAdded"].clone());
            }
            other => panic!(
                "the decision's events within 2 s expected, got {other:?} \
                 (so far: {seen_verification:?}, {seen_message:?})"
            ),
        }
    }
    // RULE NTF-06: the verification's change arrives within 2 s, with its new state ...
    let seen = seen_verification.unwrap();
    assert_eq!(seen["id"], verification, "{seen}");
    assert_eq!(seen["state"], "APPROVED", "{seen}");
    // RULE NTF-06: ... and so does the decision's message.
    let seen = seen_message.unwrap();
    assert_eq!(seen["category"], "VERIFICATION", "{seen}");
}

async fn a_connection_signs_in_by_header_cookie_or_init_payload_or_is_closed(app: TestApp) {
    let (token, _) = app.register_email("CHINA", "live-auth@example.com").await;
    // RULE NTF-06: the session from the bearer header, the cookie, or connection_init.
    let mut by_header = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    let mut by_cookie = Live::signed_in(&app, Auth::Cookie(&token), json!({})).await;
    let mut by_payload = Live::signed_in(&app, Auth::None, json!({ "token": token })).await;
    for live in [&mut by_header, &mut by_cookie, &mut by_payload] {
        live.subscribe("1", MESSAGE_ADDED).await;
    }
    let changed = Instant::now();
    create_key(&app, &token).await;
    for live in [&mut by_header, &mut by_cookie, &mut by_payload] {
        let data = live.next_for("1", changed + LIVE).await;
        assert_eq!(data["messageAdded"]["title"], "An access key was created");
    }

    let (revoked, _) = app
        .register_email("CHINA", "live-revoked@example.com")
        .await;
    sign_out(&app, &revoked).await;
    for (auth, payload) in [
        (Auth::None, json!({})),
        (Auth::None, json!({ "token": "not-a-session" })),
        (Auth::Bearer("not-a-session"), json!({})),
        (Auth::Cookie("not-a-session"), json!({})),
        (Auth::Bearer(&revoked), json!({})),
        (Auth::None, json!({ "token": revoked })),
    ] {
        let mut live = Live::open(&app, auth).await;
        live.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        // RULE NTF-06: without a valid session the connection is closed at connection_init.
        match live.receive(Instant::now() + LIVE).await {
            Received::Closed(code, reason) => {
                assert!(code.is_some(), "a close frame expected: {reason}");
            }
            other => panic!("closed expected for {payload}, got {other:?}"),
        }
    }
}

async fn a_subscriber_sees_only_its_own_principals_events(app: TestApp) {
    let (root, account) = app
        .register_email("INTERNATIONAL", "live-root@example.com")
        .await;
    let root_id = account["accountId"].as_str().unwrap().to_owned();
    let sub = sub_user_session(&app, &root, &root_id, "watcher").await;
    let (other, _) = app
        .register_email("INTERNATIONAL", "live-other@example.com")
        .await;
    let mut lives = Vec::new();
    for token in [&root, &sub, &other] {
        let mut live = Live::signed_in(&app, Auth::Bearer(token), json!({})).await;
        live.subscribe("m", MESSAGE_ADDED).await;
        live.subscribe("v", VERIFICATION_CHANGED).await;
        lives.push(live);
    }
    let [root_live, sub_live, other_live] = &mut lives[..] else {
        unreachable!()
    };

    // The root's events: a message and a verification change.
    let changed = Instant::now();
    create_key(&app, &root).await;
    let data = root_live.next_for("m", changed + LIVE).await;
    assert_eq!(
        data["messageAdded"]["id"],
        newest_message(&app, &root).await
    );
    let verification = pending_document(&app, &root, "P2718281").await;
    let changed = Instant::now();
    approve(&app, &verification).await;
    let mut kinds = Vec::new();
    for _ in 0..2 {
        match root_live.receive(changed + LIVE).await {
            Received::Message(m) if m["type"] == "next" => {
                kinds.push(m["id"].as_str().unwrap_or_default().to_owned());
            }
            other => panic!("the root's events expected, got {other:?}"),
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["m", "v"]);

    // Each of the others then causes an event of its own: the first thing each receives
    // is that event, so none received the root's (published earlier, on the same channel).
    let changed = Instant::now();
    create_key(&app, &other).await;
    let data = other_live.next_for("m", changed + LIVE).await;
    // RULE NTF-06: another account sees none of the root's events.
    assert_eq!(
        data["messageAdded"]["id"],
        newest_message(&app, &other).await,
        "{data}"
    );
    let changed = Instant::now();
    let out = app
        .mutate(
            Some(&sub),
            "mutation($i: ChangePasswordInput!) { changePassword(input: $i) { userErrors { code } } }",
            "changePassword",
            json!({ "currentPassword": PASSWORD, "newPassword": "Watcher#456" }),
        )
        .await;
    assert_eq!(out["userErrors"], json!([]), "{out}");
    let data = sub_live.next_for("m", changed + LIVE).await;
    // RULE NTF-06: a sub-user sees its own message, none of the root account's, and no
    // verification change.
    assert_eq!(
        data["messageAdded"]["title"], "Your password was changed",
        "{data}"
    );
    assert_eq!(data["messageAdded"]["id"], newest_message(&app, &sub).await);
    // And the root, whose next own event follows, never saw the sub-user's or the other's.
    let changed = Instant::now();
    create_key(&app, &root).await;
    let data = root_live.next_for("m", changed + LIVE).await;
    assert_eq!(
        data["messageAdded"]["id"],
        newest_message(&app, &root).await,
        "{data}"
    );
}

async fn subscriptions_end_with_their_session(app: TestApp) {
    let email = "live-session@example.com";
    let (first, _) = app.register_email("CHINA", email).await;
    let second = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let mut ending = Live::signed_in(&app, Auth::Bearer(&first), json!({})).await;
    let mut staying = Live::signed_in(&app, Auth::Bearer(&second), json!({})).await;
    for live in [&mut ending, &mut staying] {
        live.subscribe("m", MESSAGE_ADDED).await;
        live.subscribe("v", VERIFICATION_CHANGED).await;
    }

    sign_out(&app, &first).await;
    let deadline = Instant::now() + SESSION_END;
    let mut completed = Vec::new();
    while completed.len() < 2 {
        match ending.receive(deadline).await {
            Received::Message(m) if m["type"] == "complete" => {
                completed.push(m["id"].as_str().unwrap_or_default().to_owned());
            }
            // The server may close the connection instead.
            Received::Closed(..) => break,
            other => panic!("the signed-out subscriptions' end expected, got {other:?}"),
        }
    }
    // RULE NTF-06: a session that ends closes its subscriptions within a few seconds.
    completed.sort();
    assert!(
        completed.is_empty() || completed == ["m", "v"],
        "{completed:?}"
    );

    // The other session of the same account keeps its subscriptions.
    let changed = Instant::now();
    create_key(&app, &second).await;
    let data = staying.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
    // The signed-out connection hears nothing more.
    match ending
        .receive(Instant::now() + Duration::from_millis(300))
        .await
    {
        Received::Nothing | Received::Closed(..) => {}
        other => panic!("nothing expected after sign-out, got {other:?}"),
    }

    // RULE NTF-06: a session that expires (12 hours) ends its subscriptions too.
    app.advance(12 * 3600 + 60).await;
    let deadline = Instant::now() + SESSION_END;
    let mut completed = Vec::new();
    while completed.len() < 2 {
        match staying.receive(deadline).await {
            Received::Message(m) if m["type"] == "complete" => {
                completed.push(m["id"].as_str().unwrap_or_default().to_owned());
            }
            Received::Closed(..) => break,
            other => panic!("the expired subscriptions' end expected, got {other:?}"),
        }
    }
}

async fn a_session_holds_at_most_ten_subscriptions(app: TestApp) {
    let email = "live-limit@example.com";
    let (token, _) = app.register_email("CHINA", email).await;
    let other_session = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let mut live = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    for n in 1..=10 {
        live.subscribe(&n.to_string(), MESSAGE_ADDED).await;
    }
    // All ten are open: each receives the next message.
    let changed = Instant::now();
    create_key(&app, &token).await;
    let mut heard = Vec::new();
    for _ in 1..=10 {
        match live.receive(changed + LIVE).await {
            Received::Message(m) if m["type"] == "next" => {
                heard.push(m["id"].as_str().unwrap_or_default().parse::<u32>().unwrap());
            }
            other => panic!("ten events expected, got {other:?} after {heard:?}"),
        }
    }
    heard.sort_unstable();
    assert_eq!(heard, (1..=10).collect::<Vec<_>>());

    live.send(json!({ "type": "subscribe", "id": "11",
                      "payload": { "query": MESSAGE_ADDED } }))
        .await;
    // RULE NTF-06: the eleventh subscription of the session is refused.
    match live.receive(Instant::now() + LIVE).await {
        Received::Message(m) if refused(&m, "11") => {
            let text = m.to_string();
            assert!(text.contains("at most 10"), "{text}");
        }
        other => panic!("the 11th subscription refused expected, got {other:?}"),
    }
    // (A `next` with errors is followed by `complete`.)
    match live
        .receive(Instant::now() + Duration::from_millis(500))
        .await
    {
        Received::Message(m) if m["type"] == "complete" && m["id"] == "11" => {}
        Received::Nothing => {}
        other => panic!("nothing or the 11th's complete expected, got {other:?}"),
    }
    // RULE NTF-06: the limit is the session's, across its connections ...
    let mut second = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    second
        .send(json!({ "type": "subscribe", "id": "a", "payload": { "query": MESSAGE_ADDED } }))
        .await;
    match second.receive(Instant::now() + LIVE).await {
        Received::Message(m) if refused(&m, "a") => {}
        other => panic!("refused on a second connection expected, got {other:?}"),
    }
    // ... not the account's: another session subscribes.
    let mut elsewhere = Live::signed_in(&app, Auth::Bearer(&other_session), json!({})).await;
    elsewhere.subscribe("x", MESSAGE_ADDED).await;

    // A completed subscription frees its place.
    live.send(json!({ "type": "complete", "id": "3" })).await;
    match live.receive(Instant::now() + LIVE).await {
        Received::Message(m) if m["type"] == "complete" && m["id"] == "3" => {}
        other => panic!("the complete of 3 expected, got {other:?}"),
    }
    live.subscribe("12", MESSAGE_ADDED).await;
    let changed = Instant::now();
    create_key(&app, &token).await;
    let mut heard = Vec::new();
    while heard.len() < 10 {
        match live.receive(changed + LIVE).await {
            Received::Message(m) if m["type"] == "next" && m["payload"]["errors"].is_null() => {
                heard.push(m["id"].as_str().unwrap_or_default().parse::<u32>().unwrap());
            }
            other => panic!("ten events expected, got {other:?} after {heard:?}"),
        }
    }
    heard.sort_unstable();
    assert_eq!(heard, [1, 2, 4, 5, 6, 7, 8, 9, 10, 12]);
    let data = elsewhere.next_for("x", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
}

async fn a_verification_decided_by_the_bank_is_pushed_live(app: TestApp) {
    let (token, _) = app
        .register_email("CHINA", "live-recharge@example.com")
        .await;
    let out = app
        .mutate(
            Some(&token),
            "mutation($i: SubmitEnterpriseVerificationInput!) { submitEnterpriseVerification(input: $i) {
                userErrors { code message } verification { id state rechargeAmount } } }",
            "submitEnterpriseVerification",
            json!({ "method": "RECHARGE", "region": "MAINLAND", "enterpriseName": "直播公司",
                    "creditCode": credit_code(1802), "legalPersonName": "王五",
                    "legalPersonIdNumber": resident_id("19800101", 802),
                    "licenseIssuedOn": "2020-01-06" }),
        )
        .await;
    let verification = out["verification"].clone();
    assert_eq!(verification["state"], "PENDING", "{out}");
    let mut live = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    live.subscribe("v", VERIFICATION_CHANGED).await;

    let changed = Instant::now();
    let paid = app
        .ops(
            "mutation($id: ID!, $a: String!) { reportRechargeReceived(verificationId: $id, amount: $a) { ok message } }",
            json!({ "id": verification["id"], "a": verification["rechargeAmount"] }),
        )
        .await;
    assert_eq!(paid["data"]["reportRechargeReceived"]["ok"], true, "{paid}");
    // RULE NTF-06: any change of the verification is pushed, here the bank's approval.
    let data = live.next_for("v", changed + LIVE).await;
    assert_eq!(data["verificationChanged"]["id"], verification["id"]);
    assert_eq!(data["verificationChanged"]["state"], "APPROVED");
}

/// Well under the 2 s session check: only the ended session's event closes a
/// subscription this fast.
const AT_ONCE: Duration = Duration::from_millis(700);

async fn a_session_ended_from_another_closes_its_subscriptions_at_once(app: TestApp) {
    let email = "live-revoked@example.com";
    let (first, _) = app.register_email("CHINA", email).await;
    let second = session_token(&sign_in(&app, "CHINA", email, PASSWORD, None).await);
    let mut ending = Live::signed_in(&app, Auth::Bearer(&first), json!({})).await;
    ending.subscribe("m", MESSAGE_ADDED).await;
    ending.sync().await;
    let listed = app
        .gql_as(
            Some(&second),
            "{ viewer { sessions { edges { node { id current } } } } }",
            json!({}),
        )
        .await;
    let first_id = listed["data"]["viewer"]["sessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["current"] == false)
        .map(|e| e["node"]["id"].clone())
        .unwrap_or_else(|| panic!("{listed}"));
    let out = app
        .mutate(
            Some(&second),
            "mutation($i: RevokeSessionInput!) { revokeSession(input: $i) {
                userErrors { code } sessionCount } }",
            "revokeSession",
            json!({ "sessionId": first_id }),
        )
        .await;
    assert_eq!(out["sessionCount"], 1, "{out}");
    // RULE LOG-10: the ended session's live subscriptions close at once.
    match ending.receive(Instant::now() + AT_ONCE).await {
        Received::Message(m) if m["type"] == "complete" => {}
        Received::Closed(..) => {}
        other => panic!("the revoked session's subscription should end at once, got {other:?}"),
    }
}

/// `subscription{...F<levels>} fragment F<n> on Subscription{...F<n-1> ×fan_out} …`
fn subscription_fragment_chain(levels: usize, fan_out: usize, tail: &str) -> String {
    let mut doc = format!("subscription {{ ...F{levels} }}");
    for level in (1..=levels).rev() {
        let spreads = format!("...F{} ", level - 1).repeat(fan_out);
        doc.push_str(&format!(
            " fragment F{level} on Subscription {{ {spreads}}}"
        ));
    }
    doc.push_str(&format!(" fragment F0 on Subscription {{ {tail} }}"));
    doc
}

async fn a_subscription_document_passes_the_same_checks_as_a_request(app: TestApp) {
    // SECURITY fragment-expansion over the socket: a subscribe message is a document too;
    // the review's chain (2^27 spreads ending in an unknown fragment) and a 30-level
    // fan-out-3 chain are refused in milliseconds, and the connection goes on serving.
    let (token, _) = app.register_email("CHINA", "live-bomb@example.com").await;
    let mut live = Live::signed_in(&app, Auth::Bearer(&token), json!({})).await;
    let bombs = [
        subscription_fragment_chain(27, 2, "...Missing"),
        subscription_fragment_chain(30, 3, "messageAdded { id }"),
    ];
    for (n, doc) in bombs.iter().enumerate() {
        let id = format!("bomb-{n}");
        let sent = Instant::now();
        live.send(json!({ "type": "subscribe", "id": id, "payload": { "query": doc } }))
            .await;
        match live.receive(sent + Duration::from_secs(20)).await {
            Received::Message(m) if refused(&m, &id) => {}
            other => panic!("the fan-out refused expected, got {other:?}"),
        }
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "{:?}",
            sent.elapsed()
        );
        if let Received::Message(m) = live
            .receive(Instant::now() + Duration::from_millis(300))
            .await
        {
            assert!(m["type"] == "complete" && m["id"] == id.as_str(), "{m}");
        }
    }
    // The connection still serves a real subscription.
    live.subscribe("ok", MESSAGE_ADDED).await;
    let changed = Instant::now();
    create_key(&app, &token).await;
    let data = live.next_for("ok", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
}

db_test!(
    a_subscription_document_passes_the_same_checks_as_a_request,
    a_session_ended_from_another_closes_its_subscriptions_at_once,
    messages_and_verification_changes_arrive_within_two_seconds,
    a_connection_signs_in_by_header_cookie_or_init_payload_or_is_closed,
    a_subscriber_sees_only_its_own_principals_events,
    subscriptions_end_with_their_session,
    a_session_holds_at_most_ten_subscriptions,
    a_verification_decided_by_the_bank_is_pushed_live,
);

// ---------------------------------------------------------------------------------------
// Two instances (PostgreSQL: the instances share events through LISTEN/NOTIFY; a SQLite
// deployment is one process)
// ---------------------------------------------------------------------------------------

async fn events_cross_instances(a: TestApp, b: TestApp) {
    let (token, _) = a
        .register_email("INTERNATIONAL", "live-instances@example.com")
        .await;
    let mut on_b = Live::signed_in(&b, Auth::Bearer(&token), json!({})).await;
    on_b.subscribe("m", MESSAGE_ADDED).await;
    on_b.subscribe("v", VERIFICATION_CHANGED).await;
    let mut on_a = Live::signed_in(&a, Auth::Bearer(&token), json!({})).await;
    on_a.subscribe("m", MESSAGE_ADDED).await;

    let changed = Instant::now();
    create_key(&a, &token).await;
    // RULE NTF-06: a change made through instance A reaches a subscriber on B within 2 s.
    let data = on_b.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
    let data = on_a.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");

    let verification = pending_document(&a, &token, "P1618033").await;
    let changed = Instant::now();
    approve(&a, &verification).await;
    let data = on_a.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["category"], "VERIFICATION");
    let mut kinds = Vec::new();
    for _ in 0..2 {
        match on_b.receive(changed + LIVE).await {
            Received::Message(m) if m["type"] == "next" => {
                kinds.push(m["id"].as_str().unwrap_or_default().to_owned());
            }
            other => panic!("the decision's events on B expected, got {other:?}"),
        }
    }
    kinds.sort();
    // RULE NTF-06: so does a verification decided through A.
    assert_eq!(kinds, ["m", "v"]);

    // And the other way round, once each.
    let changed = Instant::now();
    create_key(&b, &token).await;
    let data = on_a.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
    let data = on_b.next_for("m", changed + LIVE).await;
    assert_eq!(data["messageAdded"]["title"], "An access key was created");
    on_a.silent_until(Instant::now() + Duration::from_millis(300))
        .await;
}

mod events_cross_instances {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::helpers::run_two(
            crate::helpers::Backend::Postgres,
            super::events_cross_instances,
        )
        .await;
    }
}
