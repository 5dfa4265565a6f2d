//! The checkout as typestates. Each state is its own type and each transition a method that
//! consumes it, so the compiler rejects a skipped step, a dispatch without a courier, a reused
//! state, or a failed checkout declared finished before it has given back what it took.
//!
//! What a failed checkout owes is part of its type: `Failed<Owes<PaymentHeld, Owes<StockHeld,
//! Settled>>>` must be refunded, then have its stock released, before `Failed<Settled>` can
//! become [`Compensated`]. Only the compensation for the newest hold has a method, so they run in
//! reverse order of the effects they undo.
//!
//! A transition takes the *result* of a side effect (a reservation, a receipt) as an argument;
//! nothing here performs IO. [`crate::Command`] says which effect a state is waiting for.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::error::{AmountError, TransitionError};
use crate::keys::{Effect, EffectKey, TaskToken};
use crate::money::{Money, Points};
use crate::order::{CourierId, Order};

/// How long the saga waits for the courier worker's reply before compensating. The reference
/// waited forever: one lost reply hung the checkout.
pub const COURIER_WAIT_MS: u64 = 15 * 60 * 1000;

/// An event a state refused, with the state handed back unchanged.
#[derive(Debug)]
pub struct Refused<S> {
    pub state: S,
    pub error: TransitionError,
}

fn refuse<S>(state: S, error: TransitionError) -> Refused<S> {
    Refused { state, error }
}

// ---------------------------------------------------------------------------------------------
// What a failing checkout owes, as a type-level stack (newest hold first).

mod sealed {
    pub trait Sealed {}
}

/// One kind of compensation, as it is written when a checkout is persisted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compensation {
    Refund,
    RestorePoints,
    ReleaseStock,
}

/// A hold one forward effect may have left: the stock reserved, the points redeemed, the payment.
pub trait Hold: sealed::Sealed {
    const COMPENSATION: Compensation;
    /// The keyed command that gives back whatever this order's effect took, and nothing more.
    fn compensation_command(order: &Order) -> Command;
}

/// A stack of holds still to give back.
pub trait Owed: sealed::Sealed {
    /// The stack, newest first, as written in a persisted checkout.
    fn compensations() -> Vec<Compensation>;
}

/// Stock may be reserved for the order (under its reserve-stock key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StockHeld;
/// Loyalty points may be redeemed for the order (under its redeem-points key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PointsHeld;
/// The customer may have been charged for the order (under its charge key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaymentHeld;
/// Nothing is owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settled;
/// `C` is owed, then everything in `Rest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Owes<C, Rest>(PhantomData<(C, Rest)>);

impl sealed::Sealed for StockHeld {}
impl sealed::Sealed for PointsHeld {}
impl sealed::Sealed for PaymentHeld {}
impl sealed::Sealed for Settled {}
impl<C: Hold, R: Owed> sealed::Sealed for Owes<C, R> {}

impl Hold for StockHeld {
    const COMPENSATION: Compensation = Compensation::ReleaseStock;
    fn compensation_command(order: &Order) -> Command {
        Command::ReleaseStock { key: EffectKey::new(order.id(), Effect::ReserveStock), book: order.book().clone() }
    }
}
impl Hold for PointsHeld {
    const COMPENSATION: Compensation = Compensation::RestorePoints;
    fn compensation_command(order: &Order) -> Command {
        Command::RestorePoints { key: EffectKey::new(order.id(), Effect::RedeemPoints), user: order.user().clone() }
    }
}
impl Hold for PaymentHeld {
    const COMPENSATION: Compensation = Compensation::Refund;
    fn compensation_command(order: &Order) -> Command {
        Command::Refund { key: EffectKey::new(order.id(), Effect::Charge), user: order.user().clone() }
    }
}

impl Owed for Settled {
    fn compensations() -> Vec<Compensation> {
        Vec::new()
    }
}
impl<C: Hold, R: Owed> Owed for Owes<C, R> {
    fn compensations() -> Vec<Compensation> {
        let mut list = vec![C::COMPENSATION];
        list.extend(R::compensations());
        list
    }
}

pub type OwesStock = Owes<StockHeld, Settled>;
pub type OwesPointsAndStock = Owes<PointsHeld, OwesStock>;
pub type OwesPaymentAndStock = Owes<PaymentHeld, OwesStock>;
pub type OwesPaymentPointsAndStock = Owes<PaymentHeld, OwesPointsAndStock>;

// ---------------------------------------------------------------------------------------------
// Replies of the stores, as the transitions take them.

