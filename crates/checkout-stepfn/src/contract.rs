//! What the state machine and the step function agree on: the actions the function performs, and
//! the names of the errors it ends an invocation with, which the machine's Retry and Catch match.

/// The step function's actions, one per Task state that invokes it.
pub const BILL: &str = "bill";
pub const DISPATCH: &str = "dispatch";
pub const COMPENSATE: &str = "compensate";

/// The checkout was dispatched already, by another execution for the same order (started under
/// another name): this execution succeeds too, having nothing left to do.
pub const DISPATCHED: &str = "Checkout.Dispatched";
/// The checkout ended rejected (nothing was taken, or all of it was released).
pub const REJECTED: &str = "Checkout.Rejected";
/// The checkout failed and every compensation it owed is done.
pub const COMPENSATED: &str = "Checkout.Compensated";
/// An operator must act: a compensation was refused for good, or the courier notice was (and
/// the courier may have been told, so everything is still held).
pub const NEEDS_OPERATOR: &str = "Checkout.NeedsOperator";
/// Storage failed, or the call's outcome is unknown, or a newer invocation took the checkout
/// over: invoke again (the store calls are keyed, so a repeat takes nothing twice).
pub const RETRY: &str = "Checkout.Retry";

/// The worker's answer named no wait or no courier, or the checkout refused it (another wait's,
/// a stale one) and still waits: no retry of the same answer changes that, so the machine does
/// not retry it (the wait then ends in Compensate, as a timed-out wait would).
pub const BAD_ANSWER: &str = "Checkout.BadCourierAnswer";
/// The courier worker found no courier: the error it fails the waiting task with. Its cause is
/// `{"waitToken": ..., "detail": ...}`.
pub const COURIER_UNAVAILABLE: &str = "Courier.Unavailable";

/// The errors that end an invocation with the checkout's outcome: final, never retried. Every
/// other error a Task reports (`Checkout.Retry`, the Lambda service's, a process that died or
/// timed out) is retried, since every action may be taken again without taking anything twice.
pub const OUTCOMES: &[&str] = &[DISPATCHED, REJECTED, COMPENSATED, NEEDS_OPERATOR];

/// How long the courier worker may go without a heartbeat while it searches, in seconds.
pub const COURIER_HEARTBEAT_S: u64 = 120;

/// The courier worker's answer when it assigned a courier: the output of its `SendTaskSuccess`,
/// which the machine hands to `dispatch`. It names the checkout's wait, which the checkout checks.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourierAssigned {
    pub courier: checkout_domain::CourierId,
    pub wait_token: checkout_domain::TaskToken,
}

/// The cause of the worker's [`COURIER_UNAVAILABLE`] failure, which the machine hands to
/// `compensate`: the wait it answers, and why no courier was found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourierUnavailable {
    pub wait_token: checkout_domain::TaskToken,
    pub detail: String,
}

impl CourierAssigned {
    /// The task's output, as the worker's `SendTaskSuccess` sends it.
    pub fn output(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("ids serialize as strings")
    }
}

impl CourierUnavailable {
    /// The failure's cause, as the worker's `SendTaskFailure` sends it.
    pub fn cause(&self) -> String {
        serde_json::to_string(self).expect("ids serialize as strings")
    }
}

/// What a Task's Catch hands on as `$.failure`: the error's name and, as text, its cause.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Caught {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub cause: Option<String>,
}

/// The message the machine's `WaitForCourier` state puts on the courier queue: the courier
/// request every queue carries (`waitToken`, `order`, `deadlineMs`), and Step Functions' own
/// `taskToken`, which the worker answers. The generated `MessageBody` names exactly these fields
/// (a generator test holds them together).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourierMessage {
    pub task_token: String,
    #[serde(flatten)]
    pub request: checkout_ports::CourierRequest,
}
