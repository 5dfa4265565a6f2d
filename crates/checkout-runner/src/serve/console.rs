//! The operator's console, served by `checkout serve` at `/`: one page, its script and its
//! style, compiled into the binary (no CDN, works offline), over the same HTTP API and token as
//! any other client (`console/` holds the files; `tests/process/console.rs` drives it in headless
//! Chromium). Served with a content security policy that lets the page run only its own script
//! and talk only to this server, so nothing an order or a note holds can run there.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../console/index.html");
const SCRIPT: &str = include_str!("../../console/console.js");
const STYLE: &str = include_str!("../../console/console.css");

/// The page's own script and style, and this server: nothing else, and no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                      base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

pub(super) async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", PAGE)
}

pub(super) async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE)
}

/// No icon: an empty answer, so a browser's request for one is not a 404 in its console.
pub(super) async fn icon() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}
