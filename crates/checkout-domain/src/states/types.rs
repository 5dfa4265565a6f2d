//! The state types. Their fields are private to the crate: a state can only be reached through
//! the transitions, or loaded from a record that passed the consistency checks.

use std::marker::PhantomData;

use crate::money::Money;
use crate::order::CourierId;
use crate::protocol::{TaskToken, Unavailable};
use crate::states::ticket::Ticket;
use crate::states::values::{FailureCause, Pricing, Returned, Unreturned};

/// An accepted order; nothing has been taken yet. Waits for the stock reservation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Placed {
    pub(crate) ticket: Ticket,
}

/// Stock is reserved (taken atomically under the order's key); the total is not yet computed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StockReserved {
    pub(crate) ticket: Ticket,
    pub(crate) unit_price: Money,
}

/// The total is known; the next step depends on whether the order redeems points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Priced {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
}

/// Waits for the points store to redeem up to the total in points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedeemingPoints {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
}

/// Waits for the charge of the amount due. `O` is what a failure from here must give back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Billing<O> {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
    pub(crate) owed: PhantomData<O>,
}

/// Waits, until `deadline_ms`, for the courier worker's reply carrying the wait's task token.
/// The token is issued by the runtime when it opens the wait; until then there is none.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreparingOrder<O> {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
    pub(crate) deadline_ms: u64,
    pub(crate) token: Option<TaskToken>,
    pub(crate) owed: PhantomData<O>,
}

/// A courier is assigned; waits for the notification to be published. This is the point of no
/// return: the notice is the one effect no key can undo (once a courier is told to collect, the
/// order goes out), so from here no transition fails or compensates the checkout. `O` only
/// records which holds the order keeps, as its persisted record names them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NotifyingCourier<O> {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
    pub(crate) courier: CourierId,
    pub(crate) owed: PhantomData<O>,
}

/// End state: the order is paid, its stock sold and its courier on the way.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dispatched {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
    pub(crate) courier: CourierId,
}

/// End state: the notice to the courier was refused for good, after attempts whose outcome may be
/// unknown, so the courier may already have been told to collect. Nothing is given back: the
/// order keeps its copies, points and payment until an operator settles it (confirms the
/// collection, or calls the courier off and gives back by hand).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoticeUnconfirmed {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Pricing,
    pub(crate) courier: CourierId,
    /// The notification service's reason, as an excerpt.
    pub(crate) detail: String,
}

/// End state: the stock store took nothing, so nothing is owed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rejected {
    pub(crate) ticket: Ticket,
    pub(crate) reason: Unavailable,
}

/// A checkout that failed and still owes the compensations in `O`, newest first; `unreturned`
/// lists those already tried that were refused for good.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Failed<O> {
    pub(crate) ticket: Ticket,
    /// The price, if the checkout failed after it was known: it bounds what can come back.
    pub(crate) pricing: Option<Pricing>,
    pub(crate) cause: FailureCause,
    pub(crate) returned: Returned,
    pub(crate) unreturned: Vec<Unreturned>,
    pub(crate) owed: PhantomData<O>,
}

/// End state: the checkout failed and everything it took has been given back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Compensated {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Option<Pricing>,
    pub(crate) cause: FailureCause,
    pub(crate) returned: Returned,
}

/// End state: the checkout failed, and some compensation was refused for good. It names exactly
/// what is still held (`unreturned`, never empty) for an operator to settle.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NeedsOperator {
    pub(crate) ticket: Ticket,
    pub(crate) pricing: Option<Pricing>,
    pub(crate) cause: FailureCause,
    pub(crate) returned: Returned,
    pub(crate) unreturned: Vec<Unreturned>,
}
