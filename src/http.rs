//! GraphQL over HTTP: POST JSON and GET queries, content negotiation on `Accept`, the
//! request checks that keep browsers' cross-site requests out, and GraphiQL.

use async_graphql::{Request, Response, parser::types::OperationType};
use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde_json::json;

use crate::graphql::errors::Code;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the client accepts for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    GraphqlResponseJson,
    /// Legacy clients: always 200, errors in the body.
    Json,
}

/// Reads `Accept`: graphql-response+json when the client names it, plain JSON when it
/// names that or any type or sends no `Accept` (as the spec asks for older clients);
/// `None` when the client accepts neither.
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(ResponseType::Json);
    };
    let mut json = false;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.replace(' ', "") == "q=0");
        if refused {
            continue;
        }
        match media.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(ResponseType::GraphqlResponseJson),
            APPLICATION_JSON | "application/*" | "*/*" => json = true,
            _ => {}
        }
    }
    json.then_some(ResponseType::Json)
}

/// True for a browser navigating to the endpoint (GraphiQL instead of JSON).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.split(',')
                .next()
                .is_some_and(|first| first.trim().starts_with("text/html"))
        })
}

/// GraphiQL for `endpoint`, from the assets embedded in the binary (`crate::graphiql`);
/// with `subscriptions`, it runs subscriptions over the WebSocket at the same path
/// (NTF-06).
pub fn graphiql(endpoint: &str, subscriptions: bool) -> HttpResponse {
    let document = if subscriptions {
        crate::graphiql::CONSOLE_DOCUMENT
    } else {
        crate::graphiql::OPS_DOCUMENT
    };
    crate::graphiql::page(endpoint, subscriptions, document)
}

/// An error answered before any GraphQL ran, in the negotiated shape, with its status and
/// the code of that status (`Code::of_status`).
pub fn request_error(
    status: StatusCode,
    message: &str,
    response_type: ResponseType,
) -> HttpResponse {
    let code = Code::of_status(status).as_str();
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let content_type = match response_type {
        ResponseType::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        ResponseType::Json => APPLICATION_JSON,
    };
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Parses the request: JSON bodies for POST (only `application/json`, so a browser form
/// or a text/plain "simple request" can never run a mutation), the query string for GET.
pub fn parse_request(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Request, (StatusCode, String)> {
    if *method == Method::GET {
        let query = query.unwrap_or_default();
        return async_graphql::http::parse_query_string(query).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("invalid query string: {e}"),
            )
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media != APPLICATION_JSON {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/json".to_owned(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err((
            StatusCode::BAD_REQUEST,
            "the body must be one JSON object (batches are not accepted)".to_owned(),
        ));
    }
    let query_is_string = value.get("query").is_some_and(serde_json::Value::is_string);
    // APQ: a document may be named by its hash alone.
    let persisted = value
        .get("extensions")
        .is_some_and(|e| e.get("persistedQuery").is_some());
    let by_hash_alone = persisted && value.get("query").is_none();
    if !(query_is_string || by_hash_alone) {
        return Err((
            StatusCode::BAD_REQUEST,
            "the body needs a `query` string".to_owned(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid request: {e}")))
}

/// The operation type the request would run; `None` when the document does not parse or
/// names no runnable operation (execution reports that properly).
pub fn operation_type(request: &Request) -> Option<OperationType> {
    let doc = async_graphql::parser::parse_query(&request.query).ok()?;
    let name = request.operation_name.as_deref();
    doc.operations
        .iter()
        .find(|(op_name, _)| name.is_none() || op_name.map(|n| n.as_str()) == name)
        .map(|(_, op)| op.node.ty)
}

/// Rewrites the plain-text answers of the body limit (413), the request timeout (408) and
/// a caught panic (500) as GraphQL errors with their codes, in the media type the client accepts.
pub async fn coded_transport_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> HttpResponse {
    let response_type = negotiate(request.headers()).unwrap_or(ResponseType::Json);
    let response = next.run(request).await;
    let status = response.status();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
        StatusCode::REQUEST_TIMEOUT => "the request took too long",
        StatusCode::INTERNAL_SERVER_ERROR => "internal error; it has been logged",
        _ => return response,
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return response;
    }
    request_error(status, message, response_type)
}

/// Writes the GraphQL response: 400 for a request that never executed (parse or
/// validation errors) under graphql-response+json, otherwise 200.
pub fn graphql_response(response: Response, response_type: ResponseType) -> HttpResponse {
    let not_executed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let headers = response.http_headers.clone();
    let body = if not_executed {
        json!({ "errors": response.errors }).to_string()
    } else {
        serde_json::to_string(&response).unwrap_or_else(|_| "{}".to_owned())
    };
    let (status, content_type) = match response_type {
        ResponseType::GraphqlResponseJson if not_executed => {
            (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON)
        }
        ResponseType::GraphqlResponseJson => (StatusCode::OK, GRAPHQL_RESPONSE_JSON),
        ResponseType::Json => (StatusCode::OK, APPLICATION_JSON),
    };
    let mut http = (status, body).into_response();
    http.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers.iter() {
        http.headers_mut().append(name, value.clone());
    }
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn negotiates_the_response_media_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(ResponseType::Json));
        assert_eq!(
            negotiate(&accept("application/json")),
            Some(ResponseType::Json)
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(ResponseType::GraphqlResponseJson)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(ResponseType::Json));
        assert_eq!(negotiate(&accept("text/html")), None);
    }

    #[test]
    fn finds_the_operation_type() {
        let doc = "query A { viewer { __typename } } mutation B { __typename }";
        assert_eq!(
            operation_type(&Request::new(doc).operation_name("B")),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            operation_type(&Request::new(doc).operation_name("A")),
            Some(OperationType::Query)
        );
        assert_eq!(
            operation_type(&Request::new("{ viewer { __typename } }")),
            Some(OperationType::Query)
        );
    }
}
