//! The transitions: each consumes a state and the result of its side effect, and returns the next
//! state. A transition that cannot accept what it is given hands its state back in [`Refused`].

use std::marker::PhantomData;

use thiserror::Error;

use crate::excerpt::excerpt;
use crate::money::{Money, Points};
use crate::order::{CourierId, Order};
use crate::protocol::{
    ChargeReceipt, Command, Effect, Event, PointsRedemption, PointsRestored, RefundReceipt, StockReleased,
    StockReservation, TaskToken, Unavailable,
};
use crate::states::owes::{
    Hold, Owed, Owes, OwesPointsAndStock, OwesStock, PaymentHeld, PointsHeld, Settled, StockHeld,
};
use crate::states::phase::Phase;
use crate::states::ticket::Ticket;
use crate::states::types::*;
use crate::states::values::{FailureCause, Pricing, Returned, Unreturned, COURIER_WAIT_MS};

/// An event that the current state of a checkout cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The event is handed back too; its name is only worked out if the error is displayed.
    #[error("a checkout that is {state} cannot take the event {}", event.name())]
    WrongEvent { state: Phase, event: Box<Event> },
    #[error("a checkout that is {state} has no pure step to compute")]
    NothingToCompute { state: Phase },
    /// Neither token is quoted: the expected one is the wait's secret, and the one received may
    /// be another wait's (a misdelivered answer), which this checkout's history must not show.
    #[error("courier reply carries a task token this checkout's wait did not issue")]
    WrongToken,
    #[error("the courier wait already has its task token; a wait is opened once")]
    WaitAlreadyOpen,
    #[error("the courier deadline is {deadline_ms} ms and it is only {now_ms} ms")]
    NotYetDue { deadline_ms: u64, now_ms: u64 },
    #[error("the payment service charged {charged} minor units but {due} are due")]
    ChargeMismatch { due: u64, charged: u64 },
    #[error("the points service redeemed {redeemed} points but at most {cap} were asked for")]
    RedeemedTooMuch { cap: u64, redeemed: u64 },
    #[error("the stock service returned {returned} copies but the order took at most {quantity}")]
    ReturnedTooMuchStock { quantity: u32, returned: u32 },
    #[error("the stock service's out-of-stock answer contradicts the order: {detail}")]
    ContradictoryRejection { detail: String },
    #[error("the payment service refunded {refunded} minor units but at most {due} were charged")]
    RefundedTooMuch { due: u64, refunded: u64 },
    #[error("the points service restored {restored} points but the order took at most {cap}")]
    RestoredTooManyPoints { cap: u64, restored: u64 },
    /// A cancel after a courier was assigned: the notice may already have reached the courier,
    /// so the order goes out (or is raised for an operator) and nothing is given back.
    #[error("a checkout that is {state} is past the point of no return: a courier is assigned and may have been told to collect")]
    PastNoReturn { state: Phase },
    /// A cancel of a checkout that has already failed or ended: there is nothing left to stop.
    #[error("a checkout that is {state} has nothing to cancel: it has already failed or ended")]
    NothingToCancel { state: Phase },
    /// A resolution of a checkout that is not raised for an operator (still running, ended on
    /// its own, or already resolved): an operator settles only what the saga could not.
    #[error("a checkout that is {state} is not raised for an operator: there is nothing to resolve")]
    NothingToResolve { state: Phase },
    /// A resolution that contradicts the state, such as a courier's confirmation of an order
    /// that failed before any courier was told.
    #[error(
        "a checkout that is {state} cannot be resolved as {kind}: it failed before any courier was told to collect"
    )]
    ResolutionDoesNotFit { state: Phase, kind: &'static str },
}

/// A refused transition: the state handed back unchanged, and why.
#[derive(Debug, Error)]
#[error("{error}")]
pub struct Refused<S> {
    pub state: S,
    pub error: TransitionError,
}

impl<S> Refused<S> {
    pub(crate) fn new(state: S, error: TransitionError) -> Refused<S> {
        Refused { state, error }
    }

    /// The same refusal with the state converted (e.g. erased).
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> Refused<T> {
        Refused { state: f(self.state), error: self.error }
    }
}

/// Whether an out-of-stock answer fits the order it answers: it names the order's quantity, and
/// fewer copies than that. The transition and the loader both ask.
pub(crate) fn rejection_fits(order: &Order, reason: Unavailable) -> Result<(), String> {
    let quantity = order.quantity().get();
    match reason {
        Unavailable::OutOfStock { requested, .. } if requested != quantity => {
            Err(format!("it names {requested} copies requested, but the order is for {quantity}"))
        }
        Unavailable::OutOfStock { available, .. } if available >= quantity => {
            Err(format!("it says {available} copies were available, enough for the {quantity} ordered"))
        }
        _ => Ok(()),
    }
}

