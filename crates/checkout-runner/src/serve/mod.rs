//! `checkout serve`: the shop over HTTP. Placing an order admits it and starts its checkout at
//! once; checkouts whose runner died (their lease lapsed) are taken over, on start and while it
//! serves; courier workers answer over HTTP.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /orders` | admits the order body (`application/json`, else 415) (with `?wait=true`, answers when it has ended): 202 with the new checkout, 200 with the existing one for the same order, 400 naming the field for bad input, 409 naming the difference for another order under a used id |
//! | `GET /orders/{order}` | the public view of the order's checkout: state, price, what it owes, holds and got back; never the courier wait's token |
//! | `GET /orders/{order}/history` | every step of the order's checkout: time, step, result, attempt |
//! | `GET /checkouts/{checkout}`, `GET /checkouts/{checkout}/history` | the same, by checkout id |
//! | `POST /orders/{order}/cancel`, `POST /checkouts/{checkout}/cancel` | the customer withdraws the order (`application/json`, body empty or `{}`): 200 with the phase it was cancelled in, its checkout then compensating (`?wait=true`: once ended, with its outcome); 409 with the reason if a courier is already assigned or the checkout has failed or ended |
//! | `POST /orders/{order}/resolve`, `POST /checkouts/{checkout}/resolve` | an operator (`Authorization: Bearer`, the token of `--operator-token-file`; 403 without one configured, 401 without it) closes a checkout raised for them, recording what was done by hand: `{"kind": "given-back-by-hand" or "courier-confirmed", "note"}`; 200 with the phase it was raised in; 409 with the reason if it is not raised for an operator, is resolved, or the kind does not fit |
//! | `GET /checkouts` | an operator's listing (bearer token as for resolve): `?state=a,b`, `raised=true`, `stuckFor=15m`, `limit`, `after`; those that moved longest ago first, with the `next` page's cursor (`serve/list.rs`) |
//! | `POST /courier/replies` | a courier worker's answer, `{"waitToken", "courier"}` or `{"waitToken", "unavailable"}` |
//! | `GET /health` | 200 while the shop's database answers |
//! | `GET /ready` | 200 while the shop takes this server's writes, 503 while it refuses them |
//! | `GET /` | the operator's console: the list with filters, one checkout drawn on the saga's graph, its history and holds, the audit, and the operator actions (`serve/console.rs`) |
//! | `GET /audit` | the audit's verdict as JSON, with the operator's token |
//! | `GET /openapi.json` | this table as an OpenAPI 3.1 document, generated from the handlers and the wire types ([`openapi`]) |
//! | `GET /metrics` | calls, retries, compensations, outcomes, checkouts in flight, courier waits, cancels and group-commit batch sizes, in Prometheus' text format ([`metrics`]) |
//!
//! A lookup is one keyed read of the order registry and one of the checkout, off the SQLite
//! writer, whatever the shop holds (see [`crate::lookup`]); an id no order or checkout could have
//! is answered 400, an unknown one 404.
//!
//! Every request's body is at most [`MAX_BODY_BYTES`] (413 beyond) and must arrive within
//! [`BODY_TIMEOUT`] of its headers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use checkout_domain::registry::Admission;
use checkout_domain::{CheckoutId, CheckoutState, CourierId, Order, OrderError, TaskToken};
use checkout_ports::Shop;
use serde::Deserialize;

use checkout_drive::{CourierAnswer, Driver};
use extract::{Params, Segment, Text};

use crate::lookup::Named;

mod answers;
mod audit;
mod cancel;
mod console;
mod error;
mod extract;
mod list;
pub mod metrics;
pub mod openapi;
pub mod operator;
mod resolve;
pub mod wire;

pub use error::ApiError;
pub use operator::OperatorToken;

/// The server's state: the runner whose shop it serves, and what `/metrics` reads.
pub struct Api<S: Shop> {
    runner: Arc<Driver<S>>,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The token operator actions need; `None`: they are off.
    operator: Option<OperatorToken>,
}

impl<S: Shop> Clone for Api<S> {
    fn clone(&self) -> Self {
        Api { runner: Arc::clone(&self.runner), metrics: self.metrics.clone(), operator: self.operator.clone() }
    }
}

