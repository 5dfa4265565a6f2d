//! The step function's three actions.

use checkout_domain::registry::Admission;
use checkout_domain::{CheckoutId, CourierId, Event, Order, Outcome, TaskToken};
use checkout_drive::{DriveError, Driver, Pause, World};
use checkout_ports::Shop;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::contract::{
    self, Caught, CourierAssigned, CourierUnavailable, BAD_ANSWER, BILL, COMPENSATE, COURIER_UNAVAILABLE, DISPATCH,
};

/// What the state machine sends (see `checkout_asl::machine`).
#[derive(Clone, Debug, Deserialize)]
pub struct Request {
    pub action: String,
    /// The execution's input: the order.
    pub order: Value,
    /// `dispatch`: the worker's answer, `{"courier": ..., "waitToken": ...}`.
    #[serde(default)]
    pub courier: Option<Value>,
    /// `compensate`: what failed, as Step Functions caught it (`{"Error": ..., "Cause": ...}`).
    #[serde(default)]
    pub failure: Option<Value>,
}

/// How an invocation ends when it does not hand the machine a result: the error's name is what
/// the machine's Retry and Catch match ([`contract`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct InvocationError {
    pub name: &'static str,
    pub message: String,
}

impl InvocationError {
    fn new(name: &'static str, message: impl Into<String>) -> InvocationError {
        InvocationError { name, message: message.into() }
    }
}

/// Runs one action of the machine for one order, and logs one line of what came of it: the
/// action, the order, the checkout and the result, never a token or an amount.
pub async fn invoke<S: Shop, W: World>(runner: &Driver<S, W>, request: Request) -> Result<Value, InvocationError> {
    let action = request.action.clone();
    let order_id = request.order["orderId"].as_str().unwrap_or("?").to_string();
    let result = act(runner, request).await;
    match &result {
        Ok(value) => tracing::info!(action, order = order_id, checkout = value["checkout"].as_str(), result = "ok"),
        Err(error) => tracing::info!(action, order = order_id, result = error.name, detail = error.message),
    }
    result
}

async fn act<S: Shop, W: World>(runner: &Driver<S, W>, request: Request) -> Result<Value, InvocationError> {
    let order = Order::from_json(&request.order.to_string())
        .map_err(|e| InvocationError::new(contract::REJECTED, format!("the order is not valid: {e}")))?;
    let id = checkout_of(runner, &order).await?;
    let pause = match request.action.as_str() {
        BILL => runner.drive_hosted(&id, |_, _| None).await,
        DISPATCH => {
            let (token, courier) = courier_answer(request.courier.as_ref())?;
            runner.drive_hosted(&id, |_, _| Some(("courier-reply", Event::CourierAssigned { token, courier }))).await
        }
        COMPENSATE => {
            let failure = caught(&request.failure.unwrap_or(Value::Null));
            let engine = runner.engine().clone();
            runner
                .drive_hosted(&id, move |checkout, now_ms| match courier_unavailable(&failure) {
                    Some(event) => Some(("courier-reply", event)),
                    None => engine.abandon(checkout, describe(&failure), now_ms).map(|event| ("given-up", event)),
                })
                .await
        }
        other => return Err(InvocationError::new(contract::REJECTED, format!("no action {other:?}"))),
    };
    match pause.map_err(drive_error)? {
        Pause::CourierDue { token, deadline_ms } if request.action == BILL => {
            Ok(json!({ "checkout": id.as_str(), "waitToken": token.as_str(), "deadlineMs": deadline_ms }))
        }
        // The checkout refused the answer it was handed: retrying the same answer cannot help.
        Pause::CourierDue { .. } if request.action == DISPATCH => {
            Err(InvocationError::new(BAD_ANSWER, format!("checkout {id} refused the courier's answer and still waits")))
        }
        Pause::CourierDue { .. } => Err(InvocationError::new(
            contract::RETRY,
            format!("checkout {id} still waits for its courier after {}", request.action),
        )),
        Pause::Ended(Outcome::Dispatched) if request.action == DISPATCH => {
            Ok(json!({ "checkout": id.as_str(), "outcome": "dispatched" }))
        }
        Pause::Ended(Outcome::Dispatched) => Err(InvocationError::new(
            contract::DISPATCHED,
            format!("checkout {id} was dispatched already; nothing to {}", request.action),
        )),
        Pause::Ended(Outcome::Rejected) => {
            Err(InvocationError::new(contract::REJECTED, format!("checkout {id} was rejected")))
        }
        Pause::Ended(Outcome::Compensated) => {
            Err(InvocationError::new(contract::COMPENSATED, format!("checkout {id} failed and gave everything back")))
        }
        Pause::Ended(Outcome::NeedsOperator) => Err(InvocationError::new(
            contract::NEEDS_OPERATOR,
            format!("checkout {id} needs an operator: a compensation or its courier notice was refused for good"),
        )),
        // An operator settled it by hand; the execution ends where it would have ended raised.
        Pause::Ended(Outcome::Resolved) => Err(InvocationError::new(
            contract::NEEDS_OPERATOR,
            format!("checkout {id} was raised for an operator, who has resolved it"),
        )),
    }
}