/// Enters a failed state. A failure's detail comes from outside (a service's reason, a courier
/// worker's answer) and is kept in the record, so only an excerpt of it is kept.
fn failed<O>(ticket: Ticket, pricing: Option<Pricing>, cause: FailureCause) -> Failed<O> {
    let cause = match cause {
        FailureCause::StepFailed { effect, detail } => FailureCause::StepFailed { effect, detail: excerpt(&detail) },
        FailureCause::CourierUnavailable { detail } => FailureCause::CourierUnavailable { detail: excerpt(&detail) },
        other => other,
    };
    Failed { ticket, pricing, cause, returned: Returned::default(), unreturned: Vec::new(), owed: PhantomData }
}

impl Placed {
    pub fn new(ticket: Ticket) -> Placed {
        Placed { ticket }
    }

    pub fn command(&self) -> Command {
        Command::ReserveStock {
            key: self.ticket.key(Effect::ReserveStock),
            book: self.ticket.order().book().clone(),
            quantity: self.ticket.order().quantity(),
        }
    }

    pub fn stock_reserved(self, reservation: StockReservation) -> StockReserved {
        StockReserved { ticket: self.ticket, unit_price: reservation.unit_price }
    }

    /// The store definitively took nothing: the checkout ends owing nothing. An out-of-stock
    /// answer that contradicts the order (another quantity, or enough copies after all) is
    /// refused: it is not the store's answer to this reservation.
    pub fn stock_unavailable(self, reason: Unavailable) -> Result<Rejected, Refused<Self>> {
        if let Err(detail) = rejection_fits(self.ticket.order(), reason) {
            return Err(Refused::new(self, TransitionError::ContradictoryRejection { detail }));
        }
        Ok(Rejected { ticket: self.ticket, reason })
    }

    /// The reservation failed with its outcome unknown: stock may have been taken, so the keyed
    /// release is owed (it gives back nothing if nothing was taken).
    pub fn reservation_failed(self, detail: String) -> Failed<OwesStock> {
        failed(self.ticket, None, FailureCause::StepFailed { effect: Effect::ReserveStock, detail })
    }

    /// Withdrawn: the reservation may be in flight, so the keyed release is owed.
    pub fn cancel(self) -> Failed<OwesStock> {
        failed(self.ticket, None, FailureCause::Cancelled { at: Phase::Placed })
    }
}

impl StockReserved {
    pub fn calculate_total(self) -> Result<Priced, Failed<OwesStock>> {
        match Pricing::new(self.ticket.order(), self.unit_price) {
            Ok(pricing) => Ok(Priced { ticket: self.ticket, pricing }),
            Err(e) => Err(failed(self.ticket, None, FailureCause::TotalOverflow { detail: e.to_string() })),
        }
    }

    pub fn cancel(self) -> Failed<OwesStock> {
        failed(self.ticket, None, FailureCause::Cancelled { at: Phase::StockReserved })
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
        if self.ticket.order().redeem_points() {
            Route::RedeemPoints(RedeemingPoints { ticket: self.ticket, pricing: self.pricing })
        } else {
            Route::Bill(Billing { ticket: self.ticket, pricing: self.pricing, owed: PhantomData })
        }
    }

    /// Withdrawn before any points or money were asked for: only the stock is owed, and a
    /// failure before the redemption carries no price.
    pub fn cancel(self) -> Failed<OwesStock> {
        failed(self.ticket, None, FailureCause::Cancelled { at: Phase::Priced })
    }
}

impl RedeemingPoints {
    pub fn command(&self) -> Command {
        Command::RedeemPoints {
            key: self.ticket.key(Effect::RedeemPoints),
            user: self.ticket.order().user().clone(),
            up_to: self.pricing.total.as_points_cap(),
        }
    }

    pub fn points_redeemed(self, redemption: PointsRedemption) -> Result<Billing<OwesPointsAndStock>, Refused<Self>> {
        match self.pricing.with_points(redemption.points) {
            Ok(pricing) => Ok(Billing { ticket: self.ticket, pricing, owed: PhantomData }),
            Err(_) => {
                let error = TransitionError::RedeemedTooMuch {
                    cap: self.pricing.total.minor_units(),
                    redeemed: redemption.points.get(),
                };
                Err(Refused::new(self, error))
            }
        }
    }

