//! What the HTTP API answers when it cannot do what was asked: one typed cause per kind of
//! failure, each answered as its status and `{"error": "<one line>"}`. A token never reaches one:
//! the causes carry ids, field names and storage errors, not bodies.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use checkout_drive::DriveError;
use checkout_ports::{AdmitError, StorageError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A body not declared as JSON: a form or text POST is what any web page can send
    /// cross-origin without asking, so it is refused (415).
    #[error("{0} is posted as application/json")]
    NotJson(&'static str),
    /// Input nothing valid could be: a malformed order or reply, an impossible id (400).
    #[error("{0}")]
    Invalid(String),
    /// No order or checkout by that name (404).
    #[error("no {0}")]
    NotFound(String),
    /// Another order under an id already used, named by its first difference (409).
    #[error(transparent)]
    Conflict(#[from] checkout_domain::registry::Conflict),
    /// A cancel the checkout refused: past the point of no return, or already failed or ended
    /// (409).
    #[error("cannot cancel: {0}")]
    CancelRefused(checkout_domain::TransitionError),
    /// A resolution the checkout refused: not raised for an operator, resolved already, or of a
    /// kind that does not fit it (409).
    #[error("cannot resolve: {0}")]
    ResolveRefused(checkout_domain::TransitionError),
    /// An operator action on a server started without an operator token (403).
    #[error("operator actions are off on this server: start `checkout serve` with --operator-token-file")]
    OperatorActionsOff,
    /// An operator action without the operator's bearer token, or with another (401).
    #[error("an operator action needs `Authorization: Bearer <operator token>`")]
    NotAnOperator,
    /// A body over the limit (413).
    #[error("the body is over {} bytes", super::MAX_BODY_BYTES)]
    TooLarge,
    /// The shop's storage did not answer or refused (503).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The shop's storage refuses this server's writes; checkouts wait (503).
    #[error("the shop's storage refuses writes; checkouts wait")]
    WritesRefused,
    /// A drive this request waited for stopped before its checkout ended (503).
    #[error(transparent)]
    Drive(#[from] DriveError),
    /// A task this request waited for stopped (it panicked or was cancelled) (500).
    #[error("{what} stopped: {cause}")]
    Stopped { what: String, cause: tokio::task::JoinError },
}

impl From<AdmitError> for ApiError {
    fn from(error: AdmitError) -> ApiError {
        match error {
            AdmitError::Conflict(conflict) => ApiError::Conflict(conflict),
            AdmitError::Storage(storage) => ApiError::Storage(storage),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotJson(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::CancelRefused(_) | ApiError::ResolveRefused(_) => StatusCode::CONFLICT,
            ApiError::OperatorActionsOff => StatusCode::FORBIDDEN,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotAnOperator => StatusCode::UNAUTHORIZED,
            ApiError::Storage(_) | ApiError::WritesRefused | ApiError::Drive(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Stopped { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let challenge = matches!(self, ApiError::NotAnOperator);
        let mut response = (self.status(), Json(json!({ "error": self.to_string() }))).into_response();
        if challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
