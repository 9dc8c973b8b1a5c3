//! GraphiQL served from the binary itself: the bundle of `ui/graphiql` (React, GraphiQL
//! and graphql-ws pinned by its package-lock.json, built by `npm run build` into
//! `src/graphiql/`), its third-party licenses, and the page that loads them from
//! `/graphiql/assets/`. Nothing comes from a CDN, so the page works offline.

use std::sync::LazyLock;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Where the assets are served.
pub const ASSETS_PATH: &str = "/graphiql/assets";
/// The licenses of the bundled packages, at a fixed name.
pub const LICENSES_FILE: &str = "THIRD-PARTY-LICENSES.txt";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// No inline script, no other origin: the page runs only the embedded bundle and talks only
/// to this server (HTTP and its WebSocket).
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file, named by its content hash so it can be cached for good.
struct Asset {
    file: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

impl Asset {
    fn new(stem: &str, extension: &str, content_type: &'static str, bytes: &'static [u8]) -> Self {
        let hash = hex::encode(Sha256::digest(bytes));
        Asset {
            file: format!("{stem}.{}.{extension}", &hash[..16]),
            content_type,
            bytes,
        }
    }
}

static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "graphiql",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("graphiql/graphiql.js"),
    )
});

static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "graphiql",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("graphiql/graphiql.css"),
    )
});

const LICENSES: &[u8] = include_bytes!("graphiql/THIRD-PARTY-LICENSES.txt");

/// The URL of the script (`graphiql.<hash>.js`).
pub fn script_url() -> String {
    format!("{ASSETS_PATH}/{}", SCRIPT.file)
}

/// The URL of the stylesheet (`graphiql.<hash>.css`).
pub fn style_url() -> String {
    format!("{ASSETS_PATH}/{}", STYLE.file)
}

/// `GET /graphiql/assets/{file}`: the hashed script and stylesheet (cached for a year) and
/// the licenses; anything else, or an outdated hash, is not found.
pub fn asset(file: &str) -> Response {
    let (content_type, bytes, cache) = if file == SCRIPT.file {
        (SCRIPT.content_type, SCRIPT.bytes, IMMUTABLE)
    } else if file == STYLE.file {
        (STYLE.content_type, STYLE.bytes, IMMUTABLE)
    } else if file == LICENSES_FILE {
        (
            "text/plain; charset=utf-8",
            LICENSES,
            "public, max-age=3600",
        )
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The document the console's page opens with: the web console's viewer query, and how
/// a request is signed in.
pub const CONSOLE_DOCUMENT: &str = "\
# account-center: the console API.
#
# Signed in to the web console here? Its HttpOnly
# session cookie (set by signIn) goes along by itself,
# for queries and subscriptions alike. Otherwise put
# signIn's session token in the Headers tab below:
#   { \"Authorization\": \"Bearer <token>\" }
#
# The console's viewer query:
query Viewer {
  viewer {
    account { accountId nickname status }
    subUser { name }
  }
}

# Subscriptions run over a WebSocket at this URL:
#   subscription { messageAdded { id title body } }
";

/// The document the ops page opens with.
pub const OPS_DOCUMENT: &str = "\
# account-center: the ops API. Put the ops token
# in the Headers tab below:
#   { \"Authorization\": \"Bearer <ops token>\" }
query PendingReviews {
  pendingReviews(first: 10) { verificationId accountId method submittedAt }
}
";

/// The GraphiQL page for `endpoint`; with `subscriptions`, subscriptions run over the
/// WebSocket at the same path (NTF-06).
pub fn page(endpoint: &str, subscriptions: bool, default_document: &str) -> Response {
    let config = json!({
        "endpoint": endpoint,
        "subscriptions": subscriptions,
        "defaultQuery": default_document,
    })
    .to_string()
    // Inside <script>: no `</script>` or `<!--` can end it early.
    .replace('<', "\\u003c");
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>account-center GraphiQL</title>
<link rel="stylesheet" href="{style}">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="graphiql-config" type="application/json">{config}</script>
<script src="{script}"></script>
</body>
</html>
"#,
        style = style_url(),
        script = script_url(),
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_named_by_their_content() {
        assert!(SCRIPT.file.starts_with("graphiql.") && SCRIPT.file.ends_with(".js"));
        assert_ne!(SCRIPT.file, STYLE.file);
        assert_eq!(asset(&SCRIPT.file).status(), StatusCode::OK);
        assert_eq!(
            asset("graphiql.0000000000000000.js").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(asset(LICENSES_FILE).status(), StatusCode::OK);
    }
}
