//! The boundary between the checkout saga and the world, as async traits every adapter implements
//! (in memory, SQLite, DynamoDB/SQS/SNS):
//!
//! - [`KeyedStores`]: the shop's own stores (stock, points, the customers' wallets), which answer
//!   a store command with the event `checkout_domain::stores` gives. Each call carries the fence
//!   of the orchestrator incarnation that sends it, and an adapter refuses a superseded one in the
//!   same transaction as the effect (see [`checkout_domain::fencing`]).
//! - [`Notifier`]: tells the assigned courier to collect, once per key, fenced like the stores.
//! - [`CourierQueue`]: carries courier requests to the worker.
//!
//! The last two are the typed ports where an outside provider plugs in (the courier service's
//! notifications and its queue); a real payment provider would be one more. The stores are the
//! shop's own and take one call for every store command.
//! - [`CheckoutRepository`]: admits orders (the registry), and keeps each checkout with the fence
//!   of its latest claim; a save names the fence it holds.
//! - [`Clock`]: the time, in milliseconds.
//!
//! [`listing`] pages through checkouts by phase for an operator, on every adapter alike.
//!
//! [`perform`] runs one [`Command`](checkout_domain::Command) against the ports and returns the
//! [`Event`](checkout_domain::Event) to feed back. The
//! keyed-store contract every adapter is held to is `checkout_domain::ledger`'s; the conformance
//! suite (`checkout-conformance`) checks it.

// Port errors carry a superseded fence or a storage failure; mock expectations return them by value.
#![allow(clippy::result_large_err)]

pub mod listing;
mod perform;
mod ports;

pub use perform::{perform, Adapters};
pub use ports::*;
