//! The book-store checkout saga as a pure domain model. Nothing in this crate performs IO, reads
//! a clock or spawns a task.
//!
//! - [`order`]: validated input, parsed from JSON with typed errors.
//! - [`money`]: integer money and points with checked arithmetic.
//! - [`protocol`]: what crosses to the adapters — commands, idempotency keys and task tokens,
//!   the stores' receipts, and the events fed back.
//! - [`states`]: the checkout as typestates; invalid transitions do not compile.
//! - [`checkout`]: the same states erased into one enum ([`CheckoutState`]) for orchestration,
//!   and its persisted record.
//! - [`ledger`]: the keyed, idempotent store contract every store adapter must honour.
//! - [`registry`]: the order registry contract: one checkout per order, a conflicting order refused.
//! - [`fencing`]: the fencing contract: one orchestrator incarnation acts for a checkout at a time.
//! - [`operation`]: what an operator adds to the shop (restocks, credits), journaled.
//! - [`stores`]: the store rules: how stock, points and wallets answer the keyed commands.
//!
//! An orchestrator asks a checkout what to do next, does it, and feeds the result back:
//!
//! ```
//! use checkout_domain::protocol::{ChargeReceipt, StockReservation};
//! use checkout_domain::{CheckoutId, CheckoutState, Command, CourierId, Event, Money, Next, Order, Outcome, TaskToken};
//!
//! let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2}"#)?;
//! let mut checkout = CheckoutState::start(CheckoutId::new("ck-1")?, order);
//! let outcome = loop {
//!     checkout = match checkout.next() {
//!         Next::Finished(outcome) => break outcome,
//!         Next::Compute => checkout.compute()?,
//!         // Each command goes to its adapter; here the answers are written out by hand.
//!         Next::Run(Command::ReserveStock { .. }) => {
//!             checkout.apply(Event::StockReserved(StockReservation { unit_price: Money::from_minor_units(1250) }))?
//!         }
//!         Next::Run(Command::Charge { amount, .. }) => {
//!             checkout.apply(Event::Charged { receipt: ChargeReceipt { amount }, now_ms: 0 })?
//!         }
//!         // The runtime issues a token nobody can guess (random, or Step Functions' own).
//!         Next::OpenCourierWait => checkout.apply(Event::CourierWaitOpened { token: TaskToken::new("9b1e44d0")? })?,
//!         Next::Run(Command::RequestCourier { token, .. }) => {
//!             checkout.apply(Event::CourierAssigned { token, courier: CourierId::new("c-1")? })?
//!         }
//!         Next::Run(Command::NotifyCourier { .. }) => checkout.apply(Event::CourierNotified)?,
//!         Next::Run(other) => unreachable!("a happy checkout without points never runs {}", other.name()),
//!     };
//!     // Persist `checkout.to_json()` here; `CheckoutState::from_json` resumes after a crash.
//! };
//! assert_eq!(outcome, Outcome::Dispatched);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// A refused transition hands its state back inside the error, so those errors are as large as
// the states; boxing them would only add an allocation to every refusal.
#![allow(clippy::result_large_err)]

pub mod checkout;
pub mod excerpt;
pub mod fencing;
pub mod ledger;
pub mod money;
mod names;
pub mod operation;
pub mod order;
pub mod protocol;
pub mod registry;
pub mod states;
pub mod stores;

pub use checkout::{
    CheckoutRecord, CheckoutState, CheckoutView, CourierWait, LoadError, Next, Outcome, Phase, Stage, StateError,
};
pub use money::{AmountError, Money, Points};
pub use order::{BookId, CheckoutId, CourierId, Order, OrderError, OrderId, Quantity, UserId};
pub use protocol::{Command, Effect, EffectKey, Event, TaskToken};
pub use states::{Refused, Ticket, TransitionError};