/// The largest body a request may carry: an order or a courier reply is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long a client may take to send a request's body once its headers are in: a client that
/// announces a body and sends it slowly, or never, holds a connection and a task until then.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The routes, over `runner`; `/metrics` renders from `metrics` (see [`metrics::install`]);
/// operator actions need `operator`, and are off without it.
pub fn router<S: Shop>(
    runner: Arc<Driver<S>>,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    operator: Option<OperatorToken>,
) -> Router {
    Router::new()
        .route("/", get(console::page))
        .route("/console/console.js", get(console::script))
        .route("/console/console.css", get(console::style))
        .route("/favicon.ico", get(console::icon))
        .route("/audit", get(audit::audit::<S>))
        .route("/orders", post(place::<S>))
        .route("/orders/{order}", get(order_status::<S>))
        .route("/orders/{order}/history", get(order_history::<S>))
        .route("/checkouts", get(list::list_checkouts::<S>))
        .route("/checkouts/{checkout}", get(checkout_status::<S>))
        .route("/checkouts/{checkout}/history", get(checkout_history::<S>))
        .route("/orders/{order}/cancel", post(cancel::cancel_order::<S>))
        .route("/checkouts/{checkout}/cancel", post(cancel::cancel_checkout::<S>))
        .route("/orders/{order}/resolve", post(resolve::resolve_order::<S>))
        .route("/checkouts/{checkout}/resolve", post(resolve::resolve_checkout::<S>))
        .route("/courier/replies", post(courier_reply::<S>))
        .route("/health", get(health::<S>))
        .route("/ready", get(ready::<S>))
        .route("/metrics", get(metrics::metrics::<S>))
        .route("/openapi.json", get(openapi::document))
        .with_state(Api { runner, metrics, operator })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        // A span per request (method and path: ids, never a token, which only bodies carry) and
        // a line per response, at debug: `CHECKOUT_LOG=debug` shows them.
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// `?wait=true`: answer only once the checkout has ended, with its outcome (what a caller that
/// needs the result, and the benchmark, use).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceOptions {
    /// Answer only once the checkout has ended, with its outcome.
    #[serde(default)]
    wait: bool,
}

/// Places an order, and answers once what the answer tells is on disk. The admission and the
/// start of its drive run in a task of their own: a client that hangs up drops this handler at
/// its next await, and an admission committed with no drive started would strand the order
/// until a restart. Awaiting the task's handle does not tie the task to the client.
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    params(PlaceOptions),
    request_body(content = checkout_domain::Order, content_type = "application/json"),
    responses(
        (status = 202, description = "admitted; its checkout runs", body = wire::Admitted),
        (status = 200, description = "the same order again: its checkout; with `?wait=true`, once it has ended", body = wire::Admitted),
        (status = 400, description = "not a valid order, naming the field", body = wire::ErrorBody),
        (status = 409, description = "another order under an id already used", body = wire::ErrorBody),
        (status = 413, description = "a body over 16 KiB"),
        (status = 415, description = "not `application/json`", body = wire::ErrorBody),
        (status = 503, description = "the shop's storage did not answer", body = wire::ErrorBody),
    )
)]
async fn place<S: Shop>(
    State(api): State<Api<S>>,
    Params(options): Params<PlaceOptions>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Response, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::NotJson("an order"));
    }
    let placing = tokio::spawn(async move {
        let response = admit_and_drive(&api, options, body).await?;
        api.runner.shop().durable().await?;
        Ok(response)
    });
    placing.await.map_err(|cause| ApiError::Stopped { what: "placing the order".into(), cause })?
}

