//! The checkout's Lambda functions, run by the generated state machine (`checkout-asl`):
//!
//! - the step function: `checkout_stepfn::invocation` over the AWS adapters, the same drive loop, engine
//!   and adapters as `checkout serve --backend aws`; it ends with an error named for the outcome
//!   when the checkout ends any other way than dispatched, which [`diagnostic`] hands to Lambda;
//! - [`courier`]: the courier worker, triggered by the courier request queue: it finds a
//!   courier and answers the waiting task with `SendTaskSuccess` or `SendTaskFailure`.
//!
//! The binaries (`checkout-step`, `checkout-courier`) build their clients once per cold start
//! and hand each event to these.

pub mod courier;
pub mod env;

/// A step's error as Lambda reports it: its name becomes the error type, which Step Functions
/// matches.
pub fn diagnostic(error: checkout_stepfn::invocation::InvocationError) -> lambda_runtime::Diagnostic {
    lambda_runtime::Diagnostic { error_type: error.name.to_string(), error_message: error.message }
}
