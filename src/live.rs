//! The WebSocket at `/graphql` for subscriptions (NTF-06), in the `graphql-transport-ws`
//! protocol GraphiQL, Apollo and urql speak. The session comes from the cookie or the
//! bearer header of the upgrade, or from `{"token": …}` in `connection_init`.

use std::sync::Arc;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{FromRequestParts, WebSocketUpgrade},
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::{
    graphql::{
        self, ConsoleSchema, QueryLimits,
        persisted::{Documents, Prepared},
        spec::SchemaIndex,
        subscription::LiveSession,
    },
    service::{AppContext, RequestMeta, sessions},
};

/// The console schema behind the socket, each document checked as an HTTP request's is
/// before async-graphql walks it: the trusted manifest and persisted hashes, the limits
/// (a fragment fan-out must not pin a core here either) and the enum literals.
#[derive(Clone)]
pub struct CheckedSchema {
    pub schema: ConsoleSchema,
    pub limits: QueryLimits,
    pub index: Arc<SchemaIndex>,
    pub documents: Arc<Documents>,
}

impl CheckedSchema {
    fn check(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<(), Box<async_graphql::Response>> {
        match self.documents.prepare(request) {
            Err(refused) => Err(Box::new(async_graphql::Response::from_errors(vec![
                refused,
            ]))),
            Ok(Prepared::Checked(_)) => Ok(()),
            Ok(Prepared::Unchecked { .. }) => {
                graphql::check(request, &self.limits, &self.index).map(drop)
            }
        }
    }
}

impl async_graphql::Executor for CheckedSchema {
    async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        match self.check(&mut request) {
            Ok(()) => self.schema.execute(request).await,
            Err(refused) => *refused,
        }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> async_graphql::futures_util::stream::BoxStream<'static, async_graphql::Response> {
        use async_graphql::futures_util::StreamExt;
        match self.check(&mut request) {
            Ok(()) => self
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default()),
            Err(refused) => {
                async_graphql::futures_util::stream::once(async move { *refused }).boxed()
            }
        }
    }
}

/// What one connection reads the socket into (see `upgrade`).
const READ_BUFFER: usize = 1024;

/// Whether a GET asks to become a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Upgrades to a GraphQL WebSocket. A connection that names no live session is closed at
/// `connection_init`: there is nothing to subscribe to without one.
pub async fn upgrade(
    parts: &mut Parts,
    app: Arc<AppContext>,
    schema: CheckedSchema,
    upgrade_token: Option<String>,
    meta: RequestMeta,
) -> Response {
    let protocol = match GraphQLProtocol::from_request_parts(parts, &()).await {
        Ok(protocol) => protocol,
        Err(status) => return status.into_response(),
    };
    let ws = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        // tungstenite's default read buffer (128 KiB) is zero-filled at the first read and
        // kept for the connection's life: 10,000 idle consoles would hold 1.25 GiB for the
        // few hundred bytes a console sends (init, subscribe, ping, complete). A larger
        // message still arrives whole: the buffer grows to the frame's length, 1 KiB a read.
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let token = payload
                        .get("token")
                        .and_then(|t| t.as_str())
                        .map(str::to_owned)
                        .or(upgrade_token)
                        .ok_or_else(|| async_graphql::Error::new("sign in first"))?;
                    let now = app.clock.now();
                    let principal = match sessions::authenticate(&app, &app.db, &token, now).await {
                        Ok(Some(signed_in)) => signed_in.principal,
                        Ok(None) => {
                            return Err(async_graphql::Error::new(
                                "the session is unknown, expired or revoked",
                            ));
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "session lookup failed");
                            return Err(async_graphql::Error::new(
                                "the service is unavailable; retry shortly",
                            ));
                        }
                    };
                    let mut data = Data::default();
                    data.insert(Arc::new(LiveSession {
                        principal,
                        client_address: meta.client_address,
                    }));
                    Ok(data)
                })
                .serve()
        })
}