/// Whether the request says its body is JSON. Anything else is refused: a form or plain-text
/// POST is what any web page can send cross-origin without asking (a CORS simple request), so
/// a page open in an operator's browser could otherwise place orders on a loopback shop.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Waits until checkout `id` has ended, for a `?wait=true` caller whose order was already
/// admitted (a retry, say): another task drives it, so this one reads it until it ends.
async fn await_outcome<S: Shop>(api: &Api<S>, id: &CheckoutId, order: &Order) -> Result<Response, ApiError> {
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        let checkout = api.runner.shop().load(id).await?.ok_or_else(|| ApiError::NotFound(format!("checkout {id}")))?;
        if let checkout_domain::Next::Finished(outcome) = checkout.next() {
            return Ok(ended(id, order, outcome));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

/// The answer to a `?wait=true` caller: the checkout, its order and how it ended.
fn ended(id: &CheckoutId, order: &Order, outcome: checkout_domain::Outcome) -> Response {
    let body =
        wire::Admitted { checkout: id.clone(), order: order.id().clone(), outcome: Some(outcome.name().to_string()) };
    (StatusCode::OK, Json(body)).into_response()
}

async fn admit_and_drive<S: Shop>(api: &Api<S>, options: PlaceOptions, body: String) -> Result<Response, ApiError> {
    let order = Order::from_json(&body).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let admitted = api.runner.shop().admit(&order, checkout_drive::ids::fresh_checkout_id(), api.runner.lease()).await;
    Ok(match admitted? {
        Admission::Opened(id) if options.wait => {
            // Driven in a task of its own: a caller that hangs up does not stop the checkout.
            let (runner, placed) = (Arc::clone(&api.runner), CheckoutState::start(id.clone(), order.clone()));
            let driving = tokio::spawn(async move { runner.drive_admitted(placed).await });
            let outcome =
                driving.await.map_err(|cause| ApiError::Stopped { what: format!("checkout {id}"), cause })??;
            ended(&id, &order, outcome)
        }
        Admission::Opened(id) => {
            let (runner, placed) = (Arc::clone(&api.runner), CheckoutState::start(id.clone(), order.clone()));
            tokio::spawn(async move {
                let id = placed.id().clone();
                if let Err(e) = runner.drive_admitted(placed).await {
                    tracing::warn!(checkout = %id, error = %e, "checkout stopped");
                }
            });
            (StatusCode::ACCEPTED, Json(wire::Admitted { checkout: id, order: order.id().clone(), outcome: None }))
                .into_response()
        }
        Admission::Existing(id) if options.wait => await_outcome(api, &id, &order).await?,
        Admission::Existing(id) => {
            (StatusCode::OK, Json(wire::Admitted { checkout: id, order: order.id().clone(), outcome: None }))
                .into_response()
        }
    })
}

/// The checkout so named, or the error response: 400 for an id nothing could have, 404 for one
/// nothing has.
async fn find<S: Shop>(api: &Api<S>, named: Result<Named, OrderError>) -> Result<CheckoutState, ApiError> {
    let named = named.map_err(|e| ApiError::Invalid(e.to_string()))?;
    named.find(api.runner.shop().as_ref()).await?.ok_or_else(|| ApiError::NotFound(named.to_string()))
}

#[utoipa::path(
    get,
    path = "/orders/{order}",
    tag = "orders",
    params(("order" = checkout_domain::OrderId, Path, description = "the order's id")),
    responses(answers::StatusAnswers)
)]
async fn order_status<S: Shop>(
    State(api): State<Api<S>>,
    Segment(order): Segment,
) -> Result<Json<wire::Status>, ApiError> {
    status(&api, Named::order(&order)).await
}

#[utoipa::path(
    get,
    path = "/checkouts/{checkout}",
    tag = "checkouts",
    params(("checkout" = checkout_domain::CheckoutId, Path, description = "the checkout's id")),
    responses(answers::StatusAnswers)
)]
async fn checkout_status<S: Shop>(
    State(api): State<Api<S>>,
    Segment(checkout): Segment,
) -> Result<Json<wire::Status>, ApiError> {
    status(&api, Named::checkout(&checkout)).await
}

#[utoipa::path(
    get,
    path = "/orders/{order}/history",
    tag = "orders",
    params(("order" = checkout_domain::OrderId, Path, description = "the order's id")),
    responses(answers::HistoryAnswers)
)]
async fn order_history<S: Shop>(
    State(api): State<Api<S>>,
    Segment(order): Segment,
) -> Result<Json<Vec<wire::HistoryEntry>>, ApiError> {
    history(&api, Named::order(&order)).await
}

#[utoipa::path(
    get,
    path = "/checkouts/{checkout}/history",
    tag = "checkouts",
    params(("checkout" = checkout_domain::CheckoutId, Path, description = "the checkout's id")),
    responses(answers::HistoryAnswers)
)]
async fn checkout_history<S: Shop>(
    State(api): State<Api<S>>,
    Segment(checkout): Segment,
) -> Result<Json<Vec<wire::HistoryEntry>>, ApiError> {
    history(&api, Named::checkout(&checkout)).await
}