    pub fn redemption_failed(self, detail: String) -> Failed<OwesPointsAndStock> {
        failed(self.ticket, Some(self.pricing), FailureCause::StepFailed { effect: Effect::RedeemPoints, detail })
    }

    /// Withdrawn: the redemption may be in flight, so the keyed restore is owed, up to the total.
    pub fn cancel(self) -> Failed<OwesPointsAndStock> {
        failed(self.ticket, Some(self.pricing), FailureCause::Cancelled { at: Phase::RedeemingPoints })
    }
}

impl<O: Owed> Billing<O> {
    pub fn command(&self) -> Command {
        Command::Charge {
            key: self.ticket.key(Effect::Charge),
            user: self.ticket.order().user().clone(),
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
            return Err(Refused::new(self, error));
        }
        Ok(PreparingOrder {
            ticket: self.ticket,
            pricing: self.pricing,
            deadline_ms: now_ms.saturating_add(COURIER_WAIT_MS),
            token: None,
            owed: PhantomData,
        })
    }

    /// Declined, or retries exhausted with the outcome unknown: the keyed refund is owed.
    pub fn billing_failed(self, detail: String) -> Failed<Owes<PaymentHeld, O>> {
        failed(self.ticket, Some(self.pricing), FailureCause::StepFailed { effect: Effect::Charge, detail })
    }

    /// Withdrawn: the charge may be in flight (or done, its reply lost), so the keyed refund is
    /// owed; it gives back nothing if nothing was charged, and stops a late charge.
    pub fn cancel(self) -> Failed<Owes<PaymentHeld, O>> {
        failed(self.ticket, Some(self.pricing), FailureCause::Cancelled { at: Phase::Billing })
    }
}

impl<O: Owed> PreparingOrder<O> {
    /// The courier request, once the wait has its token; it is sent again after every restart.
    pub fn command(&self) -> Option<Command> {
        let token = self.token.clone()?;
        Some(Command::RequestCourier { token, order: self.ticket.order().clone(), deadline_ms: self.deadline_ms })
    }

    /// The runtime opened the wait with `token`. A wait is opened once: a second token (say, from
    /// an orchestrator that did not see the first) is refused, so only one token is ever live.
    pub fn wait_opened(self, token: TaskToken) -> Result<Self, Refused<Self>> {
        if self.token.is_some() {
            return Err(Refused::new(self, TransitionError::WaitAlreadyOpen));
        }
        Ok(PreparingOrder { token: Some(token), ..self })
    }

    fn check_token(&self, token: &TaskToken) -> Result<(), TransitionError> {
        if self.token.as_ref() == Some(token) {
            Ok(())
        } else {
            Err(TransitionError::WrongToken)
        }
    }