/// The stock store took the copies under the order's key; this is the unit price it quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StockReservation {
    pub unit_price: Money,
}

/// Why the stock store took nothing. Definitive answers, not faults: the checkout ends here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Unavailable {
    OutOfStock {
        requested: u32,
        available: u32,
    },
    UnknownBook,
    /// The order's reservation key was already released, so the store refuses to take under it.
    Withdrawn,
}

/// The points store took this many points (possibly zero) under the order's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PointsRedemption {
    pub points: Points,
}

/// The payment service charged this amount under the order's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChargeReceipt {
    pub amount: Money,
}

/// The stock store gave back this many copies for the key (zero if none had been taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StockReleased {
    pub quantity: u32,
}

/// The points store added back this many points for the key (zero if none had been taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PointsRestored {
    pub points: Points,
}

/// The payment service refunded this amount for the key (zero if nothing had been charged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refund {
    pub amount: Money,
}

/// What compensation has given back so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Returned {
    pub stock: u32,
    pub points: Points,
    pub money: Money,
}

/// The price of an order: `total = unit_price * quantity`, `amount_due = total - points`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub unit_price: Money,
    pub total: Money,
    pub points_redeemed: Points,
    pub amount_due: Money,
}

impl Pricing {
    fn new(order: &Order, unit_price: Money) -> Result<Pricing, AmountError> {
        let total = unit_price.times(order.quantity().get())?;
        Ok(Pricing { unit_price, total, points_redeemed: Points::ZERO, amount_due: total })
    }

    fn with_points(self, points: Points) -> Result<Pricing, AmountError> {
        let amount_due = self.total.less_points(points)?;
        Ok(Pricing { points_redeemed: points, amount_due, ..self })
    }

    /// Whether this pricing follows from the order's quantity; used when loading a checkout.
    pub(crate) fn is_consistent_with(&self, order: &Order) -> bool {
        let expected = Pricing::new(order, self.unit_price).and_then(|p| p.with_points(self.points_redeemed));
        expected == Ok(*self)
    }
}

/// Why a checkout is being compensated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum FailureCause {
    /// The total does not fit in the money type.
    TotalOverflow { detail: String },
    /// A remote step failed for good (declined, or retries exhausted with the outcome unknown).
    StepFailed { effect: Effect, detail: String },
    /// The courier worker answered that it could not prepare the order.
    CourierUnavailable { detail: String },
    /// No courier reply arrived before the deadline.
    CourierTimedOut { deadline_ms: u64 },
}

// ---------------------------------------------------------------------------------------------
// The states.

/// An accepted order; nothing has been taken yet. Waits for the stock reservation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Placed {
    pub(crate) order: Order,
}

/// Stock is reserved (taken atomically under the order's key); the total is not yet computed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StockReserved {
    pub(crate) order: Order,
    pub(crate) unit_price: Money,
}

/// The total is known; the next step depends on whether the order redeems points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Priced {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
}

/// Waits for the points store to redeem up to the total in points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedeemingPoints {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
}

/// Waits for the charge of the amount due. `O` is what a failure from here must give back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Billing<O> {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
    pub(crate) owed: PhantomData<O>,
}

/// Waits, until `deadline_ms`, for the courier worker's reply carrying the order's task token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreparingOrder<O> {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
    pub(crate) deadline_ms: u64,
    pub(crate) owed: PhantomData<O>,
}

/// A courier is assigned; waits for the notification to be published.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NotifyingCourier<O> {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
    pub(crate) courier: CourierId,
    pub(crate) owed: PhantomData<O>,
}

/// End state: the order is paid, its stock sold and its courier on the way.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dispatched {
    pub(crate) order: Order,
    pub(crate) pricing: Pricing,
    pub(crate) courier: CourierId,
}

/// End state: the stock store took nothing, so nothing is owed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rejected {
    pub(crate) order: Order,
    pub(crate) reason: Unavailable,
}

/// A checkout that failed and still owes the compensations in `O`, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Failed<O> {
    pub(crate) order: Order,
    pub(crate) cause: FailureCause,
    pub(crate) returned: Returned,
    pub(crate) owed: PhantomData<O>,
}

/// End state: the checkout failed and everything it took has been given back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Compensated {
    pub(crate) order: Order,
    pub(crate) cause: FailureCause,
    pub(crate) returned: Returned,
}

fn failed<O>(order: Order, cause: FailureCause) -> Failed<O> {
    Failed { order, cause, returned: Returned::default(), owed: PhantomData }
}

fn key(order: &Order, effect: Effect) -> EffectKey {
    EffectKey::new(order.id(), effect)
}

