//! CORS for a console served from another origin (`--cors-origins`): exact origins only,
//! credentials (the session cookie) allowed for them, preflights answered and cached.
//! Nothing is configured by default: the console is then same-origin only.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The layer for the console's routes, or None when no origin is configured.
pub fn layer(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allowed = origins
        .iter()
        .map(|origin| exact_origin(origin))
        .collect::<Result<Vec<HeaderValue>, String>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::ACCEPT_LANGUAGE,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`: no path, no wildcard.
fn exact_origin(raw: &str) -> Result<HeaderValue, String> {
    let invalid = || format!("{raw:?} is not an origin like https://console.example.com");
    let parsed = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
    let serialized = parsed.origin().ascii_serialization();
    let bare = raw.trim().trim_end_matches('/');
    // A wildcard would pass the URL parser as a host name; origins are exact.
    let plain_host = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        Some(_) => true,
        None => false,
    };
    if !matches!(parsed.scheme(), "http" | "https") || serialized != bare || !plain_host {
        return Err(invalid());
    }
    HeaderValue::from_str(&serialized).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_origins_are_accepted() {
        assert!(exact_origin("http://localhost:5173").is_ok());
        assert!(exact_origin("https://console.example.com/").is_ok());
        for bad in [
            "*",
            "console.example.com",
            "https://console.example.com/app",
            "ftp://files.example.com",
            "https://*.example.com",
            "null",
        ] {
            assert!(exact_origin(bad).is_err(), "{bad}");
        }
    }
}
