//! The erased checkout: one enum over every typestate, for code that must hold "a checkout in
//! whatever state it is" — the orchestrator between steps, a persisted record, the model checker.
//!
//! Every typestate implements the sealed [`Stage`] trait (its phase, order, what it owes, its next
//! command, its record), and [`CheckoutState`] hands each call to its variant, so there is one
//! copy of the saga's logic. [`CheckoutState::apply`] and [`CheckoutState::compute`] only route an
//! event to the typestate method that takes it. The persisted form is in [`record`].

pub mod record;
mod stage;
pub mod view;

use serde::{Deserialize, Serialize};

use crate::excerpt::excerpt;
use crate::order::{CheckoutId, Order};
use crate::protocol::{Command, Event, TaskToken};
use crate::states::*;

pub use crate::states::Phase;

pub use record::{CheckoutRecord, LoadError, StateError};
pub use stage::Stage;
pub use view::CheckoutView;

/// How a checkout ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Dispatched,
    Rejected,
    Compensated,
    /// An operator must settle it: a compensation was refused for good, or the courier notice
    /// was (and the courier may have been told).
    NeedsOperator,
    /// An operator closed it, recording what was done by hand.
    Resolved,
}

/// The courier wait of a checkout that is preparing its order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CourierWait {
    /// The wait's task token, once the runtime has issued it.
    pub token: Option<TaskToken>,
    /// When the checkout stops waiting and compensates.
    pub deadline_ms: u64,
}

/// What the orchestrator must do next with a checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Perform this side effect and feed its result back with [`CheckoutState::apply`].
    Run(Command),
    /// Take the pure step with [`CheckoutState::compute`].
    Compute,
    /// Open the courier wait: issue a task token nobody can guess (random, or the one Step
    /// Functions hands out) and feed it with [`Event::CourierWaitOpened`]; the request follows.
    OpenCourierWait,
    /// Nothing: the checkout has ended.
    Finished(Outcome),
}

/// Declares the erased enum, a `From` conversion from each typestate into it, and the methods
/// that hand each call to the variant's [`Stage`] implementation, from one list.
macro_rules! erased_states {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// A checkout in any of its states.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum CheckoutState {
            $($variant($ty),)*
        }

        $(
            impl From<$ty> for CheckoutState {
                fn from(state: $ty) -> CheckoutState {
                    CheckoutState::$variant(state)
                }
            }
        )*

        impl CheckoutState {
            pub fn phase(&self) -> Phase {
                match self { $(CheckoutState::$variant(_) => <$ty as Stage>::PHASE,)* }
            }

            /// What the checkout is about: its id and its order.
            pub fn ticket(&self) -> &Ticket {
                match self { $(CheckoutState::$variant(s) => s.ticket(),)* }
            }

            /// The compensations this checkout would owe if it failed now (or owes, if it has
            /// failed), newest first.
            pub fn owes(&self) -> Vec<Compensation> {
                match self { $(CheckoutState::$variant(_) => <<$ty as Stage>::Owes as Owed>::compensations(),)* }
            }

            pub fn next(&self) -> Next {
                match self { $(CheckoutState::$variant(s) => s.next(),)* }
            }

            /// The order's price, once it is known and while the checkout goes forward.
            pub fn pricing(&self) -> Option<&Pricing> {
                match self { $(CheckoutState::$variant(s) => s.pricing(),)* }
            }

            /// The courier wait, while the checkout is in it.
            pub fn courier_wait(&self) -> Option<CourierWait> {
                match self { $(CheckoutState::$variant(s) => s.courier_wait(),)* }
            }

            /// The compensations refused for good so far, once the checkout has failed.
            pub fn unreturned(&self) -> &[Unreturned] {
                match self { $(CheckoutState::$variant(s) => s.unreturned(),)* }
            }

            /// The persisted form of this checkout.
            pub fn record(&self) -> CheckoutRecord {
                match self { $(CheckoutState::$variant(s) => s.record(),)* }
            }
        }
    };
}

