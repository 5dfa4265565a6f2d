//! The step function of the generated state machine (`checkout-asl`), without AWS:
//!
//! - [`contract`]: what the machine and the function agree on: the actions, the error names the
//!   machine's Retry and Catch match, and the shape of the courier worker's answers;
//! - [`invocation`]: one invocation, one action for one order: `bill` (admit, claim, drive to the
//!   courier wait), `dispatch` (take the courier's answer, tell the courier, end dispatched) or
//!   `compensate` (end what the checkout waits on, give everything back), driven by the one
//!   drive loop (`checkout-drive`) over whatever shop it is given.
//!
//! The Lambda function (`checkout-lambda`) runs it over the AWS adapters; the model of the state
//! machine (`model/src/routing/`) runs the same code over the in-memory shop, so what the
//! checker explores is what the function does.

pub mod contract;
pub mod invocation;
