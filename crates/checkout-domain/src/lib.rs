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
