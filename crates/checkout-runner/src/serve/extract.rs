//! The request parts the handlers read (the query, a path segment, the body as text), with
//! axum's own extractors underneath but their refusals answered like every other error: a status
//! and `{"error": "<one line>"}` as JSON, which `/openapi.json` documents. axum's own answer
//! these with plain text, which a client reading JSON (and the contract test) cannot take.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use checkout_domain::excerpt::excerpt;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The query string, parsed into `T`.
pub(super) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(params)) => Ok(Params(params)),
            Err(rejection) => Err(ApiError::Invalid(excerpt(&rejection.body_text()))),
        }
    }
}

/// The one path segment a route names (an order or checkout id), as text.
pub(super) struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(segment)) => Ok(Segment(segment)),
            Err(rejection) => Err(ApiError::Invalid(excerpt(&rejection.body_text()))),
        }
    }
}

/// The body, as UTF-8 text, within the size limit.
pub(super) struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match String::from_request(request, state).await {
            Ok(body) => Ok(Text(body)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(rejection) => Err(ApiError::Invalid(excerpt(&rejection.body_text()))),
        }
    }
}