erased_states!(
    Placed(Placed),
    StockReserved(StockReserved),
    Priced(Priced),
    RedeemingPoints(RedeemingPoints),
    Billing(Billing<OwesStock>),
    BillingAfterPoints(Billing<OwesPointsAndStock>),
    PreparingOrder(PreparingOrder<OwesPaymentAndStock>),
    PreparingOrderAfterPoints(PreparingOrder<OwesPaymentPointsAndStock>),
    NotifyingCourier(NotifyingCourier<OwesPaymentAndStock>),
    NotifyingCourierAfterPoints(NotifyingCourier<OwesPaymentPointsAndStock>),
    Dispatched(Dispatched),
    NoticeUnconfirmed(NoticeUnconfirmed),
    Rejected(Rejected),
    FailedOwingStock(Failed<OwesStock>),
    FailedOwingPointsAndStock(Failed<OwesPointsAndStock>),
    FailedOwingPaymentAndStock(Failed<OwesPaymentAndStock>),
    FailedOwingPaymentPointsAndStock(Failed<OwesPaymentPointsAndStock>),
    FailedSettled(Failed<Settled>),
    Compensated(Compensated),
    NeedsOperator(NeedsOperator),
    Resolved(Resolved),
);

/// What an erased transition gives: the next state, or this one handed back with the reason.
pub type Applied = Result<CheckoutState, Refused<CheckoutState>>;

fn erase<S: Into<CheckoutState>, T: Into<CheckoutState>>(result: Result<T, Refused<S>>) -> Applied {
    result.map(Into::into).map_err(|refused| refused.map(Into::into))
}

fn wrong_event(state: impl Into<CheckoutState>, event: Event) -> Applied {
    let state = state.into();
    let error = TransitionError::WrongEvent { state: state.phase(), event: Box::new(event) };
    Err(Refused::new(state, error))
}

fn apply_billing<O: Owed>(state: Billing<O>, event: Event) -> Applied
where
    Billing<O>: Into<CheckoutState>,
    PreparingOrder<Owes<PaymentHeld, O>>: Into<CheckoutState>,
    Failed<Owes<PaymentHeld, O>>: Into<CheckoutState>,
{
    match event {
        Event::Charged { receipt, now_ms } => erase(state.charged(receipt, now_ms)),
        Event::StepFailed { detail } => Ok(state.billing_failed(detail).into()),
        Event::Cancel => Ok(state.cancel().into()),
        other => wrong_event(state, other),
    }
}

fn apply_preparing<O: Owed>(state: PreparingOrder<O>, event: Event) -> Applied
where
    PreparingOrder<O>: Into<CheckoutState>,
    NotifyingCourier<O>: Into<CheckoutState>,
    Failed<O>: Into<CheckoutState>,
{
    match event {
        Event::CourierWaitOpened { token } => erase(state.wait_opened(token)),
        Event::CourierAssigned { token, courier } => erase(state.courier_assigned(&token, courier)),
        Event::CourierUnavailable { token, detail } => erase(state.courier_unavailable(&token, detail)),
        Event::DeadlinePassed { now_ms } => erase(state.deadline_passed(now_ms)),
        Event::Cancel => Ok(state.cancel().into()),
        other => wrong_event(state, other),
    }
}

/// Past the point of no return: the notice goes through, or its refusal is raised with
/// everything held; nothing here leads to a compensation.
fn apply_notifying<O: Owed>(state: NotifyingCourier<O>, event: Event) -> Applied
where
    NotifyingCourier<O>: Into<CheckoutState>,
{
    match event {
        Event::CourierNotified => Ok(state.courier_notified().into()),
        Event::StepFailed { detail } => Ok(state.notice_refused(detail).into()),
        Event::Cancel => refuse_cancel(state.into()),
        other => wrong_event(state, other),
    }
}

/// A cancel that the state has no transition for: past the point of no return, or with nothing
/// left to stop. The states before the point of no return all take it (see `apply`).
fn refuse_cancel(state: CheckoutState) -> Applied {
    let phase = state.phase();
    let error = match phase {
        Phase::NotifyingCourier | Phase::Dispatched | Phase::NoticeUnconfirmed => {
            TransitionError::PastNoReturn { state: phase }
        }
        _ => TransitionError::NothingToCancel { state: phase },
    };
    Err(Refused::new(state, error))
}

impl CheckoutState {
    /// A new checkout, with the id it was given when its order was accepted.
    pub fn start(id: CheckoutId, order: Order) -> CheckoutState {
        Placed::new(Ticket::new(id, order)).into()
    }

    pub fn id(&self) -> &CheckoutId {
        self.ticket().id()
    }