impl Placed {
    pub fn new(order: Order) -> Placed {
        Placed { order }
    }

    pub fn command(&self) -> Command {
        Command::ReserveStock {
            key: key(&self.order, Effect::ReserveStock),
            book: self.order.book().clone(),
            quantity: self.order.quantity(),
        }
    }

    pub fn stock_reserved(self, reservation: StockReservation) -> StockReserved {
        StockReserved { order: self.order, unit_price: reservation.unit_price }
    }

    /// The store definitively took nothing: the checkout ends owing nothing.
    pub fn stock_unavailable(self, reason: Unavailable) -> Rejected {
        Rejected { order: self.order, reason }
    }

    /// The reservation failed with its outcome unknown: stock may have been taken, so the keyed
    /// release is owed (it gives back nothing if nothing was taken).
    pub fn reservation_failed(self, detail: String) -> Failed<OwesStock> {
        failed(self.order, FailureCause::StepFailed { effect: Effect::ReserveStock, detail })
    }
}

impl StockReserved {
    pub fn calculate_total(self) -> Result<Priced, Failed<OwesStock>> {
        match Pricing::new(&self.order, self.unit_price) {
            Ok(pricing) => Ok(Priced { order: self.order, pricing }),
            Err(e) => Err(failed(self.order, FailureCause::TotalOverflow { detail: e.to_string() })),
        }
    }
}

/// Where a priced checkout goes next.
#[derive(Debug)]
pub enum Route {
    RedeemPoints(RedeemingPoints),
    Bill(Billing<OwesStock>),
}

impl Priced {
    pub fn route(self) -> Route {
        if self.order.redeem_points() {
            Route::RedeemPoints(RedeemingPoints { order: self.order, pricing: self.pricing })
        } else {
            Route::Bill(Billing { order: self.order, pricing: self.pricing, owed: PhantomData })
        }
    }
}

impl RedeemingPoints {
    pub fn command(&self) -> Command {
        Command::RedeemPoints {
            key: key(&self.order, Effect::RedeemPoints),
            user: self.order.user().clone(),
            up_to: self.pricing.total.as_points_cap(),
        }
    }

    pub fn points_redeemed(self, redemption: PointsRedemption) -> Result<Billing<OwesPointsAndStock>, Refused<Self>> {
        match self.pricing.with_points(redemption.points) {
            Ok(pricing) => Ok(Billing { order: self.order, pricing, owed: PhantomData }),
            Err(_) => {
                let error = TransitionError::RedeemedTooMuch {
                    cap: self.pricing.total.minor_units(),
                    redeemed: redemption.points.get(),
                };
                Err(refuse(self, error))
            }
        }
    }

    pub fn redemption_failed(self, detail: String) -> Failed<OwesPointsAndStock> {
        failed(self.order, FailureCause::StepFailed { effect: Effect::RedeemPoints, detail })
    }
}

impl<O: Owed> Billing<O> {
    pub fn command(&self) -> Command {
        Command::Charge {
            key: key(&self.order, Effect::Charge),
            user: self.order.user().clone(),
            amount: self.pricing.amount_due,
        }
    }

    /// The charge went through at `now_ms`; the courier wait starts with its deadline.
    pub fn charged(
        self,
        receipt: ChargeReceipt,
        now_ms: u64,
    ) -> Result<PreparingOrder<Owes<PaymentHeld, O>>, Refused<Self>> {
        if receipt.amount != self.pricing.amount_due {
            let error = TransitionError::ChargeMismatch {
                due: self.pricing.amount_due.minor_units(),
                charged: receipt.amount.minor_units(),
            };
            return Err(refuse(self, error));
        }
        Ok(PreparingOrder {
            order: self.order,
            pricing: self.pricing,
            deadline_ms: now_ms.saturating_add(COURIER_WAIT_MS),
            owed: PhantomData,
        })
    }

    /// Declined, or retries exhausted with the outcome unknown: the keyed refund is owed.
    pub fn billing_failed(self, detail: String) -> Failed<Owes<PaymentHeld, O>> {
        failed(self.order, FailureCause::StepFailed { effect: Effect::Charge, detail })
    }
}

impl<O: Owed> PreparingOrder<O> {
    pub fn token(&self) -> TaskToken {
        TaskToken::for_order(self.order.id())
    }

    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    pub fn command(&self) -> Command {
        Command::RequestCourier { token: self.token(), order: self.order.clone(), deadline_ms: self.deadline_ms }
    }

