//! The checkout as typestates. Each state is its own type and each transition a method that
//! consumes it, so the compiler rejects a skipped step, a dispatch without a courier, a reused
//! state, or a failed checkout declared finished before it has given back what it took.
//!
//! What a failed checkout owes is part of its type: `Failed<Owes<PaymentHeld, Owes<StockHeld,
//! Settled>>>` must be refunded, then have its stock released, before `Failed<Settled>` can
//! become [`Compensated`]. Only the compensation for the newest hold has a method, so they run in
//! reverse order of the effects they undo.
//!
//! Once a courier is assigned ([`NotifyingCourier`]) there is no failure transition at all: the
//! notice to the courier cannot be taken back, so it is retried until it goes through, and a
//! refusal for good ends in [`NoticeUnconfirmed`], which holds everything for an operator.
//!
//! - [`owes`]: the type-level stack of holds a failure must give back.
//! - [`phase`]: the coarse phase each state belongs to.
//! - [`ticket`]: what every state is about — the checkout's id and its order.
//! - [`values`]: what states carry (pricing, what was returned, why a checkout failed).
//! - [`types`]: the state types themselves.
//! - [`transitions`]: the methods that move from one state to the next.
//! - [`resolution`]: how an operator closes a checkout raised for them, by recording what was
//!   done by hand.
//!
//! A transition takes the *result* of a side effect (a reservation, a receipt) as an argument;
//! nothing here performs IO. [`crate::Command`] says which effect a state is waiting for.

pub mod owes;
pub mod phase;
pub mod resolution;
pub mod ticket;
pub mod transitions;
pub mod types;
pub mod values;

pub use owes::{
    Compensation, Hold, Owed, Owes, OwesPaymentAndStock, OwesPaymentPointsAndStock, OwesPointsAndStock, OwesStock,
    PaymentHeld, PointsHeld, Settled, StockHeld,
};
pub use phase::{Phase, UnknownPhase};
pub use resolution::{NoteError, OperatorNote, Raised, Resolution, Resolved, MAX_NOTE_CHARS};
pub use ticket::Ticket;
pub use transitions::{Ending, Refused, Route, TransitionError};
pub use types::{
    Billing, Compensated, Dispatched, Failed, NeedsOperator, NoticeUnconfirmed, NotifyingCourier, Placed,
    PreparingOrder, Priced, RedeemingPoints, Rejected, StockReserved,
};
pub use values::{FailureCause, Pricing, Returned, Unreturned, COURIER_WAIT_MS};

// The typestate tests (tests/ui) name the receipts through this module, as transitions take them.
pub use crate::protocol::reply::*;
