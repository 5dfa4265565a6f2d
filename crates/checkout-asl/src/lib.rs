//! The checkout as deployed on AWS Step Functions, generated: the state machine
//! ([`machine::definition`], written to `deploy/checkout.asl.json`) and the SAM template around
//! it ([`template::template`], `deploy/template.yaml`), from the domain's states, the engine's
//! policy and the one definition of the shop's resources (`checkout_aws::resources`). The
//! `generate` binary writes both; a test fails when the committed files differ from what it
//! writes now.
//!
//! # The machine
//! Three Task states carry a happy checkout, so it costs three state transitions (the study
//! project's takes eight):
//!
//! ```text
//! Bill ──▶ WaitForCourier ──▶ Dispatch ──▶ (succeeded)
//!  │            │                 │
//!  │ ended      │ timeout,        │ notice refused for good
//!  ▼            │ no courier      ▼
//! Rejected ◀────┴──────────▶ Compensate ──▶ Compensated / Rejected / NeedsOperator (Fail)
//! ```
//!
//! An execution that finds its checkout dispatched already (the same order started again under
//! another name) ends in the Succeed state AlreadyDispatched.
//!
//! - **Bill** (the step function, action `bill`) admits the order (the execution's name is the
//!   order id, so a second start of one order is not a second checkout), claims the checkout and
//!   drives it through the engine, retrying store calls by the engine's policy inside the
//!   invocation, up to the courier wait. A checkout that ends there (rejected, or compensated
//!   after a declined charge) ends the invocation with an error named for its outcome, which a
//!   Catch routes to its Fail state: no Choice state, no extra transition.
//!   Bill opens the checkout's courier wait itself, under a token the checkout keeps (as the
//!   embedded runner does), and returns it with the deadline.
//! - **WaitForCourier** sends the courier request with Step Functions' own task token
//!   (`sqs:sendMessage.waitForTaskToken`) and the checkout's wait token, times out at the courier
//!   deadline, and expects a heartbeat from the worker while it searches; a timeout or a worker's
//!   failure goes to Compensate. The worker answers Step Functions with the first token and names
//!   the wait with the second, which the checkout checks: a reply for another wait is refused
//!   twice over.
//! - **Dispatch** (action `dispatch`) records the wait's token and the worker's answer, tells the
//!   courier, and saves the checkout dispatched. Once the answer is taken the checkout is past
//!   the point of no return: the notice is retried without end (the engine's `notice` backoff),
//!   and a notice refused for good ends NeedsOperator with everything still held, since the
//!   courier may have been told. Only an answer the checkout refuses while it still waits is
//!   caught to Compensate.
//! - **Compensate** (action `compensate`) records why the checkout failed, and runs every
//!   compensation it owes until each is done or refused for good; it is retried without end, as
//!   the engine retries compensations.
//! - A failed checkout ends in a Fail state (status FAILED) naming its outcome.
//!
//! Every Task retries every error but an outcome ([`contract::OUTCOMES`]): the step function's
//! `Checkout.Retry`, the Lambda service's failures, and a function that died or timed out, with
//! backoff from the engine's policy (in whole seconds, the finest Step Functions allows).

/// What the machine and the step function agree on (one definition, in `checkout-stepfn`).
pub use checkout_stepfn::contract;
pub mod cost;
pub mod machine;
pub mod template;

/// The prefix of the deployed shop's resources.
pub const PREFIX: &str = "checkout";

/// The generated files, by path from the repository's root, as the shipped policy makes them.
pub fn files() -> Vec<(&'static str, String)> {
    let pretty = |value: &serde_json::Value| serde_json::to_string_pretty(value).expect("JSON values print") + "\n";
    let definition = machine::definition(&checkout_engine::Policy::default());
    vec![
        ("deploy/checkout.asl.json", pretty(&definition)),
        ("deploy/template.yaml", pretty(&template::template(PREFIX))),
        ("docs/cost.md", cost::document(&definition)),
    ]
}