async fn status<S: Shop>(api: &Api<S>, named: Result<Named, OrderError>) -> Result<Json<wire::Status>, ApiError> {
    let checkout = find(api, named).await?;
    let held = api.runner.shop().held(checkout.id()).await?;
    // The public view, never the stored record: the record keeps the courier wait's token, and
    // whoever reads the token can answer the wait.
    let holds = wire::Holds { copies: held.stock, points: held.points, charged: held.money };
    Ok(Json(wire::Status { view: checkout.view(), holds }))
}

async fn history<S: Shop>(
    api: &Api<S>,
    named: Result<Named, OrderError>,
) -> Result<Json<Vec<wire::HistoryEntry>>, ApiError> {
    let checkout = find(api, named).await?;
    let entries = api.runner.shop().history(checkout.id()).await?;
    let entries = entries.into_iter().map(|e| wire::HistoryEntry {
        at_ms: e.at_ms,
        step: e.step,
        result: e.outcome,
        state: e.phase,
        attempt: e.attempt,
    });
    Ok(Json(entries.collect()))
}

/// A courier worker's answer, as `POST /courier/replies` takes it and the runner's worker sends
/// it: the wait's token (`waitToken`, as on the queue), and the courier assigned or why none was.
#[derive(Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CourierReplyBody {
    #[serde(rename = "waitToken")]
    #[schema(value_type = String, pattern = "^[!-~]{1,1024}$")]
    pub token: TaskToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courier: Option<CourierId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl CourierReplyBody {
    /// The body that answers the wait of `token` with `answer`.
    pub fn of(token: TaskToken, answer: CourierAnswer) -> CourierReplyBody {
        match answer {
            CourierAnswer::Assigned(courier) => CourierReplyBody { token, courier: Some(courier), unavailable: None },
            CourierAnswer::Unavailable(why) => CourierReplyBody { token, courier: None, unavailable: Some(why) },
        }
    }
}

#[utoipa::path(
    post,
    path = "/courier/replies",
    tag = "courier",
    request_body(content = CourierReplyBody, content_type = "application/json"),
    responses(
        (status = 202, description = "taken; `delivered` says whether a wait had it at once", body = wire::Delivered),
        (status = 400, description = "not a reply: a bad token, or both or neither of `courier` and `unavailable`", body = wire::ErrorBody),
        (status = 415, description = "not `application/json`", body = wire::ErrorBody),
    )
)]
async fn courier_reply<S: Shop>(
    State(api): State<Api<S>>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<(StatusCode, Json<wire::Delivered>), ApiError> {
    // JSON only, as for orders: a page in a browser must not reach here with a simple request.
    if !is_json(&headers) {
        return Err(ApiError::NotJson("a courier reply"));
    }
    let reply: CourierReplyBody = serde_json::from_str(&body)
        .map_err(|e| ApiError::Invalid(checkout_domain::excerpt::excerpt(&e.to_string())))?;
    let answer = match (reply.courier, reply.unavailable) {
        (Some(courier), None) => CourierAnswer::Assigned(courier),
        (None, Some(reason)) => CourierAnswer::Unavailable(checkout_domain::excerpt::excerpt(&reason)),
        _ => return Err(ApiError::Invalid("a reply names either `courier` or `unavailable`".into())),
    };
    // Not delivered: kept for a checkout that resumes later; a forged token is never taken.
    let delivered = api.runner.deliver(reply.token, answer);
    Ok((StatusCode::ACCEPTED, Json(wire::Delivered { delivered })))
}

/// Whether the server can take orders: 503 while the shop's storage refuses its writes (a full
/// disk), when `/health` still answers, so a load balancer sends orders elsewhere.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "the shop takes this server's writes", body = wire::Ready),
        (status = 503, description = "the shop's storage refuses writes (a full disk)", body = wire::ErrorBody),
    )
)]
async fn ready<S: Shop>(State(api): State<Api<S>>) -> Result<Json<wire::Ready>, ApiError> {
    if api.runner.writes_failing() {
        return Err(ApiError::WritesRefused);
    }
    Ok(Json(wire::Ready { status: "ready".into() }))
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "the shop's storage answers", body = wire::Health),
        (status = 503, description = "it does not", body = wire::ErrorBody),
    )
)]
async fn health<S: Shop>(State(api): State<Api<S>>) -> Result<Json<wire::Health>, ApiError> {
    let unfinished = api.runner.shop().unfinished().await?;
    Ok(Json(wire::Health { status: "ok".into(), unfinished: unfinished.len() }))
}