/// The checkout of `order`: the registry's answer, whether this is the first invocation for it
/// or a later one (the order is the execution's input, the same for every action).
async fn checkout_of<S: Shop, W: World>(runner: &Driver<S, W>, order: &Order) -> Result<CheckoutId, InvocationError> {
    match runner
        .shop()
        .admit(order, runner.clock().fresh_checkout_id(), checkout_domain::fencing::Lease::HELD_BY_HOST)
        .await
    {
        Ok(Admission::Opened(id) | Admission::Existing(id)) => Ok(id),
        Err(checkout_ports::AdmitError::Conflict(conflict)) => {
            Err(InvocationError::new(contract::REJECTED, conflict.to_string()))
        }
        Err(checkout_ports::AdmitError::Storage(e)) => Err(InvocationError::new(contract::RETRY, e.to_string())),
    }
}

fn drive_error(error: DriveError) -> InvocationError {
    InvocationError::new(contract::RETRY, error.to_string())
}

/// The worker's answer: the checkout's wait token and the courier. One the checkout cannot read
/// is a [`BAD_ANSWER`], never retried (a retry reads the same answer).
fn courier_answer(answer: Option<&Value>) -> Result<(TaskToken, CourierId), InvocationError> {
    let answer = answer.ok_or_else(|| InvocationError::new(BAD_ANSWER, "no courier answer"))?;
    let CourierAssigned { courier, wait_token } = CourierAssigned::deserialize(answer)
        .map_err(|e| InvocationError::new(BAD_ANSWER, checkout_domain::excerpt::excerpt(&e.to_string())))?;
    Ok((wait_token, courier))
}

/// What Step Functions caught, read leniently: a failure it cannot read is an unknown error.
fn caught(failure: &Value) -> Caught {
    Caught::deserialize(failure).unwrap_or_default()
}

/// A worker's "no courier" (its failure's cause names the wait and says why), as the event.
fn courier_unavailable(failure: &Caught) -> Option<Event> {
    if failure.error != COURIER_UNAVAILABLE {
        return None;
    }
    let cause: CourierUnavailable = serde_json::from_str(failure.cause.as_deref()?).ok()?;
    Some(Event::CourierUnavailable { token: cause.wait_token, detail: cause.detail })
}

/// What failed, in one line for the journal.
fn describe(failure: &Caught) -> String {
    let error = if failure.error.is_empty() { "an unknown error" } else { failure.error.as_str() };
    match failure.cause.as_deref() {
        Some(cause) if !cause.is_empty() => format!("{error}: {cause}"),
        _ => error.to_string(),
    }
}
