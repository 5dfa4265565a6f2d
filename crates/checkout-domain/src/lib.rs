//! The book-store checkout saga as a pure domain model.
//!
//! - [`order`]: validated input, parsed from JSON with typed errors.
//! - [`money`]: integer money and points with checked arithmetic.
//! - [`keys`]: the idempotency keys and task tokens every side effect carries.
//! - [`states`]: the checkout as typestates; invalid transitions do not compile.
//! - [`checkout`]: the same states erased into one enum, for persistence and orchestration.
//! - [`command`]: the side effects the states ask adapters to perform.
//! - [`ledger`]: the keyed, idempotent store semantics those adapters must provide.
//!
//! Nothing in this crate performs IO, reads a clock or spawns a task.
//!
//! An orchestrator asks a checkout what to do next, does it, and feeds the result back:
//!
//! ```
//! use checkout_domain::ledger::Stores;
//! use checkout_domain::{BookId, CheckoutState, Command, CourierId, Event, Money, Next, Order, Outcome, UserId};
//!
//! let order = Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":1}"#)?;
//! let mut stores = Stores::default();
//! stores.inventory.add_book(BookId::new("b-1")?, 1, Money::from_minor_units(1250));
//! stores.wallets.open(UserId::new("u-1")?, 5000);
//!
//! let mut checkout = CheckoutState::start(order);
//! let outcome = loop {
//!     checkout = match checkout.next() {
//!         Next::Finished(outcome) => break outcome,
//!         Next::Compute => checkout.compute()?,
//!         Next::Run(Command::RequestCourier { token, .. }) => {
//!             checkout.apply(Event::CourierAssigned { token, courier: CourierId::new("c-1")? })?
//!         }
//!         Next::Run(Command::NotifyCourier { .. }) => checkout.apply(Event::CourierNotified)?,
//!         Next::Run(command) => checkout.apply(stores.perform(&command, 0).expect("a store command"))?,
//!     };
//!     // Persist `checkout.to_json()` here; `CheckoutState::from_json` resumes after a crash.
//! };
//! assert_eq!(outcome, Outcome::Dispatched);
//! assert_eq!(stores.wallets.balance(&UserId::new("u-1")?), Some(5000 - 1250));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Typestate transitions hand a refused state back inside their error, so those errors are as
// large as the states; boxing them would only add allocations to every refusal.
#![allow(clippy::result_large_err)]

pub mod checkout;
pub mod command;
pub mod error;
pub mod keys;
pub mod ledger;
pub mod money;
pub mod order;
pub mod states;

pub use checkout::{CheckoutState, Event, LoadError, Next, Outcome, Phase};
pub use command::Command;
pub use error::{AmountError, OrderError, StateError, TransitionError};
pub use keys::{Effect, EffectKey, TaskToken};
pub use money::{Money, Points};
pub use order::{BookId, CourierId, Order, OrderId, Quantity, UserId};