    pub fn courier_assigned(self, token: &TaskToken, courier: CourierId) -> Result<NotifyingCourier<O>, Refused<Self>> {
        match self.check_token(token) {
            Ok(()) => Ok(NotifyingCourier { ticket: self.ticket, pricing: self.pricing, courier, owed: PhantomData }),
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    pub fn courier_unavailable(self, token: &TaskToken, detail: String) -> Result<Failed<O>, Refused<Self>> {
        match self.check_token(token) {
            Ok(()) => Ok(failed(self.ticket, Some(self.pricing), FailureCause::CourierUnavailable { detail })),
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    /// Gives up on the courier once `now_ms` has reached the deadline.
    pub fn deadline_passed(self, now_ms: u64) -> Result<Failed<O>, Refused<Self>> {
        if now_ms < self.deadline_ms {
            let error = TransitionError::NotYetDue { deadline_ms: self.deadline_ms, now_ms };
            return Err(Refused::new(self, error));
        }
        let deadline_ms = self.deadline_ms;
        Ok(failed(self.ticket, Some(self.pricing), FailureCause::CourierTimedOut { deadline_ms }))
    }

    /// Withdrawn while no courier is assigned: the wait ends (a late reply no longer fits) and
    /// everything is given back. The courier worker may still prepare a courier; none is told.
    pub fn cancel(self) -> Failed<O> {
        failed(self.ticket, Some(self.pricing), FailureCause::Cancelled { at: Phase::PreparingOrder })
    }
}

impl<O: Owed> NotifyingCourier<O> {
    pub fn command(&self) -> Command {
        Command::NotifyCourier {
            key: self.ticket.key(Effect::NotifyCourier),
            courier: self.courier.clone(),
            order: self.ticket.order().clone(),
        }
    }

    pub fn courier_notified(self) -> Dispatched {
        Dispatched { ticket: self.ticket, pricing: self.pricing, courier: self.courier }
    }

    /// The notice was refused for good. There is no way back from here (no `Failed` state is
    /// reachable): an earlier attempt may have reached the courier, so the checkout keeps what it
    /// holds and is raised for an operator.
    pub fn notice_refused(self, detail: String) -> NoticeUnconfirmed {
        NoticeUnconfirmed {
            ticket: self.ticket,
            pricing: self.pricing,
            courier: self.courier,
            detail: excerpt(&detail),
        }
    }
}

impl<C: Hold, R: Owed> Failed<Owes<C, R>> {
    /// The compensation to run now: always the one for the newest hold.
    pub fn command(&self) -> Command {
        C::compensation_command(&self.ticket, self.pricing.as_ref())
    }

    fn pop(self, returned: Returned) -> Failed<R> {
        let Failed { ticket, pricing, cause, unreturned, .. } = self;
        Failed { ticket, pricing, cause, returned, unreturned, owed: PhantomData }
    }

    /// The compensation was refused for good: it is listed as unreturned and the checkout goes
    /// on to the next one, so one closed card does not keep the stock or the points too.
    pub fn compensation_refused(mut self, detail: String) -> Failed<R> {
        self.unreturned.push(Unreturned { compensation: C::COMPENSATION, detail: excerpt(&detail) });
        let returned = self.returned;
        self.pop(returned)
    }
}

impl<R: Owed> Failed<Owes<PaymentHeld, R>> {
    /// The refund came back; it can be no more than the amount due, the most the charge took.
    pub fn refunded(self, refund: RefundReceipt) -> Result<Failed<R>, Refused<Self>> {
        let due = self.pricing.map_or(Money::ZERO, |p| p.amount_due);
        if refund.amount > due {
            let error =
                TransitionError::RefundedTooMuch { due: due.minor_units(), refunded: refund.amount.minor_units() };
            return Err(Refused::new(self, error));
        }
        let returned = Returned { money: refund.amount, ..self.returned };
        Ok(self.pop(returned))
    }
}

impl<R: Owed> Failed<Owes<PointsHeld, R>> {
    /// The points came back; no more than the redemption could have taken.
    pub fn points_restored(self, restored: PointsRestored) -> Result<Failed<R>, Refused<Self>> {
        let cap = points_cap(self.pricing.as_ref(), &self.cause);
        if restored.points > cap {
            let error = TransitionError::RestoredTooManyPoints { cap: cap.get(), restored: restored.points.get() };
            return Err(Refused::new(self, error));
        }
        let returned = Returned { points: restored.points, ..self.returned };
        Ok(self.pop(returned))
    }
}

/// The most points a failed checkout's redemption can have taken: what it asked for (up to the
/// total) if the redemption itself failed with its outcome unknown, else what it was answered.
pub(crate) fn points_cap(pricing: Option<&Pricing>, cause: &FailureCause) -> Points {
    match (pricing, cause) {
        (None, _) => Points::ZERO,
        (Some(p), FailureCause::StepFailed { effect: Effect::RedeemPoints, .. }) => p.total.as_points_cap(),
        (Some(p), FailureCause::Cancelled { at: Phase::RedeemingPoints }) => p.total.as_points_cap(),
        (Some(p), _) => p.points_redeemed,
    }
}

impl<R: Owed> Failed<Owes<StockHeld, R>> {
    pub fn stock_released(self, released: StockReleased) -> Result<Failed<R>, Refused<Self>> {
        let quantity = self.ticket.order().quantity().get();
        if released.quantity > quantity {
            let error = TransitionError::ReturnedTooMuchStock { quantity, returned: released.quantity };
            return Err(Refused::new(self, error));
        }
        let returned = Returned { stock: released.quantity, ..self.returned };
        Ok(self.pop(returned))
    }
}

/// How a failed checkout ends once every compensation has been tried.
#[derive(Debug)]
pub enum Ending {
    /// Everything it took was given back.
    Compensated(Compensated),
    /// Some compensation was refused for good; an operator must settle what it names.
    NeedsOperator(NeedsOperator),
}

impl Failed<Settled> {
    /// Every compensation owed has been run.
    pub fn finish(self) -> Ending {
        let Failed { ticket, pricing, cause, returned, unreturned, .. } = self;
        if unreturned.is_empty() {
            Ending::Compensated(Compensated { ticket, pricing, cause, returned })
        } else {
            Ending::NeedsOperator(NeedsOperator { ticket, pricing, cause, returned, unreturned })
        }
    }
}
