//! Browser POSTs from another site are refused before any handler runs. Sessions are already
//! protected by their CSRF token, but signing in and signing up have no session yet: without
//! this, a page elsewhere could post the attacker's credentials and log a victim into the
//! attacker's account. Tools that call the API (no `Origin` header) and Chatwoot's and
//! Telegram's webhooks are not browsers and pass.
use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::http::AppState;

/// Refuses a POST whose `Origin` is not the app's own (403, nothing runs).
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let exempt = request.method() != Method::POST || request.uri().path().starts_with("/webhooks/");
    if exempt || same_origin(request.headers(), state.config.public_origin().as_deref()) {
        return next.run(request).await;
    }
    tracing::warn!(
        origin = ?request.headers().get(header::ORIGIN),
        path = %request.uri().path(),
        "cross-site post refused"
    );
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "error": "cross-site request refused" })),
    )
        .into_response()
}

/// Whether the request came from the app's own pages, or from no browser page at all. With
/// a configured public origin the `Origin` must be it; otherwise its host must be the `Host`
/// the request was sent to (a victim's browser sends ours, with the other site's origin).
fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .filter(|o| o.host_str().is_some())
    else {
        // `Origin: null` (sandboxed frames, privacy redirects) or garbage: not our page.
        return false;
    };
    let serialized = origin.origin().ascii_serialization().to_lowercase();
    match public_origin {
        Some(public) => serialized == public,
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_lowercase);
            let origin_host = match (origin.host_str(), origin.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                (None, _) => return false,
            };
            host.is_some_and(|h| h == origin_host.to_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&str>, host: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        headers
    }

    #[test]
    fn a_page_of_the_same_host_or_no_page_passes() {
        assert!(same_origin(&headers(None, Some("app.test")), None));
        assert!(same_origin(
            &headers(Some("http://127.0.0.1:3000"), Some("127.0.0.1:3000")),
            None
        ));
        assert!(same_origin(
            &headers(Some("https://crm.example.com"), Some("10.0.0.5:3000")),
            Some("https://crm.example.com")
        ));
    }

    #[test]
    fn another_site_a_null_origin_or_another_port_is_refused() {
        assert!(!same_origin(
            &headers(Some("https://evil.example"), Some("crm.example.com")),
            None
        ));
        assert!(!same_origin(
            &headers(Some("null"), Some("crm.example.com")),
            None
        ));
        assert!(!same_origin(
            &headers(Some("http://127.0.0.1:4000"), Some("127.0.0.1:3000")),
            None
        ));
        assert!(!same_origin(
            &headers(Some("http://crm.example.com"), Some("crm.example.com")),
            Some("https://crm.example.com")
        ));
    }
}
