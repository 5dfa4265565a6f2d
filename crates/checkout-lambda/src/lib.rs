//! The checkout's Lambda functions, run by the generated state machine (`checkout-asl`):
//!
//! - [`step`]: the step function. One invocation takes one of the machine's actions for one
//!   order: `bill` (admit, claim, drive to the courier wait), `dispatch` (take the courier's
//!   answer, tell the courier, end dispatched) or `compensate` (end what the checkout waits on,
//!   give everything back). It drives through the same runner, engine and AWS adapters as
//!   `checkout serve --backend aws`, and ends with an error named for the outcome when the
//!   checkout ends any other way than dispatched.
//! - [`courier`]: the courier worker, triggered by the courier request queue: it finds a
//!   courier and answers the waiting task with `SendTaskSuccess` or `SendTaskFailure`.
//!
//! The binaries (`checkout-step`, `checkout-courier`) build their clients once per cold start
//! and hand each event to these.

pub mod courier;
pub mod env;
pub mod step;
