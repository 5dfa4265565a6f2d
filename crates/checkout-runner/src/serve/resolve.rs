//! `POST /orders/{order}/resolve` and `POST /checkouts/{checkout}/resolve`: an operator closes
//! a checkout raised for them by recording what was done by hand, with the operator's bearer
//! token (see [`super::operator`]). The body is the resolution, as the record keeps it:
//! `{"kind": "given-back-by-hand" | "courier-confirmed", "note": "..."}`.
//!
//! Taken: 200 with the phase it was raised in and the resolution. Refused (the checkout is not
//! raised for an operator, is resolved already, or the kind does not fit it): 409 naming why,
//! and the checkout goes on as it was: a refused resolution claims nothing.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use checkout_domain::states::Resolution;
use checkout_domain::OrderError;
use checkout_ports::Shop;

use super::extract::{Segment, Text};
use super::{answers, find, is_json, operator, wire, Api, ApiError};
use crate::lookup::Named;

#[utoipa::path(
    post,
    path = "/orders/{order}/resolve",
    tag = "operator",
    params(("order" = checkout_domain::OrderId, Path, description = "the order's id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses(answers::ResolveAnswers),
    security(("operator" = []))
)]
pub(super) async fn resolve_order<S: Shop>(
    State(api): State<Api<S>>,
    Segment(order): Segment,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<(StatusCode, Json<wire::Resolved>), ApiError> {
    resolve(api, Named::order(&order), &headers, &body).await
}

#[utoipa::path(
    post,
    path = "/checkouts/{checkout}/resolve",
    tag = "operator",
    params(("checkout" = checkout_domain::CheckoutId, Path, description = "the checkout's id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses(answers::ResolveAnswers),
    security(("operator" = []))
)]
pub(super) async fn resolve_checkout<S: Shop>(
    State(api): State<Api<S>>,
    Segment(checkout): Segment,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<(StatusCode, Json<wire::Resolved>), ApiError> {
    resolve(api, Named::checkout(&checkout), &headers, &body).await
}

async fn resolve<S: Shop>(
    api: Api<S>,
    named: Result<Named, OrderError>,
    headers: &HeaderMap,
    body: &str,
) -> Result<(StatusCode, Json<wire::Resolved>), ApiError> {
    operator::admit(api.operator.as_ref(), headers)?;
    if !is_json(headers) {
        return Err(ApiError::NotJson("a resolution"));
    }
    let resolution: Resolution = serde_json::from_str(body).map_err(|e| {
        ApiError::Invalid(format!(
            "a resolution is {{\"kind\": \"given-back-by-hand\" or \"courier-confirmed\", \"note\": \"what was done\"}}: {}",
            checkout_domain::excerpt::excerpt(&e.to_string())
        ))
    })?;
    let found = find(&api, named).await?;
    let (id, order) = (found.id().clone(), found.order().id().clone());
    // In a task of its own: a client that hangs up does not cut a claimed resolution short.
    let runner = std::sync::Arc::clone(&api.runner);
    let shown = resolution.clone();
    let resolving = tokio::spawn(async move { runner.resolve(&found, resolution).await });
    let answer =
        resolving.await.map_err(|cause| ApiError::Stopped { what: format!("resolving checkout {id}"), cause })??;
    let raised = answer.map_err(ApiError::ResolveRefused)?;
    let body = wire::Resolved { checkout: id, order, resolved: true, raised, resolution: shown };
    Ok((StatusCode::OK, Json(body)))
}
