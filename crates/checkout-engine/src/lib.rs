//! The orchestration policy of the checkout saga, pure: no IO, no clock, no tasks. A runner (the
//! embedded one, a Lambda, the model checker) holds a checkout and its [`Progress`], asks
//! [`Engine::next`] what to do, does it, and hands the result back. The engine decides the rest:
//!
//! - a reply moves the checkout on ([`Engine::apply`]);
//! - a failed call is retried after a backoff (exponential, capped, with jitter from an injected
//!   seed), and a forward step that keeps failing gives up and starts compensating
//!   ([`Engine::after_call`]);
//! - a compensation is retried until it succeeds: it never gives up, and only a refusal for good
//!   ends it, raised for an operator;
//! - so is the courier notice, the point of no return: once a courier may have been told to
//!   collect, the checkout never compensates, and a refusal for good raises it for an operator
//!   with everything still held;
//! - the courier request is sent once per incarnation, and the wait ends at its deadline.
//!
//! The model checker drives its checkouts through this engine, so the policy it proves is the
//! policy that runs.
//!
//! ```
//! use checkout_domain::{CheckoutId, CheckoutState, Order};
//! use checkout_engine::{Action, CallError, Engine, Policy, Progress};
//!
//! let engine = Engine::new(Policy::default(), 7);
//! let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#)?;
//! let checkout = CheckoutState::start(CheckoutId::new("ck-1")?, order);
//! let mut progress = Progress::default();
//! let Action::Call(command) = engine.next(&checkout, &progress) else { unreachable!() };
//! // The stock store timed out: the reservation may or may not have happened.
//! let retry = engine.after_call(checkout, &mut progress, &command, Err(CallError::Unknown("timeout".into())))?;
//! assert!(retry.delay_ms().is_some(), "a forward step is retried before it gives up");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// A refused event hands the checkout back inside the error, as the domain's transitions do; the
// error is as large as a state, and boxing it would only add an allocation to every refusal.
#![allow(clippy::result_large_err)]

mod backoff;
mod engine;

pub use backoff::Backoff;
pub use checkout_domain::protocol::CallError;
pub use engine::{Action, AfterCall, Engine, Policy, Progress};
