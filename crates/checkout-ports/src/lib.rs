//! The boundary between the checkout saga and the world, as async traits every adapter implements
//! (in memory, SQLite, DynamoDB/SQS/SNS):
//!
//! - [`StockStore`], [`PointsStore`], [`PaymentService`]: the keyed stores. Each call carries the
//!   fence of the orchestrator incarnation that sends it, and an adapter refuses a superseded one
//!   in the same transaction as the effect (see [`checkout_domain::fencing`]).
//! - [`Notifier`]: tells the assigned courier to collect, once per key, fenced like the stores.
//! - [`CourierQueue`]: carries courier requests to the worker.
//! - [`CheckoutRepository`]: admits orders (the registry), and keeps each checkout with the fence
//!   of its latest claim; a save names the fence it holds.
//! - [`Clock`]: the time, in milliseconds.
//!
//! [`perform`] runs one [`Command`](checkout_domain::Command) against the ports and returns the
//! [`Event`](checkout_domain::Event) to feed back. The
//! keyed-store contract every adapter is held to is `checkout_domain::ledger`'s; the conformance
//! suite (`checkout-conformance`) checks it.

// Port errors carry a superseded fence or a storage failure; mock expectations return them by value.
#![allow(clippy::result_large_err)]

mod perform;
mod ports;

pub use perform::{perform, Adapters};
pub use ports::*;
