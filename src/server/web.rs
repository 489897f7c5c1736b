//! Browsers: the CORS rules that let pages of the allowed origins (`--cors-allow-origin`) call
//! pressdx over grpc-web. The translation from grpc-web to gRPC itself is tonic-web's.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may keep a preflight's answer before asking again.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// What a grpc-web client sends: its credential, the message's type, grpc-web's markers, and its
/// deadline.
const REQUEST_HEADERS: [HeaderName; 5] = [
    HeaderName::from_static("authorization"),
    HeaderName::from_static("content-type"),
    HeaderName::from_static("x-grpc-web"),
    HeaderName::from_static("x-user-agent"),
    HeaderName::from_static("grpc-timeout"),
];

/// What a grpc-web client must be able to read: the status, its message and its details
/// (google.rpc.Status with the BadRequest or ErrorInfo), which a refusal carries in the headers.
const RESPONSE_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("grpc-status"),
    HeaderName::from_static("grpc-message"),
    HeaderName::from_static("grpc-status-details-bin"),
];

/// The CORS layer for the given origins (`*` for any). With none, no origin is allowed: a
/// browser then lets only pages of pressdx's own origin read its answers.
pub fn cors_layer(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        // The flag's parser admits only origins, which are valid header values.
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::POST])
        .allow_headers(REQUEST_HEADERS)
        .expose_headers(RESPONSE_HEADERS)
        .max_age(PREFLIGHT_MAX_AGE)
}
