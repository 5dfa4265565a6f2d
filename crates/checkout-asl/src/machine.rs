//! The Amazon States Language definition of the checkout (see the crate docs for its shape).
//! Lambda and queue addresses are `${...}` substitutions the template fills in.

use checkout_domain::states::COURIER_WAIT_MS;
use checkout_engine::{Backoff, Policy};
use serde_json::{json, Value};

use crate::contract::{
    BAD_ANSWER, BILL, COMPENSATE, COMPENSATED, COURIER_HEARTBEAT_S, DISPATCH, DISPATCHED, NEEDS_OPERATOR, OUTCOMES,
    REJECTED,
};

/// The most retries Step Functions allows: what "retried without end" becomes.
pub const ENDLESS: u32 = 99_999_999;

/// The substitution that names the step function.
pub const STEP_FUNCTION: &str = "${StepFunctionArn}";
/// The substitution that names the courier request queue.
pub const COURIER_QUEUE: &str = "${CourierQueueUrl}";

/// Whole seconds, at least one: Step Functions waits no less between attempts.
fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// Retry rules: an outcome is final (the first rule, which Step Functions reads first, allows it
/// no retry); every other error is retried, waiting as `backoff` says, `retries` times. A
/// function that died mid-way is retried like one that reported `Checkout.Retry`: a compensation
/// cut short by a crash is taken up again, not handed to an operator.
fn retry(backoff: Backoff, retries: u32) -> Value {
    json!([
        { "ErrorEquals": OUTCOMES, "MaxAttempts": 0 },
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": seconds(backoff.first_ms),
            "MaxDelaySeconds": seconds(backoff.cap_ms),
            "BackoffRate": 2.0,
            "MaxAttempts": retries,
            "JitterStrategy": "FULL",
        },
    ])
}

/// The step function's Task for `action`, with the order it acts for and `more` parameters.
fn step(action: &str, more: Value) -> Value {
    let mut parameters = json!({ "action": action, "order.$": "$$.Execution.Input" });
    if let (Some(parameters), Value::Object(more)) = (parameters.as_object_mut(), more) {
        parameters.extend(more);
    }
    json!({ "Type": "Task", "Resource": STEP_FUNCTION, "Parameters": parameters })
}

/// Catches routing the ended outcomes to their end states, then everything else to `otherwise`.
fn catches(otherwise: &str) -> Value {
    json!([
        { "ErrorEquals": [DISPATCHED], "Next": "AlreadyDispatched" },
        { "ErrorEquals": [REJECTED], "Next": "Rejected" },
        { "ErrorEquals": [COMPENSATED], "Next": "Compensated" },
        { "ErrorEquals": [NEEDS_OPERATOR], "Next": "NeedsOperator" },
        { "ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": otherwise },
    ])
}

fn fail(error: &str, cause: &str) -> Value {
    json!({ "Type": "Fail", "Error": error, "Cause": cause })
}

/// The state machine for checkouts run under `policy`.
pub fn definition(policy: &Policy) -> Value {
    // The engine's attempts include the first; Step Functions counts retries after it.
    let forward = retry(policy.forward, policy.max_attempts.saturating_sub(1));
    let compensation = retry(policy.compensation, policy.compensation_gives_up_after.unwrap_or(ENDLESS));

    let mut bill = step(BILL, json!({}));
    bill["Retry"] = forward;
    bill["Catch"] = catches("Compensate");
    bill["ResultPath"] = json!("$.billed");
    bill["Next"] = json!("WaitForCourier");

    let wait = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {
            "QueueUrl": COURIER_QUEUE,
            "MessageBody": {
                "taskToken.$": "$$.Task.Token",
                "waitToken.$": "$.billed.waitToken",
                "order.$": "$$.Execution.Input",
                "deadlineMs.$": "$.billed.deadlineMs",
            },
        },
        "TimeoutSeconds": seconds(COURIER_WAIT_MS),
        "HeartbeatSeconds": COURIER_HEARTBEAT_S,
        "ResultPath": "$.courier",
        "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Compensate" }],
        "Next": "Dispatch",
    });

    // Dispatch takes the courier's answer and sends the notice, which is past the point of no
    // return: it is retried without end, like a compensation. Its Catch is reached only by an
    // answer the checkout refuses while it still waits (Compensate then ends the wait); sent
    // to Compensate past that point, the step function goes on notifying, never compensates.
    let mut dispatch = step(DISPATCH, json!({ "courier.$": "$.courier" }));
    let mut dispatch_retry = retry(policy.notice, ENDLESS);
    if let Some(retriers) = dispatch_retry.as_array_mut() {
        // An answer the checkout refused stays refused: caught at once, never retried, so that
        // an endless retry is only ever spent on the notice.
        retriers.insert(1, json!({ "ErrorEquals": [BAD_ANSWER], "MaxAttempts": 0 }));
    }
    dispatch["Retry"] = dispatch_retry;
    dispatch["Catch"] = catches("Compensate");
    dispatch["End"] = json!(true);

    let mut compensate = step(COMPENSATE, json!({ "failure.$": "$.failure" }));
    compensate["Retry"] = compensation;
    // Every outcome, rejected too: a checkout given up on before it took anything ends rejected,
    // and so does an order refused at admission. Only running out of retries, which the endless
    // retry never does, reaches the last catch.
    compensate["Catch"] = catches("NeedsOperator");
    // Compensating always ends in one of the errors above; a normal end would be a bug.
    compensate["Next"] = json!("NeedsOperator");

    json!({
        "Comment": "A book-store checkout as a saga. Generated by checkout-asl from the domain and the engine's policy: do not edit.",
        "StartAt": "Bill",
        "States": {
            "Bill": bill,
            "WaitForCourier": wait,
            "Dispatch": dispatch,
            "Compensate": compensate,
            "AlreadyDispatched": { "Type": "Succeed", "Comment": "Another execution for the same order dispatched its checkout." },
            "Rejected": fail(REJECTED, "The order could not be filled: nothing was taken, or all of it was given back."),
            "Compensated": fail(COMPENSATED, "The checkout failed; every copy, point and cent taken was given back."),
            "NeedsOperator": fail(NEEDS_OPERATOR, "A compensation was refused for good (an operator must give back what is still held), or the courier notice was (the courier may have been told; everything is held until an operator settles it)."),
        },
    })
}

/// The states a run passes through, from the start to its end, following `Next` and, where
/// `errors` says a state failed with an error, the first Catch that matches it: how many
/// transitions the run is billed for.
pub fn path(definition: &Value, errors: &[(&str, &str)]) -> Vec<String> {
    let mut path = Vec::new();
    let mut state = definition["StartAt"].as_str().map(str::to_string);
    while let Some(name) = state.take() {
        let body = &definition["States"][&name];
        path.push(name.clone());
        if path.len() > 64 {
            break;
        }
        if let Some((_, error)) = errors.iter().find(|(at, _)| *at == name) {
            let catches = body["Catch"].as_array().cloned().unwrap_or_default();
            state = catches
                .iter()
                .find(|c| {
                    c["ErrorEquals"].as_array().is_some_and(|e| e.iter().any(|e| e == error || e == "States.ALL"))
                })
                .and_then(|c| c["Next"].as_str())
                .map(str::to_string);
        } else if body["End"] != json!(true) {
            state = body["Next"].as_str().map(str::to_string);
        }
    }
    path
}
