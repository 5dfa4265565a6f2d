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
//! | `POST /courier/replies` | a courier worker's answer, with its task token |
//! | `GET /health` | 200 while the shop's database answers |
//! | `GET /ready` | 200 while the shop takes this server's writes, 503 while it refuses them |
//!
//! A lookup is one keyed read of the order registry and one of the checkout, off the SQLite
//! writer, whatever the shop holds (see [`crate::lookup`]); an id no order or checkout could have
//! is answered 400, an unknown one 404.
//!
//! Every request's body is at most [`MAX_BODY_BYTES`] (413 beyond) and must arrive within
//! [`BODY_TIMEOUT`] of its headers.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use checkout_domain::registry::Admission;
use checkout_domain::{CheckoutId, CheckoutState, CourierId, Order, OrderError, TaskToken};
use checkout_ports::{AdmitError, Shop};
use serde::Deserialize;
use serde_json::{json, Value};

use checkout_drive::{CourierAnswer, Runner};

use crate::lookup::Named;

/// The server's state: the runner whose shop it serves.
pub struct Api<S: Shop> {
    runner: Arc<Runner<S>>,
}

impl<S: Shop> Clone for Api<S> {
    fn clone(&self) -> Self {
        Api { runner: Arc::clone(&self.runner) }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The largest body a request may carry: an order or a courier reply is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long a client may take to send a request's body once its headers are in: a client that
/// announces a body and sends it slowly, or never, holds a connection and a task until then.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The routes, over `runner`.
pub fn router<S: Shop>(runner: Arc<Runner<S>>) -> Router {
    Router::new()
        .route("/orders", post(place::<S>))
        .route("/orders/{order}", get(order_status::<S>))
        .route("/orders/{order}/history", get(order_history::<S>))
        .route("/checkouts/{checkout}", get(checkout_status::<S>))
        .route("/checkouts/{checkout}/history", get(checkout_history::<S>))
        .route("/courier/replies", post(courier_reply::<S>))
        .route("/health", get(health::<S>))
        .route("/ready", get(ready::<S>))
        .with_state(Api { runner })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        // A span per request (method and path: ids, never a token, which only bodies carry) and
        // a line per response, at debug: `CHECKOUT_LOG=debug` shows them.
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// `?wait=true`: answer only once the checkout has ended, with its outcome (what a caller that
/// needs the result, and the benchmark, use).
#[derive(Debug, Default, Deserialize)]
pub struct PlaceOptions {
    #[serde(default)]
    wait: bool,
}

/// Places an order, and answers once what the answer tells is on disk. The admission and the
/// start of its drive run in a task of their own: a client that hangs up drops this handler at
/// its next await, and an admission committed with no drive started would strand the order
/// until a restart. Awaiting the task's handle does not tie the task to the client.
async fn place<S: Shop>(
    State(api): State<Api<S>>,
    Query(options): Query<PlaceOptions>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !is_json(&headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "an order is posted as application/json");
    }
    let placing = tokio::spawn(async move {
        let response = admit_and_drive(&api, options, body).await;
        if response.status().is_success() {
            if let Err(e) = api.runner.shop().durable().await {
                return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
            }
        }
        response
    });
    match placing.await {
        Ok(response) => response,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("placing the order stopped: {e}")),
    }
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
async fn await_outcome<S: Shop>(api: &Api<S>, id: &CheckoutId, order: &Order) -> Response {
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        match api.runner.shop().load(id).await {
            Ok(Some(checkout)) => {
                if let checkout_domain::Next::Finished(outcome) = checkout.next() {
                    let body =
                        json!({ "checkout": id.as_str(), "order": order.id().as_str(), "outcome": outcome.name() });
                    return (StatusCode::OK, Json(body)).into_response();
                }
            }
            Ok(None) => return error(StatusCode::NOT_FOUND, format!("no checkout {id}")),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

async fn admit_and_drive<S: Shop>(api: &Api<S>, options: PlaceOptions, body: String) -> Response {
    let order = match Order::from_json(&body) {
        Ok(order) => order,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match api.runner.shop().admit(&order, checkout_drive::ids::fresh_checkout_id(), api.runner.lease()).await {
        Ok(Admission::Opened(id)) if options.wait => {
            // Driven in a task of its own: a caller that hangs up does not stop the checkout.
            let (runner, placed) = (Arc::clone(&api.runner), CheckoutState::start(id.clone(), order.clone()));
            let driving = tokio::spawn(async move { runner.drive_admitted(placed).await });
            match driving.await {
                Ok(Ok(outcome)) => {
                    let body =
                        json!({ "checkout": id.as_str(), "order": order.id().as_str(), "outcome": outcome.name() });
                    (StatusCode::OK, Json(body)).into_response()
                }
                Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("checkout {id} stopped: {e}")),
            }
        }
        Ok(Admission::Opened(id)) => {
            let (runner, placed) = (Arc::clone(&api.runner), CheckoutState::start(id.clone(), order.clone()));
            tokio::spawn(async move {
                let id = placed.id().clone();
                if let Err(e) = runner.drive_admitted(placed).await {
                    tracing::warn!(checkout = %id, error = %e, "checkout stopped");
                }
            });
            (StatusCode::ACCEPTED, Json(json!({ "checkout": id.as_str(), "order": order.id().as_str() })))
                .into_response()
        }
        Ok(Admission::Existing(id)) if options.wait => await_outcome(api, &id, &order).await,
        Ok(Admission::Existing(id)) => {
            (StatusCode::OK, Json(json!({ "checkout": id.as_str(), "order": order.id().as_str() }))).into_response()
        }
        Err(AdmitError::Conflict(conflict)) => error(StatusCode::CONFLICT, conflict.to_string()),
        Err(AdmitError::Storage(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// The checkout so named, or the error response: 400 for an id nothing could have, 404 for one
/// nothing has.
async fn find<S: Shop>(api: &Api<S>, named: Result<Named, OrderError>) -> Result<CheckoutState, Response> {
    let named = named.map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    match named.find(api.runner.shop().as_ref()).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, format!("no {named}"))),
        Err(e) => Err(error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}

async fn order_status<S: Shop>(State(api): State<Api<S>>, Path(order): Path<String>) -> Response {
    status(&api, Named::order(&order)).await
}

async fn checkout_status<S: Shop>(State(api): State<Api<S>>, Path(checkout): Path<String>) -> Response {
    status(&api, Named::checkout(&checkout)).await
}

async fn order_history<S: Shop>(State(api): State<Api<S>>, Path(order): Path<String>) -> Response {
    history(&api, Named::order(&order)).await
}

async fn checkout_history<S: Shop>(State(api): State<Api<S>>, Path(checkout): Path<String>) -> Response {
    history(&api, Named::checkout(&checkout)).await
}

async fn status<S: Shop>(api: &Api<S>, named: Result<Named, OrderError>) -> Response {
    let checkout = match find(api, named).await {
        Ok(checkout) => checkout,
        Err(response) => return response,
    };
    let held = match api.runner.shop().held(checkout.id()).await {
        Ok(held) => held,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    // The public view, never the stored record: the record keeps the courier wait's token, and
    // whoever reads the token can answer the wait.
    let mut body = serde_json::to_value(checkout.view()).unwrap_or(Value::Null);
    body["holds"] = json!({ "copies": held.stock, "points": held.points, "charged": held.money });
    Json(body).into_response()
}

async fn history<S: Shop>(api: &Api<S>, named: Result<Named, OrderError>) -> Response {
    let checkout = match find(api, named).await {
        Ok(checkout) => checkout,
        Err(response) => return response,
    };
    match api.runner.shop().history(checkout.id()).await {
        Ok(entries) => Json(
            entries
                .into_iter()
                .map(|e| json!({ "atMs": e.at_ms, "step": e.step, "result": e.outcome, "state": e.phase, "attempt": e.attempt }))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// A courier worker's answer: the task token, and the courier assigned or why none was.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourierReplyBody {
    pub token: TaskToken,
    #[serde(default)]
    pub courier: Option<CourierId>,
    #[serde(default)]
    pub unavailable: Option<String>,
}

async fn courier_reply<S: Shop>(State(api): State<Api<S>>, headers: HeaderMap, body: String) -> Response {
    // JSON only, as for orders: a page in a browser must not reach here with a simple request.
    if !is_json(&headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "a courier reply is posted as application/json");
    }
    let reply: CourierReplyBody = match serde_json::from_str(&body) {
        Ok(reply) => reply,
        Err(e) => return error(StatusCode::BAD_REQUEST, checkout_domain::excerpt::excerpt(&e.to_string())),
    };
    let answer = match (reply.courier, reply.unavailable) {
        (Some(courier), None) => CourierAnswer::Assigned(courier),
        (None, Some(reason)) => CourierAnswer::Unavailable(checkout_domain::excerpt::excerpt(&reason)),
        _ => return error(StatusCode::BAD_REQUEST, "a reply names either `courier` or `unavailable`"),
    };
    if api.runner.deliver(reply.token, answer) {
        (StatusCode::ACCEPTED, Json(json!({ "delivered": true }))).into_response()
    } else {
        // Kept for a checkout that resumes later; a forged token is never taken by any.
        (StatusCode::ACCEPTED, Json(json!({ "delivered": false }))).into_response()
    }
}

/// Whether the server can take orders: 503 while the shop's storage refuses its writes (a full
/// disk), when `/health` still answers, so a load balancer sends orders elsewhere.
async fn ready<S: Shop>(State(api): State<Api<S>>) -> Response {
    if api.runner.writes_failing() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the shop's storage refuses writes; checkouts wait");
    }
    Json(json!({ "status": "ready" })).into_response()
}

async fn health<S: Shop>(State(api): State<Api<S>>) -> Response {
    match api.runner.shop().unfinished().await {
        Ok(unfinished) => Json(json!({ "status": "ok", "unfinished": unfinished.len() })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}
