//! `POST /orders/{order}/cancel` and `POST /checkouts/{checkout}/cancel`: the customer withdraws
//! an order. Declared JSON like every POST (a page in a browser must not cancel orders with a
//! simple cross-origin request); the body, if any, is `{}`.
//!
//! The cancel claims the checkout from whichever task or process drives it, and a task of its
//! own then drives it on to its end: a client that hangs up does not leave a claimed checkout
//! undriven. Honoured: 200 with where it was cancelled (`?wait=true`: once it has ended, with its
//! outcome). Refused: 409 naming why (past the point of no return, or already failed or ended).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use checkout_domain::OrderError;
use checkout_drive::Intervention;
use checkout_ports::Shop;

use super::extract::{Params, Segment, Text};
use super::{answers, find, is_json, wire, Api, ApiError, PlaceOptions};
use crate::lookup::Named;

#[utoipa::path(
    post,
    path = "/orders/{order}/cancel",
    tag = "orders",
    params(("order" = checkout_domain::OrderId, Path, description = "the order's id"), PlaceOptions),
    request_body(content = Option<EmptyBody>, content_type = "application/json", description = "empty, or `{}`"),
    responses(answers::CancelAnswers)
)]
pub(super) async fn cancel_order<S: Shop>(
    State(api): State<Api<S>>,
    Segment(order): Segment,
    Params(options): Params<PlaceOptions>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<(StatusCode, Json<wire::Cancelled>), ApiError> {
    cancel(api, Named::order(&order), options, &headers, &body).await
}

#[utoipa::path(
    post,
    path = "/checkouts/{checkout}/cancel",
    tag = "checkouts",
    params(("checkout" = checkout_domain::CheckoutId, Path, description = "the checkout's id"), PlaceOptions),
    request_body(content = Option<EmptyBody>, content_type = "application/json", description = "empty, or `{}`"),
    responses(answers::CancelAnswers)
)]
pub(super) async fn cancel_checkout<S: Shop>(
    State(api): State<Api<S>>,
    Segment(checkout): Segment,
    Params(options): Params<PlaceOptions>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<(StatusCode, Json<wire::Cancelled>), ApiError> {
    cancel(api, Named::checkout(&checkout), options, &headers, &body).await
}

async fn cancel<S: Shop>(
    api: Api<S>,
    named: Result<Named, OrderError>,
    options: PlaceOptions,
    headers: &HeaderMap,
    body: &str,
) -> Result<(StatusCode, Json<wire::Cancelled>), ApiError> {
    if !is_json(headers) {
        return Err(ApiError::NotJson("a cancel"));
    }
    if !body.trim().is_empty() && serde_json::from_str::<EmptyBody>(body).is_err() {
        return Err(ApiError::Invalid("a cancel's body is empty or {}".into()));
    }
    let checkout = find(&api, named).await?;
    let (id, order) = (checkout.id().clone(), checkout.order().id().clone());
    let runner = Arc::clone(&api.runner);
    let cancelling = tokio::spawn(async move {
        let Intervention { answer, fence, checkout } = runner.cancel(checkout.id()).await?;
        // This task holds the checkout now, whatever the answer: it drives it to its end.
        let driving = {
            let runner = Arc::clone(&runner);
            tokio::spawn(async move { runner.drive_claimed(fence, checkout).await })
        };
        Ok::<_, ApiError>((answer, driving))
    });
    let (answer, driving) =
        cancelling.await.map_err(|cause| ApiError::Stopped { what: format!("cancelling checkout {id}"), cause })??;
    let at = answer.map_err(ApiError::CancelRefused)?;
    let mut body = wire::Cancelled { checkout: id.clone(), order, cancelled: true, at, outcome: None };
    if options.wait {
        let outcome = driving.await.map_err(|cause| ApiError::Stopped { what: format!("checkout {id}"), cause })??;
        body.outcome = Some(outcome.name().to_string());
    }
    Ok((StatusCode::OK, Json(body)))
}

/// The only body a cancel takes: `{}`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EmptyBody {}