    fn check_token(&self, token: &TaskToken) -> Result<(), TransitionError> {
        let expected = self.token();
        if *token == expected {
            Ok(())
        } else {
            Err(TransitionError::WrongToken { expected: expected.as_str().into(), got: token.as_str().into() })
        }
    }

    pub fn courier_assigned(self, token: &TaskToken, courier: CourierId) -> Result<NotifyingCourier<O>, Refused<Self>> {
        match self.check_token(token) {
            Ok(()) => Ok(NotifyingCourier { order: self.order, pricing: self.pricing, courier, owed: PhantomData }),
            Err(e) => Err(refuse(self, e)),
        }
    }

    pub fn courier_unavailable(self, token: &TaskToken, detail: String) -> Result<Failed<O>, Refused<Self>> {
        match self.check_token(token) {
            Ok(()) => Ok(failed(self.order, FailureCause::CourierUnavailable { detail })),
            Err(e) => Err(refuse(self, e)),
        }
    }

    /// Gives up on the courier once `now_ms` has reached the deadline.
    pub fn deadline_passed(self, now_ms: u64) -> Result<Failed<O>, Refused<Self>> {
        if now_ms < self.deadline_ms {
            let error = TransitionError::NotYetDue { deadline_ms: self.deadline_ms, now_ms };
            return Err(refuse(self, error));
        }
        let deadline_ms = self.deadline_ms;
        Ok(failed(self.order, FailureCause::CourierTimedOut { deadline_ms }))
    }
}

impl<O: Owed> NotifyingCourier<O> {
    pub fn command(&self) -> Command {
        Command::NotifyCourier {
            key: key(&self.order, Effect::NotifyCourier),
            courier: self.courier.clone(),
            order: self.order.clone(),
        }
    }

    pub fn courier_notified(self) -> Dispatched {
        Dispatched { order: self.order, pricing: self.pricing, courier: self.courier }
    }

    pub fn notification_failed(self, detail: String) -> Failed<O> {
        failed(self.order, FailureCause::StepFailed { effect: Effect::NotifyCourier, detail })
    }
}

impl<C: Hold, R: Owed> Failed<Owes<C, R>> {
    /// The compensation to run now: always the one for the newest hold.
    pub fn command(&self) -> Command {
        C::compensation_command(&self.order)
    }

    fn pop(self, returned: Returned) -> Failed<R> {
        Failed { order: self.order, cause: self.cause, returned, owed: PhantomData }
    }
}

impl<R: Owed> Failed<Owes<PaymentHeld, R>> {
    pub fn refunded(self, refund: Refund) -> Failed<R> {
        let returned = Returned { money: refund.amount, ..self.returned };
        self.pop(returned)
    }
}

impl<R: Owed> Failed<Owes<PointsHeld, R>> {
    pub fn points_restored(self, restored: PointsRestored) -> Failed<R> {
        let returned = Returned { points: restored.points, ..self.returned };
        self.pop(returned)
    }
}

impl<R: Owed> Failed<Owes<StockHeld, R>> {
    pub fn stock_released(self, released: StockReleased) -> Result<Failed<R>, Refused<Self>> {
        let quantity = self.order.quantity().get();
        if released.quantity > quantity {
            let error = TransitionError::ReturnedTooMuchStock { quantity, returned: released.quantity };
            return Err(refuse(self, error));
        }
        let returned = Returned { stock: released.quantity, ..self.returned };
        Ok(self.pop(returned))
    }
}

impl Failed<Settled> {
    /// Everything owed has been given back.
    pub fn finish(self) -> Compensated {
        Compensated { order: self.order, cause: self.cause, returned: self.returned }
    }
}

macro_rules! order_accessor {
    ($($state:ident $(<$o:ident>)?),*) => {$(
        impl$(<$o>)? $state$(<$o>)? {
            pub fn order(&self) -> &Order {
                &self.order
            }
        }
    )*};
}
order_accessor!(
    Placed,
    StockReserved,
    Priced,
    RedeemingPoints,
    Billing<O>,
    PreparingOrder<O>,
    NotifyingCourier<O>,
    Dispatched,
    Rejected,
    Failed<O>,
    Compensated
);

impl Dispatched {
    pub fn courier(&self) -> &CourierId {
        &self.courier
    }
    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }
}

impl Rejected {
    pub fn reason(&self) -> Unavailable {
        self.reason
    }
}

impl<O> Failed<O> {
    pub fn cause(&self) -> &FailureCause {
        &self.cause
    }
}

impl Compensated {
    pub fn cause(&self) -> &FailureCause {
        &self.cause
    }
    pub fn returned(&self) -> Returned {
        self.returned
    }
}