    pub fn order(&self) -> &Order {
        self.ticket().order()
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.next(), Next::Finished(_))
    }

    /// Takes a pure step: computing the total, choosing whether to redeem points, or closing a
    /// checkout that has given everything back.
    pub fn compute(self) -> Applied {
        use CheckoutState as S;
        match self {
            S::StockReserved(s) => Ok(match s.calculate_total() {
                Ok(priced) => priced.into(),
                Err(failed) => failed.into(),
            }),
            S::Priced(s) => Ok(match s.route() {
                Route::RedeemPoints(redeeming) => redeeming.into(),
                Route::Bill(billing) => billing.into(),
            }),
            S::FailedSettled(s) => Ok(match s.finish() {
                Ending::Compensated(compensated) => compensated.into(),
                Ending::NeedsOperator(stuck) => stuck.into(),
            }),
            other => {
                let error = TransitionError::NothingToCompute { state: other.phase() };
                Err(Refused::new(other, error))
            }
        }
    }

    /// Feeds the result of a side effect to the checkout. An event the state cannot take is
    /// refused and the state handed back unchanged, so a stale or duplicated reply is harmless.
    pub fn apply(self, event: Event) -> Applied {
        use CheckoutState as S;
        match (self, event) {
            (S::NeedsOperator(s), Event::Resolve { resolution }) => erase(s.resolve(resolution)),
            (S::NoticeUnconfirmed(s), Event::Resolve { resolution }) => Ok(s.resolve(resolution).into()),
            (state, Event::Resolve { .. }) => {
                let error = TransitionError::NothingToResolve { state: state.phase() };
                Err(Refused::new(state, error))
            }
            (S::Placed(s), Event::Cancel) => Ok(s.cancel().into()),
            (S::StockReserved(s), Event::Cancel) => Ok(s.cancel().into()),
            (S::Priced(s), Event::Cancel) => Ok(s.cancel().into()),
            (S::RedeemingPoints(s), Event::Cancel) => Ok(s.cancel().into()),
            (S::Placed(s), Event::StockReserved(r)) => Ok(s.stock_reserved(r).into()),
            (S::Placed(s), Event::StockUnavailable(u)) => erase(s.stock_unavailable(u)),
            (S::Placed(s), Event::StepFailed { detail }) => Ok(s.reservation_failed(detail).into()),
            (S::RedeemingPoints(s), Event::PointsRedeemed(r)) => erase(s.points_redeemed(r)),
            (S::RedeemingPoints(s), Event::StepFailed { detail }) => Ok(s.redemption_failed(detail).into()),
            (S::Billing(s), e) => apply_billing(s, e),
            (S::BillingAfterPoints(s), e) => apply_billing(s, e),
            (S::PreparingOrder(s), e) => apply_preparing(s, e),
            (S::PreparingOrderAfterPoints(s), e) => apply_preparing(s, e),
            (S::NotifyingCourier(s), e) => apply_notifying(s, e),
            (S::NotifyingCourierAfterPoints(s), e) => apply_notifying(s, e),
            (S::FailedOwingPaymentAndStock(s), Event::Refunded(r)) => erase(s.refunded(r)),
            (S::FailedOwingPaymentPointsAndStock(s), Event::Refunded(r)) => erase(s.refunded(r)),
            (S::FailedOwingPointsAndStock(s), Event::PointsRestored(r)) => erase(s.points_restored(r)),
            (S::FailedOwingStock(s), Event::StockReleased(r)) => erase(s.stock_released(r)),
            (S::FailedOwingPaymentAndStock(s), Event::CompensationRefused { detail }) => {
                Ok(s.compensation_refused(detail).into())
            }
            (S::FailedOwingPaymentPointsAndStock(s), Event::CompensationRefused { detail }) => {
                Ok(s.compensation_refused(detail).into())
            }
            (S::FailedOwingPointsAndStock(s), Event::CompensationRefused { detail }) => {
                Ok(s.compensation_refused(detail).into())
            }
            (S::FailedOwingStock(s), Event::CompensationRefused { detail }) => {
                Ok(s.compensation_refused(detail).into())
            }
            (state, Event::Cancel) => refuse_cancel(state),
            (state, event) => wrong_event(state, event),
        }
    }

    /// Parses a persisted checkout, refusing one that is not a state the saga can be in.
    pub fn from_json(json: &str) -> Result<CheckoutState, LoadError> {
        let record: CheckoutRecord =
            serde_json::from_str(json).map_err(|e| LoadError::Json(excerpt(&e.to_string())))?;
        CheckoutState::try_from(record).map_err(LoadError::State)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.record()).expect("a checkout record always serializes")
    }
}

impl Serialize for CheckoutState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CheckoutState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let record = CheckoutRecord::deserialize(deserializer)?;
        CheckoutState::try_from(record).map_err(serde::de::Error::custom)
    }
}
